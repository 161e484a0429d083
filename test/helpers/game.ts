/**
 * Fixtures and a game driver for the dispute-game tests and benchmarks: the whole on-chain system
 * (StakeManager, ProcessRegistry, ResultRegistry, the one-step prover, DisputeGame) with a real example
 * process registered, real signed assignments and messages, real machine traces (sdk/ts/dispute), and a
 * loop that plays a game between two players move by move on chain.
 */
import { ethers, network } from "hardhat";
import { keccak256, hexlify, type Signer } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import type {
  DisputeGame,
  ERC20Mock,
  ProcessRegistry,
  ResultRegistry,
  StakeManager,
} from "../../typechain-types";
import type { IDisputeGame } from "../../typechain-types/contracts/dispute/DisputeGame";
import { Process, encodeMessage, type Message } from "../../machine/process";
import { assignmentDomain, assignmentHash, signAssignment, type Assignment } from "../../sdk/ts/assignments";
import { commitmentId, type Commitment } from "../../sdk/ts/results";
import {
  CommitmentTrace,
  StepKind,
  openingSegment,
  respond,
  type GameTrace,
  type Move,
  type Segment,
  type SlotInput,
} from "../../sdk/ts/dispute";
import { deployProvers } from "../osp/helpers";
import { processWasm } from "../sdk/helpers";
import { ONE } from "./stake";

/** Parameters of the system deployed by {@link deployGameSystem}, in seconds, tokens and basis points. */
export const GAME_PARAMS = {
  degree: 16,
  clockTime: 3_600n,
  clockExtension: 300n,
  startGrace: 600n,
  challengeBond: 10n * ONE,
  challengeWindow: 3_600n,
  // 2·3600 + 2·17·300 + 600 = 18,000: exactly the game's bound at degree 16.
  maxGameDuration: 18_000n,
  unbondingDelay: 21_600n,
  slashRewardBps: 5_000n,
  minSchedulerStake: 100n * ONE,
  commitmentStake: 10n * ONE,
  stepLimit: 10_000_000,
  // The registry's step-limit cap and ceiling: ⌊300 s · 10^7 steps/s / 2⌋, the most the game's
  // clockExtension can defend (DisputeGame.REEXEC_STEPS_PER_SECOND, docs/threat-model.md row 29).
  maxStepLimit: 1_500_000_000n,
  memoryPages: 64,
} as const;

export type GameSystem = Awaited<ReturnType<typeof deployGameSystem>>;

/** Every signer's stake after {@link deployGameSystem}: 1,000 tokens minted, 100 bonded. */
export const OPERATOR_BOND = 100n * ONE;

/**
 * Deploys and wires the whole system and registers and spawns one example process (`counter` by
 * default). Signers: admin, treasury, scheduler, cu (a compute unit), watcher, owner, then the rest
 * (extra challengers); every signer but admin and treasury has 1,000 tokens and 100 bonded.
 */
export async function deployGameSystem(
  processName = "counter",
  params: {
    [K in keyof typeof GAME_PARAMS]?: (typeof GAME_PARAMS)[K] extends bigint
      ? bigint
      : (typeof GAME_PARAMS)[K] extends number
        ? number
        : never;
  } = {},
) {
  const P: { [K in keyof typeof GAME_PARAMS]: (typeof GAME_PARAMS)[K] extends bigint ? bigint : number } = {
    ...GAME_PARAMS,
    ...params,
  };
  const signers = await ethers.getSigners();
  const [admin, treasury, scheduler, cu, watcher, owner, ...rest] = signers;
  const token = (await ethers.deployContract("ERC20Mock")) as unknown as ERC20Mock;
  const stake = (await ethers.deployContract("StakeManager", [
    await token.getAddress(),
    admin.address,
    P.challengeWindow,
    P.maxGameDuration,
    P.unbondingDelay,
    treasury.address,
    P.slashRewardBps,
  ])) as unknown as StakeManager;
  const provers = await deployProvers();
  const processes = (await ethers.deployContract("ProcessRegistry", [
    await stake.getAddress(),
    admin.address,
    P.minSchedulerStake,
    P.maxStepLimit,
  ])) as unknown as ProcessRegistry;
  const results = (await ethers.deployContract("ResultRegistry", [
    await stake.getAddress(),
    await processes.getAddress(),
    admin.address,
    P.commitmentStake,
  ])) as unknown as ResultRegistry;
  const game = (await ethers.deployContract("DisputeGame", [
    await stake.getAddress(),
    await processes.getAddress(),
    await results.getAddress(),
    await provers.entry.getAddress(),
    P.degree,
    P.clockTime,
    P.clockExtension,
    P.startGrace,
    P.challengeBond,
  ])) as unknown as DisputeGame;
  const gameAddress = await game.getAddress();
  await stake.grantRole(await stake.SLASHER_ROLE(), await processes.getAddress());
  await stake.grantRole(await stake.LOCKER_ROLE(), await processes.getAddress());
  await stake.grantRole(await stake.SLASHER_ROLE(), gameAddress);
  await stake.grantRole(await stake.LOCKER_ROLE(), await results.getAddress());
  await stake.grantRole(await stake.LOCKER_ROLE(), gameAddress);
  await results.grantRole(await results.DISPUTE_GAME_ROLE(), gameAddress);

  for (const s of [scheduler, cu, watcher, owner, ...rest]) {
    await token.mint(s.address, 1_000n * ONE);
    await token.connect(s).approve(await stake.getAddress(), ethers.MaxUint256);
    await stake.connect(s).bond(OPERATOR_BOND);
  }

  // The process: a real module, its real initial state.
  const wasm = processWasm(processName);
  const initial = Process.fromWasm(wasm, { memoryLimitPages: P.memoryPages });
  const moduleRoot = hexlify(initial.moduleRoot);
  const wasmHash = keccak256(wasm);
  const moduleArweaveId = ethers.id(`${processName} module data item`);
  await processes.registerModule(moduleRoot, wasmHash, moduleArweaveId, P.memoryPages, P.stepLimit, 65_536);
  const moduleId = await processes.computeModuleId(
    moduleRoot,
    wasmHash,
    moduleArweaveId,
    P.memoryPages,
    P.stepLimit,
    65_536,
  );
  const initialStateHash = hexlify(initial.processHash());
  const processArweaveId = ethers.id(`${processName} process data item`);
  const spawnTx = await processes
    .connect(owner)
    .spawn(moduleId, scheduler.address, initialStateHash, processArweaveId);
  await spawnTx.wait();
  const process = await processes.computeProcessId(
    moduleId,
    scheduler.address,
    initialStateHash,
    processArweaveId,
    owner.address,
  );
  const { chainId } = await ethers.provider.getNetwork();
  const domain = assignmentDomain(chainId, await processes.getAddress());

  return {
    P,
    signers,
    admin,
    treasury,
    scheduler,
    cu,
    watcher,
    owner,
    rest,
    token,
    stake,
    provers,
    processes,
    results,
    game,
    wasm,
    moduleRoot,
    moduleId,
    initialStateHash,
    process,
    domain,
  };
}

/** A message's content before the slot is assigned: who sends it, its tags and data. */
export interface MessageSpec {
  from?: string;
  tags?: Record<string, string>;
  data?: string;
}

/** An Ethereum address as a 32-byte process-side address (left-padded). */
export function paddedAddress(address: string): Uint8Array {
  return ethers.getBytes(ethers.zeroPadValue(address, 32));
}

/**
 * Builds, assigns and signs the messages of slots `firstSlot …` in order, chaining each assignment to
 * the previous one (`prev` for the first). Returns the slot inputs of a {@link CommitmentTrace}.
 */
export async function assignMessages(
  sys: GameSystem,
  firstSlot: bigint,
  specs: readonly MessageSpec[],
  prev = ethers.ZeroHash,
  signer: Signer = sys.scheduler,
): Promise<SlotInput[]> {
  const out: SlotInput[] = [];
  let prevHash = prev;
  for (let i = 0; i < specs.length; i++) {
    const slot = firstSlot + BigInt(i);
    const spec = specs[i];
    const id = ethers.getBytes(ethers.id(`message ${sys.process} ${slot} ${JSON.stringify(spec)}`));
    const msg: Message = {
      id,
      from: paddedAddress(spec.from ?? sys.owner.address),
      target: ethers.getBytes(sys.process),
      slot,
      timestamp: 1_700_000_000_000n + slot * 1_000n,
      blockHeight: 1_500_000n + slot,
      tags: Object.entries(spec.tags ?? {}).map(([name, value]) => ({ name, value })),
      data: ethers.toUtf8Bytes(spec.data ?? ""),
    };
    const message = encodeMessage(msg);
    const assignment: Assignment = {
      process: sys.process,
      slot,
      messageId: hexlify(id),
      messageHash: keccak256(message),
      messageLength: message.length,
      timestamp: msg.timestamp,
      blockHeight: msg.blockHeight,
      prevAssignmentHash: prevHash,
    };
    const signature = await signAssignment(signer, sys.domain, assignment);
    out.push({ assignment, signature, message });
    prevHash = assignmentHash(sys.domain, assignment);
  }
  return out;
}

/** The honest trace of slots `[firstSlot, firstSlot + slots.length)` from `process` (or the initial state). */
export function traceOf(
  sys: GameSystem,
  slots: readonly SlotInput[],
  firstSlot = 0n,
  from?: { process: Process; prevAssignmentHash: string; stateHash: string },
): CommitmentTrace {
  const options = {
    process: sys.process,
    firstSlot,
    lastSlot: firstSlot + BigInt(slots.length) - 1n,
    slots,
    stepLimit: sys.P.stepLimit,
    domain: sys.domain,
    scheduler: sys.scheduler.address,
    prevAssignmentHash: from?.prevAssignmentHash,
    parentStateHash: from?.stateHash,
  };
  return from
    ? CommitmentTrace.fromProcess(from.process, options)
    : CommitmentTrace.fromWasm(sys.wasm, { memoryLimitPages: sys.P.memoryPages }, options);
}

/** Posts `trace`'s claim (or a liar's) as `poster`; returns the commitment's content and id. */
export async function postClaim(
  sys: GameSystem,
  poster: HardhatEthersSigner,
  trace: GameTrace,
  parent = ethers.ZeroHash,
  arweaveRef = ethers.id("results data item"),
): Promise<{ commitment: Commitment; id: string; gas: bigint }> {
  const c = trace.claim();
  const tx = await sys.results
    .connect(poster)
    .postCommitment(
      sys.process,
      parent,
      c.firstSlot,
      c.lastSlot,
      c.lastAssignmentHash,
      c.stateHash,
      c.resultsRoot,
      arweaveRef,
    );
  const receipt = (await tx.wait())!;
  const commitment: Commitment = {
    process: sys.process,
    parent,
    firstSlot: c.firstSlot,
    lastSlot: c.lastSlot,
    lastAssignmentHash: c.lastAssignmentHash,
    stateHash: c.stateHash,
    resultsRoot: c.resultsRoot,
    arweaveRef,
    poster: poster.address,
    stake: await sys.results.commitmentStake(),
  };
  return { commitment, id: commitmentId(commitment), gas: receipt.gasUsed };
}

/** The zero commitment, passed as `parent` when the commitment's parent is the initial state. */
export const NO_PARENT: Commitment = {
  process: ethers.ZeroHash,
  parent: ethers.ZeroHash,
  firstSlot: 0n,
  lastSlot: 0n,
  lastAssignmentHash: ethers.ZeroHash,
  stateHash: ethers.ZeroHash,
  resultsRoot: ethers.ZeroHash,
  arweaveRef: ethers.ZeroHash,
  poster: ethers.ZeroAddress,
  stake: 0n,
};

export interface OpenGame {
  ctx: IDisputeGame.GameContextStruct;
  id: string;
  seg: Segment;
  gas: bigint;
}

/** Opens a game against `commitment` as `challenger`; returns its context, id and opening segment. */
export async function openGame(
  sys: GameSystem,
  commitment: Commitment,
  challenger: HardhatEthersSigner,
  parent: Commitment = NO_PARENT,
): Promise<OpenGame> {
  const tx = await sys.game.connect(challenger).openChallenge(commitment, parent);
  const receipt = (await tx.wait())!;
  const ev = receipt.logs
    .map((l) => {
      try {
        return sys.game.interface.parseLog(l);
      } catch {
        return null;
      }
    })
    .find((e) => e?.name === "GameOpened");
  if (!ev) throw new Error("no GameOpened event");
  const ctx: IDisputeGame.GameContextStruct = {
    commitment,
    challenger: challenger.address,
    bond: sys.P.challengeBond,
  };
  const seg = openingSegment(
    ev.args.steps as bigint,
    ev.args.startPoint as string,
    ev.args.endPoint as string,
  );
  return { ctx, id: ev.args.gameId as string, seg, gas: receipt.gasUsed };
}

/** How a player behaves: `honest` answers from its trace; `stall` never moves; a function decides. */
export type Strategy = "honest" | "stall" | ((seg: Segment, trace: GameTrace) => Move | "stall");

export interface Player {
  signer: HardhatEthersSigner;
  trace: GameTrace;
  strategy?: Strategy;
}

export const Side = { Asserter: 0, Challenger: 1 } as const;
export const GameStatus = {
  None: 0,
  Active: 1,
  StartProven: 2,
  AsserterWon: 3,
  ChallengerWon: 4,
  Cancelled: 5,
} as const;

export interface PlayResult {
  status: number;
  moves: [number, number];
  gas: [bigint, bigint];
  /** Moves that were refused on chain (a player trying a proof it cannot make), by side. */
  refused: [number, number];
  /** The game's last segment. */
  seg: Segment;
}

export async function increaseTime(seconds: bigint | number): Promise<void> {
  await network.provider.send("evm_increaseTime", [Number(seconds)]);
  await network.provider.send("evm_mine");
}

/** Sends `move` for `player`; returns the receipt's gas. Start-step proofs are resolved after the grace. */
export async function sendMove(sys: GameSystem, g: OpenGame, seg: Segment, move: Move, player: Player) {
  const game = sys.game.connect(player.signer);
  const segArg = { start: seg.start, length: seg.length, points: [...seg.points] };
  let tx;
  if (move.action === "bisect") {
    tx = await game.bisect(g.ctx, segArg, move.index, move.points);
  } else if (move.kind === StepKind.Padding) {
    tx = await game.provePadding(g.ctx, segArg, move.index);
  } else if (move.kind === StepKind.Start) {
    tx = await game.proveStart(g.ctx, segArg, move.index, move.leaf);
  } else if (move.kind === StepKind.Inner) {
    tx = await game.proveInner(g.ctx, segArg, move.index, move.leaf);
  } else {
    tx = await game.proveEnd(g.ctx, segArg, move.index, move.leaf);
  }
  return (await tx.wait())!.gasUsed;
}

/**
 * Plays the game `g` to its end: each side moves by its strategy when it is its turn. A side whose move
 * is refused on chain (a liar asked to prove a true step) or that stalls is timed out by its opponent
 * once its clock has run out. A start-step win is resolved after the grace.
 */
export async function playGame(
  sys: GameSystem,
  g: OpenGame,
  asserter: Player,
  challenger: Player,
  opts: { maxMoves?: number; onStartProven?: (winner: number) => Promise<void> } = {},
): Promise<PlayResult> {
  const players = [asserter, challenger];
  const moves: [number, number] = [0, 0];
  const gas: [bigint, bigint] = [0n, 0n];
  const refused: [number, number] = [0, 0];
  let seg = g.seg;
  for (let n = 0; n < (opts.maxMoves ?? 200); n++) {
    const state = await sys.game.game(g.id);
    const status = Number(state.status);
    if (status === GameStatus.StartProven) {
      if (opts.onStartProven) await opts.onStartProven(Number(state.turn));
      await increaseTime(sys.P.startGrace);
      // The winner resolves.
      const winner = Number(state.turn);
      const tx = await sys.game.connect(players[winner].signer).resolve(g.ctx);
      gas[winner] += (await tx.wait())!.gasUsed;
      continue;
    }
    if (status !== GameStatus.Active) return { status, moves, gas, refused, seg };
    const side = Number(state.turn);
    const me = players[side];
    const strategy = me.strategy ?? "honest";
    let move: Move | "stall";
    if (strategy === "stall") move = "stall";
    else if (strategy === "honest") move = respond(me.trace, seg, sys.P.degree);
    else move = strategy(seg, me.trace);
    let moved = false;
    if (move !== "stall") {
      try {
        gas[side] += await sendMove(sys, g, seg, move, me);
        moves[side]++;
        moved = true;
        if (move.action === "bisect") seg = { start: move.start, length: move.length, points: move.points };
      } catch {
        refused[side]++;
      }
    }
    if (!moved) {
      const left = side === Side.Asserter ? state.asserterLeft : state.challengerLeft;
      await increaseTime(left);
      const other = players[1 - side];
      const tx = await sys.game.connect(other.signer).timeout(g.ctx);
      gas[1 - side] += (await tx.wait())!.gasUsed;
    }
  }
  throw new Error("the game did not end within the move limit");
}

/** Token balances that must be conserved: every signer, the StakeManager, the game and the treasury. */
export async function tokenTotal(sys: GameSystem): Promise<bigint> {
  let total = 0n;
  for (const s of sys.signers) total += await sys.token.balanceOf(s.address);
  total += await sys.token.balanceOf(await sys.stake.getAddress());
  total += await sys.token.balanceOf(await sys.game.getAddress());
  total += await sys.token.balanceOf(await sys.results.getAddress());
  return total;
}

/** The StakeManager's solvency: its balance equals bonded + unbonding + payouts. */
export async function stakeSolvent(sys: GameSystem): Promise<boolean> {
  const balance = await sys.token.balanceOf(await sys.stake.getAddress());
  const owed =
    (await sys.stake.totalBonded()) + (await sys.stake.totalUnbonding()) + (await sys.stake.totalPayouts());
  return balance === owed;
}

export { commitmentId };

/**
 * Gas of the dispute game and of the commitment life cycle it settles (docs/dispute-game.md,
 * docs/gas.md), on the in-process Hardhat network:
 *
 * - `commit`: `ResultRegistry.postCommitment` in the steady state (the compute unit's reservation has a
 *   free stake, as it has once its previous commitment finalized), median of a chain of commitments;
 *   `commitFirst`: the first post, which locks the reservation in the StakeManager;
 * - `finalize`: `ResultRegistry.finalize` of those commitments;
 * - `openChallenge`: `DisputeGame.openChallenge`, median over games against root and child commitments;
 * - `bisectMove`: the median bisection at the default degree, over a 2^48-step trace;
 * - `movesPerSide48`: the bisections each side makes to reach the one-step leaf of a 2^48-step trace
 *   (65,536 slots) at the default degree (the side to move then makes the proof);
 * - `honestGameTotal`: all gas the honest side spends in a full game over a 2^40-step trace (256 slots
 *   of the counter process, real machine traces, the one-step proof included): the largest over an
 *   honest challenger (open, bisections, proof) and an honest asserter (bisections, proof), with lies
 *   placed on a start step, an inner step and an end step;
 * - `degrees`: for each degree 2 … 64, the median bisection gas, the bisections per side to the leaf of
 *   a 2^48-step trace, and their total gas per side, which is how the default degree was chosen.
 *
 * Run: `npx hardhat run bench/gas-game.ts`. Merges the key `dispute` into bench/results/gas.json
 * (read-modify-write). GAS_CHECK=true compares the deterministic figures with the committed ones and
 * exits 1 on any difference.
 */
import fs from "node:fs";
import path from "node:path";

import { ethers } from "hardhat";

import type { DisputeGame } from "../typechain-types";
import { liarTrace, type GameTrace } from "../sdk/ts/dispute";
import type { Commitment } from "../sdk/ts/results";
import {
  GameStatus,
  NO_PARENT,
  assignMessages,
  deployGameSystem,
  increaseTime,
  openGame,
  playGame,
  postClaim,
  traceOf,
  type GameSystem,
  type MessageSpec,
} from "../test/helpers/game";

const RESULTS = path.join(__dirname, "results", "gas.json");
const DEFAULT_DEGREE = 16;

function median(values: readonly bigint[]): number {
  const s = values.map(Number).sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : Math.round((s[mid - 1] + s[mid]) / 2);
}

/** A claim with made-up hashes over `slots` slots: enough to measure bisections (no leaf is proven). */
function syntheticTrace(slots: number, label: string): GameTrace {
  const h = (s: string) => ethers.id(`${label} ${s}`);
  const claim = {
    process: "",
    firstSlot: 0n,
    lastSlot: BigInt(slots - 1),
    stateHash: h("state"),
    resultsRoot: h("results"),
    lastAssignmentHash: h("assignment"),
    startPoint: "",
    endPoint: "",
  };
  return { claim: () => claim } as unknown as GameTrace;
}

/**
 * Plays only the bisections of a game over a trace of `slots` slots with made-up points: each side
 * disputes the last part of the other's segment, until one step is left. Returns each side's bisection
 * count and gas.
 */
async function bisectToLeaf(sys: GameSystem, game: DisputeGame, slots: number, label: string) {
  const [poster, challenger] = [sys.rest[4], sys.rest[5]];
  const { commitment } = await postClaim(sys, poster, syntheticTrace(slots, label));
  const tx = await game.connect(challenger).openChallenge(commitment, NO_PARENT);
  const receipt = (await tx.wait())!;
  const ev = receipt.logs.map((l) => safeParse(game, l)).find((e) => e?.name === "GameOpened")!;
  const ctx = { commitment, challenger: challenger.address, bond: sys.P.challengeBond };
  let seg = {
    start: 0n,
    length: ev.args.steps as bigint,
    points: [ev.args.startPoint as string, ev.args.endPoint as string],
  };
  const degree = Number(await game.degree());
  const gas: bigint[][] = [[], []];
  let side = 1; // the challenger moves first
  let n = 0;
  for (;;) {
    const parts = seg.points.length - 1;
    const index = parts - 1;
    const part =
      parts === 1
        ? { start: seg.start, length: seg.length }
        : await game.subSegment(seg.start, seg.length, index).then(([start, length]) => ({ start, length }));
    if (part.length <= 1n) break;
    const k = part.length < BigInt(degree) ? Number(part.length) : degree;
    const points = [seg.points[index]];
    for (let i = 1; i <= k; i++) points.push(ethers.id(`${label} ${side} ${n} ${i}`));
    const signer = side === 0 ? poster : challenger;
    const r = await (await game.connect(signer).bisect(ctx, seg, index, points)).wait();
    gas[side].push(r!.gasUsed);
    seg = { start: part.start, length: part.length, points };
    side = 1 - side;
    n++;
  }
  return { moves: [gas[0].length, gas[1].length], gas };
}

function safeParse(game: DisputeGame, log: Parameters<DisputeGame["interface"]["parseLog"]>[0]) {
  try {
    return game.interface.parseLog(log);
  } catch {
    return null;
  }
}

async function deployGameWithDegree(sys: GameSystem, degree: number): Promise<DisputeGame> {
  const game = (await ethers.deployContract("DisputeGame", [
    await sys.stake.getAddress(),
    await sys.processes.getAddress(),
    await sys.results.getAddress(),
    await sys.provers.entry.getAddress(),
    degree,
    sys.P.clockTime,
    sys.P.clockExtension,
    sys.P.startGrace,
    sys.P.challengeBond,
  ])) as unknown as DisputeGame;
  const at = await game.getAddress();
  await sys.stake.grantRole(await sys.stake.SLASHER_ROLE(), at);
  await sys.stake.grantRole(await sys.stake.LOCKER_ROLE(), at);
  await sys.results.grantRole(await sys.results.DISPUTE_GAME_ROLE(), at);
  return game;
}

async function commitAndFinalize(sys: GameSystem) {
  const posts: bigint[] = [];
  const finals: bigint[] = [];
  let first = 0n;
  let parent = ethers.ZeroHash;
  let slot = 0n;
  for (let i = 0; i < 9; i++) {
    const trace = syntheticTrace(4, `chain ${i}`);
    const c = trace.claim();
    const tx = await sys.results
      .connect(sys.owner)
      .postCommitment(
        sys.process,
        parent,
        slot,
        slot + 3n,
        c.lastAssignmentHash,
        c.stateHash,
        c.resultsRoot,
        ethers.id(`ar ${i}`),
      );
    const gas = (await tx.wait())!.gasUsed;
    if (i === 0) first = gas;
    else posts.push(gas);
    const commitment: Commitment = {
      process: sys.process,
      parent,
      firstSlot: slot,
      lastSlot: slot + 3n,
      lastAssignmentHash: c.lastAssignmentHash,
      stateHash: c.stateHash,
      resultsRoot: c.resultsRoot,
      arweaveRef: ethers.id(`ar ${i}`),
      poster: sys.owner.address,
      stake: sys.P.commitmentStake,
    };
    await increaseTime(sys.P.challengeWindow);
    finals.push((await (await sys.results.finalize(commitment)).wait())!.gasUsed);
    parent = ethers.keccak256(
      ethers.AbiCoder.defaultAbiCoder().encode(
        ["tuple(bytes32,bytes32,uint64,uint64,bytes32,bytes32,bytes32,bytes32,address,uint96)"],
        [Object.values(commitment)],
      ),
    );
    slot += 4n;
  }
  return { commit: median(posts), commitFirst: Number(first), finalize: median(finals) };
}

async function honestGames(sys: GameSystem) {
  const specs: MessageSpec[] = [{}];
  for (let i = 1; i < 256; i++)
    specs.push({ tags: { Action: i % 3 === 0 ? "Get" : "Increment", By: `${i}` } });
  const slots = await assignMessages(sys, 0n, specs);
  const honest = traceOf(sys, slots);
  const opens: bigint[] = [];
  const totals: Record<string, number> = {};
  const k = 1n << 32n;
  const lies: [string, bigint][] = [
    ["start", 100n * k + 1n],
    ["inner", 37n * k + BigInt(honest.messageRecord(37).haltStep) - 3n],
    ["end", 201n * k],
  ];
  for (const [kind, from] of lies) {
    for (const honestAsserts of [false, true]) {
      const liar = liarTrace(honest, { fromPosition: from, salt: `${kind} ${honestAsserts}` });
      const poster = honestAsserts ? sys.cu : sys.rest[0];
      const { commitment } = await postClaim(
        sys,
        poster,
        honestAsserts ? honest : liar,
        ethers.ZeroHash,
        ethers.id(`${kind} ${honestAsserts}`),
      );
      const g = await openGame(sys, commitment, sys.watcher);
      opens.push(g.gas);
      const r = await playGame(
        sys,
        g,
        { signer: poster, trace: honestAsserts ? honest : liar },
        { signer: sys.watcher, trace: honestAsserts ? liar : honest },
      );
      const want = honestAsserts ? GameStatus.AsserterWon : GameStatus.ChallengerWon;
      if (r.status !== want) throw new Error(`the honest side lost the ${kind} game (status ${r.status})`);
      const spent = honestAsserts ? r.gas[0] : r.gas[1] + g.gas;
      totals[`${honestAsserts ? "asserter" : "challenger"}:${kind}`] = Number(spent);
    }
  }
  return { openChallenge: median(opens), honestGameTotal: Math.max(...Object.values(totals)), totals };
}

async function main() {
  // A StakeManager that allows degree 2's longer bound (65 moves per side).
  const sys = await deployGameSystem("counter", { maxGameDuration: 50_000n, unbondingDelay: 60_000n });
  const lifecycle = await commitAndFinalize(sys);
  const games = await honestGames(sys);

  const degrees: Record<string, { bisectMove: number; movesPerSide48: number; gasPerSide48: number }> = {};
  let bisectMove = 0;
  let movesPerSide48 = 0;
  for (const degree of [2, 4, 8, 16, 32, 64]) {
    const game = degree === DEFAULT_DEGREE ? sys.game : await deployGameWithDegree(sys, degree);
    const r = await bisectToLeaf(sys, game, 1 << 16, `degree ${degree}`);
    const all = [...r.gas[0], ...r.gas[1]];
    const perSide = Math.max(r.moves[0], r.moves[1]);
    const gasPerSide = Math.max(...r.gas.map((g) => g.reduce((a, b) => a + Number(b), 0)));
    degrees[String(degree)] = { bisectMove: median(all), movesPerSide48: perSide, gasPerSide48: gasPerSide };
    if (degree === DEFAULT_DEGREE) {
      bisectMove = median(all);
      movesPerSide48 = perSide;
    }
  }

  const dispute = {
    commit: lifecycle.commit,
    commitFirst: lifecycle.commitFirst,
    finalize: lifecycle.finalize,
    openChallenge: games.openChallenge,
    bisectMove,
    movesPerSide48,
    honestGameTotal: games.honestGameTotal,
    honestGames: games.totals,
    degrees,
    defaultDegree: DEFAULT_DEGREE,
  };
  if (process.env.GAS_CHECK !== "true") console.log(JSON.stringify(dispute, null, 2));

  const all = fs.existsSync(RESULTS) ? JSON.parse(fs.readFileSync(RESULTS, "utf8")) : {};
  if (process.env.GAS_CHECK === "true") {
    const before = JSON.stringify(all.dispute ?? null);
    const now = JSON.stringify(dispute);
    if (before !== now) {
      console.error(
        "gas-game: the figures differ from bench/results/gas.json (run `npm run bench:gas:game`)",
      );
      console.error(`committed: ${before}\nmeasured:  ${now}`);
      process.exitCode = 1;
    } else {
      console.log("dispute gas matches bench/results/gas.json");
    }
    return;
  }
  all.dispute = dispute;
  all.disputeMeta = {
    date: new Date().toISOString().slice(0, 10),
    note: "bench/gas-game.ts: medians of receipts' gasUsed on the in-process Hardhat network (cancun, solc optimizer 200).",
  };
  fs.writeFileSync(RESULTS, JSON.stringify(all, null, 2) + "\n");
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

import { ethers } from "hardhat";

import type { ERC20Mock, ProcessRegistry, ResultRegistry, StakeManager } from "../../typechain-types";
import type { Signer } from "ethers";

import type { Assignment } from "../../sdk/ts/assignments";
import { assignmentDomain, signAssignment } from "../../sdk/ts/assignments";
import type { Commitment } from "../../sdk/ts/results";
import { commitmentId } from "../../sdk/ts/results";
import { ONE, STAKE_PARAMS } from "./stake";

/** Parameters of the registries deployed by {deployRegistries}. */
export const REGISTRY_PARAMS = {
  minSchedulerStake: 100n * ONE,
  commitmentStake: 10n * ONE,
  // The registry's step-limit cap and ceiling: no game is deployed here, so the machine's ceiling.
  maxStepLimit: 2n ** 32n - 1n,
} as const;

/** A module's content as registered by {deployRegistries}. */
export const MODULE = {
  moduleRoot: ethers.id("module root"),
  wasmHash: ethers.id("wasm"),
  arweaveId: ethers.id("module arweave id"),
  memoryPages: 16,
  stepLimit: 1_000_000n,
  maxMessageBytes: 65_536,
} as const;

export const INITIAL_STATE = ethers.id("initial process state");
export const PROCESS_ARWEAVE_ID = ethers.id("process arweave id");

/** A module's content, as given to `registerModule`. */
export interface ModuleContent {
  moduleRoot: string;
  wasmHash: string;
  arweaveId: string;
  memoryPages: bigint | number;
  stepLimit: bigint | number;
  maxMessageBytes: bigint | number;
}

export function moduleArgs(overrides: Partial<ModuleContent> = {}) {
  const m: ModuleContent = { ...MODULE, ...overrides };
  return [m.moduleRoot, m.wasmHash, m.arweaveId, m.memoryPages, m.stepLimit, m.maxMessageBytes] as const;
}

/**
 * Deploys the stake token, a StakeManager with {STAKE_PARAMS}, a ProcessRegistry (SLASHER_ROLE, LOCKER_ROLE) and a
 * ResultRegistry (LOCKER_ROLE) with {REGISTRY_PARAMS}; grants DISPUTE_GAME_ROLE to the `game` account;
 * bonds 200 tokens for the scheduler and 100 for each compute unit; registers {MODULE} and spawns one
 * process owned by `owner` and scheduled by `scheduler`.
 */
export async function deployRegistries() {
  const [admin, treasury, scheduler, cu1, cu2, watcher, game, owner, stranger, scheduler2] =
    await ethers.getSigners();
  const token = (await ethers.deployContract("ERC20Mock")) as unknown as ERC20Mock;
  const stake = (await ethers.deployContract("StakeManager", [
    await token.getAddress(),
    admin.address,
    STAKE_PARAMS.challengeWindow,
    STAKE_PARAMS.maxGameDuration,
    STAKE_PARAMS.unbondingDelay,
    treasury.address,
    STAKE_PARAMS.slashRewardBps,
  ])) as unknown as StakeManager;
  const processes = (await ethers.deployContract("ProcessRegistry", [
    await stake.getAddress(),
    admin.address,
    REGISTRY_PARAMS.minSchedulerStake,
    REGISTRY_PARAMS.maxStepLimit,
  ])) as unknown as ProcessRegistry;
  const results = (await ethers.deployContract("ResultRegistry", [
    await stake.getAddress(),
    await processes.getAddress(),
    admin.address,
    REGISTRY_PARAMS.commitmentStake,
  ])) as unknown as ResultRegistry;
  await stake.grantRole(await stake.SLASHER_ROLE(), await processes.getAddress());
  await stake.grantRole(await stake.LOCKER_ROLE(), await processes.getAddress());
  await stake.grantRole(await stake.LOCKER_ROLE(), await results.getAddress());
  await results.grantRole(await results.DISPUTE_GAME_ROLE(), game.address);

  for (const [who, amount] of [
    [scheduler, 200n * ONE],
    [cu1, 100n * ONE],
    [cu2, 100n * ONE],
    [scheduler2, 50n * ONE],
  ] as const) {
    await token.mint(who.address, 1_000n * ONE);
    await token.connect(who).approve(await stake.getAddress(), ethers.MaxUint256);
    await stake.connect(who).bond(amount);
  }

  await processes.registerModule(...moduleArgs());
  const moduleId = await processes.computeModuleId(...moduleArgs());
  const process = await processes.computeProcessId(
    moduleId,
    scheduler.address,
    INITIAL_STATE,
    PROCESS_ARWEAVE_ID,
    owner.address,
  );
  await processes.connect(owner).spawn(moduleId, scheduler.address, INITIAL_STATE, PROCESS_ARWEAVE_ID);
  const { chainId } = await ethers.provider.getNetwork();
  const domain = assignmentDomain(chainId, await processes.getAddress());

  return {
    token,
    stake,
    processes,
    results,
    admin,
    treasury,
    scheduler,
    scheduler2,
    cu1,
    cu2,
    watcher,
    game,
    owner,
    stranger,
    moduleId,
    process,
    domain,
  };
}

/** An assignment of `process` at `slot` whose message is derived from `label`. */
export function makeAssignment(
  process: string,
  slot: bigint,
  label = "m",
  prev = ethers.ZeroHash,
): Assignment {
  return {
    process,
    slot,
    messageId: ethers.id(`${label} id ${slot}`),
    messageHash: ethers.id(`${label} hash ${slot}`),
    messageLength: 100 + Number(slot % 1_000n),
    timestamp: 1_700_000_000_000n + (slot % 1_000n),
    blockHeight: 1_500_000n,
    prevAssignmentHash: prev,
  };
}

export { signAssignment };

/** Arguments of a postCommitment for `[first, last]` after `parent`, with hashes derived from `label`. */
export function commitmentArgs(process: string, parent: string, first: bigint, last: bigint, label = "c") {
  return [
    process,
    parent,
    first,
    last,
    ethers.id(`${label} last assignment`),
    ethers.id(`${label} state`),
    ethers.id(`${label} results`),
    ethers.id(`${label} arweave`),
  ] as const;
}

/** The arguments of a postCommitment, as {commitmentArgs} returns them. */
export type PostArgs = readonly [string, string, bigint, bigint, string, string, string, string];

/** The content a postCommitment with `args` by `poster` records while `commitmentStake` is `stake`. */
export function commitmentOf(args: PostArgs, poster: string, stake: bigint): Commitment {
  const [process, parent, firstSlot, lastSlot, lastAssignmentHash, stateHash, resultsRoot, arweaveRef] = args;
  return {
    process,
    parent,
    firstSlot,
    lastSlot,
    lastAssignmentHash,
    stateHash,
    resultsRoot,
    arweaveRef,
    poster,
    stake,
  };
}

/**
 * Posts `args` as `poster` and returns the commitment's content and id, with the content checked
 * against the `CommitmentPosted` event (so a test works on what the chain recorded).
 */
export async function post(results: ResultRegistry, poster: Signer, args: PostArgs) {
  const c = commitmentOf(args, await poster.getAddress(), await results.commitmentStake());
  const id = commitmentId(c);
  const receipt = await (await results.connect(poster).postCommitment(...args)).wait();
  const log = receipt!.logs
    .map((l) => results.interface.parseLog(l))
    .find((l) => l?.name === "CommitmentPosted");
  if (!log || log.args.id !== id) throw new Error(`CommitmentPosted does not name ${id}`);
  const posted = log.args.c as unknown as Commitment;
  for (const key of Object.keys(c) as (keyof Commitment)[]) {
    if (posted[key] !== c[key])
      throw new Error(`CommitmentPosted has ${key} = ${posted[key]}, not ${c[key]}`);
  }
  return { c, id, deadline: log.args.deadline as bigint, receipt: receipt! };
}

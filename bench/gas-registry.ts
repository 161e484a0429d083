/**
 * Gas of the registries' entry points (ProcessRegistry, ResultRegistry), on the in-process Hardhat
 * network, over realistic sequences: modules and processes registered for the first time (cold
 * storage); commitments posted in two rounds of chains, the first by compute units without a
 * reservation (each post locks its shortfall in the StakeManager), the second from the reservation the
 * first round freed (the steady state: no StakeManager write); finalized in chain order (the first of a
 * process writes its tip for the first time); games opened and resolved through the DISPUTE_GAME_ROLE
 * hooks; rivals pruned or rejected by a game; reservations released and reserved; equivocations proven
 * on fresh processes (first proof: full slash) and again at an earlier slot (no slash); and results
 * verified with proofs of depth 0 to 10.
 *
 * Run: `npx hardhat run bench/gas-registry.ts`. Merges the key `registry` into bench/results/gas.json
 * (read-modify-write: the other keys are kept): for each entry point, the median and max gas and the
 * sample count. `verifyResult` is a view: its figure is `estimateGas` of a call, so it includes the
 * 21,000 intrinsic gas and the calldata of a transaction (the commitment's content and the proof).
 */
import fs from "node:fs";
import path from "node:path";

import { ethers, network } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";

import type { ERC20Mock, ProcessRegistry, ResultRegistry, StakeManager } from "../typechain-types";
import { assignmentDomain, signAssignment } from "../sdk/ts/assignments";
import type { Assignment } from "../sdk/ts/assignments";
import { buildResultsTree, commitmentId } from "../sdk/ts/results";
import type { Commitment } from "../sdk/ts/results";

const ONE = 10n ** 18n;
const RESULTS = path.join(__dirname, "results", "gas.json");
const WINDOW = 3_600;

const samples = new Map<string, number[]>();

function record(name: string, gas: bigint): void {
  const list = samples.get(name) ?? [];
  list.push(Number(gas));
  samples.set(name, list);
}

async function measure(name: string, tx: Promise<ContractTransactionResponse>): Promise<void> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error(`no receipt for ${name}`);
  record(name, receipt.gasUsed);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : Math.round((s[mid - 1] + s[mid]) / 2);
}

function assignment(process: string, slot: bigint, label: string): Assignment {
  return {
    process,
    slot,
    messageId: ethers.id(`${label} id`),
    messageHash: ethers.id(`${label} hash`),
    messageLength: 100,
    timestamp: 1_700_000_000_000n,
    blockHeight: 1_500_000n,
    prevAssignmentHash: ethers.id(`${label} prev`),
  };
}

async function main() {
  if (network.name !== "hardhat")
    throw new Error(`run on the in-process hardhat network, not ${network.name}`);
  const signers = await ethers.getSigners();
  const [admin, treasury, watcher, owner, game] = signers;
  const schedulers = signers.slice(5, 11);
  const cus = signers.slice(11, 15);

  const token = (await ethers.deployContract("ERC20Mock")) as unknown as ERC20Mock;
  const stake = (await ethers.deployContract("StakeManager", [
    await token.getAddress(),
    admin.address,
    WINDOW,
    7_200,
    10_800,
    treasury.address,
    5_000,
  ])) as unknown as StakeManager;
  const processes = (await ethers.deployContract("ProcessRegistry", [
    await stake.getAddress(),
    admin.address,
    100n * ONE,
    2n ** 32n - 1n,
  ])) as unknown as ProcessRegistry;
  const results = (await ethers.deployContract("ResultRegistry", [
    await stake.getAddress(),
    await processes.getAddress(),
    admin.address,
    10n * ONE,
  ])) as unknown as ResultRegistry;
  await stake.grantRole(await stake.SLASHER_ROLE(), await processes.getAddress());
  await stake.grantRole(await stake.LOCKER_ROLE(), await processes.getAddress());
  await stake.grantRole(await stake.LOCKER_ROLE(), await results.getAddress());
  await results.grantRole(await results.DISPUTE_GAME_ROLE(), game.address);
  for (const s of [...schedulers, ...cus]) {
    await token.mint(s.address, 10_000n * ONE);
    await token.connect(s).approve(await stake.getAddress(), ethers.MaxUint256);
    await stake.connect(s).bond(1_000n * ONE);
  }
  const { chainId } = await ethers.provider.getNetwork();
  const domain = assignmentDomain(chainId, await processes.getAddress());

  // Modules: 8 new ones, then 4 idempotent re-registrations (measured apart).
  const moduleIds: string[] = [];
  for (let i = 0; i < 8; i++) {
    const args = [
      ethers.id(`root ${i}`),
      ethers.id(`wasm ${i}`),
      ethers.id(`ar ${i}`),
      256,
      100_000_000n,
      65_536,
    ] as const;
    await measure("registerModule", processes.connect(owner).registerModule(...args));
    moduleIds.push(await processes.computeModuleId(...args));
  }
  for (let i = 0; i < 4; i++) {
    const args = [
      ethers.id(`root ${i}`),
      ethers.id(`wasm ${i}`),
      ethers.id(`ar ${i}`),
      256,
      100_000_000n,
      65_536,
    ] as const;
    await measure("registerModule (same content again)", processes.connect(owner).registerModule(...args));
  }

  // Processes: one per scheduler.
  const procs: string[] = [];
  for (const [i, s] of schedulers.entries()) {
    const args = [
      moduleIds[i % moduleIds.length],
      s.address,
      ethers.id(`init ${i}`),
      ethers.id(`proc ${i}`),
    ] as const;
    await measure("spawn", processes.connect(owner).spawn(...args));
    procs.push(await processes.computeProcessId(...args, owner.address));
  }

  // Commitments. Round 1: on each of 3 processes a chain of 4 (the first a root), posted by compute
  // units without a reservation (each post locks its shortfall), then finalized in chain order (the
  // first finalization of a process writes its tip for the first time). Round 2 continues each chain
  // with 4 more, posted from the reservation the first round freed (no StakeManager call), and
  // finalizes them. Then a rival of a finalized commitment on each process, pruned.
  const chains = procs.slice(0, 3).map((process) => ({ process, tip: ethers.ZeroHash, next: 0n }));
  const trees: { c: Commitment; tree: ReturnType<typeof buildResultsTree>; hashes: string[] }[] = [];
  const stakeAmount = await results.commitmentStake();
  async function postRound(round: number, name: string): Promise<Commitment[]> {
    const posted: Commitment[] = [];
    for (const [p, chain] of chains.entries()) {
      for (let k = 0; k < 4; k++) {
        const count = [1, 8, 100, 1024][k];
        const hashes = Array.from({ length: count }, (_, i) => ethers.id(`r ${round} ${p} ${k} ${i}`));
        const tree = buildResultsTree(chain.process, chain.next, hashes);
        const cu = cus[(p + k) % 2];
        const c: Commitment = {
          process: chain.process,
          parent: chain.tip,
          firstSlot: chain.next,
          lastSlot: chain.next + BigInt(count - 1),
          lastAssignmentHash: ethers.id(`la ${round} ${p} ${k}`),
          stateHash: ethers.id(`st ${round} ${p} ${k}`),
          resultsRoot: tree.root,
          arweaveRef: ethers.id(`ar ${round} ${p} ${k}`),
          poster: cu.address,
          stake: stakeAmount,
        };
        await measure(
          name,
          results
            .connect(cu)
            .postCommitment(
              c.process,
              c.parent,
              c.firstSlot,
              c.lastSlot,
              c.lastAssignmentHash,
              c.stateHash,
              c.resultsRoot,
              c.arweaveRef,
            ),
        );
        trees.push({ c, tree, hashes });
        posted.push(c);
        chain.tip = commitmentId(c);
        chain.next = c.lastSlot + 1n;
      }
    }
    return posted;
  }
  const round1 = await postRound(1, "postCommitment (locks the shortfall)");
  await time.increase(WINDOW);
  for (const c of round1) {
    const name = c.parent === ethers.ZeroHash ? "finalize (first of a process)" : "finalize";
    await measure(name, results.connect(watcher).finalize(c));
  }
  const round2 = await postRound(2, "postCommitment (reservation free)");
  // A game against the last commitment of each chain, which the asserter wins.
  for (let p = 0; p < chains.length; p++) {
    const c = round2[4 * p + 3];
    await measure("onChallengeOpened", results.connect(game).onChallengeOpened(c));
    await measure("onChallengeResolved (asserter won)", results.connect(game).onChallengeResolved(c, false));
  }
  await time.increase(WINDOW);
  for (const c of round2) await measure("finalize", results.connect(watcher).finalize(c));
  for (const [p, chain] of chains.entries()) {
    // A one-slot rival of the third commitment of round 2 (same parent, another state), posted after
    // the chain finalized past it.
    const sibling = round2[4 * p + 2];
    const rival: Commitment = {
      ...sibling,
      lastSlot: sibling.firstSlot,
      stateHash: ethers.id(`rival ${p}`),
      poster: cus[2].address,
    };
    await results
      .connect(cus[2])
      .postCommitment(
        rival.process,
        rival.parent,
        rival.firstSlot,
        rival.lastSlot,
        rival.lastAssignmentHash,
        rival.stateHash,
        rival.resultsRoot,
        rival.arweaveRef,
      );
    await measure("prune (a rival of a finalized commitment)", results.connect(watcher).prune(rival));
    // A second rival, rejected by a game the challenger wins.
    const loser: Commitment = { ...rival, stateHash: ethers.id(`loser ${p}`) };
    await results
      .connect(cus[2])
      .postCommitment(
        loser.process,
        loser.parent,
        loser.firstSlot,
        loser.lastSlot,
        loser.lastAssignmentHash,
        loser.stateHash,
        loser.resultsRoot,
        loser.arweaveRef,
      );
    await results.connect(game).onChallengeOpened(loser);
    await measure(
      "onChallengeResolved (challenger won: rejects)",
      results.connect(game).onChallengeResolved(loser, true),
    );
    if (commitmentId(round2[4 * p + 3]) !== chain.tip) throw new Error("the chain's tip moved");
  }

  // Reservations: each compute unit of the rounds releases what the rounds left free (all of it); a
  // fresh one reserves ahead for the first time, then tops its reservation up.
  for (const cu of cus.slice(0, 3)) {
    const { reserved, pending } = await results.reservationOf(cu.address);
    await measure("release", results.connect(cu).release(reserved - pending));
  }
  await measure("reserve (first)", results.connect(cus[3]).reserve(10n * stakeAmount));
  for (let i = 0; i < 3; i++) await measure("reserve (top up)", results.connect(cus[3]).reserve(stakeAmount));

  // Results: one proof per tree, for the first and the last slot.
  for (const { c, tree, hashes } of trees) {
    for (const slot of [tree.firstSlot, tree.lastSlot]) {
      const hash = hashes[Number(slot - tree.firstSlot)];
      const proof = { commitment: c, siblings: tree.proof(slot) };
      if (!(await results.verifyResult(c.process, slot, hash, proof)))
        throw new Error("a proof did not verify");
      record("verifyResult", await results.verifyResult.estimateGas(c.process, slot, hash, proof));
    }
  }

  // Equivocation: a first proof on each of 3 processes (full slash), then an earlier slot (no slash).
  for (const [i, process] of procs.slice(3).entries()) {
    const s = schedulers[3 + i];
    for (const slot of [50n, 10n]) {
      const a = assignment(process, slot, `a ${slot}`);
      const b = assignment(process, slot, `b ${slot}`);
      await measure(
        slot === 50n ? "proveEquivocation" : "proveEquivocation (earlier slot, no slash)",
        processes
          .connect(watcher)
          .proveEquivocation(a, await signAssignment(s, domain, a), b, await signAssignment(s, domain, b)),
      );
    }
  }

  const registry: Record<string, { median: number; max: number; samples: number }> = {};
  for (const [name, list] of [...samples.entries()].sort()) {
    registry[name] = { median: median(list), max: Math.max(...list), samples: list.length };
  }
  const previous = fs.existsSync(RESULTS) ? JSON.parse(fs.readFileSync(RESULTS, "utf8")) : {};
  const out = {
    ...previous,
    registry,
    registryMeta: {
      date: new Date().toISOString(),
      solc: (await import("solc/package.json")).version,
      optimizerRuns: 200,
      note: "verifyResult is estimateGas of a call (includes 21,000 intrinsic gas); proofs of depth 0, 3, 7, 10",
    },
  };
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, JSON.stringify(out, null, 2) + "\n");
  console.table(registry);
  console.log(`wrote ${path.relative(process.cwd(), RESULTS)}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

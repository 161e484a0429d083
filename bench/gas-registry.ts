/**
 * Gas of the registries' entry points (ProcessRegistry, ResultRegistry), on the in-process Hardhat
 * network, over realistic sequences: modules and processes registered for the first time (cold
 * storage), commitments posted as roots and as children (the parent's slot read warm or cold),
 * finalized in chain order, equivocations proven on fresh processes (first proof: full slash) and
 * again at an earlier slot (no slash), and results verified with proofs of depth 0 to 10.
 *
 * Run: `npx hardhat run bench/gas-registry.ts`. Merges the key `registry` into bench/results/gas.json
 * (read-modify-write: the other keys are kept): for each entry point, the median and max gas and the
 * sample count. `verifyResult` is a view: its figure is `estimateGas` of a call, so it includes the
 * 21,000 intrinsic gas and the calldata of a transaction.
 */
import fs from "node:fs";
import path from "node:path";

import { ethers, network } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";

import type { ERC20Mock, ProcessRegistry, ResultRegistry, StakeManager } from "../typechain-types";
import { assignmentDomain, signAssignment } from "../sdk/ts/assignments";
import type { Assignment } from "../sdk/ts/assignments";
import { buildResultsTree } from "../sdk/ts/results";

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
    timestamp: 1_700_000_000_000n,
    blockHeight: 1_500_000n,
    prevAssignmentHash: ethers.id(`${label} prev`),
  };
}

async function main() {
  if (network.name !== "hardhat")
    throw new Error(`run on the in-process hardhat network, not ${network.name}`);
  const signers = await ethers.getSigners();
  const [admin, treasury, watcher, owner] = signers;
  const schedulers = signers.slice(4, 10);
  const cus = signers.slice(10, 14);

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
  ])) as unknown as ProcessRegistry;
  const results = (await ethers.deployContract("ResultRegistry", [
    await stake.getAddress(),
    await processes.getAddress(),
    admin.address,
    10n * ONE,
  ])) as unknown as ResultRegistry;
  await stake.grantRole(await stake.SLASHER_ROLE(), await processes.getAddress());
  await stake.grantRole(await stake.LOCKER_ROLE(), await results.getAddress());
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

  // Commitments: on each of 3 processes, a chain of 4 (the first a root), each finalized in order.
  const trees: { id: bigint; process: string; first: bigint; tree: ReturnType<typeof buildResultsTree> }[] =
    [];
  for (const [p, process] of procs.slice(0, 3).entries()) {
    let parent = 0n;
    let first = 0n;
    for (let k = 0; k < 4; k++) {
      const count = [1, 8, 100, 1024][k];
      const hashes = Array.from({ length: count }, (_, i) => ethers.id(`r ${p} ${k} ${i}`));
      const tree = buildResultsTree(process, first, hashes);
      const last = first + BigInt(count - 1);
      const cu = cus[(p + k) % cus.length];
      await measure(
        "postCommitment",
        results
          .connect(cu)
          .postCommitment(
            process,
            parent,
            first,
            last,
            ethers.id(`la ${p} ${k}`),
            ethers.id(`st ${p} ${k}`),
            tree.root,
            ethers.id(`ar ${p} ${k}`),
          ),
      );
      const id = await results.commitmentCount();
      trees.push({ id, process, first, tree });
      parent = id;
      first = last + 1n;
    }
  }
  await time.increase(WINDOW);
  for (const { id } of trees) await measure("finalize", results.connect(watcher).finalize(id));

  // Results: one proof per tree, for the first and the last slot.
  for (const { id, process, tree } of trees) {
    for (const slot of [tree.firstSlot, tree.lastSlot]) {
      const count = Number(tree.lastSlot - tree.firstSlot) + 1;
      const hash = ethers.id(
        `r ${procs.indexOf(process)} ${[1, 8, 100, 1024].indexOf(count)} ${Number(slot - tree.firstSlot)}`,
      );
      const proof = { commitmentId: id, siblings: tree.proof(slot) };
      if (!(await results.verifyResult(process, slot, hash, proof)))
        throw new Error("a proof did not verify");
      record("verifyResult", await results.verifyResult.estimateGas(process, slot, hash, proof));
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

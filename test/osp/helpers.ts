/**
 * Shared helpers of the one-step prover tests: deploy the prover contracts, turn a running TypeScript
 * machine into `{preStateHash, proof, postStateHash}` fixtures (machine/proof `proveStep`), and prove
 * fixtures through the contracts in batches (one `eth_call` per batch), comparing every post-state hash
 * with the TypeScript machine's and with the reference verifier's.
 */
import { expect } from "chai";
import v8 from "node:v8";
import vm from "node:vm";
// Hot paths use the ethers package directly: every property read on Hardhat's `ethers` (a lazy proxy) builds an
// Error and formats its stack, about a tenth of the differential fuzzer's time (bench: FUZZ_STEPS=6000).
import { getBytes, hexlify, ZeroHash } from "ethers";
import { ethers } from "hardhat";

import { proveStep, verifyStep, ProofError } from "../../machine/proof";
import type { Machine } from "../../machine/interp/machine";
import { LAYOUT, STATUS } from "../../machine/spec";
import type {
  OneStepProofBatchMock,
  OneStepProofEntry,
  OneStepProverControl,
  OneStepProverHostIo,
  OneStepProverMath,
  OneStepProverMemory,
} from "../../typechain-types";
import type { ExecutionContextStruct } from "../../typechain-types/contracts/osp/OneStepProofEntry";

/** One proven step: the pre-state hash, the proof and the post-state hash of the TypeScript machine. */
export interface StepFixture {
  preStateHash: string;
  proof: Uint8Array;
  postStateHash: string;
  /** The opcode executed (undefined for a step without instruction: stopped, out of steps). */
  opcode?: number;
  /** Status before the step. */
  status: number;
}

export interface Provers {
  entry: OneStepProofEntry;
  control: OneStepProverControl;
  memory: OneStepProverMemory;
  math: OneStepProverMath;
  hostIo: OneStepProverHostIo;
  batch: OneStepProofBatchMock;
}

/** Deploys the four class provers, the entry and the batch mock. */
export async function deployProvers(): Promise<Provers> {
  const control = (await ethers.deployContract("OneStepProverControl")) as unknown as OneStepProverControl;
  const memory = (await ethers.deployContract("OneStepProverMemory")) as unknown as OneStepProverMemory;
  const math = (await ethers.deployContract("OneStepProverMath")) as unknown as OneStepProverMath;
  const hostIo = (await ethers.deployContract("OneStepProverHostIo")) as unknown as OneStepProverHostIo;
  const entry = (await ethers.deployContract("OneStepProofEntry", [
    await control.getAddress(),
    await memory.getAddress(),
    await math.getAddress(),
    await hostIo.getAddress(),
  ])) as unknown as OneStepProofEntry;
  const batch = (await ethers.deployContract("OneStepProofBatchMock")) as unknown as OneStepProofBatchMock;
  return { entry, control, memory, math, hostIo, batch };
}

/** Byte offsets in a proof (docs/machine.md §6): version, state fields, module fields, instruction. */
export const PROOF_LAYOUT = (() => {
  const width: Record<string, number> = { u8: 1, u16: 2, u32: 4, u64: 8, bytes32: 32 };
  const state: Record<string, number> = {};
  let at = 1;
  for (const [name, type] of LAYOUT.stateFields as [string, string][]) {
    state[name] = at;
    at += width[type];
  }
  const moduleAt = at;
  for (const [, type] of LAYOUT.moduleFields as [string, string][]) at += width[type];
  return { state, moduleAt, instructionAt: at, pathAt: at + 18 };
})();

export function toHex(b: Uint8Array): string {
  return hexlify(b);
}

/** The context a game would pass for this proof: the revealed module root and message hash. */
export function contextOf(proof: Uint8Array): ExecutionContextStruct {
  const s = PROOF_LAYOUT.state;
  return {
    process: ZeroHash,
    slot: 0n,
    moduleRoot: toHex(proof.subarray(s.moduleRoot, s.moduleRoot + 32)),
    messageHash: toHex(proof.subarray(s.messageHash, s.messageHash + 32)),
  };
}

function contextBytes(proof: Uint8Array): { moduleRoot: Uint8Array; messageHash: Uint8Array } {
  const s = PROOF_LAYOUT.state;
  return {
    moduleRoot: proof.slice(s.moduleRoot, s.moduleRoot + 32),
    messageHash: proof.slice(s.messageHash, s.messageHash + 32),
  };
}

/** Proves the machine's next step (and performs it). */
export function fixtureOf(m: Machine): StepFixture {
  const preStateHash = toHex(m.stateHash());
  const status = m.status;
  const running = status === STATUS.Running && m.steps < m.stepLimit;
  const opcode = running ? m.image.program.code[m.pc].opcode : undefined;
  const proof = proveStep(m);
  return { preStateHash, proof, postStateHash: toHex(m.stateHash()), opcode, status };
}

/** Proves every step of the machine's run until it stops, plus `extra` no-op steps after it. */
export function runFixtures(m: Machine, extra = 1, max = 1_000_000): StepFixture[] {
  const out: StepFixture[] = [];
  while (m.status === STATUS.Running && out.length < max) out.push(fixtureOf(m));
  for (let i = 0; i < extra; i++) out.push(fixtureOf(m));
  return out;
}

/** The TypeScript reference verifier's answer for a fixture (with the same context). */
export function verifyTs(preStateHash: string, proof: Uint8Array): string | ProofError {
  try {
    return toHex(verifyStep(getBytes(preStateHash), proof, contextBytes(proof)));
  } catch (e) {
    if (e instanceof ProofError) return e;
    throw e;
  }
}

/**
 * A full garbage collection. Hardhat's in-process network (EDR) returns the execution trace of every
 * call as native memory held by a small JS object, so V8 does not see the pressure: without explicit
 * collections, batches of proofs retain about 1.5 MB each until the process is killed for memory.
 */
export const collectGarbage: () => void = (() => {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
})();

export interface BatchResult {
  posts: string[];
  errors: string[];
}

/** Proves many steps through `prover` (default: the entry) in batched `eth_call`s. */
export async function proveBatch(
  p: Provers,
  items: { preStateHash: string; proof: Uint8Array }[],
  prover?: string,
): Promise<BatchResult> {
  const target = prover ?? (await p.entry.getAddress());
  const posts: string[] = [];
  const errors: string[] = [];
  const BYTES_PER_BATCH = 200_000;
  let i = 0;
  while (i < items.length) {
    let size = 0;
    let j = i;
    while (j < items.length && (j === i || size + items[j].proof.length < BYTES_PER_BATCH) && j - i < 64) {
      size += items[j].proof.length;
      j++;
    }
    const chunk = items.slice(i, j);
    const [ps, es] = await p.batch.proveAll(
      target,
      chunk.map((f) => contextOf(f.proof)),
      chunk.map((f) => f.preStateHash),
      chunk.map((f) => f.proof),
      { gasLimit: 1_000_000_000n },
    );
    posts.push(...ps);
    errors.push(...es);
    collectGarbage();
    i = j;
  }
  return { posts, errors };
}

/** The custom error name in revert data (from the prover interface), or the raw data. */
export function errorName(p: Provers, data: string): string {
  if (data === "0x") return "<empty>";
  const parsed = p.control.interface.parseError(data);
  return parsed ? parsed.name : data;
}

/**
 * Proves every fixture through the contracts and requires each post-state hash to equal the TypeScript
 * machine's (and the reference verifier's). Returns the number of fixtures checked.
 */
export async function expectFixtures(p: Provers, fixtures: StepFixture[], label = ""): Promise<number> {
  const { posts, errors } = await proveBatch(p, fixtures);
  for (let k = 0; k < fixtures.length; k++) {
    const f = fixtures[k];
    const what = `${label} step ${k} (opcode ${f.opcode?.toString(16) ?? "-"}, status ${f.status})`;
    expect(errors[k], `${what}: refused with ${errors[k] === "0x" ? "" : errorName(p, errors[k])}`).to.equal(
      "0x",
    );
    expect(posts[k], what).to.equal(f.postStateHash);
  }
  return fixtures.length;
}

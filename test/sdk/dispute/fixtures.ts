/**
 * Real commitments of the example processes for the dispute SDK's tests: a scheduler signs a chain of
 * assignments, the step machine runs the parent's slots, and the trace covers the commitment's slots.
 * Built once per run (each fixture runs a few messages of tens of thousands of steps).
 */
import { getBytes, hexlify, keccak256, Wallet, type TypedDataDomain } from "ethers";
import { encodeMessage, Process } from "../../../machine/process";
import { parseAddress } from "../../../sdk/host";
import {
  assignmentDomain,
  assignmentHash,
  GENESIS_ASSIGNMENT_HASH,
  signAssignment,
  type Assignment,
} from "../../../sdk/ts/assignments";
import { expect } from "chai";
import {
  CommitmentTrace,
  DisputeError,
  type DisputeErrorCode,
  type SlotInput,
  type TraceOptions,
} from "../../../sdk/ts/dispute";
import { arAddress, bytes32, processWasm } from "../helpers";

export const SCHEDULER = new Wallet("0x" + "5c".repeat(32));
export const OTHER_SIGNER = new Wallet("0x" + "a7".repeat(32));
export const DOMAIN: TypedDataDomain = assignmentDomain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
export const MEMORY_LIMIT_PAGES = 64;

/** One message of a script: sender label, tags, data. */
export interface ScriptMessage {
  from: string;
  tags: Record<string, string>;
  data?: string | Uint8Array;
}

export interface FixtureSpec {
  name: string;
  process: "counter" | "token";
  /** The parent's slots, run before the commitment (its first slot is `parent.length`). */
  parent: ScriptMessage[];
  /** The commitment's slots. */
  slots: ScriptMessage[];
  stepLimit: number;
}

export interface Fixture {
  spec: FixtureSpec;
  wasm: Uint8Array;
  processId: string;
  /** Every slot from 0: the parent's, then the commitment's. */
  inputs: SlotInput[];
  options: TraceOptions;
  /** A fresh process in the parent's end state (every call makes a new one). */
  parentProcess(): Process;
  trace: CommitmentTrace;
}

function message(processId: string, slot: bigint, m: ScriptMessage): Uint8Array {
  const data = m.data ?? "";
  return encodeMessage({
    id: bytes32(`message ${slot}`),
    from: parseAddress(arAddress(m.from)),
    target: getBytes(processId),
    slot,
    timestamp: 1_700_000_000_000n + slot,
    blockHeight: 1_500_000n + slot / 10n,
    tags: Object.entries(m.tags).map(([name, value]) => ({ name, value })),
    data: typeof data === "string" ? new TextEncoder().encode(data) : data,
  });
}

/** Signs the assignments of `messages` from slot 0, chained. */
export async function signedSlots(
  processId: string,
  messages: readonly Uint8Array[],
  signer: Wallet = SCHEDULER,
): Promise<SlotInput[]> {
  const out: SlotInput[] = [];
  let prev = GENESIS_ASSIGNMENT_HASH;
  for (const [i, bytes] of messages.entries()) {
    const assignment: Assignment = {
      process: processId,
      slot: BigInt(i),
      messageId: hexlify(bytes32(`message ${i}`)),
      messageHash: keccak256(bytes),
      messageLength: bytes.length,
      timestamp: 1_700_000_000_000n + BigInt(i),
      blockHeight: 1_500_000n + BigInt(i) / 10n,
      prevAssignmentHash: prev,
    };
    out.push({ assignment, signature: await signAssignment(signer, DOMAIN, assignment), message: bytes });
    prev = assignmentHash(DOMAIN, assignment);
  }
  return out;
}

export async function buildFixture(spec: FixtureSpec): Promise<Fixture> {
  const wasm = processWasm(spec.process);
  const id = bytes32(`process ${spec.name}`);
  id[0] |= 1; // a valid base64url address, never 12 leading zero bytes
  const processId = hexlify(id);
  const all = [...spec.parent, ...spec.slots];
  const inputs = await signedSlots(
    processId,
    all.map((m, i) => message(processId, BigInt(i), m)),
  );
  const firstSlot = BigInt(spec.parent.length);
  const parentProcess = (): Process => {
    const p = Process.fromWasm(wasm, { memoryLimitPages: MEMORY_LIMIT_PAGES });
    for (const s of inputs.slice(0, spec.parent.length))
      p.handleMessage(s.message, { stepLimit: spec.stepLimit });
    return p;
  };
  const parent = parentProcess();
  const options: TraceOptions = {
    process: processId,
    firstSlot,
    lastSlot: firstSlot + BigInt(spec.slots.length - 1),
    slots: inputs.slice(spec.parent.length),
    stepLimit: spec.stepLimit,
    prevAssignmentHash:
      spec.parent.length === 0
        ? GENESIS_ASSIGNMENT_HASH
        : assignmentHash(DOMAIN, inputs[spec.parent.length - 1].assignment),
    domain: DOMAIN,
    scheduler: SCHEDULER.address,
    parentStateHash: hexlify(parent.processHash()),
  };
  return {
    spec,
    wasm,
    processId,
    inputs,
    options,
    parentProcess,
    trace: CommitmentTrace.fromProcess(parent, options),
  };
}

const OWNER = "owner";
const ALICE = "alice";
const BOB = "bob";

/**
 * The fixtures: counter over 1 and 2 slots, token over 3 and 5 (so 1, 2, 4 and 8 messages of trace and
 * padding after 3 and 5); counter-2 and token-5 continue a parent. Token-5's messages end every way a
 * message can: a trap (a Transfer of "x"), out of steps (a Transfer, under its low step limit), too large
 * to run (the Errored start state: every step a no-op), and halted.
 */
export const FIXTURE_SPECS: FixtureSpec[] = [
  {
    name: "counter-1",
    process: "counter",
    parent: [],
    slots: [{ from: OWNER, tags: {} }],
    stepLimit: 10_000_000,
  },
  {
    name: "counter-2",
    process: "counter",
    parent: [
      { from: OWNER, tags: {} },
      { from: ALICE, tags: { Action: "Increment" } },
    ],
    slots: [
      { from: ALICE, tags: { Action: "Increment", By: "41" } },
      { from: BOB, tags: { Action: "Get" } },
    ],
    stepLimit: 10_000_000,
  },
  {
    name: "token-3",
    process: "token",
    parent: [],
    slots: [
      { from: OWNER, tags: { Type: "Process", Module: arAddress("token module") } },
      { from: OWNER, tags: { Action: "Transfer", Recipient: arAddress(ALICE), Quantity: "5" } },
      { from: ALICE, tags: { Action: "Balance" } },
    ],
    stepLimit: 10_000_000,
  },
  {
    name: "token-5",
    process: "token",
    parent: [{ from: OWNER, tags: { Type: "Process", Module: arAddress("token module") } }],
    slots: [
      { from: ALICE, tags: { Action: "Transfer", Recipient: arAddress(BOB), Quantity: "x" } },
      { from: OWNER, tags: { Action: "Transfer", Recipient: arAddress(ALICE), Quantity: "7" } },
      { from: ALICE, tags: { Action: "Info" }, data: new Uint8Array(70_000) },
      { from: OWNER, tags: { Action: "Mint", Quantity: "5" } },
      { from: BOB, tags: { Action: "Info" } },
    ],
    stepLimit: 150_000,
  },
];

/** Expects `f` to throw a DisputeError with `code`. */
export function expectDisputeError(f: () => unknown, code: DisputeErrorCode): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected DisputeError ${code}`).to.be.instanceOf(DisputeError);
  expect((thrown as DisputeError).code).to.equal(code);
}

const cache = new Map<string, Promise<Fixture>>();

/** The fixture named `name`, built once. */
export function fixture(name: string): Promise<Fixture> {
  let f = cache.get(name);
  if (!f) {
    const spec = FIXTURE_SPECS.find((s) => s.name === name);
    if (!spec) throw new Error(`no fixture ${name}`);
    f = buildFixture(spec);
    cache.set(name, f);
  }
  return f;
}

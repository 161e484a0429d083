/** Helpers of the fast-mode tests: both modes side by side on the same messages. */
import { expect } from "chai";
import { Process, encodeMessage, type Message } from "../../../machine/process";
import { FastProcess, type FastOutcome } from "../../../machine/fast";
import { STATUS } from "../../../machine/spec";
import { hex } from "../helpers";

export { wat } from "../helpers";

/** What must agree at a message boundary. */
export interface Boundary {
  steps: number;
  status: number;
  error: number;
  resultHash: string;
  processHash: string;
}

/** Runs `message` in step mode. */
export function stepBoundary(p: Process, message: Uint8Array, stepLimit: number): Boundary {
  const o = p.handleMessage(message, { stepLimit });
  return {
    steps: o.steps,
    status: o.result.ok ? STATUS.Halted : STATUS.Errored,
    error: o.result.ok ? 0 : o.result.error,
    resultHash: hex(o.resultHash),
    processHash: hex(o.processHash),
  };
}

/** Runs `message` in fast mode. */
export function fastBoundary(
  f: FastProcess,
  message: Uint8Array,
  stepLimit: number,
): Boundary & { out: FastOutcome } {
  const out = f.evaluate(message, stepLimit);
  return {
    steps: out.steps,
    status: out.status,
    error: out.error,
    resultHash: hex(out.resultHash),
    processHash: hex(f.processStateHash()),
    out,
  };
}

/** Both modes over one module, compared message by message. */
export class Pair {
  readonly step: Process;
  readonly fast: FastProcess;
  constructor(
    readonly wasm: Uint8Array,
    memoryLimitPages?: number,
  ) {
    this.step = Process.fromWasm(wasm, { memoryLimitPages });
    this.fast = FastProcess.create(wasm, { memoryLimitPages });
  }

  /** Runs one message in both modes and checks every boundary field; returns the fast outcome. */
  check(message: Uint8Array, stepLimit: number, what = ""): FastOutcome {
    const s = stepBoundary(this.step, message, stepLimit);
    const f = fastBoundary(this.fast, message, stepLimit);
    const { out, ...fb } = f;
    expect(fb, `${what} limit ${stepLimit} (fast path ${out.path})`).to.deep.equal(s);
    return out;
  }
}

/** A message whose data is `data` (other fields fixed). */
export function dataMessage(data: Uint8Array, tags: { name: string; value: string }[] = []): Uint8Array {
  const m: Message = {
    id: new Uint8Array(32).fill(1),
    from: new Uint8Array(32).fill(2),
    target: new Uint8Array(32).fill(3),
    slot: 1n,
    timestamp: 1700000000000n,
    blockHeight: 1000n,
    tags,
    data,
  };
  return encodeMessage(m);
}

/**
 * A Holoproof process (docs/process-abi.md): a module plus the state its messages leave behind. Each
 * message is one run of the machine, from the message-start state to a Halted or Errored state; an
 * error restores the pre-message process state and records an error result.
 *
 * ```ts
 * const p = Process.fromWasm(bytes, { memoryLimitPages: 256 });
 * const r = p.handleMessage(encodeMessage(msg), { stepLimit: 10_000_000 });
 * ```
 */
import { loadWasm, type AllowedImport } from "../wasm";
import { Instance, type InstanceOptions } from "./instance";
import { ERROR_BY_CODE, ERROR_CODE, HOST_ABI, LAYOUT, STATUS } from "../spec";
import { processHash } from "../interp/machine";
import { errorResultHash } from "../interp/semantics";
import { MAX_MESSAGE_BYTES, messageHash } from "./message";
import type { MessageResult, ResultItem } from "./result";

export * from "./message";
export * from "./result";
export { messageStartHash, type ProcessFields } from "./boundary";
export { Instance, InstantiationError, type InstanceOptions, type InvokeResult } from "./instance";

/** The host ABI as an allowed-import list for `loadWasm`. */
export const HOST_IMPORTS: readonly AllowedImport[] = HOST_ABI.functions.map((f) => ({
  module: HOST_ABI.module,
  name: f.name,
  kind: "func" as const,
  params: f.params as ("i32" | "i64")[],
  results: f.results as ("i32" | "i64")[],
}));

export interface MessageOptions {
  /** Step limit of this message (default and maximum: 2^32 − 1). */
  stepLimit?: number;
}

/** What one message did. */
export interface MessageOutcome {
  result: MessageResult;
  /** The machine's final `resultHash` (equals `resultHash(result)`). */
  resultHash: Uint8Array;
  /** Hash of the message-start state and of the final state (trace steps 0 and 2^32). */
  startStateHash: Uint8Array;
  finalStateHash: Uint8Array;
  /** Process-state hash after the message. */
  processHash: Uint8Array;
  steps: number;
}

export class Process {
  constructor(readonly instance: Instance) {}

  /** Loads, checks (subset, host ABI) and instantiates a process module. */
  static fromWasm(bytes: Uint8Array, opts: InstanceOptions = {}): Process {
    const mod = loadWasm(bytes, {
      allowedImports: HOST_IMPORTS,
      maxMemoryPages: opts.memoryLimitPages ?? LAYOUT.maxMemoryPages,
    });
    return new Process(new Instance(mod, opts));
  }

  get machine() {
    return this.instance.machine;
  }

  /** The module root (the module's on-chain identity). */
  get moduleRoot(): Uint8Array {
    return this.instance.image.moduleRoot;
  }

  /** The process-state hash (module, memory, globals) between messages. */
  processHash(): Uint8Array {
    const m = this.machine;
    return processHash(m.image.moduleRoot, m.memory.root(), m.memory.pages, m.globalsRoot());
  }

  /** Puts the machine in the message-start state for `message` without running it. */
  beginMessage(message: Uint8Array, opts: MessageOptions = {}): void {
    const stepLimit = Math.min(opts.stepLimit ?? LAYOUT.maxStepLimit, LAYOUT.maxStepLimit);
    const ctx = { messageHash: messageHash(message), message, stepLimit };
    const handle = this.instance.exportedFunc(HOST_ABI.entryExport);
    const m = this.machine;
    if (message.length > MAX_MESSAGE_BYTES) {
      m.beginErrored(ERROR_CODE.MessageTooLarge, ctx, errorResultHash(ERROR_CODE.MessageTooLarge));
    } else if (handle === undefined) {
      m.beginErrored(ERROR_CODE.NoHandle, ctx, errorResultHash(ERROR_CODE.NoHandle));
    } else {
      this.instance.beginInvoke(handle, [], stepLimit, ctx);
    }
  }

  /** Runs one message to its end and settles it (commit when Halted; Errored has already restored). */
  handleMessage(message: Uint8Array, opts: MessageOptions = {}): MessageOutcome {
    this.beginMessage(message, opts);
    const m = this.machine;
    const startStateHash = m.stateHash();
    m.run();
    return this.settle(startStateHash);
  }

  /** Settles a run that has stopped (after `beginMessage` and stepping). */
  settle(startStateHash: Uint8Array): MessageOutcome {
    const m = this.machine;
    if (m.status === STATUS.Running) throw new Error("settle: the machine is still running");
    const finalStateHash = m.stateHash();
    let result: MessageResult;
    if (m.status === STATUS.Halted) {
      m.commit();
      const items: ResultItem[] = m.items.map((i) => ({ kind: i.kind, bytes: i.bytes }));
      result = { ok: true, items };
    } else {
      result = { ok: false, error: m.error, errorName: ERROR_BY_CODE.get(m.error)?.name ?? "Unknown" };
    }
    return {
      result,
      resultHash: m.resultHash,
      startStateHash,
      finalStateHash,
      processHash: this.processHash(),
      steps: m.steps,
    };
  }
}

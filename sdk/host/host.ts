/**
 * A native V8 host for Holoproof processes: runs a process module with `WebAssembly.instantiate` and
 * implements the host ABI (docs/process-abi.md) against the instance's memory, message by message,
 * with the machine's message semantics:
 *
 * - a message longer than `limits.maxMessageBytes` is not run (`MessageTooLarge`), nor is any message
 *   of a module without a `handle` export (`NoHandle`);
 * - a run that traps leaves the process state as it was before the message (memory, its size, every
 *   mutable global), and its result is the error alone: the items it emitted are discarded;
 * - the memory cannot grow beyond the process's memory limit (`memory.grow` returns −1).
 *
 * The result has the shape of the machine's (`MessageResult`, machine/process/result.ts), so the two
 * can be compared item for item and `resultHash` applies to both. What this host does not do yet is
 * count steps: `OutOfSteps` never happens here, and a run is as long as it is. That, and the two
 * inexact error codes of traps.ts, are what the later "fast mode" adds.
 *
 * ```ts
 * const p = await ProcessHost.instantiate(wasmBytes, { memoryLimitPages: 256 });
 * const out = p.handle(encodeMessage(msg)); // out.result: { ok: true, items } or { ok: false, error, errorName }
 * ```
 */
import { loadWasm, type WasmModule } from "../../machine/wasm";
import { ERROR_BY_CODE, ERROR_CODE, HOST_ABI, LAYOUT } from "../../machine/spec";
import { HOST_IMPORTS } from "../../machine/process";
import { encodeMessage, type Message } from "../../machine/process/message";
import { RESULT_KIND, type MessageResult, type ResultItem } from "../../machine/process/result";
import { GLOBAL_EXPORT_PREFIX, MEMORY_EXPORT, patchForHost } from "./patch";
import { classifyTrap, HostTrap } from "./traps";
import {
  WebAssemblyApi,
  type WasmCompiled,
  type WasmGlobal,
  type WasmImports,
  type WasmInstance,
  type WasmMemory,
} from "./wasm-api";

const PAGE = LAYOUT.wasmPageBytes;

export interface HostOptions {
  /** The process's memory limit in pages (default and maximum: `limits.maxMemoryPages`, 65,536). */
  memoryLimitPages?: number;
}

/** What one message did. */
export interface HostOutcome {
  /** The committed result: the emitted items, or the error. */
  result: MessageResult;
  /**
   * When the result is an error: the items the run emitted before it failed. They are not part of the
   * result (the machine discards them too); the SDK's error path emits its reason as the last output.
   */
  discarded: ResultItem[];
  /** When the result is an error: the last discarded output item as text (the SDK's error reason). */
  reason?: string;
  /** False when V8 cannot tell which machine error code applies (traps.ts). */
  exactError: boolean;
  /** Memory size after the message, in pages. */
  memoryPages: number;
}

/** The module cannot be loaded or instantiated. */
export class HostInstantiationError extends Error {
  override name = "HostInstantiationError";
}

interface Snapshot {
  memory: Uint8Array;
  globals: (number | bigint)[];
}

export class ProcessHost {
  private instance!: WasmInstance;
  private memory: WasmMemory | undefined;
  private globals: WasmGlobal[] = [];
  /** The current message, or null outside one (instantiation: the start function sees an empty message). */
  private message: Uint8Array | null = null;
  private items: ResultItem[] = [];
  private readonly imports: WasmImports;

  private constructor(
    /** The checked module (IR), as `loadWasm` returned it. */
    readonly wasm: WasmModule,
    private readonly compiled: WasmCompiled,
    private readonly mutableGlobals: number[],
  ) {
    const fns: Record<string, (...args: number[]) => number | void> = {
      msg_len: () => (this.message ?? EMPTY).length,
      msg_read: (dst, off, len) => this.msgRead(dst >>> 0, off >>> 0, len >>> 0),
      output: (ptr, len) => this.emit(RESULT_KIND.output, ptr >>> 0, len >>> 0),
      send: (ptr, len) => this.emit(RESULT_KIND.message, ptr >>> 0, len >>> 0),
      spawn: (ptr, len) => this.emit(RESULT_KIND.spawn, ptr >>> 0, len >>> 0),
    };
    this.imports = { [HOST_ABI.module]: fns };
  }

  /**
   * Checks `bytes` with `loadWasm` (the machine's subset and host ABI), then compiles and instantiates
   * it (running its start function, if any). Throws WasmLoadError or HostInstantiationError.
   */
  static async instantiate(bytes: Uint8Array, opts: HostOptions = {}): Promise<ProcessHost> {
    const limit = Math.min(opts.memoryLimitPages ?? LAYOUT.maxMemoryPages, LAYOUT.maxMemoryPages);
    const wasm = loadWasm(bytes, { allowedImports: HOST_IMPORTS, maxMemoryPages: limit });
    let patched;
    try {
      patched = patchForHost(bytes, wasm, limit);
    } catch (e) {
      throw new HostInstantiationError((e as Error).message);
    }
    const compiled = await WebAssemblyApi.compile(patched.bytes);
    const host = new ProcessHost(wasm, compiled, patched.mutableGlobals);
    host.attach(await instantiating(() => WebAssemblyApi.instantiate(compiled, host.imports)));
    return host;
  }

  /** A new instance of the module (its start function runs again), used to undo a memory growth. */
  private instantiateFresh(): void {
    this.message = null;
    this.attach(instantiatingSync(() => new WebAssemblyApi.Instance(this.compiled, this.imports)));
  }

  private attach(instance: WasmInstance): void {
    this.items = []; // anything the start function emitted belongs to no message
    this.instance = instance;
    const ex = instance.exports;
    this.memory = ex[MEMORY_EXPORT] as WasmMemory | undefined;
    this.globals = this.mutableGlobals.map((g) => ex[GLOBAL_EXPORT_PREFIX + g] as WasmGlobal);
  }

  /** Memory size in pages. */
  get memoryPages(): number {
    return this.memory ? this.memory.buffer.byteLength / PAGE : 0;
  }

  /** A copy of the process memory (for tests and state comparisons). */
  memoryBytes(): Uint8Array {
    return this.memory ? new Uint8Array(this.memory.buffer).slice() : new Uint8Array(0);
  }

  /** The values of the module's mutable globals, in global index order. */
  globalValues(): (number | bigint)[] {
    return this.globals.map((g) => g.value as number | bigint);
  }

  /** Runs one message given as its canonical encoding. */
  handle(message: Uint8Array): HostOutcome {
    if (message.length > LAYOUT.maxMessageBytes) return this.refused(ERROR_CODE.MessageTooLarge);
    const handle = this.instance.exports[HOST_ABI.entryExport];
    if (typeof handle !== "function") return this.refused(ERROR_CODE.NoHandle);
    const before = this.snapshot();
    this.message = message;
    this.items = [];
    try {
      (handle as () => void)();
    } catch (e) {
      const t = classifyTrap(e);
      if (!t) throw e;
      const discarded = this.items;
      this.restore(before);
      const lastOutput = [...discarded].reverse().find((i) => i.kind === RESULT_KIND.output);
      return {
        result: { ok: false, error: t.code, errorName: t.name },
        discarded,
        reason: lastOutput ? new TextDecoder().decode(lastOutput.bytes) : undefined,
        exactError: t.exact,
        memoryPages: this.memoryPages,
      };
    } finally {
      this.message = null;
    }
    const items = this.items;
    this.items = [];
    return { result: { ok: true, items }, discarded: [], exactError: true, memoryPages: this.memoryPages };
  }

  /** Encodes `m` (machine/process/message.ts) and runs it. */
  handleMessage(m: Message): HostOutcome {
    return this.handle(encodeMessage(m));
  }

  private refused(code: number): HostOutcome {
    return {
      result: { ok: false, error: code, errorName: ERROR_BY_CODE.get(code)?.name ?? "Unknown" },
      discarded: [],
      exactError: true,
      memoryPages: this.memoryPages,
    };
  }

  private snapshot(): Snapshot {
    return {
      memory: this.memory ? new Uint8Array(this.memory.buffer).slice() : new Uint8Array(0),
      globals: this.globalValues(),
    };
  }

  /** Puts the process state back: a grown memory cannot shrink, so then the instance is rebuilt. */
  private restore(s: Snapshot): void {
    if (this.memory && this.memory.buffer.byteLength !== s.memory.length) {
      this.instantiateFresh();
      const mem = this.memory!;
      const need = s.memory.length / PAGE - mem.buffer.byteLength / PAGE;
      if (need < 0) throw new Error("restore: fresh memory larger than the snapshot");
      if (need > 0) mem.grow(need);
    }
    if (this.memory) new Uint8Array(this.memory.buffer).set(s.memory);
    this.globals.forEach((g, i) => (g.value = s.globals[i]));
  }

  private memoryView(): Uint8Array {
    return this.memory ? new Uint8Array(this.memory.buffer) : new Uint8Array(0);
  }

  private msgRead(dst: number, off: number, len: number): void {
    const msg = this.message ?? EMPTY;
    if (off + len > msg.length) throw new HostTrap(ERROR_CODE.MessageReadOutOfBounds);
    const mem = this.memoryView();
    if (dst + len > mem.length) throw new HostTrap(ERROR_CODE.MemoryOutOfBounds);
    mem.set(msg.subarray(off, off + len), dst);
  }

  private emit(kind: number, ptr: number, len: number): void {
    const mem = this.memoryView();
    if (ptr + len > mem.length) throw new HostTrap(ERROR_CODE.MemoryOutOfBounds);
    this.items.push({ kind, bytes: mem.slice(ptr, ptr + len) });
  }
}

const EMPTY = new Uint8Array(0);

function instantiationError(e: unknown): HostInstantiationError {
  const t = classifyTrap(e);
  return new HostInstantiationError(t ? `start function failed: ${t.name}` : (e as Error).message);
}

async function instantiating(f: () => Promise<WasmInstance>): Promise<WasmInstance> {
  try {
    return await f();
  } catch (e) {
    throw instantiationError(e);
  }
}

function instantiatingSync(f: () => WasmInstance): WasmInstance {
  try {
    return f();
  } catch (e) {
    throw instantiationError(e);
  }
}

/**
 * Instantiation (process-abi.md, "Instantiation") and invocations: a loaded module becomes a machine
 * with its initial memory, globals and table, and exported functions can be called on it, each call
 * a run of the machine from a snapshot of the process state.
 */
import type { ConstExpr, FuncType, GlobalType, WasmModule } from "../wasm/types";
import { flatten, type FlattenOptions, type FlatProgram } from "../flatten";
import { buildImage, type ModuleImage } from "../code/module";
import { Machine, type MessageContext } from "../interp/machine";
import { MachineMemory } from "../interp/memory";
import type { Value } from "../interp/semantics";
import { ERROR_BY_CODE, HOST_ABI, LAYOUT, STATUS } from "../spec";
import { ZERO32 } from "../code/hash";

/** The module cannot be instantiated (a segment out of bounds, a trapping start function, a missing import). */
export class InstantiationError extends Error {
  override name = "InstantiationError";
  constructor(
    message: string,
    /** The spec-suite text of the trap, when it is one. */
    readonly trapText?: string,
  ) {
    super(message);
  }
}

export interface InstanceOptions {
  /** The process memory limit in pages (default and maximum: 65,536). */
  memoryLimitPages?: number;
  /** Implementation of imported functions outside `holo` (the spec runner's `spectest` stubs). */
  resolveImport?: FlattenOptions["resolveImport"];
  /** Value of an imported global. */
  importGlobal?: (module: string, name: string, type: GlobalType) => Value | undefined;
  /** Limits of an imported memory or table as the host provides it (the spec suite's `spectest`). */
  importLimits?: (
    module: string,
    name: string,
    kind: "memory" | "table",
  ) => { min: number; max?: number } | undefined;
  /** Step limit of the start function. */
  startStepLimit?: number;
}

/** The outcome of one invocation. */
export interface InvokeResult {
  status: "halted" | "errored";
  /** Result values (halted). */
  values: Value[];
  /** Error code (errored), see docs/machine.md §8. */
  error?: number;
  errorName?: string;
  steps: number;
}

const DEFAULT_STEP_LIMIT = LAYOUT.maxStepLimit;

export class Instance {
  readonly program: FlatProgram;
  readonly image: ModuleImage;
  readonly machine: Machine;

  constructor(
    readonly module: WasmModule,
    opts: InstanceOptions = {},
  ) {
    this.program = flatten(module, { resolveImport: opts.resolveImport });
    // Globals: imported ones from the host, defined ones from their initialisers.
    const globals: Value[] = [];
    for (const imp of module.imports) {
      if (imp.desc.kind !== "global") continue;
      const v = opts.importGlobal?.(imp.module, imp.name, imp.desc.global);
      if (v === undefined) throw new InstantiationError(`unknown import ${imp.module}.${imp.name}`);
      globals.push(v);
    }
    let memLimits = module.memory?.limits;
    let tableLimits = module.table?.limits;
    for (const imp of module.imports) {
      if (imp.desc.kind === "table" || imp.desc.kind === "memory") {
        const provided = opts.importLimits?.(imp.module, imp.name, imp.desc.kind);
        if (!provided) throw new InstantiationError(`unknown import ${imp.module}.${imp.name}`);
        if (imp.desc.kind === "memory") memLimits = provided;
        else tableLimits = provided;
      }
    }
    const evalConst = (e: ConstExpr): Value => {
      switch (e.kind) {
        case "i32.const":
          return e.value | 0;
        case "i64.const":
          return BigInt.asIntN(64, e.value);
        case "global.get":
          return globals[e.index];
        default:
          throw new InstantiationError(`constant expression ${e.kind} is outside the machine subset`);
      }
    };
    for (const g of module.globals) globals.push(evalConst(g.init));
    // One hidden global per data segment: its dropped flag (active segments are dropped once applied).
    for (const d of module.datas) globals.push(d.mode === "active" ? 1 : 0);

    // Memory.
    const limit = Math.min(opts.memoryLimitPages ?? LAYOUT.maxMemoryPages, LAYOUT.maxMemoryPages);
    const memMin = memLimits?.min ?? 0;
    const memMax = Math.min(memLimits?.max ?? LAYOUT.maxMemoryPages, limit);
    if (memMin > limit) {
      throw new InstantiationError(`memory of ${memMin} pages exceeds the limit of ${limit} pages`);
    }
    const memory = new MachineMemory(memMin, memMax);

    // Table, from the active element segments.
    const tableSize = tableLimits?.min ?? 0;
    const table: (number | null)[] = new Array(tableSize).fill(null);
    const oob = (what: string): InstantiationError =>
      new InstantiationError(
        `${what} segment out of bounds`,
        ERROR_BY_CODE.get(what === "data" ? 4 : 5)!.specText,
      );
    for (const el of module.elems) {
      if (el.mode !== "active") continue;
      const off = (evalConst(el.offsetExpr!) as number) >>> 0;
      const items = el.funcIndices;
      if (!items) throw new InstantiationError("element segment with non-function items");
      if (off + items.length > tableSize) throw oob("elem");
      items.forEach((f, k) => (table[off + k] = f));
    }
    for (const d of module.datas) {
      if (d.mode !== "active") continue;
      const off = (evalConst(d.offsetExpr!) as number) >>> 0;
      if (off + d.bytes.length > memMin * LAYOUT.wasmPageBytes) throw oob("data");
      memory.write(off, d.bytes);
    }

    const handle = module.exports.find((e) => e.kind === "func" && e.name === HOST_ABI.entryExport);
    this.image = buildImage(this.program, {
      table,
      globalsCount: globals.length,
      memoryMaxPages: memMax,
      handleFunc: handle?.index,
      data: module.datas.map((d) => d.bytes),
    });
    this.machine = new Machine(this.image, memory, globals);
    this.machine.commit();

    if (module.start !== undefined) {
      const r = this.invokeIndex(module.start, [], opts.startStepLimit);
      if (r.status !== "halted") {
        throw new InstantiationError(
          `start function failed: ${r.errorName}`,
          ERROR_BY_CODE.get(r.error ?? 0)?.specText,
        );
      }
    }
  }

  /** The type of function `index`. */
  funcType(index: number): FuncType {
    return this.module.types[this.module.funcTypeIndices[index]];
  }

  /** Index of the exported function `name`. */
  exportedFunc(name: string): number | undefined {
    return this.module.exports.find((e) => e.kind === "func" && e.name === name)?.index;
  }

  /** Value of the exported global `name`. */
  exportedGlobal(name: string): Value | undefined {
    const e = this.module.exports.find((x) => x.kind === "global" && x.name === name);
    return e === undefined ? undefined : this.machine.globals[e.index];
  }

  /**
   * Starts function `index` with `args` in a fresh run (no message: empty message, zero hash) without
   * running it; `run()` on the machine then executes it step by step.
   */
  beginInvoke(
    index: number,
    args: Value[],
    stepLimit = DEFAULT_STEP_LIMIT,
    ctx?: Partial<MessageContext>,
  ): void {
    const f = this.program.funcs[index];
    this.machine.begin(f.entryPc, f.nlocals, args, {
      messageHash: ctx?.messageHash ?? ZERO32,
      message: ctx?.message ?? new Uint8Array(0),
      stepLimit,
    });
  }

  /** Calls function `index` with `args` to completion; a halted run is committed, an errored one restored. */
  invokeIndex(index: number, args: Value[], stepLimit = DEFAULT_STEP_LIMIT): InvokeResult {
    this.beginInvoke(index, args, stepLimit);
    const m = this.machine;
    m.run();
    return this.finish();
  }

  /** Reports and settles the machine's run after it stopped. */
  finish(): InvokeResult {
    const m = this.machine;
    if (m.status === STATUS.Halted) {
      m.commit();
      return { status: "halted", values: m.stackValues(), steps: m.steps };
    }
    if (m.status !== STATUS.Errored) throw new Error("finish: the machine is still running");
    return {
      status: "errored",
      values: [],
      error: m.error,
      errorName: ERROR_BY_CODE.get(m.error)?.name,
      steps: m.steps,
    };
  }

  /** Calls the exported function `name`. */
  invoke(name: string, args: Value[], stepLimit = DEFAULT_STEP_LIMIT): InvokeResult {
    const idx = this.exportedFunc(name);
    if (idx === undefined) throw new Error(`no exported function ${name}`);
    return this.invokeIndex(idx, args, stepLimit);
  }
}

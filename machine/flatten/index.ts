/**
 * Flattening: a decoded, validated, in-subset module (machine/wasm IR) becomes one linear array of
 * instructions with explicit jumps (docs/machine.md §1). The interpreter and the prover never see a
 * block again.
 */
import type { FuncType, Instr, ValType, WasmModule } from "../wasm/types";
import { Op, OPCODES } from "../wasm/opcodes";
import { HOST_ABI, OPCODE, OPCODE_TABLE } from "../spec";

/** One flattened instruction: the three fields of an instruction leaf. */
export interface FlatInstr {
  opcode: number;
  imm: bigint;
  imm2: bigint;
}

/** A function of the flattened program (imported functions get a synthetic body). */
export interface FlatFunc {
  /** Absolute function index (imports first). */
  index: number;
  typeIndex: number;
  /** Canonical type id: the first type index structurally equal to this function's type. */
  typeId: number;
  entryPc: number;
  nparams: number;
  /** Parameters plus declared locals. */
  nlocals: number;
  nresults: number;
  /** Set for an imported function: where it comes from. */
  import?: { module: string; name: string };
}

/** The flattened program. */
export interface FlatProgram {
  code: FlatInstr[];
  funcs: FlatFunc[];
  /** Canonical type id of every type index. */
  typeIds: number[];
}

/** How the flattener should implement an imported function outside `holo` (the spec runner's stubs). */
export type ImportStub = "nop";

export interface FlattenOptions {
  /** Called for an import whose module is not `holo`; returning undefined refuses it. */
  resolveImport?: (module: string, name: string, type: FuncType) => ImportStub | undefined;
}

/** Raised when a module cannot be flattened (an import with no implementation, a bad host signature). */
export class FlattenError extends Error {
  override name = "FlattenError";
  constructor(
    message: string,
    /** Set when the module uses an instruction the machine does not run (e.g. `memory.init`). */
    readonly unsupported?: string,
  ) {
    super(message);
  }
}

const TYPE_CODE: Record<string, number> = { i32: 0x7f, i64: 0x7e };

function typeCode(t: ValType): bigint {
  const c = TYPE_CODE[t];
  if (c === undefined) throw new FlattenError(`value type ${t} is outside the machine subset`);
  return BigInt(c);
}

function sameType(a: FuncType, b: FuncType): boolean {
  return (
    a.params.length === b.params.length &&
    a.results.length === b.results.length &&
    a.params.every((p, i) => p === b.params[i]) &&
    a.results.every((r, i) => r === b.results[i])
  );
}

/** A control label of the function being flattened. */
interface Label {
  kind: "block" | "loop" | "if" | "func";
  /** Stack height at the label's base (below its parameters). */
  base: number;
  /** Values carried by a branch to it. */
  arity: number;
  nparams: number;
  nresults: number;
  /** For loop: its start pc. */
  loopPc: number;
  /** Instructions whose `imm` must be patched to the label's end pc. */
  patches: number[];
  /** For if: the `jump_unless` to patch to the else branch (or end); -1 when already patched. */
  elsePatch: number;
  /** The rest of this label's body is unreachable. */
  dead: boolean;
}

const MACHINE_OPS = new Set(OPCODE_TABLE.map((o) => o.name));
const OP_JUMP = OPCODE["jump"];
const OP_JUMP_IF = OPCODE["jump_if"];
const OP_JUMP_UNLESS = OPCODE["jump_unless"];
const OP_BR_TABLE = OPCODE["br_table"];
const OP_DROP_UNDER = OPCODE["drop_under"];
const OP_DROP = OPCODE["drop"];
const OP_RETURN = OPCODE["return"];
const OP_CALL = OPCODE["call"];
const OP_CALL_INDIRECT = OPCODE["call_indirect"];
const OP_LOCAL_GET = OPCODE["local.get"];

/** Flattens a module (see the file comment). */
export function flatten(mod: WasmModule, opts: FlattenOptions = {}): FlatProgram {
  const typeIds = mod.types.map((t, i) => {
    for (let j = 0; j < i; j++) if (sameType(mod.types[j], t)) return j;
    return i;
  });
  const code: FlatInstr[] = [];
  const funcs: FlatFunc[] = [];
  const emit = (opcode: number, imm: bigint = 0n, imm2: bigint = 0n): number => {
    code.push({ opcode, imm, imm2 });
    return code.length - 1;
  };

  // Function headers first: entry pcs are filled in as bodies are emitted, calls are patched after.
  const callPatches: { at: number; func: number }[] = [];
  const hostFns = new Map(HOST_ABI.functions.map((f) => [f.name, f]));
  let importIdx = 0;
  for (const imp of mod.imports) {
    if (imp.desc.kind !== "func") continue;
    const typeIndex = imp.desc.typeIndex;
    const type = mod.types[typeIndex];
    const f: FlatFunc = {
      index: importIdx,
      typeIndex,
      typeId: typeIds[typeIndex],
      entryPc: code.length,
      nparams: type.params.length,
      nlocals: type.params.length,
      nresults: type.results.length,
      import: { module: imp.module, name: imp.name },
    };
    funcs.push(f);
    importIdx++;
    if (imp.module === HOST_ABI.module) {
      const h = hostFns.get(imp.name);
      if (!h) throw new FlattenError(`import ${imp.module}.${imp.name} is not a host function of the ABI`);
      const want: FuncType = { params: h.params as ValType[], results: h.results as ValType[] };
      if (!sameType(want, type)) {
        throw new FlattenError(
          `import ${imp.module}.${imp.name} has type [${type.params}] -> [${type.results}], ` +
            `the ABI says [${want.params}] -> [${want.results}]`,
        );
      }
      for (let p = 0; p < type.params.length; p++) emit(OP_LOCAL_GET, BigInt(p), typeCode(type.params[p]));
      const kind =
        "kind" in h ? BigInt(HOST_ABI.resultKinds[h.kind as keyof typeof HOST_ABI.resultKinds]) : 0n;
      for (const op of h.body) emit(OPCODE[op], kind);
      emit(OP_RETURN);
    } else {
      const stub = opts.resolveImport?.(imp.module, imp.name, type);
      if (stub !== "nop" || type.results.length > 0) {
        throw new FlattenError(`import ${imp.module}.${imp.name} is not provided by the host`);
      }
      emit(OP_RETURN);
    }
  }

  for (const fn of mod.funcs) {
    const type = mod.types[fn.typeIndex];
    const localTypes: ValType[] = [...type.params, ...fn.locals];
    const f: FlatFunc = {
      index: fn.index,
      typeIndex: fn.typeIndex,
      typeId: typeIds[fn.typeIndex],
      entryPc: code.length,
      nparams: type.params.length,
      nlocals: localTypes.length,
      nresults: type.results.length,
    };
    funcs.push(f);
    flattenBody(mod, fn.body, localTypes, type, emit, code, callPatches);
  }

  for (const p of callPatches) {
    const f = funcs[p.func];
    code[p.at].imm = BigInt(f.entryPc);
    code[p.at].imm2 = (BigInt(f.nparams) << 32n) | BigInt(f.nlocals);
  }
  return { code, funcs, typeIds };

  function flattenBody(
    m: WasmModule,
    body: Instr[],
    localTypes: ValType[],
    ftype: FuncType,
    emitFn: typeof emit,
    out: FlatInstr[],
    calls: { at: number; func: number }[],
  ): void {
    let height = 0;
    const labels: Label[] = [
      {
        kind: "func",
        base: 0,
        arity: ftype.results.length,
        nparams: 0,
        nresults: ftype.results.length,
        loopPc: 0,
        patches: [],
        elsePatch: -1,
        dead: false,
      },
    ];
    const blockArity = (ins: Instr): [number, number] => {
      const bt = ins.blockType!;
      if (bt.kind === "empty") return [0, 0];
      if (bt.kind === "val") return [0, 1];
      const t = m.types[bt.index];
      return [t.params.length, t.results.length];
    };
    /** Drops that leave the top `keep` values on top of `base`, then returns (no jump emitted). */
    const emitDrops = (base: number, keep: number): void => {
      const d = height - base - keep;
      for (let i = 0; i < d; i++) {
        if (keep === 0) emitFn(OP_DROP);
        else emitFn(OP_DROP_UNDER, BigInt(keep));
      }
    };
    /** Emits the jump of a branch to `l`; forward targets are patched at the label's end. */
    const emitJump = (opcode: number, l: Label): void => {
      const at = emitFn(opcode);
      if (l.kind === "loop") out[at].imm = BigInt(l.loopPc);
      else l.patches.push(at);
    };
    const cur = (): Label => labels[labels.length - 1];

    for (let i = 0; i < body.length; i++) {
      const ins = body[i];
      const top = cur();
      if (top.dead && ins.op !== Op.Else && ins.op !== Op.End) {
        // Unreachable code: skip it, and nested constructs whole.
        if (ins.op === Op.Block || ins.op === Op.Loop || ins.op === Op.If) i = ins.endIndex!;
        continue;
      }
      switch (ins.op) {
        case Op.Nop:
          break;
        case Op.Unreachable:
          emitFn(OPCODE["unreachable"]);
          top.dead = true;
          break;
        case Op.Block:
        case Op.Loop: {
          const [p, r] = blockArity(ins);
          const loop = ins.op === Op.Loop;
          labels.push({
            kind: loop ? "loop" : "block",
            base: height - p,
            arity: loop ? p : r,
            nparams: p,
            nresults: r,
            loopPc: out.length,
            patches: [],
            elsePatch: -1,
            dead: false,
          });
          break;
        }
        case Op.If: {
          const [p, r] = blockArity(ins);
          height--;
          const at = emitFn(OP_JUMP_UNLESS);
          labels.push({
            kind: "if",
            base: height - p,
            arity: r,
            nparams: p,
            nresults: r,
            loopPc: 0,
            patches: [],
            elsePatch: at,
            dead: false,
          });
          break;
        }
        case Op.Else: {
          const l = top;
          if (!l.dead) emitJump(OP_JUMP, l);
          out[l.elsePatch].imm = BigInt(out.length);
          l.elsePatch = -1;
          height = l.base + l.nparams;
          l.dead = false;
          break;
        }
        case Op.End: {
          const l = labels.pop()!;
          if (l.kind === "func") {
            height = l.nresults;
            emitFn(OP_RETURN);
            if (i !== body.length - 1) throw new FlattenError("function body continues after its final end");
            break;
          }
          const endPc = out.length;
          if (l.elsePatch >= 0) out[l.elsePatch].imm = BigInt(endPc);
          for (const at of l.patches) out[at].imm = BigInt(endPc);
          height = l.base + l.nresults;
          break;
        }
        case Op.Br: {
          const l = labels[labels.length - 1 - ins.depth!];
          if (l.kind === "func") {
            emitDrops(0, l.arity);
            emitFn(OP_RETURN);
          } else {
            emitDrops(l.base, l.arity);
            emitJump(OP_JUMP, l);
          }
          top.dead = true;
          break;
        }
        case Op.BrIf: {
          height--;
          const l = labels[labels.length - 1 - ins.depth!];
          const d = height - l.base - l.arity;
          if (l.kind !== "func" && d === 0) {
            emitJump(OP_JUMP_IF, l);
          } else {
            const skip = emitFn(OP_JUMP_UNLESS);
            emitDrops(l.base, l.arity);
            if (l.kind === "func") emitFn(OP_RETURN);
            else emitJump(OP_JUMP, l);
            out[skip].imm = BigInt(out.length);
          }
          break;
        }
        case Op.BrTable: {
          height--;
          const targets = [...ins.targets!, ins.defaultTarget!];
          const base = out.length + 1;
          emitFn(OP_BR_TABLE, BigInt(base), BigInt(ins.targets!.length));
          const slots = targets.map(() => emitFn(OP_JUMP));
          targets.forEach((depth, k) => {
            const l = labels[labels.length - 1 - depth];
            const d = height - l.base - l.arity;
            if (l.kind !== "func" && d === 0) {
              if (l.kind === "loop") out[slots[k]].imm = BigInt(l.loopPc);
              else l.patches.push(slots[k]);
              return;
            }
            out[slots[k]].imm = BigInt(out.length);
            emitDrops(l.base, l.arity);
            if (l.kind === "func") emitFn(OP_RETURN);
            else emitJump(OP_JUMP, l);
          });
          top.dead = true;
          break;
        }
        case Op.Return:
          emitDrops(0, ftype.results.length);
          emitFn(OP_RETURN);
          top.dead = true;
          break;
        case Op.Call: {
          const t = m.types[m.funcTypeIndices[ins.index!]];
          const at = emitFn(OP_CALL);
          calls.push({ at, func: ins.index! });
          height += t.results.length - t.params.length;
          break;
        }
        case Op.CallIndirect: {
          const t = m.types[ins.index!];
          emitFn(OP_CALL_INDIRECT, BigInt(typeIds[ins.index!]));
          height += t.results.length - t.params.length - 1;
          break;
        }
        case Op.Drop:
          emitFn(OP_DROP);
          height--;
          break;
        case Op.Select:
        case Op.SelectT:
          emitFn(OPCODE["select"]);
          height -= 2;
          break;
        case Op.LocalGet:
          emitFn(OP_LOCAL_GET, BigInt(ins.index!), typeCode(localTypes[ins.index!]));
          height++;
          break;
        case Op.LocalSet:
          emitFn(OPCODE["local.set"], BigInt(ins.index!));
          height--;
          break;
        case Op.LocalTee:
          emitFn(OPCODE["local.tee"], BigInt(ins.index!));
          break;
        case Op.GlobalGet:
          emitFn(OPCODE["global.get"], BigInt(ins.index!), typeCode(m.globalTypes[ins.index!].type));
          height++;
          break;
        case Op.GlobalSet:
          emitFn(OPCODE["global.set"], BigInt(ins.index!));
          height--;
          break;
        case Op.I32Const:
          emitFn(ins.op, BigInt((ins.value as number) >>> 0));
          height++;
          break;
        case Op.I64Const:
          emitFn(ins.op, BigInt.asUintN(64, ins.value as bigint));
          height++;
          break;
        case Op.MemorySize:
          emitFn(ins.op);
          height++;
          break;
        case Op.MemoryGrow:
          emitFn(ins.op);
          break;
        case Op.MemoryCopy:
        case Op.MemoryFill:
          emitFn(ins.op);
          height -= 3;
          break;
        case Op.MemoryInit:
          // The segment's dropped flag is a hidden global after the module's own globals.
          emitFn(ins.op, BigInt(ins.index!), BigInt(m.globalTypes.length + ins.index!));
          height -= 3;
          break;
        case Op.DataDrop:
          emitFn(ins.op, BigInt(m.globalTypes.length + ins.index!));
          break;
        default: {
          const info = OPCODES.get(ins.op);
          const known = info !== undefined && MACHINE_OPS.has(info.name);
          if (!known || !info.sig) {
            const name = info?.name ?? `opcode ${ins.op}`;
            throw new FlattenError(`instruction ${name} is outside the machine subset`, name);
          }
          const opcode = OPCODE[info.name];
          if (info.natAlign !== undefined) emitFn(opcode, BigInt(ins.memOffset!));
          else emitFn(opcode);
          height += info.sig.results.length - info.sig.params.length;
        }
      }
    }
  }
}

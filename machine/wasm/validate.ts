/**
 * Validator of decoded modules, following the WebAssembly 2.0 specification (chapter 3,
 * "Validation", and the algorithm of its appendix "Validation Algorithm"): the operand stack and
 * control frames, unreachable-code polymorphism, block types (including multi-value type-index
 * block types), locals, globals and their mutability, constant expressions, limits, alignment,
 * index spaces, the start function, unique export names, element and data segments, bulk memory,
 * reference types and table instructions.
 *
 * Every WebAssembly 2.0 rule is enforced except one, left to the subset check: 2.0 allows at most
 * one memory, and a second memory (standard since WebAssembly 3.0, "multi-memory") is refused by
 * `checkSubset` as a subset error instead.
 */
import { deferredInvalid } from "./decode";
import { WasmInvalidError } from "./errors";
import { Op, OPCODES, opName, SINGLE_BYTE } from "./opcodes";
import type { BlockType, ConstExpr, FuncType, Instr, Limits, RefType, ValType, WasmModule } from "./types";

/** Options of {@link validateModule} (none yet; reserved). */
export type ValidateOptions = object;

/** An operand type during validation; `unknown` is the polymorphic type of unreachable code. */
type VT = ValType | "unknown";

interface Ctrl {
  op: number;
  start: readonly ValType[];
  end: readonly ValType[];
  height: number;
  unreachable: boolean;
}

const MAX_PAGES = 65536;
const EMPTY: readonly ValType[] = [];

function isNum(t: VT): boolean {
  return t === "i32" || t === "i64" || t === "f32" || t === "f64" || t === "unknown";
}

function isRef(t: VT): boolean {
  return t === "funcref" || t === "externref" || t === "unknown";
}

interface ModuleContext {
  m: WasmModule;
  numFuncs: number;
  numTables: number;
  numMemories: number;
  numGlobals: number;
  tableTypes: RefType[];
  /** C.refs: functions that may be referenced by ref.func inside function bodies. */
  refs: Set<number>;
}

function invalid(reason: string, byteOffset?: number, functionIndex?: number, feature = "validation"): never {
  throw new WasmInvalidError(reason, { byteOffset, functionIndex, feature });
}

function funcType(m: WasmModule, index: number): FuncType {
  return m.types[m.funcTypeIndices[index]];
}

/** The `[params] -> [results]` of a block type (the type index must be in range). */
export function blockSignature(m: WasmModule, bt: BlockType): FuncType {
  switch (bt.kind) {
    case "empty":
      return { params: [], results: [] };
    case "val":
      return { params: [], results: [bt.type] };
    case "type":
      return m.types[bt.index];
  }
}

function checkLimits(l: Limits, range: number, what: string, at: number | undefined): void {
  if (l.min > range || (l.max !== undefined && l.max > range)) {
    invalid(
      what === "memory"
        ? "memory size must be at most 65536 pages (4GiB)"
        : "table size must be at most 2^32-1",
      at,
      undefined,
      "limits",
    );
  }
  if (l.max !== undefined && l.min > l.max) {
    invalid("size minimum must not be greater than maximum", at, undefined, "limits");
  }
}

/** Type of a constant expression in context C' (only imported globals visible), checking it. */
function constExprType(c: ModuleContext, e: ConstExpr): ValType {
  switch (e.kind) {
    case "i32.const":
      return "i32";
    case "i64.const":
      return "i64";
    case "f32.const":
      return "f32";
    case "f64.const":
      return "f64";
    case "ref.null":
      return e.refType;
    case "ref.func":
      if (e.index >= c.numFuncs) invalid(`unknown function ${e.index}`, e.offset);
      return "funcref";
    case "global.get": {
      if (e.index >= c.m.numImportedGlobals) invalid(`unknown global ${e.index}`, e.offset);
      const g = c.m.globalTypes[e.index];
      if (g.mutable) invalid("constant expression required", e.offset, undefined, "const-expr");
      return g.type;
    }
  }
}

function checkConstExpr(c: ModuleContext, e: ConstExpr, expected: ValType): void {
  if (constExprType(c, e) !== expected) invalid("type mismatch", e.offset, undefined, "const-expr");
}

/**
 * Validates a decoded module against WebAssembly 2.0 (see the file comment for the one rule left to
 * the subset check). Throws {@link WasmInvalidError} naming the rule, the function index and the
 * byte offset.
 */
export function validateModule(m: WasmModule, _opts: ValidateOptions = {}): void {
  const deferred = deferredInvalid.get(m);
  if (deferred && deferred.length > 0) throw deferred[0];

  const tableTypes: RefType[] = [];
  for (const imp of m.imports) {
    const d = imp.desc;
    if (d.kind === "func") {
      if (d.typeIndex >= m.types.length) invalid(`unknown type ${d.typeIndex}`, imp.offset);
    } else if (d.kind === "table") {
      checkLimits(d.table.limits, 0xffffffff, "table", imp.offset);
      tableTypes.push(d.table.refType);
    } else if (d.kind === "memory") {
      checkLimits(d.memory.limits, MAX_PAGES, "memory", imp.offset);
    }
  }
  for (const t of m.tables) {
    checkLimits(t.limits, 0xffffffff, "table", t.offset);
    tableTypes.push(t.refType);
  }
  for (const mem of m.memories) checkLimits(mem.limits, MAX_PAGES, "memory", mem.offset);

  const numFuncs = m.funcTypeIndices.length;
  for (const f of m.funcs) {
    if (f.typeIndex >= m.types.length) invalid(`unknown type ${f.typeIndex}`, f.offset, f.index);
  }

  // C.refs: function indices referenced outside function bodies (elements, globals, exports).
  const refs = new Set<number>();
  for (const g of m.globals) if (g.init.kind === "ref.func") refs.add(g.init.index);
  for (const e of m.elems) for (const x of e.init) if (x.kind === "ref.func") refs.add(x.index);
  for (const x of m.exports) if (x.kind === "func") refs.add(x.index);

  const c: ModuleContext = {
    m,
    numFuncs,
    numTables: tableTypes.length,
    numMemories: m.numImportedMemories + m.memories.length,
    numGlobals: m.globalTypes.length,
    tableTypes,
    refs,
  };

  for (const g of m.globals) checkConstExpr(c, g.init, g.type);

  const names = new Set<string>();
  for (const x of m.exports) {
    if (names.has(x.name)) invalid(`duplicate export name "${x.name}"`, x.offset, undefined, "export");
    names.add(x.name);
    const limit =
      x.kind === "func"
        ? c.numFuncs
        : x.kind === "table"
          ? c.numTables
          : x.kind === "memory"
            ? c.numMemories
            : c.numGlobals;
    if (x.index >= limit) invalid(`unknown ${x.kind} ${x.index}`, x.offset, undefined, "export");
  }

  if (m.start !== undefined) {
    if (m.start >= numFuncs) invalid(`unknown function ${m.start}`, undefined, undefined, "start");
    const t = funcType(m, m.start);
    if (t.params.length !== 0 || t.results.length !== 0) {
      invalid("start function must have type [] -> []", undefined, m.start, "start");
    }
  }

  for (const e of m.elems) {
    if (e.mode === "active") {
      if (e.table >= c.numTables) invalid(`unknown table ${e.table}`, e.offset, undefined, "elem");
      if (e.offsetExpr) checkConstExpr(c, e.offsetExpr, "i32");
      if (tableTypes[e.table] !== e.refType) invalid("type mismatch", e.offset, undefined, "elem");
    }
    for (const x of e.init) checkConstExpr(c, x, e.refType);
  }

  for (const d of m.datas) {
    if (d.mode === "active") {
      if (d.memory >= c.numMemories) invalid(`unknown memory ${d.memory}`, d.offset, undefined, "data");
      if (d.offsetExpr) checkConstExpr(c, d.offsetExpr, "i32");
    }
  }

  for (const f of m.funcs) validateFunction(c, f.index, f.locals, f.body);
}

function validateFunction(c: ModuleContext, funcIndex: number, declared: ValType[], body: Instr[]): void {
  const m = c.m;
  const ft = funcType(m, funcIndex);
  const locals: ValType[] = ft.params.concat(declared);
  const vals: VT[] = [];
  const ctrls: Ctrl[] = [];
  let ins: Instr = body[0];

  const fail = (reason: string, feature = "type-check"): never =>
    invalid(reason, ins.offset, funcIndex, feature);

  const popAny = (): VT => {
    const top = ctrls[ctrls.length - 1];
    if (vals.length === top.height) {
      if (top.unreachable) return "unknown";
      fail(`type mismatch: ${opName(ins.op)} expects an operand but the stack is empty`);
    }
    return vals.pop() as VT;
  };
  const pop = (expect: VT): VT => {
    const actual = popAny();
    if (actual !== expect && actual !== "unknown" && expect !== "unknown") {
      fail(`type mismatch: ${opName(ins.op)} expects ${expect} but got ${actual}`);
    }
    return actual;
  };
  const popVals = (types: readonly ValType[]): VT[] => {
    const popped = new Array<VT>(types.length);
    for (let i = types.length - 1; i >= 0; i--) popped[i] = pop(types[i]);
    return popped;
  };
  const pushVals = (types: readonly VT[]): void => {
    for (let i = 0; i < types.length; i++) vals.push(types[i]);
  };
  const pushCtrl = (op: number, start: readonly ValType[], end: readonly ValType[]): void => {
    ctrls.push({ op, start, end, height: vals.length, unreachable: false });
    pushVals(start);
  };
  const popCtrl = (): Ctrl => {
    if (ctrls.length === 0) fail("unexpected end");
    const frame = ctrls[ctrls.length - 1];
    popVals(frame.end);
    if (vals.length !== frame.height) fail("type mismatch: values remain on the stack at the end of a block");
    ctrls.pop();
    return frame;
  };
  const labelTypes = (f: Ctrl): readonly ValType[] => (f.op === Op.Loop ? f.start : f.end);
  const label = (depth: number): Ctrl => {
    if (depth >= ctrls.length) fail(`unknown label ${depth}`, "label");
    return ctrls[ctrls.length - 1 - depth];
  };
  const setUnreachable = (): void => {
    const top = ctrls[ctrls.length - 1];
    vals.length = top.height;
    top.unreachable = true;
  };
  const needMemory = (): void => {
    if (c.numMemories === 0) fail("unknown memory 0", "memory");
  };
  const tableType = (index: number): RefType => {
    if (index >= c.numTables) fail(`unknown table ${index}`, "table");
    return c.tableTypes[index];
  };
  const elemType = (index: number): RefType => {
    if (index >= m.elems.length) fail(`unknown elem segment ${index}`, "elem");
    return m.elems[index].refType;
  };
  const blockSig = (bt: BlockType): FuncType => {
    if (bt.kind === "type" && bt.index >= m.types.length) fail(`unknown type ${bt.index}`, "block-type");
    return blockSignature(m, bt);
  };

  pushCtrl(-1, EMPTY, ft.results);

  for (let pc = 0; pc < body.length; pc++) {
    ins = body[pc];
    const op = ins.op;
    if (ctrls.length === 0) fail("operators remaining after the end of the function");
    switch (op) {
      case Op.Unreachable:
        setUnreachable();
        break;
      case Op.Nop:
        break;
      case Op.Block:
      case Op.Loop: {
        const sig = blockSig(ins.blockType as BlockType);
        popVals(sig.params);
        pushCtrl(op, sig.params, sig.results);
        break;
      }
      case Op.If: {
        const sig = blockSig(ins.blockType as BlockType);
        pop("i32");
        popVals(sig.params);
        pushCtrl(op, sig.params, sig.results);
        break;
      }
      case Op.Else: {
        const frame = popCtrl();
        if (frame.op !== Op.If) fail("else without matching if", "structure");
        pushCtrl(Op.Else, frame.start, frame.end);
        break;
      }
      case Op.End: {
        let frame = popCtrl();
        if (frame.op === Op.If) {
          // An `if` without `else` behaves as if it had an empty else branch: [t1*] -> [t2*] must hold.
          pushCtrl(Op.Else, frame.start, frame.end);
          frame = popCtrl();
        }
        pushVals(frame.end);
        break;
      }
      case Op.Br:
        popVals(labelTypes(label(ins.depth as number)));
        setUnreachable();
        break;
      case Op.BrIf: {
        pop("i32");
        const lt = labelTypes(label(ins.depth as number));
        popVals(lt);
        pushVals(lt);
        break;
      }
      case Op.BrTable: {
        pop("i32");
        const def = labelTypes(label(ins.defaultTarget as number));
        const arity = def.length;
        for (const t of ins.targets as number[]) {
          const lt = labelTypes(label(t));
          if (lt.length !== arity) fail("type mismatch: br_table targets have different arities");
          pushVals(popVals(lt));
        }
        popVals(def);
        setUnreachable();
        break;
      }
      case Op.Return:
        popVals(ft.results);
        setUnreachable();
        break;
      case Op.Call: {
        const fi = ins.index as number;
        if (fi >= c.numFuncs) fail(`unknown function ${fi}`, "index");
        const t = funcType(m, fi);
        popVals(t.params);
        pushVals(t.results);
        break;
      }
      case Op.CallIndirect: {
        if (tableType(ins.table as number) !== "funcref")
          fail("type mismatch: call_indirect on a non-funcref table");
        const ti = ins.index as number;
        if (ti >= m.types.length) fail(`unknown type ${ti}`, "index");
        const t = m.types[ti];
        pop("i32");
        popVals(t.params);
        pushVals(t.results);
        break;
      }
      case Op.Drop:
        popAny();
        break;
      case Op.Select: {
        pop("i32");
        const t1 = popAny();
        const t2 = popAny();
        if (!isNum(t1) || !isNum(t2)) fail("type mismatch: untyped select needs numeric operands");
        if (t1 !== t2 && t1 !== "unknown" && t2 !== "unknown") fail("type mismatch: select operands differ");
        vals.push(t1 === "unknown" ? t2 : t1);
        break;
      }
      case Op.SelectT: {
        const ts = ins.types as ValType[];
        if (ts.length !== 1) fail("invalid result arity", "select");
        pop("i32");
        pop(ts[0]);
        pop(ts[0]);
        vals.push(ts[0]);
        break;
      }
      case Op.LocalGet:
      case Op.LocalSet:
      case Op.LocalTee: {
        const li = ins.index as number;
        if (li >= locals.length) fail(`unknown local ${li}`, "index");
        const t = locals[li];
        if (op === Op.LocalGet) vals.push(t);
        else {
          pop(t);
          if (op === Op.LocalTee) vals.push(t);
        }
        break;
      }
      case Op.GlobalGet:
      case Op.GlobalSet: {
        const gi = ins.index as number;
        if (gi >= c.numGlobals) fail(`unknown global ${gi}`, "index");
        const g = m.globalTypes[gi];
        if (op === Op.GlobalGet) vals.push(g.type);
        else {
          if (!g.mutable) fail(`global is immutable: global.set of global ${gi}`, "global");
          pop(g.type);
        }
        break;
      }
      case Op.TableGet: {
        const t = tableType(ins.index as number);
        pop("i32");
        vals.push(t);
        break;
      }
      case Op.TableSet: {
        const t = tableType(ins.index as number);
        pop(t);
        pop("i32");
        break;
      }
      case Op.TableSize:
        tableType(ins.index as number);
        vals.push("i32");
        break;
      case Op.TableGrow: {
        const t = tableType(ins.index as number);
        pop("i32");
        pop(t);
        vals.push("i32");
        break;
      }
      case Op.TableFill: {
        const t = tableType(ins.index as number);
        pop("i32");
        pop(t);
        pop("i32");
        break;
      }
      case Op.TableCopy: {
        const dst = tableType(ins.table as number);
        const src = tableType(ins.srcTable as number);
        if (dst !== src) fail("type mismatch: table.copy between tables of different types");
        pop("i32");
        pop("i32");
        pop("i32");
        break;
      }
      case Op.TableInit: {
        const t = tableType(ins.table as number);
        if (elemType(ins.index as number) !== t) fail("type mismatch: table.init segment type");
        pop("i32");
        pop("i32");
        pop("i32");
        break;
      }
      case Op.ElemDrop:
        elemType(ins.index as number);
        break;
      case Op.MemoryInit:
      case Op.DataDrop: {
        if (op === Op.MemoryInit) needMemory();
        const di = ins.index as number;
        if (m.dataCount === undefined || di >= m.dataCount) fail(`unknown data segment ${di}`, "index");
        if (op === Op.MemoryInit) {
          pop("i32");
          pop("i32");
          pop("i32");
        }
        break;
      }
      case Op.RefNull:
        vals.push(ins.refType as RefType);
        break;
      case Op.RefIsNull: {
        const t = popAny();
        if (!isRef(t)) fail("type mismatch: ref.is_null needs a reference");
        vals.push("i32");
        break;
      }
      case Op.RefFunc: {
        const fi = ins.index as number;
        if (fi >= c.numFuncs) fail(`unknown function ${fi}`, "index");
        if (!c.refs.has(fi)) fail(`undeclared function reference ${fi}`, "reference-types");
        vals.push("funcref");
        break;
      }
      default: {
        const info = op < 0x100 ? SINGLE_BYTE[op] : OPCODES.get(op);
        if (!info || !info.sig) return fail(`unknown operator ${opName(op)}`);
        if (info.natAlign !== undefined) {
          needMemory();
          if ((ins.align as number) > info.natAlign) {
            fail("alignment must not be larger than natural", "alignment");
          }
        } else if (info.imm === "memory" || info.imm === "memory_copy") {
          needMemory();
        }
        popVals(info.sig.params);
        pushVals(info.sig.results);
      }
    }
  }
  if (ctrls.length !== 0) fail("function body does not end its blocks", "structure");
}

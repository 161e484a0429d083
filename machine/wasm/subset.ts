/**
 * The Holoproof subset check: refuses, with a {@link WasmSubsetError} naming the feature and where it
 * is used, every valid WebAssembly module that the machine does not run. See README.md for the
 * subset and the reasons. Run it on a *validated* module (`loadWasm` does): it relies on indices
 * being in range.
 */
import { WasmSubsetError } from "./errors";
import { Op, OPCODES, opName, SINGLE_BYTE } from "./opcodes";
import type {
  BlockType,
  ExternKind,
  FuncType,
  GlobalType,
  Import,
  Limits,
  RefType,
  ValType,
  WasmModule,
} from "./types";

/** One import the host provides. Optional fields, when given, must match the import. */
export type AllowedImport =
  | { module: string; name: string; kind: "func"; params: readonly ValType[]; results: readonly ValType[] }
  | { module: string; name: string; kind: "global"; type: ValType; mutable: boolean }
  | { module: string; name: string; kind: "memory"; limits?: Limits }
  | { module: string; name: string; kind: "table"; refType?: RefType; limits?: Limits };

/**
 * The imports a caller accepts: a list (matched by module, name, kind and type; for memories and
 * tables, the provided limits must satisfy the declared ones as in WebAssembly import matching), or
 * a predicate.
 */
export type AllowedImports = readonly AllowedImport[] | ((imp: Import, m: WasmModule) => boolean);

/** Options of {@link checkSubset}. */
export interface SubsetOptions {
  /** Imports the host provides (the host ABI). Default: none, so any import is refused. */
  allowedImports?: AllowedImports;
  /**
   * Memory limit in 64 KiB pages: a memory whose minimum or declared maximum is larger is refused.
   * A memory without a maximum is accepted; the machine must then make `memory.grow` fail beyond
   * this limit. Default 65536 (no limit beyond WebAssembly's).
   */
  maxMemoryPages?: number;
  /** Refuse a memory without a declared maximum. Default false. */
  requireMemoryMax?: boolean;
  /** Table limit in elements, like `maxMemoryPages`. Default 2^32 - 1 (no limit). */
  maxTableSize?: number;
}

/** The feature a value type needs beyond the subset, if any. */
function typeFeature(t: ValType): string | undefined {
  if (t === "f32" || t === "f64") return "float";
  if (t === "funcref" || t === "externref") return "reference-types";
  return undefined;
}

function firstBad(types: readonly ValType[]): ValType | undefined {
  return types.find((t) => typeFeature(t) !== undefined);
}

/** "a"/"an" + type, as read aloud: an i32, an f64, an externref, a funcref. */
function an(t: string): string {
  return `${t === "funcref" ? "a" : "an"} ${t}`;
}

function sigText(t: FuncType): string {
  return `[${t.params.join(" ")}] -> [${t.results.join(" ")}]`;
}

function describeImport(imp: Import, m: WasmModule): string {
  const d = imp.desc;
  const where = `"${imp.module}"."${imp.name}"`;
  switch (d.kind) {
    case "func": {
      const t = m.types[d.typeIndex];
      return `import ${where} (func ${t ? sigText(t) : `type ${d.typeIndex}`})`;
    }
    case "global":
      return `import ${where} (global ${d.global.mutable ? "mut " : ""}${d.global.type})`;
    case "memory":
      return `import ${where} (memory)`;
    case "table":
      return `import ${where} (table ${d.table.refType})`;
  }
}

/** Does a provided limit satisfy a declared one (WebAssembly import matching of limits)? */
function limitsMatch(provided: Limits, declared: Limits): boolean {
  if (provided.min < declared.min) return false;
  if (declared.max === undefined) return true;
  return provided.max !== undefined && provided.max <= declared.max;
}

function sameTypes(a: readonly ValType[], b: readonly ValType[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

/** Does `imp` match the allowed import `a`? */
export function importMatches(a: AllowedImport, imp: Import, m: WasmModule): boolean {
  if (a.module !== imp.module || a.name !== imp.name || a.kind !== (imp.desc.kind as ExternKind))
    return false;
  const d = imp.desc;
  switch (a.kind) {
    case "func": {
      if (d.kind !== "func") return false;
      const t = m.types[d.typeIndex];
      return t !== undefined && sameTypes(a.params, t.params) && sameTypes(a.results, t.results);
    }
    case "global":
      return d.kind === "global" && d.global.type === a.type && d.global.mutable === a.mutable;
    case "memory":
      return d.kind === "memory" && (a.limits === undefined || limitsMatch(a.limits, d.memory.limits));
    case "table":
      return (
        d.kind === "table" &&
        (a.refType === undefined || a.refType === d.table.refType) &&
        (a.limits === undefined || limitsMatch(a.limits, d.table.limits))
      );
  }
}

function isAllowed(imp: Import, m: WasmModule, allowed: AllowedImports | undefined): boolean {
  if (allowed === undefined) return false;
  if (typeof allowed === "function") return allowed(imp, m);
  return allowed.some((a) => importMatches(a, imp, m));
}

/**
 * Refuses a validated module that uses anything outside the Holoproof subset (README.md), with a
 * {@link WasmSubsetError} naming the construct, the feature, and (where it applies) the function
 * index and byte offset.
 */
export function checkSubset(m: WasmModule, opts: SubsetOptions = {}): void {
  const maxPages = opts.maxMemoryPages ?? 65536;
  const maxTable = opts.maxTableSize ?? 0xffffffff;
  const refuse = (what: string, feature: string, byteOffset?: number, functionIndex?: number): never => {
    throw new WasmSubsetError(what, feature, { byteOffset, functionIndex });
  };
  const checkSig = (t: FuncType, functionIndex: number, at: number | undefined): void => {
    const p = firstBad(t.params);
    if (p) refuse(`${an(p)} parameter`, typeFeature(p) as string, at, functionIndex);
    const r = firstBad(t.results);
    if (r) refuse(`${an(r)} result`, typeFeature(r) as string, at, functionIndex);
  };
  const checkGlobalType = (g: GlobalType, what: string, at: number | undefined): void => {
    const f = typeFeature(g.type);
    if (f) refuse(`${what} of type ${g.type}`, f, at);
  };

  // Imports: the host ABI only.
  let funcIndex = 0;
  let tables = 0;
  let memories = 0;
  const checkMemory = (l: Limits, at: number | undefined): void => {
    if (++memories > 1) refuse("a second memory", "multi-memory", at);
    if (l.min > maxPages)
      refuse(`a memory of at least ${l.min} pages (limit ${maxPages})`, "memory-limit", at);
    if (l.max !== undefined && l.max > maxPages) {
      refuse(`a memory of up to ${l.max} pages (limit ${maxPages})`, "memory-limit", at);
    }
    if (l.max === undefined && opts.requireMemoryMax) {
      refuse("a memory without a maximum size", "memory-limit", at);
    }
  };
  const checkTable = (refType: RefType, l: Limits, at: number | undefined): void => {
    if (++tables > 1) refuse("a second table", "multi-table", at);
    if (refType !== "funcref") refuse(`${an(refType)} table`, "reference-types", at);
    if (l.min > maxTable)
      refuse(`a table of at least ${l.min} elements (limit ${maxTable})`, "table-limit", at);
    if (l.max !== undefined && l.max > maxTable) {
      refuse(`a table of up to ${l.max} elements (limit ${maxTable})`, "table-limit", at);
    }
  };
  for (const imp of m.imports) {
    if (!isAllowed(imp, m, opts.allowedImports)) refuse(describeImport(imp, m), "import", imp.offset);
    const d = imp.desc;
    switch (d.kind) {
      case "func":
        checkSig(m.types[d.typeIndex], funcIndex, imp.offset);
        funcIndex++;
        break;
      case "global":
        checkGlobalType(d.global, `an imported global`, imp.offset);
        break;
      case "memory":
        checkMemory(d.memory.limits, imp.offset);
        break;
      case "table":
        checkTable(d.table.refType, d.table.limits, imp.offset);
        break;
    }
  }
  for (const t of m.tables) checkTable(t.refType, t.limits, t.offset);
  for (const mem of m.memories) checkMemory(mem.limits, mem.offset);

  // Defined functions: signature, locals, instructions.
  const blockTypeBad = (bt: BlockType): ValType | undefined => {
    if (bt.kind === "val") return typeFeature(bt.type) ? bt.type : undefined;
    if (bt.kind === "type") {
      const t = m.types[bt.index];
      return firstBad(t.params) ?? firstBad(t.results);
    }
    return undefined;
  };
  for (const f of m.funcs) {
    const fi = f.index;
    checkSig(m.types[f.typeIndex], fi, m.types[f.typeIndex].offset ?? f.offset);
    const l = firstBad(f.locals);
    if (l) refuse(`${an(l)} local`, typeFeature(l) as string, f.offset, fi);
    for (const ins of f.body) {
      const op = ins.op;
      const info = op < 0x100 ? SINGLE_BYTE[op] : OPCODES.get(op);
      if (info?.subset) refuse(info.name, info.subset, ins.offset, fi);
      switch (op) {
        case Op.Block:
        case Op.Loop:
        case Op.If: {
          const bad = blockTypeBad(ins.blockType as BlockType);
          if (bad)
            refuse(`${opName(op)} with ${an(bad)} block type`, typeFeature(bad) as string, ins.offset, fi);
          break;
        }
        case Op.SelectT: {
          const bad = firstBad(ins.types as ValType[]);
          if (bad) refuse(`select of ${bad}`, typeFeature(bad) as string, ins.offset, fi);
          break;
        }
        case Op.CallIndirect: {
          const t = m.types[ins.index as number];
          const bad = firstBad(t.params) ?? firstBad(t.results);
          if (bad)
            refuse(`call_indirect with ${an(bad)} signature`, typeFeature(bad) as string, ins.offset, fi);
          break;
        }
      }
    }
  }

  // Globals (float or reference-typed globals), element segments.
  m.globals.forEach((g, i) => checkGlobalType(g, `global ${m.numImportedGlobals + i}`, g.offset));
  for (const e of m.elems) {
    if (e.refType !== "funcref") refuse(`${an(e.refType)} element segment`, "reference-types", e.offset);
    for (const x of e.init) {
      if (x.kind !== "ref.func" && x.kind !== "ref.null") {
        refuse(`${x.kind} in an element segment`, "reference-types", x.offset);
      }
    }
  }

  // Finally, types nothing above used (an unused float signature is still refused).
  m.types.forEach((t, i) => {
    const bad = firstBad(t.params) ?? firstBad(t.results);
    if (bad) refuse(`${bad} in the signature of type ${i}`, typeFeature(bad) as string, t.offset);
  });
}

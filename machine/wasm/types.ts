/**
 * The intermediate representation (IR) of a decoded WebAssembly module.
 *
 * `decodeModule` produces a {@link WasmModule}; `validateModule` checks it against the WebAssembly 2.0
 * validation rules; `checkSubset` refuses what the Holoproof machine does not run. After
 * `loadWasm` returns, a module is well-formed, valid and inside the subset (see README.md), so a
 * consumer (the flattener) may rely on every invariant documented here.
 *
 * Stability: these types are frozen. Later changes are additive only (new optional fields or new
 * union members for features still refused by the subset check).
 *
 * Offsets: every `offset` field is a byte offset into the module binary given to `decodeModule`, so
 * errors anywhere downstream can say "function index N, byte offset 0xABC".
 */

/** A numeric value type. `f32`/`f64` decode and validate, but the subset check refuses them. */
export type NumType = "i32" | "i64" | "f32" | "f64";

/** A reference type (WebAssembly 2.0). Only `funcref` tables are in the subset; see README.md. */
export type RefType = "funcref" | "externref";

/** Any value type the decoder understands (`v128` is refused by the decoder as SIMD). */
export type ValType = NumType | RefType;

/** A function signature (an entry of the type section). */
export interface FuncType {
  params: ValType[];
  results: ValType[];
  /** Byte offset of the entry (its 0x60 form byte) when decoded from a binary. */
  offset?: number;
}

/** Size limits of a memory (in 64 KiB pages) or a table (in elements). */
export interface Limits {
  min: number;
  /** Absent when the module declares no maximum. */
  max?: number;
}

/** The type of a table: element reference type plus limits. */
export interface TableType {
  refType: RefType;
  limits: Limits;
  /** Byte offset of the table type (its reference type byte) when decoded from a binary. */
  offset?: number;
}

/** The type of a linear memory: limits in pages. (Shared and 64-bit memories are refused at decode.) */
export interface MemType {
  limits: Limits;
  /** Byte offset of the memory type (its limits flags byte) when decoded from a binary. */
  offset?: number;
}

/** The type of a global: value type and mutability. */
export interface GlobalType {
  type: ValType;
  mutable: boolean;
}

/** What an import brings in. */
export type ImportDesc =
  | { kind: "func"; typeIndex: number }
  | { kind: "table"; table: TableType }
  | { kind: "memory"; memory: MemType }
  | { kind: "global"; global: GlobalType };

/** One entry of the import section. */
export interface Import {
  module: string;
  name: string;
  desc: ImportDesc;
  /** Byte offset of the entry (its module-name length field). */
  offset: number;
}

/** The kind of an export or import. */
export type ExternKind = "func" | "table" | "memory" | "global";

/** One entry of the export section. `index` is in the kind's index space (imports first). */
export interface Export {
  name: string;
  kind: ExternKind;
  index: number;
  /** Byte offset of the entry (its name length field). */
  offset: number;
}

/**
 * A constant expression (global initialisers, segment offsets, element items). WebAssembly 2.0
 * allows exactly one instruction followed by `end`, so the expression is represented by that
 * instruction, already decoded. `global.get` may refer only to an imported global (checked by the
 * validator); its value is known only at instantiation, so it stays unresolved here.
 */
export type ConstExpr = (
  | { kind: "i32.const"; value: number /** signed 32-bit */ }
  | { kind: "i64.const"; value: bigint /** signed 64-bit */ }
  | { kind: "f32.const"; bits: number /** raw IEEE-754 bits, unsigned 32-bit */ }
  | { kind: "f64.const"; bits: bigint /** raw IEEE-754 bits, unsigned 64-bit */ }
  | { kind: "global.get"; index: number }
  | { kind: "ref.null"; refType: RefType }
  | { kind: "ref.func"; index: number }
) & {
  /** Byte offset of the expression's (single) instruction. */
  offset: number;
};

/** A global defined by the module (imported globals live in `imports`). */
export interface Global {
  type: ValType;
  mutable: boolean;
  init: ConstExpr;
  /** Byte offset of the global's type byte. */
  offset: number;
}

/**
 * An element segment.
 * - `active`: copied into table `table` at `offsetExpr` during instantiation;
 * - `passive`: available to `table.init` (refused by the subset, so passive segments are inert);
 * - `declarative`: only declares functions for `ref.func` (inert at run time).
 */
export interface Elem {
  mode: "active" | "passive" | "declarative";
  /** The target table of an active segment (0 in the subset); 0 for other modes. */
  table: number;
  /** The offset expression of an active segment (an i32 constant expression). */
  offsetExpr?: ConstExpr;
  refType: RefType;
  /** The items, each a constant expression (the func-index encodings become `ref.func`). */
  init: ConstExpr[];
  /**
   * The items resolved to function indices (`null` for `ref.null`), present when every item is a
   * `ref.func` or a `ref.null` — always the case after the subset check.
   */
  funcIndices?: (number | null)[];
  /** Byte offset of the segment (its flags field). */
  offset: number;
}

/** A data segment. */
export interface Data {
  mode: "active" | "passive";
  /** The target memory of an active segment (always 0 in 2.0); 0 for passive. */
  memory: number;
  /** The offset expression of an active segment (an i32 constant expression). */
  offsetExpr?: ConstExpr;
  bytes: Uint8Array;
  /** Byte offset of the segment (its flags field). */
  offset: number;
  /** Byte offset of the first data byte. */
  bytesOffset: number;
}

/**
 * The block type of `block`, `loop` and `if`: empty (`[] -> []`), one result value type
 * (`[] -> [t]`), or a type index (multi-value: `params -> results` of that function type).
 */
export type BlockType = { kind: "empty" } | { kind: "val"; type: ValType } | { kind: "type"; index: number };

/**
 * One decoded instruction, in structured form exactly as it appears in the binary.
 *
 * `op` is an opcode id from `Op` in `opcodes.ts` (single-byte opcodes have their byte as id;
 * `0xFC`-prefixed ones have id `0xFC00 | subopcode`). Which immediate fields are set depends on the
 * opcode (see `OPCODES[op].imm` in `opcodes.ts`); absent fields are `undefined`:
 *
 * | immediate kind | opcodes | fields |
 * | --- | --- | --- |
 * | `block` | block, loop, if | `blockType`, `endIndex`, and for `if` `elseIndex` (when it has one) |
 * | `label` | br, br_if | `depth` (relative label index) |
 * | `br_table` | br_table | `targets`, `defaultTarget` |
 * | `func` | call, ref.func | `index` (function index, imports first) |
 * | `call_indirect` | call_indirect | `index` (type index), `table` (table index) |
 * | `local` | local.get/set/tee | `index` (local index, params first) |
 * | `global` | global.get/set | `index` (global index, imports first) |
 * | `memarg` | loads and stores | `align` (log2 of the alignment), `memOffset` (u32 offset) |
 * | `memory` | memory.size/grow/fill | none (the reserved memory byte is checked to be 0) |
 * | `i32`/`i64`/`f32`/`f64` | *.const | `value`: i32 → signed 32-bit `number`; i64 → signed 64-bit `bigint`; f32 → raw bits as unsigned 32-bit `number`; f64 → raw bits as unsigned 64-bit `bigint` |
 * | `select_t` | select with types (0x1C) | `types` |
 * | `ref_null` | ref.null | `refType` |
 * | `data` | memory.init, data.drop | `index` (data index) |
 * | `memory_copy` | memory.copy | none (both reserved bytes checked to be 0) |
 * | `elem` | elem.drop | `index` (elem index) |
 * | `table` | table.get/set/size/grow/fill | `index` (table index) |
 * | `table_init` | table.init | `index` (elem index), `table` (table index) |
 * | `table_copy` | table.copy | `table` (destination), `srcTable` (source) |
 *
 * Structure: `endIndex` / `elseIndex` are indices into the same `Func.body` array, pointing at the
 * matching `end` / `else` instruction. The body's last instruction is the function's final `end`.
 */
export interface Instr {
  /** Opcode id (`Op.*` in opcodes.ts). */
  op: number;
  /** Byte offset of the instruction's first byte (the opcode or its 0xFC prefix). */
  offset: number;
  blockType?: BlockType;
  /** For block/loop/if: index in `body` of the matching `end`. */
  endIndex?: number;
  /** For if: index in `body` of the matching `else`, if there is one. */
  elseIndex?: number;
  /** For br/br_if: relative label depth. */
  depth?: number;
  /** For br_table: the label depths of the table. */
  targets?: number[];
  /** For br_table: the default label depth. */
  defaultTarget?: number;
  /** Function / type / local / global / data / elem / table index, depending on `op`. */
  index?: number;
  /** Table index of call_indirect / table.init, destination table of table.copy. */
  table?: number;
  /** Source table of table.copy. */
  srcTable?: number;
  /** log2 of the alignment of a load/store. */
  align?: number;
  /** Static offset of a load/store (u32). */
  memOffset?: number;
  /** Constant of *.const (see the table above for the representation). */
  value?: number | bigint;
  /** Value types of a typed `select`. */
  types?: ValType[];
  /** Reference type of `ref.null`. */
  refType?: RefType;
}

/** A function defined by the module (imported functions live in `imports`). */
export interface Func {
  /** Absolute function index (imported functions come first). */
  index: number;
  /** Index into `WasmModule.types`. */
  typeIndex: number;
  /** The declared locals, expanded one entry per local (parameters NOT included). */
  locals: ValType[];
  /** The instructions, ending with the function's final `end`. */
  body: Instr[];
  /** Byte offset of the code entry (its size field). */
  offset: number;
  /** Byte offset of the first instruction. */
  bodyOffset: number;
  /** Byte offset just past the final `end`. */
  endOffset: number;
}

/** A custom section (contents ignored; its name must be valid UTF-8). */
export interface CustomSection {
  name: string;
  /** Byte offset of the section id byte. */
  offset: number;
  /** Size of the section payload in bytes. */
  size: number;
}

/** A decoded module. */
export interface WasmModule {
  /** The type section. */
  types: FuncType[];
  /** The import section, in order. */
  imports: Import[];
  /** Defined functions (absolute index = `numImportedFuncs + position`). */
  funcs: Func[];
  /** Defined tables (absolute index = `numImportedTables + position`). */
  tables: TableType[];
  /** Defined memories (absolute index = `numImportedMemories + position`). */
  memories: MemType[];
  /** Defined globals (absolute index = `numImportedGlobals + position`). */
  globals: Global[];
  exports: Export[];
  /** Start function index, if any. */
  start?: number;
  elems: Elem[];
  datas: Data[];
  /** The data count section's value, if the section is present. */
  dataCount?: number;
  customSections: CustomSection[];
  numImportedFuncs: number;
  numImportedTables: number;
  numImportedMemories: number;
  numImportedGlobals: number;
  /**
   * Type index of every function, imported and defined, in function index order (so
   * `types[funcTypeIndices[i]]` is the signature of function `i`).
   */
  funcTypeIndices: number[];
  /** Type of every global, imported and defined, in global index order. */
  globalTypes: GlobalType[];
  /** Table 0 (imported or defined), if any. After `checkSubset` it is the only table, a funcref one. */
  table?: TableType;
  /** Memory 0 (imported or defined), if any. After `checkSubset` it is the only memory. */
  memory?: MemType;
  /** Length of the module binary in bytes. */
  byteLength: number;
}

/**
 * The module image: the flattened code with its code tree, the table with its tree, and the module root
 * (docs/machine.md §3), plus the decoded per-instruction arrays the interpreter runs.
 */
import type { FlatProgram } from "../flatten";
import { LAYOUT } from "../spec";
import { ByteWriter, keccak } from "./hash";
import { buildLevels, pathFromLevels } from "./merkle";
import { TAG } from "./tags";
import type { TableEntry } from "../interp/semantics";

/** The fields whose hash is the module root, in hashing order. */
export interface ModuleFields {
  codeRoot: Uint8Array;
  codeLength: number;
  tableRoot: Uint8Array;
  tableLength: number;
  globalsCount: number;
  memoryMaxPages: number;
  handleEntryPc: number;
  handleLocals: number;
  dataRoot: Uint8Array;
  dataCount: number;
}

/** A data segment as the proofs see it: its length and the root of its 32-byte chunks. */
export interface DataSegmentInfo {
  length: number;
  chunksRoot: Uint8Array;
}

export function writeModuleFields(w: ByteWriter, f: ModuleFields): ByteWriter {
  return w
    .bytes(f.codeRoot)
    .u32(f.codeLength)
    .bytes(f.tableRoot)
    .u32(f.tableLength)
    .u32(f.globalsCount)
    .u32(f.memoryMaxPages)
    .u32(f.handleEntryPc)
    .u32(f.handleLocals)
    .bytes(f.dataRoot)
    .u32(f.dataCount);
}

/** `keccak("Holo:Data segment:" ‖ length u32 ‖ chunksRoot)`. */
export function dataSegmentLeaf(s: DataSegmentInfo): Uint8Array {
  return keccak(new ByteWriter().bytes(TAG.dataSegment).u32(s.length).bytes(s.chunksRoot).finish());
}

/** The 32-byte chunks of a segment (the last zero-padded). */
export function dataChunks(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off < bytes.length; off += 32) {
    const c = new Uint8Array(32);
    c.set(bytes.subarray(off, off + 32));
    out.push(c);
  }
  return out;
}

export function moduleRootOf(f: ModuleFields): Uint8Array {
  return keccak(writeModuleFields(new ByteWriter().bytes(TAG.module), f).finish());
}

/** `keccak("Holo:Instruction:" ‖ opcode u16 ‖ imm u64 ‖ imm2 u64)`. */
export function instructionLeaf(opcode: number, imm: bigint, imm2: bigint): Uint8Array {
  return keccak(new ByteWriter().bytes(TAG.instruction).u16(opcode).u64(imm).u64(imm2).finish());
}

export const NULL_FUNC = LAYOUT.nullFunctionIndex;

/** `keccak("Holo:Table entry:" ‖ funcIndex ‖ typeId ‖ entryPc ‖ nparams ‖ nlocals)`, all u32. */
export function tableEntryLeaf(e: TableEntry | null): Uint8Array {
  const w = new ByteWriter().bytes(TAG.tableEntry);
  if (e === null) w.u32(NULL_FUNC).u32(0).u32(0).u32(0).u32(0);
  else w.u32(e.funcIndex).u32(e.typeId).u32(e.entryPc).u32(e.nparams).u32(e.nlocals);
  return keccak(w.finish());
}

/** A flattened, Merkleized module, ready to run. */
export interface ModuleImage {
  program: FlatProgram;
  /** Per instruction: opcode, imm and imm2 as numbers (imm2 may lose precision only for i64 data), imm as bigint. */
  ops: Uint16Array;
  immA: Float64Array;
  immB: Float64Array;
  immC: bigint[];
  table: (TableEntry | null)[];
  /** Data segments: bytes, proof info, and chunk paths. */
  data: { bytes: Uint8Array; info: DataSegmentInfo; chunkPath(chunk: number): Uint8Array[] }[];
  /** Sibling path of data segment `i` in the data tree. */
  dataPath(i: number): Uint8Array[];
  fields: ModuleFields;
  moduleRoot: Uint8Array;
  /** Sibling path of instruction `pc` in the code tree. */
  codePath(pc: number): Uint8Array[];
  /** Sibling path of table entry `i`. */
  tablePath(i: number): Uint8Array[];
}

export interface ImageOptions {
  /** Function index of each table slot (null = null entry). */
  table: (number | null)[];
  globalsCount: number;
  memoryMaxPages: number;
  /** Function index of the exported `handle`, if any. */
  handleFunc?: number;
  /** The bytes of every data segment, in order. */
  data: Uint8Array[];
}

export function buildImage(program: FlatProgram, opts: ImageOptions): ModuleImage {
  const n = program.code.length;
  const ops = new Uint16Array(n);
  const immA = new Float64Array(n);
  const immB = new Float64Array(n);
  const immC: bigint[] = new Array(n);
  const leaves: Uint8Array[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const ins = program.code[i];
    ops[i] = ins.opcode;
    immA[i] = Number(ins.imm);
    immB[i] = Number(ins.imm2);
    immC[i] = ins.imm;
    leaves[i] = instructionLeaf(ins.opcode, ins.imm, ins.imm2);
  }
  const codeLevels = buildLevels(TAG.codeNode, leaves);
  const table: (TableEntry | null)[] = opts.table.map((f) => {
    if (f === null) return null;
    const fn = program.funcs[f];
    return { funcIndex: f, typeId: fn.typeId, entryPc: fn.entryPc, nparams: fn.nparams, nlocals: fn.nlocals };
  });
  const tableLevels = buildLevels(TAG.tableNode, table.map(tableEntryLeaf));
  const data = opts.data.map((bytes) => {
    const levels = buildLevels(TAG.dataNode, dataChunks(bytes));
    return {
      bytes,
      info: { length: bytes.length, chunksRoot: levels[levels.length - 1][0] },
      chunkPath: (chunk: number) => pathFromLevels(TAG.dataNode, levels, chunk),
    };
  });
  const dataLevels = buildLevels(
    TAG.dataNode,
    data.map((d) => dataSegmentLeaf(d.info)),
  );
  const handle = opts.handleFunc === undefined ? undefined : program.funcs[opts.handleFunc];
  const fields: ModuleFields = {
    codeRoot: codeLevels[codeLevels.length - 1][0],
    codeLength: n,
    tableRoot: tableLevels[tableLevels.length - 1][0],
    tableLength: table.length,
    globalsCount: opts.globalsCount,
    memoryMaxPages: opts.memoryMaxPages,
    handleEntryPc: handle?.entryPc ?? LAYOUT.noHandleEntryPc,
    handleLocals: handle?.nlocals ?? 0,
    dataRoot: dataLevels[dataLevels.length - 1][0],
    dataCount: data.length,
  };
  return {
    program,
    ops,
    immA,
    immB,
    immC,
    table,
    data,
    dataPath: (i) => pathFromLevels(TAG.dataNode, dataLevels, i),
    fields,
    moduleRoot: moduleRootOf(fields),
    codePath: (pc) => pathFromLevels(TAG.codeNode, codeLevels, pc),
    tablePath: (i) => pathFromLevels(TAG.tableNode, tableLevels, i),
  };
}

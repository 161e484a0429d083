/**
 * Binary rewriting of a checked process module for the V8 host, so that V8 enforces the same memory
 * limit as the machine and the host can snapshot and restore the whole process state:
 *
 * - the memory gets the maximum `min(declared maximum, memory limit)`, so `memory.grow` beyond the
 *   limit returns −1 in V8 exactly as in the machine (docs/machine.md §7);
 * - the memory and every mutable global are exported under reserved names (`__holo_memory`,
 *   `__holo_global_<index>`), so the host can copy them before a message and put them back after an
 *   error.
 *
 * Only the memory and export sections change; the code is untouched. The input must already have
 * passed `loadWasm` (the host calls it first), which guarantees one defined memory at most and no
 * imported globals, tables or memories.
 */
import type { WasmModule } from "../../machine/wasm";

export const MEMORY_EXPORT = "__holo_memory";
export const GLOBAL_EXPORT_PREFIX = "__holo_global_";

/** Order of the non-custom sections in a module (the data count section, 12, sits before code). */
const SECTION_ORDER: Record<number, number> = {
  1: 1,
  2: 2,
  3: 3,
  4: 4,
  5: 5,
  6: 6,
  7: 7,
  8: 8,
  9: 9,
  12: 10,
  10: 11,
  11: 12,
};

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function readUleb(b: Uint8Array, p: number): [value: number, next: number] {
  let v = 0;
  let mul = 1;
  for (;;) {
    const x = b[p++];
    v += (x & 0x7f) * mul;
    if ((x & 0x80) === 0) return [v, p];
    mul *= 128;
  }
}

interface Section {
  id: number;
  /** The whole section, id and size included. */
  bytes: Uint8Array;
  /** Payload start and end within `bytes`. */
  payload: Uint8Array;
}

function sections(bin: Uint8Array): Section[] {
  const out: Section[] = [];
  let p = 8;
  while (p < bin.length) {
    const start = p;
    const id = bin[p++];
    const [size, q] = readUleb(bin, p);
    p = q + size;
    out.push({ id, bytes: bin.subarray(start, p), payload: bin.subarray(q, p) });
  }
  return out;
}

function section(id: number, payload: number[] | Uint8Array): Uint8Array {
  const size = uleb(payload.length);
  const out = new Uint8Array(1 + size.length + payload.length);
  out[0] = id;
  out.set(size, 1);
  out.set(payload, 1 + size.length);
  return out;
}

function name(s: string): number[] {
  const b = new TextEncoder().encode(s);
  return [...uleb(b.length), ...b];
}

export interface PatchResult {
  bytes: Uint8Array;
  /** Absolute indices of the exported mutable globals, in export order. */
  mutableGlobals: number[];
  /** The memory's pages limit as patched (undefined: the module has no memory). */
  memoryMaxPages?: number;
}

/**
 * Rewrites `bin` (already checked as `mod`) as described above. Throws if the memory's minimum exceeds
 * `memoryLimitPages` (the machine cannot instantiate such a module either).
 */
export function patchForHost(bin: Uint8Array, mod: WasmModule, memoryLimitPages: number): PatchResult {
  const mutableGlobals: number[] = [];
  mod.globalTypes.forEach((g, i) => {
    if (g.mutable) mutableGlobals.push(i);
  });
  const reserved = mod.exports.find(
    (e) => e.name === MEMORY_EXPORT || e.name.startsWith(GLOBAL_EXPORT_PREFIX),
  );
  if (reserved) throw new Error(`export name ${reserved.name} is reserved by the host`);

  let memoryMaxPages: number | undefined;
  let memorySection: Uint8Array | undefined;
  if (mod.memory) {
    const { min, max } = mod.memory.limits;
    if (min > memoryLimitPages) {
      throw new Error(`memory of ${min} pages exceeds the limit of ${memoryLimitPages} pages`);
    }
    memoryMaxPages = Math.min(max ?? memoryLimitPages, memoryLimitPages);
    memorySection = section(5, [1, 0x01, ...uleb(min), ...uleb(memoryMaxPages)]);
  }

  const extra: number[][] = [];
  if (mod.memory) extra.push([...name(MEMORY_EXPORT), 0x02, 0]);
  for (const g of mutableGlobals) extra.push([...name(GLOBAL_EXPORT_PREFIX + g), 0x03, ...uleb(g)]);

  const parts: Uint8Array[] = [bin.subarray(0, 8)];
  let exportsWritten = false;
  const writeExports = (existing?: Uint8Array): void => {
    let count = 0;
    let body: Uint8Array = new Uint8Array(0);
    if (existing) {
      const [n, p] = readUleb(existing, 0);
      count = n;
      body = existing.subarray(p);
    }
    const extraBytes = extra.flat();
    const payload = new Uint8Array([...uleb(count + extra.length), ...body, ...extraBytes]);
    parts.push(section(7, payload));
    exportsWritten = true;
  };
  for (const s of sections(bin)) {
    if (s.id === 0) {
      parts.push(s.bytes);
      continue;
    }
    if (!exportsWritten && SECTION_ORDER[s.id] > SECTION_ORDER[7]) writeExports();
    if (s.id === 5 && memorySection) parts.push(memorySection);
    else if (s.id === 7) writeExports(s.payload);
    else parts.push(s.bytes);
  }
  if (!exportsWritten) writeExports();

  const total = parts.reduce((n, p) => n + p.length, 0);
  const bytes = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    bytes.set(p, off);
    off += p.length;
  }
  return { bytes, mutableGlobals, memoryMaxPages };
}

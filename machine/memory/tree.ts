/**
 * MemoryTree: a wasm linear memory together with its incrementally maintained Merkle tree.
 * Hashing rules and proof verification: ./hashing.ts. Design and invariants: ./README.md.
 */
import { LAYOUT } from "../spec";
import { HASH_BYTES, hashTaggedInto, hashTaggedItems } from "../hash/keccak";
import { MemoryGrowError, MemoryOutOfBoundsError } from "./errors";
import {
  type LeafPairProof,
  type LeafProof,
  MEMORY_ADDRESS_SPACE,
  MEMORY_LEAF_BYTES,
  MEMORY_LEAF_COUNT,
  MEMORY_LEAF_TAG,
  MEMORY_NODE_TAG,
  MEMORY_TREE_DEPTH,
  ZERO_HASHES,
  rootAfterLeafPairUpdate,
  rootAfterLeafUpdate,
  verifyLeaf,
  verifyLeafPair,
} from "./hashing";

const DEPTH = MEMORY_TREE_DEPTH;
const LEAF = MEMORY_LEAF_BYTES;
/** Two leaves; the unit of dirtiness. A level-1 node covers one pair. */
const PAIR = 2 * LEAF;
const PAIR_SHIFT = Math.log2(PAIR);
/** Dirty spans longer than this many pairs are recorded as ranges rather than as points. */
const RANGE_THRESHOLD = 32;
/** Ranges are coalesced when this many accumulate between two root computations. */
const MAX_PENDING_RANGES = 4096;
/** Pairs hashed per batch on level 1 (bounded scratch). */
const LEVEL1_BATCH_PAIRS = 2048;
/** Granularity of the zero scan in `fromBytes`. */
const ZERO_SCAN_BYTES = 4096;

export const WASM_PAGE_BYTES: number = LAYOUT.wasmPageBytes;
/** wasm32: at most 65536 pages of 64 KiB. */
export const WASM_MAX_PAGES: number = MEMORY_ADDRESS_SPACE / LAYOUT.wasmPageBytes;

export interface MemoryTreeOptions {
  /** Pages at creation (default 0). */
  readonly initialPages?: number;
  /** The page limit that `grow` may reach (default: the whole 4 GiB address space). */
  readonly maxPages?: number;
  /**
   * Page size in bytes (default: the wasm page, 64 KiB). Only tests and tools change it: a power of two
   * from 64 to 65536. The root depends only on the bytes, never on the page size.
   */
  readonly pageBytes?: number;
}

export type AccessWidth = 1 | 2 | 4 | 8;

/** Nodes stored for level k (1 ≤ k ≤ DEPTH) when `pairs` pairs exist: padded to even, at least 2. */
function levelNodes(k: number, pairs: number): number {
  if (k === DEPTH) return 1;
  const n = Math.ceil(pairs / 2 ** (k - 1));
  return Math.max(2, n + (n & 1));
}

/** Writes `pattern` (32 bytes) repeatedly over arr[from, to) (byte offsets, multiples of 32). */
function fillPattern(arr: Uint8Array, from: number, to: number, pattern: Uint8Array): void {
  if (to <= from) return;
  arr.set(pattern, from);
  let filled = HASH_BYTES;
  while (from + filled < to) {
    const n = Math.min(filled, to - from - filled);
    arr.copyWithin(from + filled, from, from + n);
    filled += n;
  }
}

export class MemoryTree {
  static readonly DEPTH = DEPTH;
  static readonly LEAF_BYTES = LEAF;
  static readonly verifyLeaf = verifyLeaf;
  static readonly rootAfterLeafUpdate = rootAfterLeafUpdate;
  static readonly verifyLeafPair = verifyLeafPair;
  static readonly rootAfterLeafPairUpdate = rootAfterLeafPairUpdate;

  readonly pageBytes: number;
  readonly maxPages: number;

  /** Backing store; [size, capacity) is always zero. */
  private buf: Uint8Array;
  private view: DataView;
  private sizeBytes: number;
  /** levels[k] (1 ≤ k ≤ DEPTH): node hashes of level k, 32 bytes each; levels[0] is unused. */
  private levels: Uint8Array[];

  // Dirty pairs since the last flush: points (deduplicated by a bitset) and ranges [lo, hi).
  private dirtyBits: Uint32Array;
  private points: Uint32Array = new Uint32Array(1024);
  private pointCount = 0;
  private ranges: number[] = [];
  private runs: Uint32Array = new Uint32Array(0);
  private readonly scratch = new Uint8Array(LEVEL1_BATCH_PAIRS * PAIR);

  // Message snapshot (see snapshot()): the pre-snapshot copy of each page written since, saved on the
  // page's first write; `null` for a page that did not exist at the snapshot (it was zero then).
  private snapshotActive = false;
  private snapshotSize = 0;
  private savedPages = new Map<number, Uint8Array | null>();
  private savedFlags: Uint8Array;

  constructor(options: MemoryTreeOptions = {}) {
    const pageBytes = options.pageBytes ?? WASM_PAGE_BYTES;
    if (
      !Number.isInteger(pageBytes) ||
      pageBytes < PAIR ||
      pageBytes > 65536 ||
      pageBytes & (pageBytes - 1)
    ) {
      throw new RangeError(`pageBytes must be a power of two in [${PAIR}, 65536], got ${pageBytes}`);
    }
    const addressPages = MEMORY_ADDRESS_SPACE / pageBytes;
    const maxPages = options.maxPages ?? addressPages;
    if (!Number.isInteger(maxPages) || maxPages < 0 || maxPages > addressPages) {
      throw new RangeError(`maxPages must be an integer in [0, ${addressPages}], got ${maxPages}`);
    }
    const initialPages = options.initialPages ?? 0;
    if (!Number.isInteger(initialPages) || initialPages < 0 || initialPages > maxPages) {
      throw new RangeError(
        `initialPages must be an integer in [0, maxPages = ${maxPages}], got ${initialPages}`,
      );
    }
    this.pageBytes = pageBytes;
    this.maxPages = maxPages;
    this.sizeBytes = initialPages * pageBytes;
    this.savedFlags = new Uint8Array(initialPages);
    this.buf = new Uint8Array(this.sizeBytes);
    this.view = new DataView(this.buf.buffer);
    this.levels = [new Uint8Array(0)];
    for (let k = 1; k <= DEPTH; k++) {
      const level = new Uint8Array(levelNodes(k, this.sizeBytes / PAIR) * HASH_BYTES);
      fillPattern(level, 0, level.length, ZERO_HASHES[k]!);
      this.levels.push(level);
    }
    this.dirtyBits = new Uint32Array(Math.ceil(this.sizeBytes / PAIR / 32));
  }

  /** A tree over a copy of `bytes` (length: a multiple of the page size), hashed from scratch. */
  static fromBytes(bytes: Uint8Array, options: Omit<MemoryTreeOptions, "initialPages"> = {}): MemoryTree {
    const pageBytes = options.pageBytes ?? WASM_PAGE_BYTES;
    if (bytes.length % pageBytes !== 0) {
      throw new RangeError(
        `fromBytes: ${bytes.length} bytes is not a whole number of ${pageBytes}-byte pages`,
      );
    }
    const tree = new MemoryTree({ ...options, initialPages: bytes.length / pageBytes });
    tree.buf.set(bytes);
    tree.markNonZero(0, bytes.length);
    tree.flush();
    return tree;
  }

  /** A deep copy of the bytes, hashes and limits (not of the snapshot: the copy has none). */
  clone(): MemoryTree {
    this.flush();
    const copy = new MemoryTree({ pageBytes: this.pageBytes, maxPages: this.maxPages });
    copy.buf = this.buf.slice();
    copy.view = new DataView(copy.buf.buffer);
    copy.sizeBytes = this.sizeBytes;
    copy.levels = this.levels.map((level) => level.slice());
    copy.dirtyBits = new Uint32Array(this.dirtyBits.length);
    copy.savedFlags = new Uint8Array(this.savedFlags.length);
    return copy;
  }

  // ------------------------------------------------------------------ message snapshot

  /**
   * Takes the message snapshot: the current bytes and size become what `restore()` returns to. From now
   * on each page is copied on its first write (copy-on-write, so a message pays only for the pages it
   * writes). Calling it again drops the previous snapshot (a message that succeeded).
   */
  snapshot(): void {
    for (const page of this.savedPages.keys()) this.savedFlags[page] = 0;
    this.savedPages.clear();
    this.snapshotSize = this.sizeBytes;
    this.snapshotActive = true;
  }

  /**
   * Returns bytes and size to the last `snapshot()` (a trap or an exhausted step budget) and takes a
   * new snapshot there. Only the leaf pairs that differ are rehashed. Throws if no snapshot was taken.
   */
  restore(): void {
    if (!this.snapshotActive) throw new Error("MemoryTree.restore: no snapshot was taken");
    const words = new Uint32Array(this.buf.buffer, this.buf.byteOffset, this.buf.length / 4);
    const pageWords = this.pageBytes / 4;
    const pairsPerPage = this.pageBytes / PAIR;
    for (const [page, saved] of this.savedPages) {
      const base = page * pageWords;
      const before = saved === null ? undefined : new Uint32Array(saved.buffer, saved.byteOffset, pageWords);
      for (let pair = 0; pair < pairsPerPage; pair++) {
        for (let w = pair * (PAIR / 4); w < (pair + 1) * (PAIR / 4); w++) {
          if (words[base + w] !== (before === undefined ? 0 : before[w])) {
            this.markPoint(page * pairsPerPage + pair);
            break;
          }
        }
      }
      if (saved === null) this.buf.fill(0, page * this.pageBytes, (page + 1) * this.pageBytes);
      else this.buf.set(saved, page * this.pageBytes);
    }
    // Pages grown after the snapshot and never written are still zero; dropping them changes no hash.
    this.sizeBytes = this.snapshotSize;
    this.snapshot();
  }

  /** Pages at the last snapshot (the current pages if none was taken). */
  get pagesAtSnapshot(): number {
    return (this.snapshotActive ? this.snapshotSize : this.sizeBytes) / this.pageBytes;
  }

  /**
   * For callers that write through `unsafeView()` on a hot path: bounds-checks [address, address + length)
   * and records it as about to change (dirty for the tree, saved for the snapshot). Call it BEFORE writing.
   */
  touch(address: number, length: number): void {
    this.check(address, length, "store");
    this.beforeWrite(address, length);
    this.markRange(address, length);
  }

  /** Size in bytes. */
  get size(): number {
    return this.sizeBytes;
  }

  /** Size in pages. */
  get pages(): number {
    return this.sizeBytes / this.pageBytes;
  }

  // ------------------------------------------------------------------ reads

  load8(address: number): number {
    this.check(address, 1, "load");
    return this.buf[address]!;
  }

  load16(address: number): number {
    this.check(address, 2, "load");
    return this.view.getUint16(address, true);
  }

  /** Unsigned: [0, 2^32). */
  load32(address: number): number {
    this.check(address, 4, "load");
    return this.view.getUint32(address, true);
  }

  /** Unsigned: [0, 2^64). */
  load64(address: number): bigint {
    this.check(address, 8, "load");
    return this.view.getBigUint64(address, true);
  }

  /** Little-endian unsigned read of 1, 2, 4 or 8 bytes. */
  read(address: number, width: AccessWidth): bigint {
    switch (width) {
      case 1:
        return BigInt(this.load8(address));
      case 2:
        return BigInt(this.load16(address));
      case 4:
        return BigInt(this.load32(address));
      case 8:
        return this.load64(address);
      default:
        throw new RangeError(`access width must be 1, 2, 4 or 8, got ${String(width)}`);
    }
  }

  /** A copy of [address, address + length). */
  readBytes(address: number, length: number): Uint8Array {
    this.check(address, length, "read");
    return this.buf.slice(address, address + length);
  }

  /**
   * The live bytes [0, size). Read-only by contract: writing through it bypasses the tree. Invalidated by
   * `grow` (take a new view after growing).
   */
  unsafeView(): Uint8Array {
    return this.buf.subarray(0, this.sizeBytes);
  }

  // ------------------------------------------------------------------ writes

  /** Stores the low 8 bits of `value`. */
  store8(address: number, value: number): void {
    this.check(address, 1, "store");
    if (this.snapshotActive) this.beforeWrite(address, 1);
    this.buf[address] = value;
    this.markPoint(address >>> PAIR_SHIFT);
  }

  /** Stores the low 16 bits of `value`, little-endian. */
  store16(address: number, value: number): void {
    this.check(address, 2, "store");
    if (this.snapshotActive) this.beforeWrite(address, 2);
    this.view.setUint16(address, value, true);
    this.markAccess(address, 2);
  }

  /** Stores the low 32 bits of `value` (signed or unsigned), little-endian. */
  store32(address: number, value: number): void {
    this.check(address, 4, "store");
    if (this.snapshotActive) this.beforeWrite(address, 4);
    this.view.setUint32(address, value, true);
    this.markAccess(address, 4);
  }

  /** Stores `value` mod 2^64, little-endian. */
  store64(address: number, value: bigint): void {
    this.check(address, 8, "store");
    if (this.snapshotActive) this.beforeWrite(address, 8);
    this.view.setBigUint64(address, value, true);
    this.markAccess(address, 8);
  }

  /** Little-endian write of the low `width` bytes of `value`. */
  write(address: number, width: AccessWidth, value: bigint): void {
    switch (width) {
      case 1:
        return this.store8(address, Number(BigInt.asUintN(8, value)));
      case 2:
        return this.store16(address, Number(BigInt.asUintN(16, value)));
      case 4:
        return this.store32(address, Number(BigInt.asUintN(32, value)));
      case 8:
        return this.store64(address, value);
      default:
        throw new RangeError(`access width must be 1, 2, 4 or 8, got ${String(width)}`);
    }
  }

  writeBytes(address: number, data: Uint8Array): void {
    this.check(address, data.length, "write");
    this.beforeWrite(address, data.length);
    this.buf.set(data, address);
    this.markRange(address, data.length);
  }

  /** memory.fill: [address, address + length) = value & 0xff. Bounds are checked before anything is written. */
  fill(address: number, value: number, length: number): void {
    this.check(address, length, "fill");
    this.beforeWrite(address, length);
    this.buf.fill(value & 0xff, address, address + length);
    this.markRange(address, length);
  }

  /** memory.copy with memmove semantics (overlap-safe). Both ranges are checked before anything is written. */
  copy(destination: number, source: number, length: number): void {
    this.check(source, length, "copy source");
    this.check(destination, length, "copy destination");
    this.beforeWrite(destination, length);
    this.buf.copyWithin(destination, source, source + length);
    this.markRange(destination, length);
  }

  /**
   * memory.grow by `deltaPages` zero pages. Returns the previous size in pages. Throws MemoryGrowError,
   * changing nothing, past `maxPages`. Growing never changes the root (the new bytes are zero, which the
   * tree already assumed).
   */
  grow(deltaPages: number): number {
    const old = this.pages;
    if (!Number.isInteger(deltaPages) || deltaPages < 0 || old + deltaPages > this.maxPages) {
      throw new MemoryGrowError(old, deltaPages, this.maxPages);
    }
    const newSize = this.sizeBytes + deltaPages * this.pageBytes;
    if (newSize > this.buf.length) this.reserve(newSize);
    this.sizeBytes = newSize;
    return old;
  }

  /** wasm `memory.grow`: the previous size in pages, or -1 (and no change) if the limit would be passed. */
  tryGrow(deltaPages: number): number {
    const old = this.pages;
    if (!Number.isInteger(deltaPages) || deltaPages < 0 || old + deltaPages > this.maxPages) return -1;
    return this.grow(deltaPages);
  }

  // ------------------------------------------------------------------ hashes and proofs

  /** The Merkle root (a fresh 32-byte copy). Rehashes only what changed since the last call. */
  root(): Uint8Array {
    this.flush();
    return this.levels[DEPTH]!.slice(0, HASH_BYTES);
  }

  /** The raw 32 bytes of leaf `index` (zero past the memory's size). */
  leaf(index: number): Uint8Array {
    checkLeafIndex(index);
    const from = index * LEAF;
    if (from >= this.sizeBytes) return new Uint8Array(LEAF);
    return this.buf.slice(from, from + LEAF);
  }

  /** Index of the leaf holding byte `address`. */
  static leafIndexOf(address: number): number {
    return Math.floor(address / LEAF);
  }

  /** Merkle proof of leaf `index` against the current `root()`. Any index of the 4 GiB space is provable. */
  proveLeaf(index: number): LeafProof {
    checkLeafIndex(index);
    this.flush();
    const siblings: Uint8Array[] = [];
    const sibling0 = new Uint8Array(HASH_BYTES);
    hashTaggedInto(sibling0, 0, MEMORY_LEAF_TAG, this.leaf(index ^ 1));
    siblings.push(sibling0);
    for (let k = 1; k < DEPTH; k++) siblings.push(this.node(k, Math.floor(index / 2 ** k) ^ 1));
    return { index, leaf: this.leaf(index), siblings };
  }

  /** Proofs of leaves `index` and `index + 1` (an access straddling their boundary) against `root()`. */
  proveLeafPair(index: number): LeafPairProof {
    checkLeafIndex(index);
    checkLeafIndex(index + 1);
    return { first: this.proveLeaf(index), second: this.proveLeaf(index + 1) };
  }

  /** The leaves an access [address, address + width) touches: `count` is 1, or 2 when it straddles. */
  static accessLeaves(address: number, width: number): { first: number; count: 1 | 2 } {
    const first = Math.floor(address / LEAF);
    const last = Math.floor((address + Math.max(width, 1) - 1) / LEAF);
    if (last - first > 1) throw new RangeError(`an access of ${width} bytes spans more than two leaves`);
    return { first, count: last === first ? 1 : 2 };
  }

  /** Node k, i (1 ≤ k ≤ DEPTH) of the flushed tree. */
  private node(k: number, i: number): Uint8Array {
    const level = this.levels[k]!;
    if ((i + 1) * HASH_BYTES > level.length) return ZERO_HASHES[k]!.slice();
    return level.slice(i * HASH_BYTES, (i + 1) * HASH_BYTES);
  }

  // ------------------------------------------------------------------ internals

  private check(address: number, length: number, operation: string): void {
    if (
      !(address >= 0 && length >= 0 && address + length <= this.sizeBytes) ||
      !Number.isInteger(address) ||
      !Number.isInteger(length)
    ) {
      throw new MemoryOutOfBoundsError(address, length, this.sizeBytes, operation);
    }
  }

  /** Grows the backing store and hash levels to hold at least `bytes` (amortized: ×1.5). */
  private reserve(bytes: number): void {
    const limit = this.maxPages * this.pageBytes;
    const grown = Math.ceil((this.buf.length * 1.5) / this.pageBytes) * this.pageBytes;
    const capacity = Math.min(limit, Math.max(bytes, grown));
    const buf = new Uint8Array(capacity);
    buf.set(this.buf);
    this.buf = buf;
    this.view = new DataView(buf.buffer);
    for (let k = 1; k <= DEPTH; k++) {
      const old = this.levels[k]!;
      const needed = levelNodes(k, capacity / PAIR) * HASH_BYTES;
      if (needed > old.length) {
        const level = new Uint8Array(needed);
        level.set(old);
        fillPattern(level, old.length, needed, ZERO_HASHES[k]!);
        this.levels[k] = level;
      }
    }
    const bits = new Uint32Array(Math.ceil(capacity / PAIR / 32));
    bits.set(this.dirtyBits);
    this.dirtyBits = bits;
    const flags = new Uint8Array(capacity / this.pageBytes);
    flags.set(this.savedFlags);
    this.savedFlags = flags;
  }

  /** Saves, for the snapshot, the pages of [address, address + length) not saved yet. */
  private beforeWrite(address: number, length: number): void {
    if (!this.snapshotActive || length === 0) return;
    const last = Math.floor((address + length - 1) / this.pageBytes);
    for (let page = Math.floor(address / this.pageBytes); page <= last; page++) {
      if (this.savedFlags[page] !== 0) continue;
      this.savedFlags[page] = 1;
      const from = page * this.pageBytes;
      this.savedPages.set(
        page,
        from < this.snapshotSize ? this.buf.slice(from, from + this.pageBytes) : null,
      );
    }
  }

  private markPoint(pair: number): void {
    const word = pair >>> 5;
    const mask = 1 << (pair & 31);
    const bits = this.dirtyBits;
    if ((bits[word]! & mask) !== 0) return;
    bits[word] = bits[word]! | mask;
    if (this.pointCount === this.points.length) {
      const points = new Uint32Array(this.points.length * 2);
      points.set(this.points);
      this.points = points;
    }
    this.points[this.pointCount++] = pair;
  }

  private markAccess(address: number, width: number): void {
    const first = address >>> PAIR_SHIFT;
    const last = (address + width - 1) >>> PAIR_SHIFT;
    this.markPoint(first);
    if (last !== first) this.markPoint(last);
  }

  private markRange(address: number, length: number): void {
    if (length === 0) return;
    const lo = address >>> PAIR_SHIFT;
    const hi = ((address + length - 1) >>> PAIR_SHIFT) + 1;
    if (hi - lo <= RANGE_THRESHOLD) {
      for (let p = lo; p < hi; p++) this.markPoint(p);
      return;
    }
    this.ranges.push(lo, hi);
    if (this.ranges.length >= 2 * MAX_PENDING_RANGES) this.ranges = coalesce(this.ranges);
  }

  /** Marks dirty the parts of [from, to) that hold a non-zero byte (zero parts already hash as zero). */
  private markNonZero(from: number, to: number): void {
    const words = new Uint32Array(this.buf.buffer, this.buf.byteOffset, this.buf.length / 4);
    let runStart = -1;
    for (let block = from; block < to; block += ZERO_SCAN_BYTES) {
      const end = Math.min(to, block + ZERO_SCAN_BYTES);
      let nonZero = false;
      for (let w = block / 4, wEnd = end / 4; w < wEnd; w++) {
        if (words[w] !== 0) {
          nonZero = true;
          break;
        }
      }
      if (nonZero && runStart < 0) runStart = block;
      if (!nonZero && runStart >= 0) {
        this.markRange(runStart, block - runStart);
        runStart = -1;
      }
    }
    if (runStart >= 0) this.markRange(runStart, to - runStart);
  }

  /** Rehashes the dirty pairs and their ancestors, level by level, in sorted runs. */
  private flush(): void {
    if (this.pointCount === 0 && this.ranges.length === 0) return;
    const points = this.points.subarray(0, this.pointCount).sort();
    for (const p of points) this.dirtyBits[p >>> 5] = 0;
    const ranges = coalesce(this.ranges);
    // Merge the sorted points (as [p, p + 1)) and the sorted, disjoint ranges into disjoint runs.
    const maxRuns = 2 * (points.length + ranges.length / 2);
    if (this.runs.length < maxRuns) this.runs = new Uint32Array(maxRuns);
    const runs = this.runs;
    let n = 0;
    let pi = 0;
    let ri = 0;
    while (pi < points.length || ri < ranges.length) {
      let lo: number;
      let hi: number;
      if (ri >= ranges.length || (pi < points.length && points[pi]! < ranges[ri]!)) {
        lo = points[pi]!;
        hi = lo + 1;
        pi++;
      } else {
        lo = ranges[ri]!;
        hi = ranges[ri + 1]!;
        ri += 2;
      }
      if (n > 0 && lo <= runs[n - 1]!) {
        if (hi > runs[n - 1]!) runs[n - 1] = hi;
      } else {
        runs[n++] = lo;
        runs[n++] = hi;
      }
    }
    this.pointCount = 0;
    this.ranges = [];

    // Level 1 from the bytes: leaf hashes of each pair into scratch, then the pair's node.
    const level1 = this.levels[1]!;
    const scratch = this.scratch;
    for (let r = 0; r < n; r += 2) {
      for (let lo = runs[r]!; lo < runs[r + 1]!; lo += LEVEL1_BATCH_PAIRS) {
        const count = Math.min(LEVEL1_BATCH_PAIRS, runs[r + 1]! - lo);
        hashTaggedItems(MEMORY_LEAF_TAG, this.buf, lo * PAIR, LEAF, 2 * count, scratch, 0);
        hashTaggedItems(MEMORY_NODE_TAG, scratch, 0, 2 * HASH_BYTES, count, level1, lo * HASH_BYTES);
      }
    }
    // Levels 2..DEPTH: parents of the runs (rewritten in place; each run yields at most one parent run).
    for (let k = 1; k < DEPTH; k++) {
      let m = 0;
      for (let r = 0; r < n; r += 2) {
        const lo = runs[r]! >>> 1;
        const hi = ((runs[r + 1]! - 1) >>> 1) + 1;
        if (m > 0 && lo <= runs[m - 1]!) {
          if (hi > runs[m - 1]!) runs[m - 1] = hi;
        } else {
          runs[m++] = lo;
          runs[m++] = hi;
        }
      }
      n = m;
      const children = this.levels[k]!;
      const parents = this.levels[k + 1]!;
      for (let r = 0; r < n; r += 2) {
        const lo = runs[r]!;
        const count = runs[r + 1]! - lo;
        hashTaggedItems(
          MEMORY_NODE_TAG,
          children,
          lo * 2 * HASH_BYTES,
          2 * HASH_BYTES,
          count,
          parents,
          lo * HASH_BYTES,
        );
      }
    }
  }
}

function checkLeafIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= MEMORY_LEAF_COUNT) {
    throw new RangeError(`leaf index ${index} outside [0, ${MEMORY_LEAF_COUNT})`);
  }
}

/** Sorts flat [lo, hi) pairs and merges overlapping or adjacent ones. */
function coalesce(flat: number[]): number[] {
  if (flat.length <= 2) return flat.slice();
  const pairs: [number, number][] = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    const last = out.length - 1;
    if (last > 0 && lo <= out[last]!) out[last] = Math.max(out[last]!, hi);
    else out.push(lo, hi);
  }
  return out;
}

/**
 * The machine's view of its linear memory: a thin adapter over `MemoryTree` (machine/memory, see its
 * README for the tree, its incremental root, its proofs and its message snapshot), shaped for the
 * interpreter's hot path (direct byte reads, `touch` before a write) and for the prover (leaf + path).
 *
 * Leaf hash: `keccak("Holo:Memory leaf:" ‖ leaf bytes)`; node: `keccak("Holo:Memory node:" ‖ l ‖ r)`.
 */
import { LAYOUT } from "../spec";
import { MemoryTree, rootFromLeaf } from "../memory";

export const MEMORY_DEPTH = LAYOUT.memoryTreeDepth;

/** The memory root implied by a leaf and its bottom-up sibling path (what the on-chain prover does). */
export function memoryRootFromPath(leaf: Uint8Array, index: number, path: readonly Uint8Array[]): Uint8Array {
  return rootFromLeaf(index, leaf, path);
}

export class MachineMemory {
  private readonly tree: MemoryTree;
  /** The live bytes, read directly by the interpreter (refreshed whenever the tree may reallocate). */
  buf: Uint8Array;

  constructor(pages: number, maxPages: number) {
    this.tree = new MemoryTree({ initialPages: pages, maxPages: Math.max(pages, maxPages) });
    this.buf = this.tree.unsafeView();
  }

  get pages(): number {
    return this.tree.pages;
  }

  /** Grows to `pages` pages (never shrinks: only a restore does). */
  grow(pages: number): void {
    if (pages > this.tree.pages) this.tree.grow(pages - this.tree.pages);
    this.buf = this.tree.unsafeView();
  }

  /** Records that `[ea, ea + len)` is about to be written through `buf` (dirty leaves, snapshot pages). */
  touch(ea: number, len: number): void {
    this.tree.touch(ea, len);
  }

  /** Writes bytes. */
  write(ea: number, bytes: Uint8Array): void {
    if (bytes.length > 0) this.tree.writeBytes(ea, bytes);
  }

  /** The 32 bytes of leaf `index`. */
  leaf(index: number): Uint8Array {
    return this.tree.leaf(index);
  }

  /** The memory root (incremental). */
  root(): Uint8Array {
    return this.tree.root();
  }

  /** The bottom-up sibling path of leaf `index` against the current root. */
  path(index: number): Uint8Array[] {
    return [...this.tree.proveLeaf(index).siblings];
  }

  /** Starts a new snapshot at the current contents (the message start). */
  snapshot(): void {
    this.tree.snapshot();
  }

  /** Restores the contents and size of the last snapshot. */
  restore(): void {
    this.tree.restore();
    this.buf = this.tree.unsafeView();
  }

  /** Pages at the last snapshot. */
  get pagesAtSnapshot(): number {
    return this.tree.pagesAtSnapshot;
  }
}

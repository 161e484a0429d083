/**
 * The vector Merkle tree used for the code, the table, the globals and the locals (docs/machine.md §2):
 * `n` leaves of 32 bytes, depth `ceil(log2(max(n, 1)))`, missing leaves are 32 zero bytes, and a node
 * is `keccak(nodeTag ‖ left ‖ right)`. The count is always committed beside the root.
 */
import { keccak, ZERO32 } from "./hash";

/** Depth of a vector tree of `n` leaves. */
export function treeDepth(n: number): number {
  let d = 0;
  while (2 ** d < n) d++;
  return d;
}

const zeroCache = new Map<Uint8Array, Uint8Array[]>();

/** `zeros(tag)[k]` is the root of a subtree of depth `k` whose leaves are all zero. */
export function zeroHashes(tag: Uint8Array, upTo: number): Uint8Array[] {
  let z = zeroCache.get(tag);
  if (!z) {
    z = [ZERO32];
    zeroCache.set(tag, z);
  }
  while (z.length <= upTo) z.push(hashNode(tag, z[z.length - 1], z[z.length - 1]));
  return z;
}

const nodeBuf = new Map<Uint8Array, Uint8Array>();

/** `keccak(tag ‖ left ‖ right)`. */
export function hashNode(tag: Uint8Array, left: Uint8Array, right: Uint8Array): Uint8Array {
  let b = nodeBuf.get(tag);
  if (!b) {
    b = new Uint8Array(tag.length + 64);
    b.set(tag);
    nodeBuf.set(tag, b);
  }
  b.set(left, tag.length);
  b.set(right, tag.length + 32);
  return keccak(b);
}

/** All levels of the tree: `levels[0]` are the leaves (padded), the last level is `[root]`. */
export function buildLevels(tag: Uint8Array, leaves: readonly Uint8Array[]): Uint8Array[][] {
  const depth = treeDepth(leaves.length);
  const zeros = zeroHashes(tag, depth);
  const levels: Uint8Array[][] = [leaves.length === 0 ? [ZERO32] : leaves.slice()];
  for (let k = 0; k < depth; k++) {
    const prev = levels[k];
    const next: Uint8Array[] = [];
    for (let i = 0; i < prev.length; i += 2) {
      next.push(hashNode(tag, prev[i], i + 1 < prev.length ? prev[i + 1] : zeros[k]));
    }
    levels.push(next);
  }
  return levels;
}

/** The root of a vector tree. */
export function vectorRoot(tag: Uint8Array, leaves: readonly Uint8Array[]): Uint8Array {
  const levels = buildLevels(tag, leaves);
  return levels[levels.length - 1][0];
}

/** The sibling path of leaf `index` (bottom-up), from prebuilt levels. */
export function pathFromLevels(tag: Uint8Array, levels: Uint8Array[][], index: number): Uint8Array[] {
  const depth = levels.length - 1;
  const zeros = zeroHashes(tag, depth);
  const path: Uint8Array[] = [];
  let i = index;
  for (let k = 0; k < depth; k++) {
    const s = i ^ 1;
    path.push(s < levels[k].length ? levels[k][s] : zeros[k]);
    i >>>= 1;
  }
  return path;
}

/** The root implied by `leaf` at `index` with the bottom-up sibling `path`. */
export function rootFromPath(
  tag: Uint8Array,
  leaf: Uint8Array,
  index: number,
  path: readonly Uint8Array[],
): Uint8Array {
  let h = leaf;
  let i = index;
  for (const s of path) {
    h = i & 1 ? hashNode(tag, s, h) : hashNode(tag, h, s);
    i >>>= 1;
  }
  return h;
}

/**
 * The root of a tree of depth `treeDepth(count)` whose leaves are zero except the first `prefix.length`
 * ones, in O(prefix · depth) hashes (a fresh call frame: parameters then zeroed locals).
 */
export function rootWithPrefix(tag: Uint8Array, count: number, prefix: readonly Uint8Array[]): Uint8Array {
  const depth = treeDepth(count);
  const zeros = zeroHashes(tag, depth);
  let level: Uint8Array[] = prefix.length === 0 ? [] : prefix.slice();
  for (let k = 0; k < depth; k++) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(hashNode(tag, level[i], i + 1 < level.length ? level[i + 1] : zeros[k]));
    }
    level = next;
  }
  return level.length === 0 ? zeros[depth] : level[0];
}

/**
 * The memory tree's hashing rules and the stateless proof functions (what the on-chain prover does).
 *
 *   leaf(i)      = keccak256("Holo:Memory leaf:" ‖ bytes[32i, 32i + 32))
 *   node(l, r)   = keccak256("Holo:Memory node:" ‖ l ‖ r)
 *   root         = the node at level DEPTH over the 2^DEPTH leaves of the whole 4 GiB address space;
 *                  bytes at or past the memory's size are zero.
 *
 * Levels count from the leaves: level 0 holds leaf hashes, level DEPTH the root. A leaf proof lists the
 * siblings bottom-up: siblings[k] is the sibling of the proven leaf's ancestor at level k.
 */
import { LAYOUT, domainTagBytes } from "../spec";
import { HASH_BYTES, bytesEqual, hashTaggedInto } from "../hash/keccak";

export const MEMORY_LEAF_BYTES: number = LAYOUT.memoryLeafBytes;
export const MEMORY_TREE_DEPTH: number = LAYOUT.memoryTreeDepth;
export const MEMORY_LEAF_COUNT: number = 2 ** MEMORY_TREE_DEPTH;
/** Bytes covered by the tree: 2^27 leaves × 32 B = 4 GiB, the whole wasm32 address space. */
export const MEMORY_ADDRESS_SPACE: number = MEMORY_LEAF_COUNT * MEMORY_LEAF_BYTES;

if (MEMORY_LEAF_BYTES !== HASH_BYTES) {
  // The tree stores a leaf pair in the same 64-byte shape as a node's children; see README.md.
  throw new Error(`machine-spec layout.memoryLeafBytes must be ${HASH_BYTES}, got ${MEMORY_LEAF_BYTES}`);
}

export const MEMORY_LEAF_TAG: Uint8Array = domainTagBytes("memoryLeaf");
export const MEMORY_NODE_TAG: Uint8Array = domainTagBytes("memoryNode");

/** ZERO_HASHES[k] = hash of an all-zero subtree whose root is at level k (k = 0: a zero leaf). */
export const ZERO_HASHES: readonly Uint8Array[] = (() => {
  const out: Uint8Array[] = [];
  const z = new Uint8Array(HASH_BYTES);
  hashTaggedInto(z, 0, MEMORY_LEAF_TAG, new Uint8Array(MEMORY_LEAF_BYTES));
  out.push(z);
  for (let k = 1; k <= MEMORY_TREE_DEPTH; k++) {
    const h = new Uint8Array(HASH_BYTES);
    hashTaggedInto(h, 0, MEMORY_NODE_TAG, out[k - 1]!, out[k - 1]!);
    out.push(h);
  }
  return out;
})();

/** The root of an empty (all-zero) memory of any size. */
export const EMPTY_MEMORY_ROOT: Uint8Array = ZERO_HASHES[MEMORY_TREE_DEPTH]!;

/** A Merkle proof of one 32-byte leaf. */
export interface LeafProof {
  /** Leaf index: the leaf covers bytes [32·index, 32·index + 32). */
  readonly index: number;
  /** The leaf's 32 raw bytes of memory (not its hash). */
  readonly leaf: Uint8Array;
  /** MEMORY_TREE_DEPTH sibling hashes, bottom-up. */
  readonly siblings: readonly Uint8Array[];
}

/**
 * Proof of two adjacent leaves `first.index` and `first.index + 1`, for an access that straddles a leaf
 * boundary: two independent leaf proofs against the same root. See `rootAfterLeafPairUpdate`.
 */
export interface LeafPairProof {
  readonly first: LeafProof;
  readonly second: LeafProof;
}

/** keccak256(leaf tag ‖ leaf). */
export function hashLeaf(leaf: Uint8Array): Uint8Array {
  const out = new Uint8Array(HASH_BYTES);
  hashTaggedInto(out, 0, MEMORY_LEAF_TAG, leaf);
  return out;
}

/** keccak256(node tag ‖ left ‖ right). */
export function hashNode(left: Uint8Array, right: Uint8Array): Uint8Array {
  const out = new Uint8Array(HASH_BYTES);
  hashTaggedInto(out, 0, MEMORY_NODE_TAG, left, right);
  return out;
}

function isIndex(index: number): boolean {
  return Number.isInteger(index) && index >= 0 && index < MEMORY_LEAF_COUNT;
}

function checkShape(index: number, leaf: Uint8Array, siblings: readonly Uint8Array[]): string | undefined {
  if (!isIndex(index)) return `leaf index ${index} outside [0, ${MEMORY_LEAF_COUNT})`;
  if (leaf.length !== MEMORY_LEAF_BYTES)
    return `leaf has ${leaf.length} bytes, expected ${MEMORY_LEAF_BYTES}`;
  if (siblings.length !== MEMORY_TREE_DEPTH) {
    return `proof has ${siblings.length} siblings, expected ${MEMORY_TREE_DEPTH}`;
  }
  for (const s of siblings) if (s.length !== HASH_BYTES) return `a sibling has ${s.length} bytes`;
  return undefined;
}

/**
 * Folds `hash` (a node at level `from`, at position index >> from) up to level `to` with the siblings.
 * Writes into and returns `hash`.
 */
function foldPath(
  hash: Uint8Array,
  index: number,
  siblings: readonly Uint8Array[],
  from: number,
  to: number,
): Uint8Array {
  for (let k = from; k < to; k++) {
    const sibling = siblings[k]!;
    if (Math.floor(index / 2 ** k) % 2 === 0) hashTaggedInto(hash, 0, MEMORY_NODE_TAG, hash, sibling);
    else hashTaggedInto(hash, 0, MEMORY_NODE_TAG, sibling, hash);
  }
  return hash;
}

/** The root implied by `leaf` at `index` and the proof's siblings. Throws RangeError on a malformed proof. */
export function rootFromLeaf(index: number, leaf: Uint8Array, siblings: readonly Uint8Array[]): Uint8Array {
  const problem = checkShape(index, leaf, siblings);
  if (problem !== undefined) throw new RangeError(problem);
  return foldPath(hashLeaf(leaf), index, siblings, 0, MEMORY_TREE_DEPTH);
}

/** True iff `leaf` is the content of leaf `index` in the memory whose root is `root`. Never throws. */
export function verifyLeaf(
  root: Uint8Array,
  index: number,
  leaf: Uint8Array,
  siblings: readonly Uint8Array[],
): boolean {
  if (root.length !== HASH_BYTES || checkShape(index, leaf, siblings) !== undefined) return false;
  return bytesEqual(rootFromLeaf(index, leaf, siblings), root);
}

/**
 * The root after leaf `index` becomes `newLeaf`, given the siblings of a proof verified against the old
 * root (the siblings do not change when one leaf changes). Identical to `rootFromLeaf`; named for the
 * prover's write path.
 */
export function rootAfterLeafUpdate(
  index: number,
  newLeaf: Uint8Array,
  siblings: readonly Uint8Array[],
): Uint8Array {
  return rootFromLeaf(index, newLeaf, siblings);
}

/** True iff both halves verify against `root` and are adjacent leaves. Never throws. */
export function verifyLeafPair(root: Uint8Array, proof: LeafPairProof): boolean {
  const { first, second } = proof;
  return (
    second.index === first.index + 1 &&
    verifyLeaf(root, first.index, first.leaf, first.siblings) &&
    verifyLeaf(root, second.index, second.leaf, second.siblings)
  );
}

/**
 * Level of the lowest common ancestor of leaves i and i + 1: the number of trailing one bits of i, plus one.
 * Below it the two paths are disjoint; at level `lca - 1` the two ancestors are siblings.
 */
export function pairCommonLevel(index: number): number {
  let t = 0;
  while (Math.floor(index / 2 ** t) % 2 === 1) t++;
  return t + 1;
}

/**
 * The root after writing both leaves of a pair proof (verified against the old root): `newFirst` at
 * `proof.first.index`, `newSecond` at `proof.first.index + 1`.
 *
 * Each path is folded separately up to the level below their common ancestor; there the two new
 * ancestors are siblings and are hashed together; above it the first proof's siblings are used (they
 * equal the second's, since both proofs verified against the same root).
 */
export function rootAfterLeafPairUpdate(
  proof: LeafPairProof,
  newFirst: Uint8Array,
  newSecond: Uint8Array,
): Uint8Array {
  const { first, second } = proof;
  for (const [leaf, p] of [
    [newFirst, first],
    [newSecond, second],
  ] as const) {
    const problem = checkShape(p.index, leaf, p.siblings);
    if (problem !== undefined) throw new RangeError(problem);
  }
  if (second.index !== first.index + 1) throw new RangeError("pair proof leaves are not adjacent");
  const lca = pairCommonLevel(first.index);
  const a = foldPath(hashLeaf(newFirst), first.index, first.siblings, 0, lca - 1);
  const b = foldPath(hashLeaf(newSecond), second.index, second.siblings, 0, lca - 1);
  hashTaggedInto(a, 0, MEMORY_NODE_TAG, a, b);
  return foldPath(a, first.index, first.siblings, lca, MEMORY_TREE_DEPTH);
}

/** The machine's linear memory and its Merkle tree. See README.md. */
export { MemoryTree, WASM_MAX_PAGES, WASM_PAGE_BYTES } from "./tree";
export type { AccessWidth, MemoryTreeOptions } from "./tree";
export { MemoryError, MemoryGrowError, MemoryOutOfBoundsError } from "./errors";
export {
  EMPTY_MEMORY_ROOT,
  MEMORY_ADDRESS_SPACE,
  MEMORY_LEAF_BYTES,
  MEMORY_LEAF_COUNT,
  MEMORY_LEAF_TAG,
  MEMORY_NODE_TAG,
  MEMORY_TREE_DEPTH,
  ZERO_HASHES,
  hashLeaf,
  hashNode,
  pairCommonLevel,
  rootAfterLeafPairUpdate,
  rootAfterLeafUpdate,
  rootFromLeaf,
  verifyLeaf,
  verifyLeafPair,
} from "./hashing";
export type { LeafPairProof, LeafProof } from "./hashing";

/**
 * Result commitments in TypeScript (docs/registries.md): the content of a commitment and its id
 * (`IResultRegistry.Commitment`, `ResultRegistry.commitmentId`), and the results tree of a commitment
 * (`contracts/libraries/ResultsLib.sol`): a binary Merkle tree over the result hashes of slots
 * `[firstSlot, lastSlot]` of one process.
 *
 *   id      = keccak256(abi.encode(commitment))
 *   leaf(i) = keccak256("Holo:Result leaf:" ‖ process ‖ slot u64 ‖ resultHash),  slot = firstSlot + i
 *   node    = keccak256("Holo:Result node:" ‖ left ‖ right)
 *
 * Depth `d = ceil(log2 n)`, leaves `n … 2^d − 1` are zero, a proof is the `d` siblings from the leaf up.
 */
import { AbiCoder, concat, keccak256, toBeHex, toUtf8Bytes, zeroPadValue } from "ethers";

/**
 * The content of a result commitment, field for field `IResultRegistry.Commitment`. `parent` is the id
 * of the commitment it continues (the zero hash for the process's initial state); `poster` and `stake`
 * are the compute unit that posted it and the `commitmentStake` it took.
 */
export interface Commitment {
  process: string;
  parent: string;
  firstSlot: bigint;
  lastSlot: bigint;
  lastAssignmentHash: string;
  stateHash: string;
  resultsRoot: string;
  arweaveRef: string;
  poster: string;
  stake: bigint;
}

/** A commitment decoded from an event's `Result` (the `CommitmentPosted` struct). */
export function commitmentFromEvent(c: Readonly<Commitment>): Commitment {
  return {
    process: c.process,
    parent: c.parent,
    firstSlot: BigInt(c.firstSlot),
    lastSlot: BigInt(c.lastSlot),
    lastAssignmentHash: c.lastAssignmentHash,
    stateHash: c.stateHash,
    resultsRoot: c.resultsRoot,
    arweaveRef: c.arweaveRef,
    poster: c.poster,
    stake: BigInt(c.stake),
  };
}

/** The ABI type of {@link Commitment}, in the order of the Solidity struct. */
export const COMMITMENT_ABI_TYPE =
  "tuple(bytes32 process,bytes32 parent,uint64 firstSlot,uint64 lastSlot,bytes32 lastAssignmentHash," +
  "bytes32 stateHash,bytes32 resultsRoot,bytes32 arweaveRef,address poster,uint96 stake)";

/** The id of a commitment: `keccak256(abi.encode(c))`, as `ResultRegistry.commitmentId` computes it. */
export function commitmentId(c: Commitment): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode([COMMITMENT_ABI_TYPE], [c]));
}

export const RESULT_LEAF_TAG = "Holo:Result leaf:";
export const RESULT_NODE_TAG = "Holo:Result node:";
const ZERO = "0x" + "00".repeat(32);
const LEAF_TAG_BYTES = toUtf8Bytes(RESULT_LEAF_TAG);
const NODE_TAG_BYTES = toUtf8Bytes(RESULT_NODE_TAG);

/** The leaf of `slot`'s `resultHash` in `process`'s results tree. */
export function resultLeaf(process: string, slot: bigint, resultHash: string): string {
  return keccak256(concat([LEAF_TAG_BYTES, process, zeroPadValue(toBeHex(slot), 8), resultHash]));
}

/** An inner node. */
export function resultNode(left: string, right: string): string {
  return keccak256(concat([NODE_TAG_BYTES, left, right]));
}

/** `ceil(log2 count)` for `count ≥ 1`. */
export function treeDepth(count: number): number {
  let d = 0;
  while (2 ** d < count) d++;
  return d;
}

/** A built results tree, with proofs by slot. */
export interface ResultsTree {
  process: string;
  firstSlot: bigint;
  lastSlot: bigint;
  depth: number;
  root: string;
  /** The siblings proving `slot`'s leaf, from the leaf up. */
  proof(slot: bigint): string[];
}

/**
 * Builds the results tree of `resultHashes[i]` = the result hash of slot `firstSlot + i`.
 * Keeps every level in memory (about 2 · 2^d hashes).
 */
export function buildResultsTree(
  process: string,
  firstSlot: bigint,
  resultHashes: readonly string[],
): ResultsTree {
  if (resultHashes.length === 0) throw new Error("a results tree needs at least one slot");
  const depth = treeDepth(resultHashes.length);
  const leaves = resultHashes.map((r, i) => resultLeaf(process, firstSlot + BigInt(i), r));
  while (leaves.length < 2 ** depth) leaves.push(ZERO);
  const levels: string[][] = [leaves];
  for (let k = 0; k < depth; k++) {
    const below = levels[k];
    const level: string[] = [];
    for (let j = 0; j < below.length; j += 2) level.push(resultNode(below[j], below[j + 1]));
    levels.push(level);
  }
  const lastSlot = firstSlot + BigInt(resultHashes.length - 1);
  return {
    process,
    firstSlot,
    lastSlot,
    depth,
    root: levels[depth][0],
    proof(slot: bigint): string[] {
      if (slot < firstSlot || slot > lastSlot)
        throw new Error(`slot ${slot} is not in [${firstSlot}, ${lastSlot}]`);
      let index = Number(slot - firstSlot);
      const siblings: string[] = [];
      for (let k = 0; k < depth; k++) {
        siblings.push(levels[k][index ^ 1]);
        index >>= 1;
      }
      return siblings;
    },
  };
}

/** Recomputes the root from a leaf and its proof (the TypeScript twin of `ResultsLib.verify`). */
export function verifyResultProof(
  root: string,
  count: number,
  index: number,
  leaf: string,
  siblings: readonly string[],
): boolean {
  if (index < 0 || index >= count || siblings.length !== treeDepth(count)) return false;
  let h = leaf;
  for (const [k, s] of siblings.entries())
    h = (Math.floor(index / 2 ** k) & 1) === 0 ? resultNode(h, s) : resultNode(s, h);
  return h === root;
}

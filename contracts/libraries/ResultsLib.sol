// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/**
 * @title ResultsLib
 * @notice The results tree of a commitment: a binary Merkle tree over the result hashes of its slots.
 *
 * @dev For a commitment over slots `[firstSlot, lastSlot]` of `process` (`n = lastSlot - firstSlot + 1`
 * slots), leaf `i` (`0 ≤ i < n`) is the result of slot `firstSlot + i`:
 *
 *     leaf(i) = keccak256("Holo:Result leaf:" ‖ process ‖ slot u64 ‖ resultHash)
 *
 * (`resultHash` is the machine's result accumulator, docs/process-abi.md). The tree has depth
 * `d = ceil(log2 n)` (0 for one slot, when the root is the leaf); leaves `n … 2^d - 1` are
 * `bytes32(0)`, and a node is `keccak256("Holo:Result node:" ‖ left ‖ right)`. A proof is the `d`
 * siblings from the leaf up; bit `k` of `i` says whether the node at height `k` is a right child.
 * The domain tags make a leaf and a node impossible to confuse, and the fixed depth makes the
 * position of a slot unambiguous. `sdk/ts/results.ts` builds the same tree.
 */
library ResultsLib {
    /// @notice The domain tag of a leaf.
    bytes internal constant LEAF_TAG = "Holo:Result leaf:";
    /// @notice The domain tag of an inner node.
    bytes internal constant NODE_TAG = "Holo:Result node:";

    /// @notice The leaf of `slot`'s `resultHash` in `process`'s results tree.
    function leaf(bytes32 process, uint64 slot, bytes32 resultHash) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(LEAF_TAG, process, slot, resultHash));
    }

    /// @notice The inner node over `left` and `right`.
    function node(bytes32 left, bytes32 right) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(NODE_TAG, left, right));
    }

    /// @notice The depth `ceil(log2 count)` of a tree over `count ≥ 1` leaves.
    function depth(uint256 count) internal pure returns (uint256 d) {
        while ((uint256(1) << d) < count) ++d;
    }

    /**
     * @notice Whether `proof` takes leaf `index` with value `leafHash` to `root` in a tree over `count`
     * leaves. False when `index ≥ count` or the proof's length is not the tree's depth.
     * @dev The loops run at most 256 times (`count < 2^256`), and the caller pays for its own proof.
     */
    function verify(
        bytes32 root,
        uint256 count,
        uint256 index,
        bytes32 leafHash,
        bytes32[] calldata proof
    ) internal pure returns (bool) {
        if (index >= count || proof.length != depth(count)) return false;
        bytes32 h = leafHash;
        for (uint256 k = 0; k < proof.length; ++k) {
            h = (index >> k) & 1 == 0 ? node(h, proof[k]) : node(proof[k], h);
        }
        return h == root;
    }
}

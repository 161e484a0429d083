// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MachineSpec as S} from "../generated/MachineSpec.sol";

/**
 * @title OspHash
 * @notice The machine's domain-tagged hashes (docs/machine.md §2–§4, process-abi.md): every preimage is
 * a domain tag followed by big-endian packed fields. Each function writes its preimage just above the
 * free-memory pointer without moving it (scratch space; nothing is allocated in between) and hashes it.
 */
library OspHash {
    /// @dev Starts a preimage with the tag word `tag` of `tagLength` bytes; returns its start and the
    /// write position.
    function _begin(bytes32 tag, uint256 tagLength) private pure returns (uint256 start, uint256 p) {
        assembly ("memory-safe") {
            start := mload(0x40)
            mstore(start, tag)
            p := add(start, tagLength)
        }
    }

    /// @dev Writes the low `size` bytes of `v` big-endian at `p`.
    function _put(uint256 p, uint256 v, uint256 size) private pure returns (uint256) {
        assembly ("memory-safe") {
            mstore(p, shl(sub(256, shl(3, size)), v))
        }
        return p + size;
    }

    /// @dev Writes a 32-byte word at `p`.
    function _word(uint256 p, bytes32 v) private pure returns (uint256) {
        assembly ("memory-safe") {
            mstore(p, v)
        }
        return p + 32;
    }

    function _end(uint256 start, uint256 p) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            h := keccak256(start, sub(p, start))
        }
    }

    /// @notice `keccak(tag ‖ left ‖ right)`: a node of a vector Merkle tree or of the memory tree.
    function node(
        bytes32 tag,
        uint256 tagLength,
        bytes32 left,
        bytes32 right
    ) internal pure returns (bytes32) {
        (uint256 start, uint256 p) = _begin(tag, tagLength);
        p = _word(p, left);
        p = _word(p, right);
        return _end(start, p);
    }

    /// @notice `keccak("Holo:Value stack:" ‖ below ‖ type u8 ‖ raw u64)`.
    function valueStackPush(bytes32 below, uint256 typ, uint256 raw) internal pure returns (bytes32) {
        (uint256 start, uint256 p) = _begin(S.TAG_VALUE_STACK, S.TAG_VALUE_STACK_LENGTH);
        p = _word(p, below);
        p = _put(p, typ, 1);
        p = _put(p, raw, 8);
        return _end(start, p);
    }

    /// @notice `keccak("Holo:Frame:" ‖ returnPc u32 ‖ localsCount u32 ‖ localsRoot)`.
    function frame(
        uint256 returnPc,
        uint256 localsCount,
        bytes32 localsRoot
    ) internal pure returns (bytes32) {
        (uint256 start, uint256 p) = _begin(S.TAG_FRAME, S.TAG_FRAME_LENGTH);
        p = _put(p, returnPc, 4);
        p = _put(p, localsCount, 4);
        p = _word(p, localsRoot);
        return _end(start, p);
    }

    /// @notice `keccak("Holo:Frame stack:" ‖ below ‖ frameHash)`.
    function frameStackPush(bytes32 below, bytes32 frameHash) internal pure returns (bytes32) {
        return node(S.TAG_FRAME_STACK, S.TAG_FRAME_STACK_LENGTH, below, frameHash);
    }

    /// @notice `keccak("Holo:Process:" ‖ moduleRoot ‖ memoryRoot ‖ memoryPages u32 ‖ globalsRoot)`.
    function process(
        bytes32 moduleRoot,
        bytes32 memoryRoot,
        uint256 memoryPages,
        bytes32 globalsRoot
    ) internal pure returns (bytes32) {
        (uint256 start, uint256 p) = _begin(S.TAG_PROCESS, S.TAG_PROCESS_LENGTH);
        p = _word(p, moduleRoot);
        p = _word(p, memoryRoot);
        p = _put(p, memoryPages, 4);
        p = _word(p, globalsRoot);
        return _end(start, p);
    }

    /// @notice The error result `keccak("Holo:Result error:" ‖ code u8)`.
    function resultError(uint256 code) internal pure returns (bytes32) {
        (uint256 start, uint256 p) = _begin(S.TAG_RESULT_ERROR, S.TAG_RESULT_ERROR_LENGTH);
        p = _put(p, code, 1);
        return _end(start, p);
    }

    /// @notice A result item folded into the accumulator:
    /// `keccak("Holo:Result item:" ‖ prev ‖ kind u8 ‖ length u32 ‖ itemHash)`.
    function resultItem(
        bytes32 prev,
        uint256 kind,
        uint256 length,
        bytes32 itemHash
    ) internal pure returns (bytes32) {
        (uint256 start, uint256 p) = _begin(S.TAG_RESULT_ITEM, S.TAG_RESULT_ITEM_LENGTH);
        p = _word(p, prev);
        p = _put(p, kind, 1);
        p = _put(p, length, 4);
        p = _word(p, itemHash);
        return _end(start, p);
    }

    /// @notice A chunk (zero-padded to 32 bytes) folded into an item hash:
    /// `keccak("Holo:Result chunk:" ‖ prev ‖ chunk)`.
    function resultChunk(bytes32 prev, bytes32 chunk) internal pure returns (bytes32) {
        return node(S.TAG_RESULT_CHUNK, S.TAG_RESULT_CHUNK_LENGTH, prev, chunk);
    }

    /// @notice `keccak("Holo:Data segment:" ‖ length u32 ‖ chunksRoot)`.
    function dataSegment(uint256 length, bytes32 chunksRoot) internal pure returns (bytes32) {
        (uint256 start, uint256 p) = _begin(S.TAG_DATA_SEGMENT, S.TAG_DATA_SEGMENT_LENGTH);
        p = _put(p, length, 4);
        p = _word(p, chunksRoot);
        return _end(start, p);
    }

    /// @notice `keccak("Holo:Table entry:" ‖ funcIndex ‖ typeId ‖ entryPc ‖ nparams ‖ nlocals)`, all u32.
    function tableEntry(
        uint256 funcIndex,
        uint256 typeId,
        uint256 entryPc,
        uint256 nparams,
        uint256 nlocals
    ) internal pure returns (bytes32) {
        (uint256 start, uint256 p) = _begin(S.TAG_TABLE_ENTRY, S.TAG_TABLE_ENTRY_LENGTH);
        p = _put(p, funcIndex, 4);
        p = _put(p, typeId, 4);
        p = _put(p, entryPc, 4);
        p = _put(p, nparams, 4);
        p = _put(p, nlocals, 4);
        return _end(start, p);
    }

    /// @notice `keccak("Holo:Memory leaf:" ‖ leaf)`.
    function memoryLeaf(bytes32 leaf) internal pure returns (bytes32 h) {
        (uint256 start, uint256 p) = _begin(S.TAG_MEMORY_LEAF, S.TAG_MEMORY_LEAF_LENGTH);
        p = _word(p, leaf);
        return _end(start, p);
    }

    /// @notice `keccak(tag ‖ calldata[offset, offset + size))`: hashes a tagged preimage that the proof
    /// carries verbatim (the state, the module fields, an instruction).
    function taggedCalldata(
        bytes32 tag,
        uint256 tagLength,
        bytes calldata data,
        uint256 offset,
        uint256 size
    ) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let start := mload(0x40)
            mstore(start, tag)
            calldatacopy(add(start, tagLength), add(data.offset, offset), size)
            h := keccak256(start, add(tagLength, size))
        }
    }

    /// @notice `keccak(calldata[offset, offset + size))` (the message bytes).
    function plainCalldata(
        bytes calldata data,
        uint256 offset,
        uint256 size
    ) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let start := mload(0x40)
            calldatacopy(start, add(data.offset, offset), size)
            h := keccak256(start, size)
        }
    }

    /**
     * @notice The root of the vector tree of depth `depth` implied by `leaf` at `index` and the
     * bottom-up siblings at `calldata[pathOffset, pathOffset + 32 · depth)` (docs/machine.md §2).
     */
    function vectorRoot(
        bytes32 tag,
        uint256 tagLength,
        bytes32 leaf,
        uint256 index,
        bytes calldata data,
        uint256 pathOffset,
        uint256 depth
    ) internal pure returns (bytes32 h) {
        h = leaf;
        for (uint256 k = 0; k < depth; ++k) {
            bytes32 sibling;
            assembly ("memory-safe") {
                sibling := calldataload(add(data.offset, add(pathOffset, shl(5, k))))
            }
            h = (index >> k) & 1 == 1 ? node(tag, tagLength, sibling, h) : node(tag, tagLength, h, sibling);
        }
    }

    /// @notice The memory root implied by leaf bytes `leaf` at `index` and the 27 bottom-up siblings at
    /// `calldata[pathOffset, …)`.
    function memoryRootFromPath(
        bytes32 leaf,
        uint256 index,
        bytes calldata data,
        uint256 pathOffset
    ) internal pure returns (bytes32) {
        return
            vectorRoot(
                S.TAG_MEMORY_NODE,
                S.TAG_MEMORY_NODE_LENGTH,
                memoryLeaf(leaf),
                index,
                data,
                pathOffset,
                S.MEMORY_TREE_DEPTH
            );
    }

    /// @notice `keccak(data[0, size))`, `size ≤ data.length`.
    function prefix(bytes memory data, uint256 size) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            h := keccak256(add(data, 32), size)
        }
    }

    /// @notice The depth `ceil(log2(max(n, 1)))` of a vector tree of `n` leaves.
    function depthOf(uint256 n) internal pure returns (uint256 d) {
        while ((uint256(1) << d) < n) ++d;
    }
}

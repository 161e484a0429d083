// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MachineSpec as S} from "../../osp/generated/MachineSpec.sol";
import {OspHash} from "../../osp/lib/OspHash.sol";
import {StepProof} from "../../osp/lib/StepProof.sol";
import {ResultsLib} from "../../libraries/ResultsLib.sol";
import {IDisputeGame} from "../../interfaces/IDisputeGame.sol";

/**
 * @title GameHash
 * @notice The hashes of a commitment's trace (docs/dispute-game.md §1) and the message boundary
 * (docs/process-abi.md): the boundary and inner points, the message-start machine state, the module root
 * and the results tree. `sdk/ts/dispute` computes the same values from the TypeScript machine.
 */
library GameHash {
    /// @notice `keccak("Holo:Boundary:" ‖ processState ‖ resultsRoot ‖ assignmentHash)`.
    function boundary(
        bytes32 processState,
        bytes32 resultsRoot,
        bytes32 assignment
    ) internal pure returns (bytes32) {
        return _three(S.TAG_GAME_BOUNDARY, S.TAG_GAME_BOUNDARY_LENGTH, processState, resultsRoot, assignment);
    }

    /// @notice `keccak("Holo:Step:" ‖ machineState ‖ resultsRoot ‖ assignmentHash)`.
    function step(
        bytes32 machineState,
        bytes32 resultsRoot,
        bytes32 assignment
    ) internal pure returns (bytes32) {
        return _three(S.TAG_GAME_STEP, S.TAG_GAME_STEP_LENGTH, machineState, resultsRoot, assignment);
    }

    function _three(
        bytes32 tag,
        uint256 tagLength,
        bytes32 a,
        bytes32 b,
        bytes32 c
    ) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let start := mload(0x40)
            mstore(start, tag)
            let p := add(start, tagLength)
            mstore(p, a)
            mstore(add(p, 32), b)
            mstore(add(p, 64), c)
            h := keccak256(start, add(tagLength, 96))
        }
    }

    /// @notice The module root `keccak("Holo:Module:" ‖ fields)` (docs/machine.md §3).
    function moduleRoot(IDisputeGame.ModuleFields calldata m) internal pure returns (bytes32) {
        return
            keccak256(
                abi.encodePacked(
                    _tag(S.TAG_MODULE, S.TAG_MODULE_LENGTH),
                    m.codeRoot,
                    m.codeLength,
                    m.tableRoot,
                    m.tableLength,
                    m.globalsCount,
                    m.memoryMaxPages,
                    m.handleEntryPc,
                    m.handleLocals,
                    m.dataRoot,
                    m.dataCount
                )
            );
    }

    /// @dev The first `length` bytes of a left-aligned tag word.
    function _tag(bytes32 tag, uint256 length) private pure returns (bytes memory out) {
        out = new bytes(length);
        assembly ("memory-safe") {
            mstore(add(out, 32), tag)
        }
    }

    /// @notice The fields of the message-start state that do not come from the module.
    struct StartInputs {
        bytes32 moduleRoot;
        bytes32 memoryRoot;
        uint256 memoryPages;
        bytes32 globalsRoot;
        bytes32 messageHash;
        uint256 messageLength;
        uint256 stepLimit;
    }

    /**
     * @notice The message-start machine state hash (docs/process-abi.md, "The message boundary"), the
     * twin of `messageStartHash` in machine/process/boundary.ts.
     */
    function messageStart(
        StartInputs memory x,
        uint256 handleEntryPc,
        uint256 handleLocals
    ) internal pure returns (bytes32) {
        uint256 code =
            x.messageLength > S.MAX_MESSAGE_BYTES
                ? S.ERROR_MESSAGE_TOO_LARGE
                : handleEntryPc == S.NO_HANDLE_ENTRY_PC
                    ? S.ERROR_NO_HANDLE
                    : 0;
        bytes memory img = new bytes(S.TAG_MACHINE_LENGTH + S.STATE_BYTES + 32);
        uint256 b;
        assembly ("memory-safe") {
            b := add(img, 32)
        }
        _store(b, uint256(S.TAG_MACHINE), 32);
        b += S.TAG_MACHINE_LENGTH;
        if (code != 0) {
            _store(b + S.STATE_STATUS_OFFSET, S.STATUS_ERRORED, 1);
            _store(b + S.STATE_ERROR_OFFSET, code, 1);
            _store(b + S.STATE_RESULT_HASH_OFFSET, uint256(OspHash.resultError(code)), 32);
        } else {
            bytes32 frame = OspHash.frame(
                0,
                handleLocals,
                StepProof.freshLocalsRoot(handleLocals, new uint256[](0))
            );
            _store(b + S.STATE_PC_OFFSET, handleEntryPc, 4);
            _store(b + S.STATE_FRAME_DEPTH_OFFSET, 1, 4);
            _store(
                b + S.STATE_FRAME_STACK_HASH_OFFSET,
                uint256(OspHash.frameStackPush(bytes32(0), frame)),
                32
            );
        }
        uint256 limit = x.stepLimit < S.MAX_STEP_LIMIT ? x.stepLimit : S.MAX_STEP_LIMIT;
        _store(b + S.STATE_STEP_LIMIT_OFFSET, limit, 8);
        _store(b + S.STATE_GLOBALS_ROOT_OFFSET, uint256(x.globalsRoot), 32);
        _store(b + S.STATE_MEMORY_ROOT_OFFSET, uint256(x.memoryRoot), 32);
        _store(b + S.STATE_MEMORY_PAGES_OFFSET, x.memoryPages, 4);
        _store(b + S.STATE_MODULE_ROOT_OFFSET, uint256(x.moduleRoot), 32);
        _store(b + S.STATE_MESSAGE_HASH_OFFSET, uint256(x.messageHash), 32);
        _store(b + S.STATE_MESSAGE_LENGTH_OFFSET, x.messageLength, 4);
        bytes32 snapshot = OspHash.process(x.moduleRoot, x.memoryRoot, x.memoryPages, x.globalsRoot);
        _store(b + S.STATE_SNAPSHOT_HASH_OFFSET, uint256(snapshot), 32);
        return OspHash.prefix(img, S.TAG_MACHINE_LENGTH + S.STATE_BYTES);
    }

    /// @dev Writes the low `size` bytes of `v` big-endian at memory `p`, keeping the bytes after them
    /// (the image is zeroed, so unwritten fields are zero).
    function _store(uint256 p, uint256 v, uint256 size) private pure {
        assembly ("memory-safe") {
            let shift := sub(256, shl(3, size))
            let keep := shr(shl(3, size), not(0))
            if eq(size, 32) {
                keep := 0
            }
            mstore(p, or(and(mload(p), keep), shl(shift, v)))
        }
    }

    /// @notice The root of the all-zero results tree of depth `depth`.
    function zeroResultsRoot(uint256 depth) internal pure returns (bytes32 h) {
        for (uint256 k = 0; k < depth; ++k) h = ResultsLib.node(h, h);
    }

    /// @notice The root of a depth-`siblings.length` results tree with `leaf` at `index` and `siblings`.
    function resultsRootFrom(
        bytes32 leaf,
        uint256 index,
        bytes32[] calldata siblings
    ) internal pure returns (bytes32 h) {
        h = leaf;
        for (uint256 k = 0; k < siblings.length; ++k) {
            h = (index >> k) & 1 == 0 ? ResultsLib.node(h, siblings[k]) : ResultsLib.node(siblings[k], h);
        }
    }
}

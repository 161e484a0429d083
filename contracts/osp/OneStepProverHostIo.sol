// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MachineSpec as S} from "./generated/MachineSpec.sol";
import {OspHash} from "./lib/OspHash.sol";
import {Step, StepProof} from "./lib/StepProof.sol";
import {OneStepProverBase} from "./OneStepProverBase.sol";

/**
 * @title OneStepProverHostIo
 * @notice The host I/O class (process-abi.md): `msg_len`; `msg_read`, one destination leaf per step,
 * with the message bytes carried in the proof and checked against the state's `messageLength` and
 * `messageHash`; `emit_begin` and `emit_chunk`, which fold an output, message or spawn item into the
 * result accumulator 32 bytes per step.
 */
contract OneStepProverHostIo is OneStepProverBase {
    using StepProof for Step;

    function _class() internal pure override returns (uint8) {
        return S.CLASS_HOSTIO;
    }

    function _execute(Step memory st, bytes calldata proof) internal pure override {
        uint256 op = st.op;
        if (op == S.OP_MSG_LEN) {
            st.pushI32(st.messageLength);
        } else if (op == S.OP_MSG_READ) {
            if (_msgRead(st, proof)) return;
        } else if (op == S.OP_EMIT_BEGIN) {
            uint256 len = st.popI32(proof);
            uint256 ptr = st.popI32(proof);
            if (!st.inBounds(ptr, len)) {
                st.trap = S.ERROR_MEMORY_OUT_OF_BOUNDS;
                return;
            }
            st.pendingHash = bytes32(0);
            st.pushI32(ptr);
            st.pushI32(len);
            st.pushI32(0);
        } else if (op == S.OP_EMIT_CHUNK) {
            if (_emitChunk(st, proof)) return;
        } else {
            revert OneStepProofUnknownOpcode(uint16(op));
        }
        st.pc = st.pc + 1;
    }

    /// @dev One step of `msg_read`; returns true when the sequence stays at the same pc (or traps).
    function _msgRead(Step memory st, bytes calldata proof) private pure returns (bool) {
        uint256 len = st.popI32(proof);
        uint256 off = st.popI32(proof);
        uint256 dst = st.popI32(proof);
        if (off + len > st.messageLength) {
            st.trap = S.ERROR_MESSAGE_READ_OUT_OF_BOUNDS;
            return true;
        }
        if (!st.inBounds(dst, len)) {
            st.trap = S.ERROR_MEMORY_OUT_OF_BOUNDS;
            return true;
        }
        if (len == 0) return false;
        uint256 room = 32 - (dst % 32);
        uint256 cnt = len < room ? len : room;
        bytes32 bytes_ = st.messageSlice(proof, off, cnt);
        st.writeChunk(proof, dst, bytes_, cnt);
        st.pushI32(dst + cnt);
        st.pushI32(off + cnt);
        st.pushI32(len - cnt);
        return true;
    }

    /// @dev One step of `emit_chunk`: absorbs 32 bytes of the item, or folds the finished item into
    /// the result accumulator (then the sequence ends: returns false).
    function _emitChunk(Step memory st, bytes calldata proof) private pure returns (bool) {
        uint256 done = st.popI32(proof);
        uint256 len = st.popI32(proof);
        uint256 ptr = st.popI32(proof);
        if (done >= len) {
            st.resultHash = OspHash.resultItem(st.resultHash, st.imm, len, st.pendingHash);
            st.pendingHash = bytes32(0);
            return false;
        }
        uint256 cnt = len - done < 32 ? len - done : 32;
        st.pendingHash = OspHash.resultChunk(st.pendingHash, st.readChunk(proof, ptr + done, cnt));
        st.pushI32(ptr);
        st.pushI32(len);
        st.pushI32(done + cnt);
        return true;
    }
}

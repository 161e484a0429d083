// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MachineSpec as S} from "./generated/MachineSpec.sol";
import {Step, StepProof} from "./lib/StepProof.sol";
import {OneStepProverBase} from "./OneStepProverBase.sol";

/**
 * @title OneStepProverControl
 * @notice The control class (docs/machine.md §1): `unreachable`, jumps, `br_table`, `drop`,
 * `drop_under`, `select`, locals and globals, `call`, `call_indirect` and `return`.
 */
contract OneStepProverControl is OneStepProverBase {
    using StepProof for Step;

    uint256 private constant MASK32 = (1 << 32) - 1;

    function _class() internal pure override returns (uint8) {
        return S.CLASS_CONTROL;
    }

    function _execute(Step memory st, bytes calldata proof) internal pure override {
        uint256 op = st.op;
        uint256 next = st.pc + 1;
        if (op == S.OP_UNREACHABLE) {
            st.trap = S.ERROR_UNREACHABLE;
            return;
        } else if (op == S.OP_JUMP) {
            next = st.imm;
        } else if (op == S.OP_JUMP_IF) {
            if (st.popI32(proof) != 0) next = st.imm;
        } else if (op == S.OP_JUMP_UNLESS) {
            if (st.popI32(proof) == 0) next = st.imm;
        } else if (op == S.OP_BR_TABLE) {
            uint256 i = st.popI32(proof);
            next = st.imm + (i < st.imm2 ? i : st.imm2);
        } else if (op == S.OP_DROP) {
            st.pop(proof);
        } else if (op == S.OP_DROP_UNDER) {
            _dropUnder(st, proof, st.imm);
        } else if (op == S.OP_SELECT) {
            uint256 cond = st.popI32(proof);
            uint256 y = st.pop(proof);
            uint256 x = st.pop(proof);
            st.push(cond != 0 ? x : y);
        } else if (op == S.OP_LOCAL_GET) {
            st.push(st.getLocal(proof, st.imm, st.imm2));
        } else if (op == S.OP_LOCAL_SET) {
            uint256 v = st.pop(proof);
            st.setLocal(proof, st.imm, v);
        } else if (op == S.OP_LOCAL_TEE) {
            uint256 v = st.pop(proof);
            st.setLocal(proof, st.imm, v);
            st.push(v);
        } else if (op == S.OP_GLOBAL_GET) {
            st.push(st.getGlobal(proof, st.imm, st.imm2));
        } else if (op == S.OP_GLOBAL_SET) {
            uint256 v = st.pop(proof);
            st.setGlobal(proof, st.imm, v);
        } else if (op == S.OP_CALL) {
            _call(st, proof, st.imm, st.imm2 >> 32, st.imm2 & MASK32);
            return;
        } else if (op == S.OP_CALL_INDIRECT) {
            _callIndirect(st, proof);
            return;
        } else if (op == S.OP_RETURN) {
            uint256 ret = st.popFrame(proof);
            if (st.depth == 0) {
                st.status = S.STATUS_HALTED;
                st.pc = 0;
                return;
            }
            next = ret;
        } else {
            revert OneStepProofUnknownOpcode(uint16(op));
        }
        st.pc = next;
    }

    /// @dev Removes the value just below the top `k` values.
    function _dropUnder(Step memory st, bytes calldata proof, uint256 k) private pure {
        uint256[] memory keep = new uint256[](k);
        for (uint256 i = 0; i < k; ++i) keep[i] = st.pop(proof);
        st.pop(proof);
        for (uint256 i = k; i > 0; --i) st.push(keep[i - 1]);
    }

    /// @dev Pops `nparams` arguments into a new frame of `nlocals` locals and jumps to `entryPc`.
    function _call(
        Step memory st,
        bytes calldata proof,
        uint256 entryPc,
        uint256 nparams,
        uint256 nlocals
    ) private pure {
        if (st.depth >= S.CALL_DEPTH_LIMIT) {
            st.trap = S.ERROR_CALL_STACK_EXHAUSTED;
            return;
        }
        uint256[] memory args = new uint256[](nparams);
        for (uint256 i = nparams; i > 0; --i) args[i - 1] = st.pop(proof);
        st.pushFrame(st.pc + 1, nlocals, args);
        st.pc = entryPc;
    }

    /// @dev `call_indirect`: the table entry must exist, be non-null and have the expected type.
    function _callIndirect(Step memory st, bytes calldata proof) private pure {
        uint256 i = st.popI32(proof);
        if (i >= st.tableLength) {
            st.trap = S.ERROR_TABLE_OUT_OF_BOUNDS;
            return;
        }
        uint256[5] memory e = st.tableEntry(proof, i);
        if (e[0] == S.NULL_FUNCTION_INDEX) {
            st.trap = S.ERROR_NULL_FUNCTION;
            return;
        }
        if (e[1] != st.imm) {
            st.trap = S.ERROR_INDIRECT_CALL_TYPE_MISMATCH;
            return;
        }
        _call(st, proof, e[2], e[3], e[4]);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MachineSpec as S} from "./generated/MachineSpec.sol";
import {Step, StepProof} from "./lib/StepProof.sol";
import {OneStepProverBase} from "./OneStepProverBase.sol";

/**
 * @title OneStepProverMemory
 * @notice The memory class (docs/machine.md §1, §5): loads and stores of every width (an unaligned
 * access may touch two memory leaves), `memory.size`, `memory.grow`, and the bulk-memory per-step
 * sequences `memory.fill`, `memory.copy` (forward or backward) and `memory.init`, plus `data.drop`.
 */
contract OneStepProverMemory is OneStepProverBase {
    using StepProof for Step;

    uint256 private constant MASK32 = (1 << 32) - 1;
    uint256 private constant LEAF = S.MEMORY_LEAF_BYTES;

    function _class() internal pure override returns (uint8) {
        return S.CLASS_MEMORY;
    }

    function _execute(Step memory st, bytes calldata proof) internal pure override {
        uint256 op = st.op;
        if (op >= S.OP_I32_LOAD && op <= S.OP_I64_LOAD32_U) {
            _load(st, proof, op);
        } else if (op >= S.OP_I32_STORE && op <= S.OP_I64_STORE32) {
            _store(st, proof, op);
        } else if (op == S.OP_MEMORY_SIZE) {
            st.pushI32(st.memoryPages);
        } else if (op == S.OP_MEMORY_GROW) {
            uint256 n = st.popI32(proof);
            uint256 old = st.memoryPages;
            if (old + n > st.memoryMaxPages) {
                st.pushI32(MASK32);
            } else {
                st.memoryPages = old + n;
                st.pushI32(old);
            }
        } else if (op == S.OP_MEMORY_FILL) {
            if (_fill(st, proof)) return;
        } else if (op == S.OP_MEMORY_COPY) {
            if (_copy(st, proof)) return;
        } else if (op == S.OP_MEMORY_INIT) {
            if (_init(st, proof)) return;
        } else if (op == S.OP_DATA_DROP) {
            st.setGlobal(proof, st.imm, (uint256(S.TYPE_I32) << 64) | 1);
        } else {
            revert OneStepProofUnknownOpcode(uint16(op));
        }
        if (st.trap == 0) st.pc = st.pc + 1;
    }

    /// @dev Sign-extends the low `bits` of `v` to 64 bits.
    function _sext(uint256 v, uint256 bits) private pure returns (uint256) {
        if ((v >> (bits - 1)) & 1 == 1) return v | (((1 << 64) - 1) ^ ((1 << bits) - 1));
        return v;
    }

    function _load(Step memory st, bytes calldata proof, uint256 op) private pure {
        // 0x28 i32.load, 0x29 i64.load, 0x2c–0x2f i32.load8/16_s/u, 0x30–0x35 i64.load8/16/32_s/u;
        // 0x2a/0x2b (float loads) are not machine opcodes and never reach here (classOf is 0).
        uint256 width;
        bool signed;
        bool is64;
        if (op == S.OP_I32_LOAD) width = 4;
        else if (op == S.OP_I64_LOAD) {
            width = 8;
            is64 = true;
        } else if (op <= S.OP_I32_LOAD16_U) {
            width = op <= S.OP_I32_LOAD8_U ? 1 : 2;
            signed = op == S.OP_I32_LOAD8_S || op == S.OP_I32_LOAD16_S;
        } else {
            width =
                op <= S.OP_I64_LOAD8_U
                    ? 1
                    : op <= S.OP_I64_LOAD16_U
                        ? 2
                        : 4;
            signed = (op & 1) == 0;
            is64 = true;
        }
        uint256 ea = st.popI32(proof) + st.imm;
        if (!st.inBounds(ea, width)) {
            st.trap = S.ERROR_MEMORY_OUT_OF_BOUNDS;
            return;
        }
        uint256 v = st.load(proof, ea, width);
        if (signed) v = _sext(v, 8 * width);
        if (is64) st.pushI64(v);
        else st.pushI32(v);
    }

    function _store(Step memory st, bytes calldata proof, uint256 op) private pure {
        // 0x36 i32.store, 0x37 i64.store, 0x3a/0x3b i32.store8/16, 0x3c–0x3e i64.store8/16/32.
        uint256 width;
        uint256 v;
        if (op == S.OP_I32_STORE || op == S.OP_I32_STORE8 || op == S.OP_I32_STORE16) {
            v = st.popI32(proof);
            width =
                op == S.OP_I32_STORE
                    ? 4
                    : op == S.OP_I32_STORE8
                        ? 1
                        : 2;
        } else {
            v = st.popI64(proof);
            width =
                op == S.OP_I64_STORE
                    ? 8
                    : op == S.OP_I64_STORE8
                        ? 1
                        : op == S.OP_I64_STORE16
                            ? 2
                            : 4;
        }
        uint256 ea = st.popI32(proof) + st.imm;
        if (!st.inBounds(ea, width)) {
            st.trap = S.ERROR_MEMORY_OUT_OF_BOUNDS;
            return;
        }
        st.store(proof, ea, width, v);
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }

    /// @dev One step of `memory.fill`; returns true when the sequence stays at the same pc (or traps).
    function _fill(Step memory st, bytes calldata proof) private pure returns (bool) {
        uint256 n = st.popI32(proof);
        uint256 v = st.popI32(proof) & 0xff;
        uint256 d = st.popI32(proof);
        if (!st.inBounds(d, n)) {
            st.trap = S.ERROR_MEMORY_OUT_OF_BOUNDS;
            return true;
        }
        if (n == 0) return false;
        uint256 cnt = _min(n, LEAF - (d % LEAF));
        // cnt ≤ 32 copies of the byte v, left-aligned.
        bytes32 fill = bytes32((type(uint256).max / 0xff) * v);
        st.writeChunk(proof, d, fill, cnt);
        st.pushI32(d + cnt);
        st.pushI32(v);
        st.pushI32(n - cnt);
        return true;
    }

    /// @dev One step of `memory.copy` (forward when d ≤ s, else backward from the end).
    function _copy(Step memory st, bytes calldata proof) private pure returns (bool) {
        uint256 n = st.popI32(proof);
        uint256 src = st.popI32(proof);
        uint256 d = st.popI32(proof);
        if (!st.inBounds(src, n) || !st.inBounds(d, n)) {
            st.trap = S.ERROR_MEMORY_OUT_OF_BOUNDS;
            return true;
        }
        if (n == 0) return false;
        _copyStep(st, proof, d, src, n);
        return true;
    }

    /// @dev Copies the next (forward) or last (backward) piece of a `memory.copy` within one source and
    /// one destination leaf, and pushes the remaining operation.
    function _copyStep(Step memory st, bytes calldata proof, uint256 d, uint256 src, uint256 n) private pure {
        if (d <= src) {
            uint256 cnt = _min(n, _min(LEAF - (src % LEAF), LEAF - (d % LEAF)));
            _move(st, proof, src, d, cnt);
            st.pushI32(d + cnt);
            st.pushI32(src + cnt);
            st.pushI32(n - cnt);
        } else {
            uint256 cnt = _min(n, _min(((src + n - 1) % LEAF) + 1, ((d + n - 1) % LEAF) + 1));
            _move(st, proof, src + n - cnt, d + n - cnt, cnt);
            st.pushI32(d);
            st.pushI32(src);
            st.pushI32(n - cnt);
        }
    }

    function _move(Step memory st, bytes calldata proof, uint256 from, uint256 to, uint256 cnt) private pure {
        bytes32 bytes_ = st.readChunk(proof, from, cnt);
        st.writeChunk(proof, to, bytes_, cnt);
    }

    /// @dev One step of `memory.init`: one segment chunk into one destination leaf.
    function _init(Step memory st, bytes calldata proof) private pure returns (bool) {
        uint256 n = st.popI32(proof);
        uint256 src = st.popI32(proof);
        uint256 d = st.popI32(proof);
        bool dropped = (st.getGlobal(proof, st.imm2, S.TYPE_I32) & MASK32) != 0;
        uint256 segmentLength = st.dataSegment(proof, st.imm);
        uint256 length = dropped ? 0 : segmentLength;
        if (src + n > length || !st.inBounds(d, n)) {
            st.trap = S.ERROR_MEMORY_OUT_OF_BOUNDS;
            return true;
        }
        if (n == 0) return false;
        _initStep(st, proof, d, src, n);
        return true;
    }

    /// @dev Writes the next piece of a `memory.init` (within one segment chunk and one destination
    /// leaf) and pushes the remaining operation.
    function _initStep(Step memory st, bytes calldata proof, uint256 d, uint256 src, uint256 n) private pure {
        uint256 cnt = _min(n, _min(LEAF - (src % LEAF), LEAF - (d % LEAF)));
        bytes32 chunk = st.dataChunk(proof, st.imm, src / LEAF);
        st.writeChunk(proof, d, bytes32(uint256(chunk) << (8 * (src % LEAF))), cnt);
        st.pushI32(d + cnt);
        st.pushI32(src + cnt);
        st.pushI32(n - cnt);
    }
}

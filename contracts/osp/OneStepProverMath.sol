// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MachineSpec as S} from "./generated/MachineSpec.sol";
import {Step, StepProof} from "./lib/StepProof.sol";
import {OneStepProverBase} from "./OneStepProverBase.sol";

/**
 * @title OneStepProverMath
 * @notice The math class: constants, i32/i64 tests, comparisons, unary and binary arithmetic (with the
 * IntegerDivideByZero and IntegerOverflow traps), conversions and sign extensions. Values are raw
 * two's-complement words of 32 or 64 bits.
 */
contract OneStepProverMath is OneStepProverBase {
    using StepProof for Step;

    uint256 private constant MASK32 = (1 << 32) - 1;
    uint256 private constant MASK64 = (1 << 64) - 1;

    function _class() internal pure override returns (uint8) {
        return S.CLASS_MATH;
    }

    function _execute(Step memory st, bytes calldata proof) internal pure override {
        uint256 op = st.op;
        if (op == S.OP_I32_CONST) {
            st.pushI32(st.imm);
        } else if (op == S.OP_I64_CONST) {
            st.pushI64(st.imm);
        } else if (op == S.OP_I32_EQZ) {
            st.pushI32(st.popI32(proof) == 0 ? 1 : 0);
        } else if (op == S.OP_I64_EQZ) {
            st.pushI32(st.popI64(proof) == 0 ? 1 : 0);
        } else if (op >= S.OP_I32_EQ && op <= S.OP_I32_GE_U) {
            uint256 y = st.popI32(proof);
            uint256 x = st.popI32(proof);
            st.pushI32(_compare(op - S.OP_I32_EQ, x, y, 32) ? 1 : 0);
        } else if (op >= S.OP_I64_EQ && op <= S.OP_I64_GE_U) {
            uint256 y = st.popI64(proof);
            uint256 x = st.popI64(proof);
            st.pushI32(_compare(op - S.OP_I64_EQ, x, y, 64) ? 1 : 0);
        } else if (op >= S.OP_I32_CLZ && op <= S.OP_I32_POPCNT) {
            st.pushI32(_unary(op - S.OP_I32_CLZ, st.popI32(proof), 32));
        } else if (op >= S.OP_I32_ADD && op <= S.OP_I32_ROTR) {
            uint256 y = st.popI32(proof);
            uint256 x = st.popI32(proof);
            (uint256 r, uint256 trap) = _binary(op - S.OP_I32_ADD, x, y, 32);
            if (trap != 0) {
                st.trap = trap;
                return;
            }
            st.pushI32(r);
        } else if (op >= S.OP_I64_CLZ && op <= S.OP_I64_POPCNT) {
            st.pushI64(_unary(op - S.OP_I64_CLZ, st.popI64(proof), 64));
        } else if (op >= S.OP_I64_ADD && op <= S.OP_I64_ROTR) {
            uint256 y = st.popI64(proof);
            uint256 x = st.popI64(proof);
            (uint256 r, uint256 trap) = _binary(op - S.OP_I64_ADD, x, y, 64);
            if (trap != 0) {
                st.trap = trap;
                return;
            }
            st.pushI64(r);
        } else if (op == S.OP_I32_WRAP_I64) {
            st.pushI32(st.popI64(proof));
        } else if (op == S.OP_I64_EXTEND_I32_S) {
            st.pushI64(_sext(st.popI32(proof), 32));
        } else if (op == S.OP_I64_EXTEND_I32_U) {
            st.pushI64(st.popI32(proof));
        } else if (op == S.OP_I32_EXTEND8_S) {
            st.pushI32(_sext(st.popI32(proof) & 0xff, 8));
        } else if (op == S.OP_I32_EXTEND16_S) {
            st.pushI32(_sext(st.popI32(proof) & 0xffff, 16));
        } else if (op == S.OP_I64_EXTEND8_S) {
            st.pushI64(_sext(st.popI64(proof) & 0xff, 8));
        } else if (op == S.OP_I64_EXTEND16_S) {
            st.pushI64(_sext(st.popI64(proof) & 0xffff, 16));
        } else if (op == S.OP_I64_EXTEND32_S) {
            st.pushI64(_sext(st.popI64(proof) & MASK32, 32));
        } else {
            revert OneStepProofUnknownOpcode(uint16(op));
        }
        st.pc = st.pc + 1;
    }

    /// @dev Sign-extends the low `bits` of `v` to 64 bits (callers mask to their width).
    function _sext(uint256 v, uint256 bits) private pure returns (uint256) {
        if ((v >> (bits - 1)) & 1 == 1) return v | (MASK64 ^ ((1 << bits) - 1));
        return v;
    }

    /// @dev The signed value of the `bits`-wide word `v`.
    function _signed(uint256 v, uint256 bits) private pure returns (int256) {
        if ((v >> (bits - 1)) & 1 == 1) return int256(v) - int256(1 << bits);
        return int256(v);
    }

    /// @dev eq, ne, lt_s, lt_u, gt_s, gt_u, le_s, le_u, ge_s, ge_u (index 0–9).
    function _compare(uint256 k, uint256 x, uint256 y, uint256 bits) private pure returns (bool) {
        if (k == 0) return x == y;
        if (k == 1) return x != y;
        bool signed = k % 2 == 0;
        int256 a = signed ? _signed(x, bits) : int256(x);
        int256 b = signed ? _signed(y, bits) : int256(y);
        if (k <= 3) return a < b;
        if (k <= 5) return a > b;
        if (k <= 7) return a <= b;
        return a >= b;
    }

    /// @dev clz, ctz, popcnt (index 0–2) of a `bits`-wide word.
    function _unary(uint256 k, uint256 x, uint256 bits) private pure returns (uint256 r) {
        if (k == 0) {
            for (uint256 i = bits; i > 0 && (x >> (i - 1)) & 1 == 0; --i) ++r;
        } else if (k == 1) {
            for (uint256 i = 0; i < bits && (x >> i) & 1 == 0; ++i) ++r;
        } else {
            for (; x != 0; x &= x - 1) ++r;
        }
    }

    /**
     * @dev add, sub, mul, div_s, div_u, rem_s, rem_u, and, or, xor, shl, shr_s, shr_u, rotl, rotr
     * (index 0–14) of `bits`-wide words; returns the result (masked to the width) or a trap code.
     */
    function _binary(uint256 k, uint256 x, uint256 y, uint256 bits) private pure returns (uint256, uint256) {
        uint256 mask = bits == 32 ? MASK32 : MASK64;
        if (k == 0) return ((x + y) & mask, 0);
        if (k == 1) return ((x + (mask + 1) - y) & mask, 0);
        if (k == 2) return ((x * y) & mask, 0);
        if (k >= 3 && k <= 6) {
            if (y == 0) return (0, S.ERROR_INTEGER_DIVIDE_BY_ZERO);
            if (k == 4) return (x / y, 0);
            if (k == 6) return (x % y, 0);
            int256 a = _signed(x, bits);
            int256 b = _signed(y, bits);
            if (k == 3) {
                if (a == -int256(1 << (bits - 1)) && b == -1) return (0, S.ERROR_INTEGER_OVERFLOW);
                return (uint256(a / b) & mask, 0);
            }
            return (uint256(a % b) & mask, 0);
        }
        if (k == 7) return (x & y, 0);
        if (k == 8) return (x | y, 0);
        if (k == 9) return (x ^ y, 0);
        uint256 s = y & (bits - 1);
        if (k == 10) return ((x << s) & mask, 0);
        if (k == 11) return (uint256(_signed(x, bits) >> s) & mask, 0);
        if (k == 12) return (x >> s, 0);
        if (k == 13) return (((x << s) | (x >> (bits - s))) & mask, 0);
        return (((x >> s) | (x << (bits - s))) & mask, 0);
    }
}

/**
 * Names of the numeric instructions, without their `i32.`/`i64.` prefix, shared by the tests that
 * run every one of them through the machine and through the on-chain prover.
 */

/** The binary arithmetic and bitwise operators, the same for i32 and i64. */
export const ARITH_BINARY = [
  "add",
  "sub",
  "mul",
  "div_s",
  "div_u",
  "rem_s",
  "rem_u",
  "and",
  "or",
  "xor",
  "shl",
  "shr_s",
  "shr_u",
  "rotl",
  "rotr",
] as const;

/** The comparisons, the same for i32 and i64. */
export const COMPARISONS = [
  "eq",
  "ne",
  "lt_s",
  "lt_u",
  "gt_s",
  "gt_u",
  "le_s",
  "le_u",
  "ge_s",
  "ge_u",
] as const;

/** The unary i32 operators. */
export const I32_UNARY = ["clz", "ctz", "popcnt", "eqz", "extend8_s", "extend16_s"] as const;

/** The unary i64 operators other than `eqz` (which yields an i32). */
export const I64_UNARY = ["clz", "ctz", "popcnt", "extend8_s", "extend16_s", "extend32_s"] as const;

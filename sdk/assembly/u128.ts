// Unsigned 128-bit integers for token quantities, with exact decimal parsing and formatting. Integer
// instructions only (no floats): decimal digits go through four 32-bit limbs held in u64 temporaries.

const MASK32: u64 = 0xffffffff;

export class U128 {
  constructor(
    readonly hi: u64 = 0,
    readonly lo: u64 = 0,
  ) {}

  static readonly ZERO: U128 = new U128(0, 0);
  static readonly MAX: U128 = new U128(u64.MAX_VALUE, u64.MAX_VALUE);

  static fromU64(v: u64): U128 {
    return new U128(0, v);
  }

  isZero(): bool {
    return (this.hi | this.lo) == 0;
  }

  /** -1, 0 or 1. */
  cmp(b: U128): i32 {
    if (this.hi != b.hi) return this.hi < b.hi ? -1 : 1;
    if (this.lo != b.lo) return this.lo < b.lo ? -1 : 1;
    return 0;
  }

  eq(b: U128): bool {
    return this.hi == b.hi && this.lo == b.lo;
  }

  lt(b: U128): bool {
    return this.cmp(b) < 0;
  }

  le(b: U128): bool {
    return this.cmp(b) <= 0;
  }

  /** this + b, or null on overflow past 2^128 − 1. */
  addChecked(b: U128): U128 | null {
    const lo = this.lo + b.lo;
    const carry: u64 = lo < this.lo ? 1 : 0;
    const hi1 = this.hi + b.hi;
    if (hi1 < this.hi) return null;
    const hi = hi1 + carry;
    if (hi < hi1) return null;
    return new U128(hi, lo);
  }

  /** this + b; aborts on overflow. */
  add(b: U128): U128 {
    const r = this.addChecked(b);
    if (r === null) throw new Error("U128 overflow");
    return r;
  }

  /** this − b, or null if b > this. */
  subChecked(b: U128): U128 | null {
    if (this.lt(b)) return null;
    const lo = this.lo - b.lo;
    const borrow: u64 = this.lo < b.lo ? 1 : 0;
    return new U128(this.hi - b.hi - borrow, lo);
  }

  /** this − b; aborts if b > this. */
  sub(b: U128): U128 {
    const r = this.subChecked(b);
    if (r === null) throw new Error("U128 underflow");
    return r;
  }

  /** Decimal digits, no leading zeros ("0" for zero). */
  toString(): string {
    if (this.hi == 0) return this.lo.toString();
    // Limbs, most significant first; repeated division by 10^9 (each step fits in a u64).
    let l3 = this.hi >> 32;
    let l2 = this.hi & MASK32;
    let l1 = this.lo >> 32;
    let l0 = this.lo & MASK32;
    const chunks = new Array<u32>();
    while ((l3 | l2 | l1 | l0) != 0) {
      const d: u64 = 1_000_000_000;
      let r: u64 = 0;
      let c = (r << 32) | l3;
      l3 = c / d;
      r = c % d;
      c = (r << 32) | l2;
      l2 = c / d;
      r = c % d;
      c = (r << 32) | l1;
      l1 = c / d;
      r = c % d;
      c = (r << 32) | l0;
      l0 = c / d;
      r = c % d;
      chunks.push(<u32>r);
    }
    let s = chunks[chunks.length - 1].toString();
    for (let i = chunks.length - 2; i >= 0; i--) s += chunks[i].toString().padStart(9, "0");
    return s;
  }

  /**
   * Why `s` is not a canonical decimal quantity, or "" if it is one: "empty", "negative", "leading
   * zeros", "not a decimal integer", "exceeds 2^128 - 1". Canonical: one or more ASCII digits, no sign,
   * no leading zero (except "0" itself), no spaces, value at most 2^128 − 1.
   */
  static parseError(s: string): string {
    const n = s.length;
    if (n == 0) return "empty";
    let start = 0;
    const c0 = s.charCodeAt(0);
    if (c0 == 45 /* - */ && n > 1) {
      let digits = true;
      for (let i = 1; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c < 48 || c > 57) digits = false;
      }
      return digits ? "negative" : "not a decimal integer";
    }
    for (let i = start; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) return "not a decimal integer";
    }
    if (n > 1 && c0 == 48) return "leading zeros";
    return U128.parseDigits(s) === null ? "exceeds 2^128 - 1" : "";
  }

  /** The value of a canonical decimal quantity (see `parseError`), or null. */
  static parse(s: string): U128 | null {
    if (U128.parseError(s).length != 0) return null;
    return U128.parseDigits(s);
  }

  /** Decimal digits (already checked) → value, or null on overflow. */
  private static parseDigits(s: string): U128 | null {
    let l0: u64 = 0;
    let l1: u64 = 0;
    let l2: u64 = 0;
    let l3: u64 = 0;
    for (let i = 0, n = s.length; i < n; i++) {
      const d = <u64>(s.charCodeAt(i) - 48);
      let c = l0 * 10 + d;
      l0 = c & MASK32;
      c = l1 * 10 + (c >> 32);
      l1 = c & MASK32;
      c = l2 * 10 + (c >> 32);
      l2 = c & MASK32;
      c = l3 * 10 + (c >> 32);
      l3 = c & MASK32;
      if (c >> 32 != 0) return null;
    }
    return new U128((l3 << 32) | l2, (l1 << 32) | l0);
  }
}

// Byte helpers: big-endian reading and writing, lowercase hex, base64url (RFC 4648 §5, no padding).

const HEX = "0123456789abcdef";
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Lowercase hex of `len` bytes at `ptr`, no prefix. */
export function hexOf(ptr: usize, len: i32): string {
  const out = changetype<string>(__new((<usize>len) << 2, idof<string>()));
  const o = changetype<usize>(out);
  const hex = changetype<usize>(HEX);
  for (let i = 0; i < len; i++) {
    const b = <u32>load<u8>(ptr + i);
    store<u16>(o + ((<usize>i) << 2), load<u16>(hex + (((<usize>b) >> 4) << 1)));
    store<u16>(o + ((<usize>i) << 2) + 2, load<u16>(hex + (((<usize>b) & 15) << 1)));
  }
  return out;
}

/** Lowercase hex of a byte array. */
export function toHex(b: Uint8Array): string {
  return hexOf(b.dataStart, b.length);
}

/** Value of a hex digit (either case), or -1. */
export function hexDigit(c: i32): i32 {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** base64url without padding of `len` bytes at `ptr`. */
export function base64urlOf(ptr: usize, len: i32): string {
  const outLen = (len / 3) * 4 + (len % 3 == 0 ? 0 : (len % 3) + 1);
  const out = changetype<string>(__new((<usize>outLen) << 1, idof<string>()));
  let o = changetype<usize>(out);
  const tab = changetype<usize>(B64URL);
  let i = 0;
  for (; i + 3 <= len; i += 3) {
    const v =
      ((<u32>load<u8>(ptr + i)) << 16) | ((<u32>load<u8>(ptr + i + 1)) << 8) | (<u32>load<u8>(ptr + i + 2));
    store<u16>(o, load<u16>(tab + (((<usize>(v >> 18)) & 63) << 1)));
    store<u16>(o + 2, load<u16>(tab + (((<usize>(v >> 12)) & 63) << 1)));
    store<u16>(o + 4, load<u16>(tab + (((<usize>(v >> 6)) & 63) << 1)));
    store<u16>(o + 6, load<u16>(tab + (((<usize>v) & 63) << 1)));
    o += 8;
  }
  const rest = len - i;
  if (rest > 0) {
    let v = (<u32>load<u8>(ptr + i)) << 16;
    if (rest == 2) v |= (<u32>load<u8>(ptr + i + 1)) << 8;
    store<u16>(o, load<u16>(tab + (((<usize>(v >> 18)) & 63) << 1)));
    store<u16>(o + 2, load<u16>(tab + (((<usize>(v >> 12)) & 63) << 1)));
    if (rest == 2) store<u16>(o + 4, load<u16>(tab + (((<usize>(v >> 6)) & 63) << 1)));
  }
  return out;
}

/** base64url of a byte array. */
export function toBase64url(b: Uint8Array): string {
  return base64urlOf(b.dataStart, b.length);
}

/** Value of a base64url character, or -1. */
export function base64urlDigit(c: i32): i32 {
  if (c >= 65 && c <= 90) return c - 65;
  if (c >= 97 && c <= 122) return c - 71;
  if (c >= 48 && c <= 57) return c + 4;
  if (c == 45) return 62;
  if (c == 95) return 63;
  return -1;
}

/**
 * Decodes canonical unpadded base64url (the unused low bits of the last character must be zero);
 * null if `s` is not exactly that.
 */
export function fromBase64url(s: string): Uint8Array | null {
  const n = s.length;
  if (n % 4 == 1) return null;
  const out = new Uint8Array((n * 3) >> 2);
  let acc: u32 = 0;
  let bits: i32 = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const d = base64urlDigit(s.charCodeAt(i));
    if (d < 0) return null;
    acc = (acc << 6) | (<u32>d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[k++] = <u8>(acc >> bits);
      acc &= (1 << bits) - 1;
    }
  }
  if (acc != 0) return null;
  return out;
}

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s));
}

/** Decodes UTF-8 bytes (AssemblyScript's lenient decoder: deterministic for any input). */
export function fromUtf8(b: Uint8Array): string {
  return String.UTF8.decodeUnsafe(b.dataStart, b.length);
}

/** A growable big-endian byte writer. */
export class ByteWriter {
  private buf: Uint8Array;
  length: i32 = 0;

  constructor(capacity: i32 = 256) {
    this.buf = new Uint8Array(capacity > 0 ? capacity : 16);
  }

  private reserve(n: i32): usize {
    const need = this.length + n;
    if (need > this.buf.length) {
      let cap = this.buf.length << 1;
      while (cap < need) cap <<= 1;
      const next = new Uint8Array(cap);
      memory.copy(next.dataStart, this.buf.dataStart, <usize>this.length);
      this.buf = next;
    }
    const at = this.buf.dataStart + <usize>this.length;
    this.length = need;
    return at;
  }

  u8(v: u32): ByteWriter {
    store<u8>(this.reserve(1), <u8>v);
    return this;
  }

  u16(v: u32): ByteWriter {
    store<u16>(this.reserve(2), bswap<u16>(<u16>v));
    return this;
  }

  u32(v: u32): ByteWriter {
    store<u32>(this.reserve(4), bswap<u32>(v));
    return this;
  }

  u64(v: u64): ByteWriter {
    store<u64>(this.reserve(8), bswap<u64>(v));
    return this;
  }

  raw(ptr: usize, len: i32): ByteWriter {
    memory.copy(this.reserve(len), ptr, <usize>len);
    return this;
  }

  bytes(b: Uint8Array): ByteWriter {
    return this.raw(b.dataStart, b.length);
  }

  /** Start of the written bytes (valid until the next write). */
  get dataStart(): usize {
    return this.buf.dataStart;
  }

  /** A copy of the written bytes. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    memory.copy(out.dataStart, this.buf.dataStart, <usize>this.length);
    return out;
  }
}

/**
 * Hashing helpers of the machine core: keccak-256 (the fast synchronous one of machine/hash) and the
 * big-endian writer/reader used for every hash preimage and every proof.
 */
import { keccak256 } from "../hash/keccak";

/** keccak-256 (Ethereum's) of `data`. */
export function keccak(data: Uint8Array): Uint8Array {
  return keccak256(data);
}

/** 32 zero bytes. */
export const ZERO32: Uint8Array = new Uint8Array(32);

/** Builds a big-endian byte string (a hash preimage or a proof) piece by piece. */
export class ByteWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf[this.len++] = (v >>> 24) & 0xff;
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  /** A u64 given as a bigint (any sign: its low 64 bits are written) or a non-negative safe integer. */
  u64(v: bigint | number): this {
    if (typeof v === "number") {
      this.u32(Math.floor(v / 0x100000000));
      return this.u32(v >>> 0);
    }
    const u = BigInt.asUintN(64, v);
    this.u32(Number(u >> 32n));
    return this.u32(Number(u & 0xffffffffn));
  }

  get length(): number {
    return this.len;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Reads a big-endian byte string written by {@link ByteWriter}; `onShort` names the error to throw. */
export class ByteReader {
  pos = 0;
  constructor(
    readonly data: Uint8Array,
    private readonly onShort: () => Error,
  ) {}

  private need(n: number): void {
    if (this.pos + n > this.data.length) throw this.onShort();
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.data.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  u8(): number {
    this.need(1);
    return this.data[this.pos++];
  }

  u16(): number {
    this.need(2);
    const v = (this.data[this.pos] << 8) | this.data[this.pos + 1];
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const d = this.data;
    const p = this.pos;
    this.pos += 4;
    return ((d[p] << 24) | (d[p + 1] << 16) | (d[p + 2] << 8) | d[p + 3]) >>> 0;
  }

  u64(): bigint {
    const hi = this.u32();
    const lo = this.u32();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  get remaining(): number {
    return this.data.length - this.pos;
  }
}

/** keccak of a tag followed by parts, built with a writer callback. */
export function hashWith(tag: Uint8Array, build: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter();
  w.bytes(tag);
  build(w);
  return keccak(w.finish());
}

export function toHex(b: Uint8Array): string {
  return "0x" + Buffer.from(b).toString("hex");
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

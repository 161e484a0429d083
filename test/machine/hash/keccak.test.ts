import { expect } from "chai";
import { concat, getBytes, keccak256 as ethersKeccak, solidityPacked } from "ethers";
import fc from "fast-check";

import {
  HASH_BYTES,
  MAX_SINGLE_BLOCK_MESSAGE,
  bytesEqual,
  hashTagged,
  hashTaggedInto,
  hashTaggedItems,
  initHash,
  keccak256,
  keccak256Concat,
  toHex,
} from "../../../machine/hash";
import { IN_BYTES, KECCAK_RATE, keccakWasmBytes } from "../../../machine/hash/keccak-wasm";
import { DOMAIN_TAGS, domainTagBytes } from "../../../machine/spec";

const enc = new TextEncoder();

function pattern(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe("machine/hash keccak", () => {
  it("is ready without initialization; initHash() is a harmless no-op", async () => {
    expect(toHex(keccak256(new Uint8Array(0)))).to.equal(
      "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    );
    await initHash();
    expect(toHex(keccak256(enc.encode("abc")))).to.equal(ethersKeccak(enc.encode("abc")));
  });

  it("equals ethers' keccak256 for every length 0..3 blocks + 1", () => {
    for (let len = 0; len <= 3 * KECCAK_RATE + 1; len++) {
      const data = pattern(len, len + 7);
      expect(toHex(keccak256(data)), `length ${len}`).to.equal(ethersKeccak(data));
    }
  });

  it("equals ethers' keccak256 around the streaming-buffer boundary and for large inputs", () => {
    for (const len of [IN_BYTES - 1, IN_BYTES, IN_BYTES + 1, 2 * IN_BYTES + KECCAK_RATE - 1, 1_000_003]) {
      const data = pattern(len, len);
      expect(toHex(keccak256(data)), `length ${len}`).to.equal(ethersKeccak(data));
    }
  });

  it("equals ethers' keccak256 on random inputs (subarray views with offsets too)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), fc.nat(16), (data, cut) => {
        const view = data.subarray(Math.min(cut, data.length));
        expect(toHex(keccak256(view))).to.equal(ethersKeccak(view));
      }),
      { numRuns: 300 },
    );
  });

  it("keccak256Concat equals keccak256 of the concatenation", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }), (parts) => {
        expect(toHex(keccak256Concat(...parts))).to.equal(ethersKeccak(concat(parts)));
      }),
      { numRuns: 200 },
    );
    const big = [pattern(IN_BYTES - 5, 1), pattern(11, 2), pattern(IN_BYTES + 3, 3)];
    expect(toHex(keccak256Concat(...big))).to.equal(ethersKeccak(concat(big)));
  });

  it("hashTagged equals Solidity's keccak256(abi.encodePacked(tag, ...)) for the memory tags", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (l, r) => {
          const node = ethersKeccak(
            solidityPacked(["string", "bytes32", "bytes32"], [DOMAIN_TAGS.memoryNode, l, r]),
          );
          expect(toHex(hashTagged(domainTagBytes("memoryNode"), l, r))).to.equal(node);
          const leaf = ethersKeccak(solidityPacked(["string", "bytes32"], [DOMAIN_TAGS.memoryLeaf, l]));
          expect(toHex(hashTagged(domainTagBytes("memoryLeaf"), l))).to.equal(leaf);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("hashTagged equals abi.encodePacked(string, bytes, bytes) for arbitrary tags and parts", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }),
        fc.uint8Array({ maxLength: 200 }),
        fc.uint8Array({ maxLength: 200 }),
        (tag, a, b) => {
          const expected = ethersKeccak(solidityPacked(["string", "bytes", "bytes"], [tag, a, b]));
          expect(toHex(hashTagged(enc.encode(tag), a, b))).to.equal(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("hashTaggedInto writes only its 32 bytes at the offset, and tolerates out aliasing an input", () => {
    const tag = enc.encode("T:");
    const a = pattern(32, 5);
    const out = pattern(100, 9);
    const before = out.slice();
    hashTaggedInto(out, 40, tag, a);
    expect(toHex(out.subarray(40, 72))).to.equal(ethersKeccak(concat([tag, a])));
    expect(bytesEqual(out.subarray(0, 40), before.subarray(0, 40))).to.equal(true);
    expect(bytesEqual(out.subarray(72), before.subarray(72))).to.equal(true);
    const h = pattern(32, 11);
    const expected = ethersKeccak(concat([tag, h, a]));
    hashTaggedInto(h, 0, tag, h, a);
    expect(toHex(h)).to.equal(expected);
  });

  it("hashTaggedItems hashes each tag ‖ item, across internal chunk boundaries", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        fc.integer({ min: 0, max: 95 }),
        fc.integer({ min: 0, max: 20 }),
        fc.nat(50),
        fc.nat(50),
        (tag, itemLen, count, srcOffset, dstOffset) => {
          const src = pattern(srcOffset + itemLen * count + 3, itemLen + count);
          const dst = new Uint8Array(dstOffset + HASH_BYTES * count);
          hashTaggedItems(tag, src, srcOffset, itemLen, count, dst, dstOffset);
          for (let i = 0; i < count; i++) {
            const item = src.subarray(srcOffset + i * itemLen, srcOffset + (i + 1) * itemLen);
            const got = dst.subarray(dstOffset + i * HASH_BYTES, dstOffset + (i + 1) * HASH_BYTES);
            expect(toHex(got)).to.equal(ethersKeccak(concat([tag, item])));
          }
        },
      ),
      { numRuns: 200 },
    );
    const tag = domainTagBytes("memoryNode");
    const count = 5000; // more than one chunk of 64-byte items
    const src = pattern(64 * count, 3);
    const dst = new Uint8Array(32 * count);
    hashTaggedItems(tag, src, 0, 64, count, dst, 0);
    for (const i of [0, 1, 2045, 2046, 2047, 4091, 4092, 4999]) {
      const expected = ethersKeccak(concat([tag, src.subarray(64 * i, 64 * i + 64)]));
      expect(toHex(dst.subarray(32 * i, 32 * i + 32)), `item ${i}`).to.equal(expected);
    }
  });

  it("hashTaggedItems handles a message of exactly 135 bytes (both padding bits in one byte)", () => {
    const tag = pattern(35, 1);
    const src = pattern(100, 2);
    const dst = new Uint8Array(32);
    expect(tag.length + 100).to.equal(MAX_SINGLE_BLOCK_MESSAGE);
    hashTaggedItems(tag, src, 0, 100, 1, dst, 0);
    expect(toHex(dst)).to.equal(ethersKeccak(concat([tag, src])));
  });

  it("hashTaggedItems rejects messages longer than one block and ranges outside its buffers", () => {
    const dst = new Uint8Array(64);
    expect(() => hashTaggedItems(new Uint8Array(40), new Uint8Array(96), 0, 96, 1, dst, 0)).to.throw(
      RangeError,
    );
    expect(() => hashTaggedItems(new Uint8Array(1), new Uint8Array(64), 1, 64, 1, dst, 0)).to.throw(
      RangeError,
    );
    expect(() => hashTaggedItems(new Uint8Array(1), new Uint8Array(64), 0, 32, 2, dst, 1)).to.throw(
      RangeError,
    );
    expect(() => hashTaggedItems(new Uint8Array(1), new Uint8Array(64), -1, 32, 1, dst, 0)).to.throw(
      RangeError,
    );
  });

  it("builds a valid, deterministic wasm module", () => {
    const bytes = keccakWasmBytes();
    const wasm = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly;
    expect(wasm.validate(bytes)).to.equal(true);
    expect(bytesEqual(bytes, keccakWasmBytes())).to.equal(true);
  });

  it("bytesEqual and toHex", () => {
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).to.equal(true);
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).to.equal(false);
    expect(bytesEqual(new Uint8Array([1]), new Uint8Array([1, 0]))).to.equal(false);
    const bytes = getBytes("0x00ff10");
    expect(toHex(bytes.subarray(1))).to.equal("0xff10");
  });
});

import { expect } from "chai";
import { concat, keccak256 as ethersKeccak, solidityPacked } from "ethers";
import fc from "fast-check";

import { bytesEqual, toHex } from "../../../machine/hash";
import {
  type AccessWidth,
  EMPTY_MEMORY_ROOT,
  type LeafPairProof,
  MEMORY_LEAF_COUNT,
  MEMORY_TREE_DEPTH,
  MemoryGrowError,
  MemoryOutOfBoundsError,
  MemoryTree,
  ZERO_HASHES,
  pairCommonLevel,
  rootAfterLeafPairUpdate,
  verifyLeafPair,
} from "../../../machine/memory";
import { DOMAIN_TAGS, LAYOUT } from "../../../machine/spec";

// ------------------------------------------------------------------ naive reference (ethers only)

const DEPTH = LAYOUT.memoryTreeDepth;
const LEAF = LAYOUT.memoryLeafBytes;

function refLeaf(chunk: Uint8Array): string {
  return ethersKeccak(solidityPacked(["string", "bytes32"], [DOMAIN_TAGS.memoryLeaf, chunk]));
}

function refNode(left: string, right: string): string {
  return ethersKeccak(
    solidityPacked(["string", "bytes32", "bytes32"], [DOMAIN_TAGS.memoryNode, left, right]),
  );
}

const REF_ZERO: string[] = [refLeaf(new Uint8Array(LEAF))];
for (let k = 1; k <= DEPTH; k++) REF_ZERO.push(refNode(REF_ZERO[k - 1]!, REF_ZERO[k - 1]!));

/** Root of the 2^27-leaf tree whose first bytes are `bytes` and the rest zero, the obvious way. */
function refRoot(bytes: Uint8Array): string {
  let level: string[] = [];
  for (let i = 0; i < bytes.length; i += LEAF) {
    const chunk = new Uint8Array(LEAF);
    chunk.set(bytes.subarray(i, i + LEAF));
    level.push(refLeaf(chunk));
  }
  for (let k = 0; k < DEPTH; k++) {
    if (level.length === 0) level = [REF_ZERO[k]!];
    if (level.length % 2 === 1) level.push(REF_ZERO[k]!);
    const next: string[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(refNode(level[i]!, level[i + 1]!));
    level = next;
  }
  return level[0]!;
}

/** Sibling path of leaf `index`, the obvious way (bottom-up). */
function refSiblings(bytes: Uint8Array, index: number): string[] {
  let level: string[] = [];
  for (let i = 0; i < bytes.length; i += LEAF) level.push(refLeaf(bytes.subarray(i, i + LEAF)));
  const out: string[] = [];
  let idx = index;
  for (let k = 0; k < DEPTH; k++) {
    const sib = idx ^ 1;
    out.push(sib < level.length ? level[sib]! : REF_ZERO[k]!);
    if (level.length % 2 === 1) level.push(REF_ZERO[k]!);
    const next: string[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(refNode(level[i]!, level[i + 1]!));
    level = next;
    idx >>= 1;
  }
  return out;
}

/** Root of an otherwise-zero memory holding `leaves` (index → 32 bytes), the obvious sparse way. */
function refSparseRoot(leaves: Map<number, Uint8Array>): string {
  let level = new Map<number, string>();
  for (const [index, leaf] of leaves) level.set(index, refLeaf(leaf));
  for (let k = 0; k < DEPTH; k++) {
    const next = new Map<number, string>();
    for (const index of level.keys()) {
      const parent = Math.floor(index / 2);
      if (next.has(parent)) continue;
      next.set(
        parent,
        refNode(level.get(2 * parent) ?? REF_ZERO[k]!, level.get(2 * parent + 1) ?? REF_ZERO[k]!),
      );
    }
    level = next;
  }
  return level.get(0)!;
}

function writeLE(bytes: Uint8Array, address: number, width: number, value: bigint): void {
  for (let i = 0; i < width; i++) bytes[address + i] = Number((value >> BigInt(8 * i)) & 0xffn);
}

function hex(bytes: Uint8Array): string {
  return toHex(bytes);
}

function randomBytes(length: number, seed: number): Uint8Array {
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

// ------------------------------------------------------------------ a model memory for the property tests

class ModelMemory {
  bytes: Uint8Array;
  constructor(
    size: number,
    readonly pageBytes: number,
    readonly maxPages: number,
  ) {
    this.bytes = new Uint8Array(size);
  }
  inBounds(address: number, length: number): boolean {
    return address >= 0 && length >= 0 && address + length <= this.bytes.length;
  }
  write(address: number, width: number, value: bigint): void {
    writeLE(this.bytes, address, width, value);
  }
  read(address: number, width: number): bigint {
    let v = 0n;
    for (let i = width - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.bytes[address + i]!);
    return v;
  }
  grow(pages: number): boolean {
    if (this.bytes.length / this.pageBytes + pages > this.maxPages) return false;
    const next = new Uint8Array(this.bytes.length + pages * this.pageBytes);
    next.set(this.bytes);
    this.bytes = next;
    return true;
  }
}

type Op =
  | { kind: "write"; address: number; width: AccessWidth; value: bigint }
  | { kind: "writeBytes"; address: number; data: Uint8Array }
  | { kind: "fill"; address: number; value: number; length: number }
  | { kind: "copy"; destination: number; source: number; length: number }
  | { kind: "grow"; pages: number }
  | { kind: "root" };

/** Addresses are drawn past the current size too, so some operations must fail cleanly. */
function opArbitrary(span: number): fc.Arbitrary<Op> {
  const address = fc.oneof(
    fc.integer({ min: 0, max: span }),
    fc.integer({ min: 0, max: Math.floor(span / 4) }),
  );
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant("write" as const),
        address,
        width: fc.constantFrom<AccessWidth>(1, 2, 4, 8),
        value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("writeBytes" as const),
        address,
        data: fc.uint8Array({ maxLength: 300 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("fill" as const),
        address,
        value: fc.integer({ min: -300, max: 300 }),
        length: fc.integer({ min: 0, max: span }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("copy" as const),
        destination: address,
        source: address,
        length: fc.integer({ min: 0, max: span }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant("grow" as const), pages: fc.integer({ min: 0, max: 3 }) }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("root" as const) }) },
  );
}

/** Applies `op` to tree and model; returns false when the op was (correctly) refused. */
function apply(tree: MemoryTree, model: ModelMemory, op: Op): boolean {
  switch (op.kind) {
    case "write": {
      if (!model.inBounds(op.address, op.width)) {
        expect(() => tree.write(op.address, op.width, op.value)).to.throw(MemoryOutOfBoundsError);
        expect(() => tree.read(op.address, op.width)).to.throw(MemoryOutOfBoundsError);
        return false;
      }
      tree.write(op.address, op.width, op.value);
      model.write(op.address, op.width, op.value);
      expect(tree.read(op.address, op.width)).to.equal(model.read(op.address, op.width));
      return true;
    }
    case "writeBytes":
      if (!model.inBounds(op.address, op.data.length)) {
        expect(() => tree.writeBytes(op.address, op.data)).to.throw(MemoryOutOfBoundsError);
        return false;
      }
      tree.writeBytes(op.address, op.data);
      model.bytes.set(op.data, op.address);
      return true;
    case "fill":
      if (!model.inBounds(op.address, op.length)) {
        expect(() => tree.fill(op.address, op.value, op.length)).to.throw(MemoryOutOfBoundsError);
        return false;
      }
      tree.fill(op.address, op.value, op.length);
      model.bytes.fill(op.value & 0xff, op.address, op.address + op.length);
      return true;
    case "copy":
      if (!model.inBounds(op.source, op.length) || !model.inBounds(op.destination, op.length)) {
        expect(() => tree.copy(op.destination, op.source, op.length)).to.throw(MemoryOutOfBoundsError);
        return false;
      }
      tree.copy(op.destination, op.source, op.length);
      model.bytes.copyWithin(op.destination, op.source, op.source + op.length);
      return true;
    case "grow": {
      const before = tree.pages;
      if (!model.grow(op.pages)) {
        expect(() => tree.grow(op.pages)).to.throw(MemoryGrowError);
        expect(tree.tryGrow(op.pages)).to.equal(-1);
        expect(tree.pages).to.equal(before);
        return false;
      }
      expect(tree.grow(op.pages)).to.equal(before);
      return true;
    }
    case "root":
      tree.root();
      return true;
  }
}

// ------------------------------------------------------------------ tests

describe("machine/memory MemoryTree", () => {
  describe("hashing constants", () => {
    it("uses the spec's depth, leaf size and tags", () => {
      expect(MEMORY_TREE_DEPTH).to.equal(27);
      expect(MemoryTree.DEPTH).to.equal(27);
      expect(MemoryTree.LEAF_BYTES).to.equal(32);
      expect(MEMORY_LEAF_COUNT * 32).to.equal(2 ** 32);
    });

    it("precomputes the zero-subtree hashes exactly as abi.encodePacked(tag, ...) would", () => {
      expect(ZERO_HASHES.length).to.equal(DEPTH + 1);
      for (let k = 0; k <= DEPTH; k++) expect(hex(ZERO_HASHES[k]!), `level ${k}`).to.equal(REF_ZERO[k]);
      expect(hex(EMPTY_MEMORY_ROOT)).to.equal(REF_ZERO[DEPTH]);
    });
  });

  describe("known small cases (against the naive ethers reference)", () => {
    it("an empty memory of any size has the empty root; growing keeps it", () => {
      const tree = new MemoryTree({ initialPages: 0, maxPages: 4 });
      expect(hex(tree.root())).to.equal(REF_ZERO[DEPTH]);
      expect(tree.grow(2)).to.equal(0);
      expect(tree.size).to.equal(2 * 65536);
      expect(hex(tree.root())).to.equal(REF_ZERO[DEPTH]);
    });

    it("single writes at the first byte, a leaf boundary, a pair boundary, the last byte", () => {
      const size = 65536;
      for (const [address, width] of [
        [0, 1],
        [31, 2],
        [62, 4],
        [60, 8],
        [size - 1, 1],
        [size - 8, 8],
      ] as const) {
        const tree = new MemoryTree({ initialPages: 1 });
        tree.write(address, width, 0x1122334455667788n);
        const bytes = new Uint8Array(size);
        writeLE(bytes, address, width, 0x1122334455667788n);
        expect(hex(tree.root()), `write ${width} at ${address}`).to.equal(refRoot(bytes));
        expect(hex(MemoryTree.fromBytes(bytes).root())).to.equal(refRoot(bytes));
      }
    });

    it("a full page of random bytes: fromBytes, incremental and the reference agree", () => {
      const bytes = randomBytes(65536, 42);
      const expected = refRoot(bytes);
      expect(hex(MemoryTree.fromBytes(bytes).root())).to.equal(expected);
      const tree = new MemoryTree({ initialPages: 1 });
      tree.writeBytes(0, bytes);
      expect(hex(tree.root())).to.equal(expected);
    });

    it("writes little-endian, unaligned, across leaf boundaries", () => {
      const tree = new MemoryTree({ initialPages: 1 });
      tree.store64(29, 0x0102030405060708n); // bytes 29..36 straddle leaves 0 and 1
      expect(Array.from(tree.readBytes(29, 8))).to.deep.equal([8, 7, 6, 5, 4, 3, 2, 1]);
      expect(tree.load32(31)).to.equal(0x03040506);
      expect(tree.load16(30)).to.equal(0x0607);
      expect(tree.load8(36)).to.equal(1);
      expect(tree.load64(29)).to.equal(0x0102030405060708n);
      tree.store32(100, -1);
      expect(tree.load32(100)).to.equal(0xffffffff);
      tree.store16(200, 0x12345);
      expect(tree.load16(200)).to.equal(0x2345);
      tree.store8(300, 0x1ff);
      expect(tree.load8(300)).to.equal(0xff);
      tree.write(400, 8, -1n);
      expect(tree.read(400, 8)).to.equal(2n ** 64n - 1n);
      expect(hex(tree.root())).to.equal(refRoot(tree.readBytes(0, tree.size)));
    });
  });

  describe("properties", () => {
    for (const pageBytes of [64, 256]) {
      it(`random op sequences (page ${pageBytes} B): incremental root = from-scratch root = reference`, () => {
        const maxPages = 8;
        fc.assert(
          fc.property(
            fc.integer({ min: 0, max: 3 }),
            fc.array(opArbitrary(maxPages * pageBytes + 8), { maxLength: 30 }),
            (initialPages, ops) => {
              const tree = new MemoryTree({ initialPages, maxPages, pageBytes });
              const model = new ModelMemory(initialPages * pageBytes, pageBytes, maxPages);
              for (const op of ops) {
                const rootBefore = hex(tree.root());
                const accepted = apply(tree, model, op);
                expect(tree.size).to.equal(model.bytes.length);
                if (!accepted) expect(hex(tree.root()), "a refused op changed the root").to.equal(rootBefore);
              }
              const root = hex(tree.root());
              expect(bytesEqual(tree.unsafeView(), model.bytes)).to.equal(true);
              expect(hex(MemoryTree.fromBytes(model.bytes, { pageBytes, maxPages }).root())).to.equal(root);
              expect(root).to.equal(refRoot(model.bytes));
            },
          ),
          { numRuns: 60 },
        );
      });
    }

    it("random op sequences on 64 KiB pages without intermediate roots: incremental = from-scratch", () => {
      fc.assert(
        fc.property(fc.array(opArbitrary(3 * 65536 + 8), { maxLength: 60 }), (ops) => {
          const tree = new MemoryTree({ initialPages: 1, maxPages: 3 });
          const model = new ModelMemory(65536, 65536, 3);
          for (const op of ops) if (op.kind !== "root") apply(tree, model, op);
          expect(bytesEqual(tree.unsafeView(), model.bytes)).to.equal(true);
          expect(hex(tree.root())).to.equal(hex(MemoryTree.fromBytes(model.bytes, { maxPages: 3 }).root()));
        }),
        { numRuns: 40 },
      );
    });

    it("many large dirty ranges between roots (range coalescing) stay exact", () => {
      const tree = new MemoryTree({ initialPages: 16, maxPages: 16 });
      const model = new ModelMemory(16 * 65536, 65536, 16);
      const rnd = randomBytes(3 * 10_000, 7);
      for (let i = 0; i < 10_000; i++) {
        const address = ((rnd[3 * i]! << 8) | rnd[3 * i + 1]!) * 15;
        const length = 3000 + rnd[3 * i + 2]! * 4;
        tree.fill(address, i, length);
        model.bytes.fill(i & 0xff, address, address + length);
      }
      expect(hex(tree.root())).to.equal(hex(MemoryTree.fromBytes(model.bytes).root()));
    });

    it("fromBytes skips zero regions correctly (sparse contents)", () => {
      const bytes = new Uint8Array(8 * 65536);
      bytes[5] = 1;
      bytes[4096] = 2; // first byte of a scan block
      bytes[3 * 65536 - 1] = 3; // last byte of a scan block
      bytes[8 * 65536 - 1] = 4;
      bytes.fill(9, 5 * 65536 + 100, 5 * 65536 + 9000);
      const expected = hex(MemoryTree.fromBytes(bytes).root());
      const tree = new MemoryTree({ initialPages: 8 });
      tree.writeBytes(0, bytes);
      expect(hex(tree.root())).to.equal(expected);
      expect(expected).to.equal(refRoot(bytes.subarray(0, bytes.length)));
    });

    it("grow keeps the root and the old bytes, across several reallocations", () => {
      const tree = new MemoryTree({ initialPages: 1, maxPages: 40 });
      tree.writeBytes(1000, randomBytes(5000, 3));
      const root = hex(tree.root());
      for (let i = 0; i < 10; i++) {
        tree.grow(i % 3);
        tree.store8(1, 0);
        expect(hex(tree.root())).to.equal(root);
      }
      tree.store8(tree.size - 1, 7);
      const bytes = tree.readBytes(0, tree.size);
      expect(hex(tree.root())).to.equal(hex(MemoryTree.fromBytes(bytes).root()));
    });

    it("snapshot/restore returns bytes, size and root to the snapshot (random ops, grows included)", () => {
      const pageBytes = 128;
      const maxPages = 8;
      fc.assert(
        fc.property(
          fc.array(opArbitrary(maxPages * pageBytes + 8), { maxLength: 15 }),
          fc.array(opArbitrary(maxPages * pageBytes + 8), { maxLength: 25 }),
          fc.array(opArbitrary(maxPages * pageBytes + 8), { maxLength: 10 }),
          (before, during, after) => {
            const tree = new MemoryTree({ initialPages: 2, maxPages, pageBytes });
            let model = new ModelMemory(2 * pageBytes, pageBytes, maxPages);
            for (const op of before) apply(tree, model, op);
            tree.snapshot();
            const snapBytes = model.bytes.slice();
            const snapRoot = hex(tree.root());
            expect(tree.pagesAtSnapshot).to.equal(snapBytes.length / pageBytes);
            for (const op of during) apply(tree, model, op);
            tree.restore();
            expect(tree.size).to.equal(snapBytes.length);
            expect(bytesEqual(tree.unsafeView(), snapBytes)).to.equal(true);
            expect(hex(tree.root())).to.equal(snapRoot);
            model = new ModelMemory(0, pageBytes, maxPages);
            model.bytes = snapBytes;
            for (const op of after) apply(tree, model, op);
            expect(hex(tree.root())).to.equal(refRoot(model.bytes));
            // restore() took a new snapshot at the restored state
            tree.restore();
            expect(hex(tree.root())).to.equal(snapRoot);
          },
        ),
        { numRuns: 80 },
      );
    });

    it("a snapshot costs only the pages written; restore without a snapshot throws", () => {
      const tree = new MemoryTree({ initialPages: 4, maxPages: 8 });
      expect(() => tree.restore()).to.throw(Error, /no snapshot/);
      expect(tree.pagesAtSnapshot).to.equal(4);
      tree.fill(0, 1, 4 * 65536);
      tree.snapshot();
      const root = hex(tree.root());
      tree.grow(2);
      tree.store32(5 * 65536 + 3, 7); // a page born after the snapshot
      tree.store8(65536, 9);
      expect(tree.pagesAtSnapshot).to.equal(4);
      expect(hex(tree.root())).to.not.equal(root);
      tree.restore();
      expect(tree.pages).to.equal(4);
      expect(hex(tree.root())).to.equal(root);
      tree.grow(2); // the grown pages are zero again
      expect(tree.load32(5 * 65536 + 3)).to.equal(0);
      expect(hex(tree.root())).to.equal(root);
    });

    it("touch + writes through unsafeView keep the tree and the snapshot exact", () => {
      const tree = new MemoryTree({ initialPages: 1, maxPages: 2 });
      tree.snapshot();
      const root = hex(tree.root());
      tree.touch(30, 4);
      tree.unsafeView().set([1, 2, 3, 4], 30);
      const bytes = tree.readBytes(0, tree.size);
      expect(hex(tree.root())).to.equal(hex(MemoryTree.fromBytes(bytes).root()));
      expect(() => tree.touch(65535, 2)).to.throw(MemoryOutOfBoundsError);
      tree.restore();
      expect(hex(tree.root())).to.equal(root);
    });

    it("clone is deep and independent", () => {
      const tree = new MemoryTree({ initialPages: 1, maxPages: 2 });
      tree.store32(10, 1234);
      const copy = tree.clone();
      expect(hex(copy.root())).to.equal(hex(tree.root()));
      copy.store32(10, 99);
      copy.grow(1);
      expect(tree.load32(10)).to.equal(1234);
      expect(tree.pages).to.equal(1);
      expect(hex(tree.root())).to.not.equal(hex(copy.root()));
      expect(hex(copy.root())).to.equal(hex(MemoryTree.fromBytes(copy.readBytes(0, copy.size)).root()));
    });
  });

  describe("proofs", () => {
    const pageBytes = 256;

    it("proofs of random leaves (inside and past the size) match the reference and verify", () => {
      const bytes = randomBytes(4 * pageBytes, 5);
      const tree = MemoryTree.fromBytes(bytes, { pageBytes });
      const root = tree.root();
      for (const index of [0, 1, 2, 7, 8, 31, 32, 33, 1000, MEMORY_LEAF_COUNT - 1]) {
        const proof = tree.proveLeaf(index);
        expect(proof.index).to.equal(index);
        expect(proof.siblings.length).to.equal(DEPTH);
        expect(proof.siblings.map(hex)).to.deep.equal(refSiblings(bytes, index));
        expect(bytesEqual(proof.leaf, tree.leaf(index))).to.equal(true);
        expect(MemoryTree.verifyLeaf(root, index, proof.leaf, proof.siblings)).to.equal(true);
      }
    });

    it("tampered leaf, sibling, index or root fails; rootAfterLeafUpdate = root after the write", () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 2 * pageBytes, maxLength: 2 * pageBytes }),
          fc.nat(2 * pageBytes - 1),
          fc.nat(DEPTH - 1),
          fc.nat(31),
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          (bytes, address, level, byte, newLeaf) => {
            const tree = MemoryTree.fromBytes(bytes, { pageBytes, maxPages: 4 });
            const root = tree.root();
            const index = MemoryTree.leafIndexOf(address);
            const { leaf, siblings } = tree.proveLeaf(index);
            expect(MemoryTree.verifyLeaf(root, index, leaf, siblings)).to.equal(true);

            const badLeaf = leaf.slice();
            badLeaf[byte]! ^= 1;
            expect(MemoryTree.verifyLeaf(root, index, badLeaf, siblings)).to.equal(false);
            const badSiblings = siblings.map((s) => s.slice());
            badSiblings[level]![byte]! ^= 0x80;
            expect(MemoryTree.verifyLeaf(root, index, leaf, badSiblings)).to.equal(false);
            expect(MemoryTree.verifyLeaf(root, index ^ (1 << level), leaf, siblings)).to.equal(false);
            const badRoot = root.slice();
            badRoot[byte]! ^= 4;
            expect(MemoryTree.verifyLeaf(badRoot, index, leaf, siblings)).to.equal(false);
            expect(MemoryTree.verifyLeaf(root, index, leaf, siblings.slice(1))).to.equal(false);
            expect(MemoryTree.verifyLeaf(root, -1, leaf, siblings)).to.equal(false);
            expect(MemoryTree.verifyLeaf(root, MEMORY_LEAF_COUNT, leaf, siblings)).to.equal(false);

            const predicted = MemoryTree.rootAfterLeafUpdate(index, newLeaf, siblings);
            tree.writeBytes(index * 32, newLeaf);
            expect(hex(predicted)).to.equal(hex(tree.root()));
          },
        ),
        { numRuns: 100 },
      );
    });

    it("pair proofs for straddling accesses: verify, reject tampering, and predict the new root", () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 4 * pageBytes, maxLength: 4 * pageBytes }),
          fc.integer({ min: 0, max: 4 * pageBytes - 8 }),
          fc.constantFrom<AccessWidth>(2, 4, 8),
          fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
          (bytes, address, width, value) => {
            const { first, count } = MemoryTree.accessLeaves(address, width);
            fc.pre(count === 2);
            const tree = MemoryTree.fromBytes(bytes, { pageBytes });
            const root = tree.root();
            const proof = tree.proveLeafPair(first);
            expect(verifyLeafPair(root, proof)).to.equal(true);

            const tampered: LeafPairProof = {
              first: proof.first,
              second: { ...proof.second, leaf: proof.first.leaf },
            };
            expect(verifyLeafPair(root, tampered)).to.equal(bytesEqual(proof.first.leaf, proof.second.leaf));
            const swapped: LeafPairProof = { first: proof.second, second: proof.first };
            expect(verifyLeafPair(root, swapped)).to.equal(false);

            tree.write(address, width, value);
            const predicted = rootAfterLeafPairUpdate(proof, tree.leaf(first), tree.leaf(first + 1));
            expect(hex(predicted)).to.equal(hex(tree.root()));
          },
        ),
        { numRuns: 150 },
      );
    });

    it("pair update at every common-ancestor level, up to the root (sparse reference)", () => {
      const tree = new MemoryTree({ initialPages: 1 });
      const root = tree.root();
      for (const index of [0, 1, 3, 7, 2 ** 20 - 1, 2 ** 26 - 1, 2 ** 26, 2 ** 27 - 2]) {
        const proof = tree.proveLeafPair(index); // past the size: all-zero leaves, provable all the same
        expect(verifyLeafPair(root, proof)).to.equal(true);
        const a = randomBytes(32, index + 1);
        const b = randomBytes(32, index + 2);
        const expected = refSparseRoot(
          new Map([
            [index, a],
            [index + 1, b],
          ]),
        );
        expect(hex(rootAfterLeafPairUpdate(proof, a, b)), `index ${index}`).to.equal(expected);
        expect(hex(MemoryTree.rootAfterLeafUpdate(index, a, proof.first.siblings))).to.equal(
          refSparseRoot(new Map([[index, a]])),
        );
      }
      expect(pairCommonLevel(0)).to.equal(1);
      expect(pairCommonLevel(1)).to.equal(2);
      expect(pairCommonLevel(2 ** 26 - 1)).to.equal(27);
      expect(() => tree.proveLeafPair(MEMORY_LEAF_COUNT - 1)).to.throw(RangeError);
    });

    it("accessLeaves reports straddling accesses", () => {
      expect(MemoryTree.accessLeaves(0, 8)).to.deep.equal({ first: 0, count: 1 });
      expect(MemoryTree.accessLeaves(24, 8)).to.deep.equal({ first: 0, count: 1 });
      expect(MemoryTree.accessLeaves(25, 8)).to.deep.equal({ first: 0, count: 2 });
      expect(MemoryTree.accessLeaves(63, 1)).to.deep.equal({ first: 1, count: 1 });
      expect(() => MemoryTree.accessLeaves(0, 100)).to.throw(RangeError);
    });
  });

  describe("bad input", () => {
    function snapshot(tree: MemoryTree): [string, string, number] {
      return [hex(tree.root()), ethersKeccak(tree.unsafeView()), tree.size];
    }

    it("out-of-range accesses throw MemoryOutOfBoundsError with address, length and size; nothing changes", () => {
      const tree = new MemoryTree({ initialPages: 1, maxPages: 2 });
      tree.writeBytes(0, randomBytes(65536, 9));
      const before = snapshot(tree);
      const size = 65536;
      const attempts: [string, () => unknown][] = [
        ["load8 at size", () => tree.load8(size)],
        ["load16 straddling the end", () => tree.load16(size - 1)],
        ["load32 straddling the end", () => tree.load32(size - 3)],
        ["load64 straddling the end", () => tree.load64(size - 7)],
        ["store8 at size", () => tree.store8(size, 1)],
        ["store16 straddling", () => tree.store16(size - 1, 1)],
        ["store32 straddling", () => tree.store32(size - 2, 1)],
        ["store64 straddling", () => tree.store64(size - 4, 1n)],
        ["negative address", () => tree.store8(-1, 1)],
        ["fractional address", () => tree.store32(1.5, 1)],
        ["NaN address", () => tree.load8(NaN)],
        ["huge address", () => tree.load64(2 ** 33)],
        ["writeBytes past the end", () => tree.writeBytes(size - 2, new Uint8Array(3))],
        ["readBytes past the end", () => tree.readBytes(size - 2, 3)],
        ["fill past the end", () => tree.fill(size - 10, 0, 11)],
        ["fill of length 0 past the end", () => tree.fill(size + 1, 0, 0)],
        ["fill with negative length", () => tree.fill(0, 0, -1)],
        ["copy source past the end", () => tree.copy(0, size - 10, 11)],
        ["copy destination past the end", () => tree.copy(size - 10, 0, 11)],
      ];
      for (const [what, attempt] of attempts) {
        expect(attempt, what).to.throw(MemoryOutOfBoundsError);
        expect(snapshot(tree), what).to.deep.equal(before);
      }
      try {
        tree.store64(size - 4, 1n);
        expect.fail("store64 should have thrown");
      } catch (e) {
        expect(e).to.be.instanceOf(MemoryOutOfBoundsError);
        const err = e as MemoryOutOfBoundsError;
        expect(err.name).to.equal("MemoryOutOfBoundsError");
        expect([err.address, err.length, err.memorySize]).to.deep.equal([size - 4, 8, size]);
        expect(err.message).to.contain(String(size - 4));
      }
      // Zero-length operations at the very end are in bounds (as in wasm).
      tree.fill(size, 0, 0);
      tree.copy(size, size, 0);
      tree.writeBytes(size, new Uint8Array(0));
      expect(snapshot(tree)).to.deep.equal(before);
    });

    it("grow past the limit throws MemoryGrowError (tryGrow returns -1); nothing changes", () => {
      const tree = new MemoryTree({ initialPages: 1, maxPages: 3 });
      tree.store8(7, 7);
      const before = snapshot(tree);
      for (const delta of [3, 100, -1, 0.5, NaN]) {
        expect(() => tree.grow(delta), `grow(${delta})`).to.throw(MemoryGrowError);
        expect(tree.tryGrow(delta)).to.equal(-1);
        expect(snapshot(tree)).to.deep.equal(before);
      }
      try {
        tree.grow(5);
      } catch (e) {
        const err = e as MemoryGrowError;
        expect(err.name).to.equal("MemoryGrowError");
        expect([err.currentPages, err.deltaPages, err.maxPages]).to.deep.equal([1, 5, 3]);
      }
      expect(tree.tryGrow(2)).to.equal(1);
      expect(tree.pages).to.equal(3);
      expect(tree.tryGrow(1)).to.equal(-1);
      expect(tree.grow(0)).to.equal(3);
    });

    it("rejects bad options, widths and leaf indices", () => {
      expect(() => new MemoryTree({ pageBytes: 100 })).to.throw(RangeError);
      expect(() => new MemoryTree({ pageBytes: 32 })).to.throw(RangeError);
      expect(() => new MemoryTree({ maxPages: 65537 })).to.throw(RangeError);
      expect(() => new MemoryTree({ initialPages: 3, maxPages: 2 })).to.throw(RangeError);
      expect(() => MemoryTree.fromBytes(new Uint8Array(100))).to.throw(RangeError);
      const tree = new MemoryTree({ initialPages: 1 });
      expect(() => tree.read(0, 3 as AccessWidth)).to.throw(RangeError);
      expect(() => tree.write(0, 16 as AccessWidth, 0n)).to.throw(RangeError);
      expect(() => tree.proveLeaf(-1)).to.throw(RangeError);
      expect(() => tree.proveLeaf(MEMORY_LEAF_COUNT)).to.throw(RangeError);
      expect(() => tree.leaf(0.5)).to.throw(RangeError);
      expect(() => MemoryTree.rootAfterLeafUpdate(0, new Uint8Array(31), [])).to.throw(RangeError);
    });
  });

  it("the naive reference itself is sane (hashes concatenations exactly)", () => {
    const chunk = randomBytes(32, 1);
    expect(refLeaf(chunk)).to.equal(
      ethersKeccak(concat([new TextEncoder().encode("Holo:Memory leaf:"), chunk])),
    );
  });
});

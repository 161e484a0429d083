/**
 * sdk/ts/assignments.ts: the hand-written EIP-712 encoding equals ethers' `TypedDataEncoder` (the reference
 * encoder, which the on-chain `AssignmentLib` is checked against in test/registry/AssignmentLib.test.ts), for
 * random assignments and domains, and refuses what ethers refuses.
 */
import { expect } from "chai";
import fc from "fast-check";
import { TypedDataEncoder, Wallet, hexlify } from "ethers";

import {
  ASSIGNMENT_TYPES,
  assignmentDomain,
  assignmentHash,
  assignmentStructHash,
  recoverAssignmentSigner,
  signAssignment,
  signAssignmentWithKey,
  type Assignment,
} from "../../sdk/ts/assignments";

const b32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hexlify(b));
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const u32 = fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.bigInt({ min: 0n, max: 2n ** 32n - 1n }));
const assignment: fc.Arbitrary<Assignment> = fc.record({
  process: b32,
  slot: u64,
  messageId: b32,
  messageHash: b32,
  messageLength: u32,
  timestamp: u64,
  blockHeight: u64,
  prevAssignmentHash: b32,
});
const domain = fc
  .tuple(fc.bigInt({ min: 1n, max: 2n ** 64n }), fc.uint8Array({ minLength: 20, maxLength: 20 }))
  .map(([chainId, address]) => assignmentDomain(chainId, hexlify(address)));

describe("sdk/ts/assignments (encoding)", function () {
  it("test_assignmentHash_equalsTypedDataEncoder_property", function () {
    fc.assert(
      fc.property(domain, assignment, (d, a) => {
        expect(assignmentStructHash(a)).to.equal(
          TypedDataEncoder.hashStruct("Assignment", ASSIGNMENT_TYPES, a),
        );
        expect(assignmentHash(d, a)).to.equal(TypedDataEncoder.hash(d, ASSIGNMENT_TYPES, a));
      }),
      { numRuns: 300 },
    );
  });

  it("test_assignmentHash_domainsDoNotShareACachedSeparator", function () {
    const a: Assignment = {
      process: hexlify(new Uint8Array(32).fill(1)),
      slot: 3n,
      messageId: hexlify(new Uint8Array(32).fill(2)),
      messageHash: hexlify(new Uint8Array(32).fill(3)),
      messageLength: 6,
      timestamp: 4n,
      blockHeight: 5n,
      prevAssignmentHash: hexlify(new Uint8Array(32)),
    };
    const c1 = "0x" + "11".repeat(20);
    const c2 = "0x" + "22".repeat(20);
    const variants = [
      assignmentDomain(1n, c1),
      assignmentDomain(1, c1.toUpperCase().replace("0X", "0x")),
      assignmentDomain("1", c1),
      assignmentDomain(2n, c1),
      assignmentDomain(1n, c2),
      { ...assignmentDomain(1n, c1), name: "Other" },
      { ...assignmentDomain(1n, c1), version: "2" },
      { name: "Holoproof", version: "1", chainId: 1n }, // no verifyingContract: not cached
    ];
    const hashes = variants.map((d) => {
      const h = assignmentHash(d, a);
      expect(h).to.equal(TypedDataEncoder.hash(d, ASSIGNMENT_TYPES, a));
      return h;
    });
    // the first three are one domain written three ways; every other one differs
    expect(hashes[1]).to.equal(hashes[0]);
    expect(hashes[2]).to.equal(hashes[0]);
    expect(new Set(hashes).size).to.equal(variants.length - 2);
  });

  it("test_assignmentHash_badField_refusedLikeEthers", function () {
    const good: Assignment = {
      process: hexlify(new Uint8Array(32)),
      slot: 0n,
      messageId: hexlify(new Uint8Array(32)),
      messageHash: hexlify(new Uint8Array(32)),
      messageLength: 0,
      timestamp: 0n,
      blockHeight: 0n,
      prevAssignmentHash: hexlify(new Uint8Array(32)),
    };
    const d = assignmentDomain(1n, "0x" + "11".repeat(20));
    const bad: [Partial<Assignment>, RegExp][] = [
      [{ slot: 2n ** 64n }, /slot .* not a uint64/],
      [{ slot: -1n }, /slot .* not a uint64/],
      [{ timestamp: 2n ** 64n }, /timestamp .* not a uint64/],
      [{ messageLength: 2n ** 32n }, /messageLength 4294967296 is not a uint32/],
      [{ messageLength: 2 ** 32 }, /messageLength .* not a uint32/],
      [{ messageLength: -1 }, /messageLength -1 is not a uint32/],
      [{ messageLength: "1.5" }, /messageLength must be an integer/],
      [{ blockHeight: "x" }, /blockHeight must be an integer/],
      [{ process: "0x" + "00".repeat(31) }, /process must be 32 bytes/],
      [{ messageId: "0x" + "00".repeat(33) }, /messageId must be 32 bytes/],
      [{ messageHash: "nothex" }, /messageHash must be 32 bytes of hex/],
      [{ prevAssignmentHash: "0x" + "0".repeat(63) }, /prevAssignmentHash must be 32 bytes of hex/],
    ];
    for (const [change, message] of bad) {
      const a = { ...good, ...change };
      expect(
        () => assignmentHash(d, a),
        JSON.stringify(change, (_, v) => String(v)),
      ).to.throw(message);
      expect(() => TypedDataEncoder.hash(d, ASSIGNMENT_TYPES, a)).to.throw();
    }
  });

  it("test_signAssignmentWithKey_equalsWalletSignature_andRecovers", async function () {
    const w = Wallet.createRandom();
    const d = assignmentDomain(31337n, "0x" + "33".repeat(20));
    await fc.assert(
      fc.asyncProperty(assignment, async (a) => {
        const sig = signAssignmentWithKey(w.privateKey, d, a);
        expect(sig).to.equal(await signAssignment(w, d, a));
        expect(recoverAssignmentSigner(d, a, sig)).to.equal(w.address);
        // another chain's domain: the signature names someone else
        expect(recoverAssignmentSigner(assignmentDomain(1n, "0x" + "33".repeat(20)), a, sig)).to.not.equal(
          w.address,
        );
      }),
      { numRuns: 50 },
    );
  });
});

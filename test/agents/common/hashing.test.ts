/**
 * agents/common/hashing.ts: once registered, ethers' keccak256 (and what is built on it: EIP-712 digests,
 * EIP-191 message hashes, checksummed addresses) gives the same digests as ethers' own JavaScript keccak.
 */
import { expect } from "chai";
import fc from "fast-check";
import { TypedDataEncoder, getAddress, hashMessage, hexlify, keccak256 } from "ethers";

import { useFastKeccak } from "../../../agents/common/hashing";
import { ASSIGNMENT_TYPES, assignmentDomain } from "../../../sdk/ts/assignments";

/** ethers' built-in JavaScript keccak, which `register` replaces. */
const reference = (data: Uint8Array) => hexlify(keccak256._(data));

describe("agents/common/hashing", function () {
  it("test_useFastKeccak_sameDigestsAsEthersJs_property", function () {
    useFastKeccak();
    useFastKeccak(); // idempotent
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (data) => {
        expect(keccak256(data)).to.equal(reference(data));
      }),
      { numRuns: 500 },
    );
    // lengths around the sponge's rate (136 bytes) and its multiples
    for (const n of [0, 1, 135, 136, 137, 271, 272, 273, 4096]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff);
      expect(keccak256(data), `length ${n}`).to.equal(reference(data));
    }
  });

  it("test_useFastKeccak_ethersHashesBuiltOnIt_unchanged", function () {
    useFastKeccak();
    // known answers, computed with ethers' JavaScript keccak
    expect(keccak256(new Uint8Array())).to.equal(
      "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    );
    expect(hashMessage("hello")).to.equal(
      "0x50b2c43fd39106bafbba0da34fc430e1f91e3c96ea2acee2bc34119f92b37750",
    );
    expect(getAddress("0x52908400098527886e0f7030069857d2e4169ee7")).to.equal(
      "0x52908400098527886E0F7030069857D2E4169EE7",
    );
    const a = {
      process: "0x" + "11".repeat(32),
      slot: 1n,
      messageId: "0x" + "22".repeat(32),
      messageHash: "0x" + "33".repeat(32),
      messageLength: 1234,
      timestamp: 2n,
      blockHeight: 3n,
      prevAssignmentHash: "0x" + "44".repeat(32),
    };
    const domain = assignmentDomain(31337n, "0x" + "55".repeat(20));
    const digest = TypedDataEncoder.hash(domain, ASSIGNMENT_TYPES, a);
    expect(digest).to.equal(
      reference(
        Buffer.concat([
          Buffer.from("1901", "hex"),
          Buffer.from(TypedDataEncoder.hashDomain(domain).slice(2), "hex"),
          Buffer.from(TypedDataEncoder.hashStruct("Assignment", ASSIGNMENT_TYPES, a).slice(2), "hex"),
        ]),
      ),
    );
  });
});

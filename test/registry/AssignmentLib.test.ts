import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import {
  ASSIGNMENT_TYPEHASH,
  ASSIGNMENT_TYPE_STRING,
  assignmentHash,
  assignmentStructHash,
  findChainBreak,
  recoverAssignmentSigner,
  signAssignment,
} from "../../sdk/ts/assignments";
import { deployRegistries, makeAssignment } from "../helpers/registry";

describe("AssignmentLib (EIP-712, TypeScript ↔ Solidity)", function () {
  it("test_typeHash_matchesTypeScript_succeeds", async function () {
    const { processes } = await loadFixture(deployRegistries);
    expect(ASSIGNMENT_TYPE_STRING).to.equal(
      "Assignment(bytes32 process,uint64 slot,bytes32 messageId,bytes32 messageHash,uint32 messageLength,uint64 timestamp,uint64 blockHeight,bytes32 prevAssignmentHash)",
    );
    expect(await processes.ASSIGNMENT_TYPEHASH()).to.equal(ASSIGNMENT_TYPEHASH);
  });

  it("test_assignmentHash_matchesTypeScript_succeeds", async function () {
    const { processes, process, domain } = await loadFixture(deployRegistries);
    for (const slot of [0n, 1n, 2n ** 64n - 1n]) {
      const a = makeAssignment(process, slot, "x", ethers.id(`prev ${slot}`));
      expect(await processes.assignmentHash(a)).to.equal(assignmentHash(domain, a));
      expect(assignmentStructHash(a)).to.not.equal(assignmentHash(domain, a));
    }
  });

  it("test_assignmentHash_messageLengthSignedAndBounded_succeeds", async function () {
    const { processes, process, domain, scheduler } = await loadFixture(deployRegistries);
    const a = makeAssignment(process, 7n);
    const hashes = new Set<string>();
    for (const messageLength of [0, 1, 65_536, 65_537, 2 ** 21, 2 ** 32 - 1]) {
      const b = { ...a, messageLength };
      const h = await processes.assignmentHash(b);
      expect(h).to.equal(assignmentHash(domain, b));
      hashes.add(h);
    }
    // every length is a different assignment: a signature over one length does not cover another
    expect(hashes.size).to.equal(6);
    const sig = await signAssignment(scheduler, domain, { ...a, messageLength: 2 ** 21 });
    expect(await processes.assignmentSigner({ ...a, messageLength: 2 ** 21 }, sig)).to.equal(
      scheduler.address,
    );
    expect(await processes.assignmentSigner({ ...a, messageLength: 2 ** 21 + 1 }, sig)).to.not.equal(
      scheduler.address,
    );
    // outside uint32: refused by the TypeScript encoder (a named RangeError) and by the ABI encoder
    expect(() => assignmentHash(domain, { ...a, messageLength: 2n ** 32n })).to.throw(
      RangeError,
      /messageLength 4294967296 is not a uint32/,
    );
    let refused = false;
    try {
      await processes.assignmentHash({ ...a, messageLength: 2n ** 32n });
    } catch {
      refused = true;
    }
    expect(refused).to.equal(true);
  });

  it("test_assignmentSigner_recoversScheduler_succeeds", async function () {
    const { processes, process, domain, scheduler } = await loadFixture(deployRegistries);
    const a = makeAssignment(process, 3n);
    const sig = await signAssignment(scheduler, domain, a);
    expect(await processes.assignmentSigner(a, sig)).to.equal(scheduler.address);
    expect(recoverAssignmentSigner(domain, a, sig)).to.equal(scheduler.address);
  });

  it("test_assignmentSigner_malformedSignature_succeeds", async function () {
    const { processes, process } = await loadFixture(deployRegistries);
    expect(await processes.assignmentSigner(makeAssignment(process, 0n), "0x1234")).to.equal(
      ethers.ZeroAddress,
    );
  });

  it("test_findChainBreak_chainedAndBroken_succeeds", async function () {
    const { process, domain } = await loadFixture(deployRegistries);
    const a0 = makeAssignment(process, 0n);
    const a1 = makeAssignment(process, 1n, "m", assignmentHash(domain, a0));
    const a2 = makeAssignment(process, 2n, "m", assignmentHash(domain, a1));
    expect(findChainBreak(domain, [a0, a1, a2])).to.equal(-1);
    // Consecutive slots whose link does not chain (the SU re-pointed slot 2 at another slot-1 hash).
    const bad2 = makeAssignment(process, 2n, "m", ethers.id("some other slot-1 assignment"));
    expect(findChainBreak(domain, [a0, a1, bad2])).to.equal(2);
    // A gap (slot 3 follows slot 1).
    const a3 = makeAssignment(process, 3n, "m", assignmentHash(domain, a1));
    expect(findChainBreak(domain, [a0, a1, a3])).to.equal(2);
    // Resuming from a known predecessor.
    expect(findChainBreak(domain, [a2], { slot: 1n, hash: assignmentHash(domain, a1) })).to.equal(-1);
  });
});

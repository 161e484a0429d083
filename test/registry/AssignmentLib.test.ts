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
      "Assignment(bytes32 process,uint64 slot,bytes32 messageId,bytes32 messageHash,uint64 timestamp,uint64 blockHeight,bytes32 prevAssignmentHash)",
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

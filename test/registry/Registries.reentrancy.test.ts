import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import type { ProcessRegistry, ReentrantStakeManagerMock, ResultRegistry } from "../../typechain-types";
import { assignmentDomain, signAssignment } from "../../sdk/ts/assignments";
import {
  commitmentArgs,
  INITIAL_STATE,
  makeAssignment,
  moduleArgs,
  PROCESS_ARWEAVE_ID,
} from "../helpers/registry";

/** Both registries over a StakeManager stand-in that calls back into them when armed. */
async function deployOverReentrantStake() {
  const [admin, scheduler, cu] = await ethers.getSigners();
  const stake = (await ethers.deployContract(
    "ReentrantStakeManagerMock",
  )) as unknown as ReentrantStakeManagerMock;
  const processes = (await ethers.deployContract("ProcessRegistry", [
    await stake.getAddress(),
    admin.address,
    1n,
  ])) as unknown as ProcessRegistry;
  const results = (await ethers.deployContract("ResultRegistry", [
    await stake.getAddress(),
    await processes.getAddress(),
    admin.address,
    1n,
  ])) as unknown as ResultRegistry;
  await results.grantRole(await results.DISPUTE_GAME_ROLE(), await stake.getAddress());
  await processes.registerModule(...moduleArgs());
  const moduleId = await processes.computeModuleId(...moduleArgs());
  await processes.spawn(moduleId, scheduler.address, INITIAL_STATE, PROCESS_ARWEAVE_ID);
  const process = await processes.computeProcessId(
    moduleId,
    scheduler.address,
    INITIAL_STATE,
    PROCESS_ARWEAVE_ID,
    admin.address,
  );
  await results.connect(cu).postCommitment(...commitmentArgs(process, 0n, 0n, 0n));
  const { chainId } = await ethers.provider.getNetwork();
  const domain = assignmentDomain(chainId, await processes.getAddress());
  const a = makeAssignment(process, 1n, "a");
  const b = makeAssignment(process, 1n, "b");
  const equivocation = [
    a,
    await signAssignment(scheduler, domain, a),
    b,
    await signAssignment(scheduler, domain, b),
  ] as const;
  return { stake, processes, results, moduleId, process, scheduler, cu, equivocation };
}

describe("Registries: reentrancy", function () {
  it("test_processRegistry_reenteredFromStakeManager_reverts", async function () {
    const { stake, processes, moduleId, scheduler, equivocation } =
      await loadFixture(deployOverReentrantStake);
    const calls = [
      processes.interface.encodeFunctionData("registerModule", [
        ...moduleArgs({ wasmHash: ethers.id("w2") }),
      ]),
      processes.interface.encodeFunctionData("spawn", [
        moduleId,
        scheduler.address,
        INITIAL_STATE,
        ethers.id("p2"),
      ]),
      processes.interface.encodeFunctionData("proveEquivocation", [...equivocation]),
    ];
    for (const data of calls) {
      await stake.arm(await processes.getAddress(), data);
      // proveEquivocation calls `slash`, which re-enters.
      await expect(processes.proveEquivocation(...equivocation)).to.be.revertedWithCustomError(
        processes,
        "ReentrancyGuardReentrantCall",
      );
      // spawn calls the view `bondedOf`, which re-enters by staticcall.
      await expect(
        processes.spawn(moduleId, scheduler.address, INITIAL_STATE, ethers.id("p3")),
      ).to.be.revertedWithCustomError(processes, "ReentrancyGuardReentrantCall");
    }
  });

  it("test_resultRegistry_reenteredFromStakeManager_reverts", async function () {
    const { stake, results, process, cu } = await loadFixture(deployOverReentrantStake);
    const calls = [
      results.interface.encodeFunctionData("postCommitment", [...commitmentArgs(process, 0n, 0n, 0n, "x")]),
      results.interface.encodeFunctionData("finalize", [1n]),
      results.interface.encodeFunctionData("prune", [1n]),
      results.interface.encodeFunctionData("onChallengeOpened", [1n]),
      results.interface.encodeFunctionData("onChallengeResolved", [1n, true]),
    ];
    for (const data of calls) {
      await stake.arm(await results.getAddress(), data);
      // postCommitment calls `lock`, which re-enters.
      await expect(
        results.connect(cu).postCommitment(...commitmentArgs(process, 0n, 0n, 0n, "y")),
      ).to.be.revertedWithCustomError(results, "ReentrancyGuardReentrantCall");
    }
  });
});

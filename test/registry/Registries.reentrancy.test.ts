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
  post,
  PROCESS_ARWEAVE_ID,
} from "../helpers/registry";

/** Both registries over a StakeManager stand-in that calls back into them when armed. */
async function deployOverReentrantStake() {
  const [admin, scheduler, cu, other] = await ethers.getSigners();
  const stake = (await ethers.deployContract(
    "ReentrantStakeManagerMock",
  )) as unknown as ReentrantStakeManagerMock;
  const processes = (await ethers.deployContract("ProcessRegistry", [
    await stake.getAddress(),
    admin.address,
    1n,
    2n ** 32n - 1n,
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
  const { c } = await post(results, cu, commitmentArgs(process, ethers.ZeroHash, 0n, 0n));
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
  return { stake, processes, results, moduleId, process, scheduler, cu, other, c, equivocation };
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
      processes.interface.encodeFunctionData("exitScheduler"),
      processes.interface.encodeFunctionData("releaseSchedulerLock", [scheduler.address]),
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
    const { stake, results, process, cu, other, c } = await loadFixture(deployOverReentrantStake);
    const zero = ethers.ZeroHash;
    // Every mutating entry point, re-entered from each of the StakeManager calls the registry makes:
    // `unlockedOf` and `lock` (a post's shortfall, `reserve`), `bondedOf` (a post from the free
    // reservation) and `unlock` (`release`).
    const calls = [
      results.interface.encodeFunctionData("postCommitment", [...commitmentArgs(process, zero, 0n, 0n, "x")]),
      results.interface.encodeFunctionData("finalize", [c]),
      results.interface.encodeFunctionData("prune", [c]),
      results.interface.encodeFunctionData("reserve", [1n]),
      results.interface.encodeFunctionData("release", [1n]),
      results.interface.encodeFunctionData("onChallengeOpened", [c]),
      results.interface.encodeFunctionData("onChallengeResolved", [c, true]),
    ];
    await results.connect(cu).reserve(5n);
    for (const data of calls) {
      await stake.arm(await results.getAddress(), data);
      // A post that locks a shortfall (`unlockedOf`, `lock`), and one from a free reservation (`bondedOf`).
      await expect(
        results.connect(other).postCommitment(...commitmentArgs(process, zero, 0n, 0n, "y")),
      ).to.be.revertedWithCustomError(results, "ReentrancyGuardReentrantCall");
      await expect(
        results.connect(cu).postCommitment(...commitmentArgs(process, zero, 0n, 0n, "z")),
      ).to.be.revertedWithCustomError(results, "ReentrancyGuardReentrantCall");
      await expect(results.connect(cu).reserve(1n)).to.be.revertedWithCustomError(
        results,
        "ReentrancyGuardReentrantCall",
      );
      await expect(results.connect(cu).release(1n)).to.be.revertedWithCustomError(
        results,
        "ReentrancyGuardReentrantCall",
      );
    }
    // Disarmed, the same calls go through.
    await stake.arm(ethers.ZeroAddress, "0x");
    await results.connect(other).postCommitment(...commitmentArgs(process, zero, 0n, 0n, "y"));
    await results.connect(cu).postCommitment(...commitmentArgs(process, zero, 0n, 0n, "z"));
    await results.connect(cu).reserve(1n);
    await results.connect(cu).release(1n);
  });
});

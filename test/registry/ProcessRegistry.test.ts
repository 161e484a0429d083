import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import {
  deployRegistries,
  INITIAL_STATE,
  MODULE,
  moduleArgs,
  PROCESS_ARWEAVE_ID,
  REGISTRY_PARAMS,
} from "../helpers/registry";
import { ONE } from "../helpers/stake";

describe("ProcessRegistry", function () {
  describe("constructor", function () {
    it("test_constructor_setsParametersAndRoles_succeeds", async function () {
      const { processes, stake, admin } = await loadFixture(deployRegistries);
      expect(await processes.stakeManager()).to.equal(await stake.getAddress());
      expect(await processes.minSchedulerStake()).to.equal(REGISTRY_PARAMS.minSchedulerStake);
      expect(await processes.hasRole(await processes.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(true);
      expect(await processes.defaultAdminDelay()).to.equal(2n * 86_400n);
      const domain = await processes.eip712Domain();
      expect(domain.name).to.equal("Holoproof");
      expect(domain.version).to.equal("1");
      expect(domain.verifyingContract).to.equal(await processes.getAddress());
    });

    it("test_constructor_stakeManagerWithoutCode_reverts", async function () {
      const { processes, admin } = await loadFixture(deployRegistries);
      const factory = await ethers.getContractFactory("ProcessRegistry");
      await expect(factory.deploy(admin.address, admin.address, 0n, 1n))
        .to.be.revertedWithCustomError(processes, "ProcessRegistryZeroAddress")
        .withArgs("stakeManager");
    });
  });

  describe("registerModule", function () {
    it("test_registerModule_newContent_succeeds", async function () {
      const { processes, stranger } = await loadFixture(deployRegistries);
      const args = moduleArgs({ wasmHash: ethers.id("other wasm") });
      const id = await processes.computeModuleId(...args);
      expect(id).to.equal(
        ethers.keccak256(
          ethers.AbiCoder.defaultAbiCoder().encode(
            ["bytes32", "bytes32", "bytes32", "uint32", "uint64", "uint32"],
            args,
          ),
        ),
      );
      expect(await processes.moduleExists(id)).to.equal(false);
      await expect(processes.connect(stranger).registerModule(...args))
        .to.emit(processes, "ModuleRegistered")
        .withArgs(
          id,
          MODULE.moduleRoot,
          stranger.address,
          args[1],
          MODULE.arweaveId,
          16,
          MODULE.stepLimit,
          65_536,
        );
      const m = await processes.getModule(id);
      expect(m.moduleRoot).to.equal(MODULE.moduleRoot);
      expect(m.wasmHash).to.equal(args[1]);
      expect(m.arweaveId).to.equal(MODULE.arweaveId);
      expect(m.memoryPages).to.equal(16n);
      expect(m.stepLimit).to.equal(MODULE.stepLimit);
      expect(m.maxMessageBytes).to.equal(65_536n);
      expect(m.registrant).to.equal(stranger.address);
      expect(m.registeredAt).to.be.greaterThan(0n);
      expect(await processes.moduleExists(id)).to.equal(true);
    });

    it("test_registerModule_sameContentAgain_succeeds", async function () {
      const { processes, moduleId, admin, stranger } = await loadFixture(deployRegistries);
      const before = await processes.getModule(moduleId);
      expect(await processes.connect(stranger).registerModule.staticCall(...moduleArgs())).to.equal(moduleId);
      await expect(processes.connect(stranger).registerModule(...moduleArgs())).not.to.emit(
        processes,
        "ModuleRegistered",
      );
      const after = await processes.getModule(moduleId);
      expect(after.registrant).to.equal(admin.address);
      expect(after.registeredAt).to.equal(before.registeredAt);
    });

    it("test_registerModule_maximumLimits_succeeds", async function () {
      const { processes } = await loadFixture(deployRegistries);
      const args = moduleArgs({ memoryPages: 65_536, stepLimit: 2n ** 32n - 1n, maxMessageBytes: 65_536 });
      await expect(processes.registerModule(...args)).to.emit(processes, "ModuleRegistered");
    });

    for (const what of ["moduleRoot", "wasmHash", "arweaveId"] as const) {
      it(`test_registerModule_zero_${what}_reverts`, async function () {
        const { processes } = await loadFixture(deployRegistries);
        await expect(processes.registerModule(...moduleArgs({ [what]: ethers.ZeroHash })))
          .to.be.revertedWithCustomError(processes, "ProcessRegistryZeroHash")
          .withArgs(what);
      });
    }

    const limits = [
      ["memoryPages", 0n, 65_536n],
      ["memoryPages", 65_537n, 65_536n],
      ["stepLimit", 0n, 2n ** 32n - 1n],
      ["stepLimit", 2n ** 32n, 2n ** 32n - 1n],
      ["maxMessageBytes", 0n, 65_536n],
      ["maxMessageBytes", 65_537n, 65_536n],
    ] as const;
    for (const [what, value, max] of limits) {
      it(`test_registerModule_${what}_${value}_reverts`, async function () {
        const { processes } = await loadFixture(deployRegistries);
        await expect(processes.registerModule(...moduleArgs({ [what]: value })))
          .to.be.revertedWithCustomError(processes, "ProcessRegistryInvalidLimit")
          .withArgs(what, value, max);
      });
    }
  });

  describe("spawn", function () {
    it("test_spawn_stakedScheduler_succeeds", async function () {
      const { processes, moduleId, scheduler, owner, process } = await loadFixture(deployRegistries);
      const p = await processes.getProcess(process);
      expect(p.moduleId).to.equal(moduleId);
      expect(p.initialStateHash).to.equal(INITIAL_STATE);
      expect(p.arweaveId).to.equal(PROCESS_ARWEAVE_ID);
      expect(p.scheduler).to.equal(scheduler.address);
      expect(p.owner).to.equal(owner.address);
      expect(p.spawnedAt).to.be.greaterThan(0n);
      expect(p.frozen).to.equal(false);
      expect(await processes.processExists(process)).to.equal(true);
      expect(await processes.schedulerOf(process)).to.equal(scheduler.address);
      const { chainId } = await ethers.provider.getNetwork();
      expect(process).to.equal(
        ethers.keccak256(
          ethers.AbiCoder.defaultAbiCoder().encode(
            ["uint256", "address", "bytes32", "address", "bytes32", "bytes32", "address"],
            [
              chainId,
              await processes.getAddress(),
              moduleId,
              scheduler.address,
              INITIAL_STATE,
              PROCESS_ARWEAVE_ID,
              owner.address,
            ],
          ),
        ),
      );
    });

    it("test_spawn_emitsEvent_succeeds", async function () {
      const { processes, moduleId, scheduler, stranger } = await loadFixture(deployRegistries);
      const id = await processes.computeProcessId(
        moduleId,
        scheduler.address,
        INITIAL_STATE,
        PROCESS_ARWEAVE_ID,
        stranger.address,
      );
      await expect(
        processes.connect(stranger).spawn(moduleId, scheduler.address, INITIAL_STATE, PROCESS_ARWEAVE_ID),
      )
        .to.emit(processes, "ProcessSpawned")
        .withArgs(id, moduleId, scheduler.address, stranger.address, INITIAL_STATE, PROCESS_ARWEAVE_ID);
    });

    it("test_spawn_schedulerExactlyAtMinimum_succeeds", async function () {
      const { processes, moduleId, scheduler2, admin } = await loadFixture(deployRegistries);
      await processes.connect(admin).setMinSchedulerStake(50n * ONE);
      await expect(processes.spawn(moduleId, scheduler2.address, INITIAL_STATE, PROCESS_ARWEAVE_ID)).to.emit(
        processes,
        "ProcessSpawned",
      );
    });

    it("test_spawn_zeroMinimumUnstakedScheduler_succeeds", async function () {
      const { processes, moduleId, stranger, admin } = await loadFixture(deployRegistries);
      await processes.connect(admin).setMinSchedulerStake(0n);
      await expect(processes.spawn(moduleId, stranger.address, INITIAL_STATE, PROCESS_ARWEAVE_ID)).to.emit(
        processes,
        "ProcessSpawned",
      );
    });

    it("test_spawn_unknownModule_reverts", async function () {
      const { processes, scheduler } = await loadFixture(deployRegistries);
      const unknown = ethers.id("unknown module");
      await expect(processes.spawn(unknown, scheduler.address, INITIAL_STATE, PROCESS_ARWEAVE_ID))
        .to.be.revertedWithCustomError(processes, "ProcessRegistryUnknownModule")
        .withArgs(unknown);
    });

    it("test_spawn_zeroScheduler_reverts", async function () {
      const { processes, moduleId } = await loadFixture(deployRegistries);
      await expect(processes.spawn(moduleId, ethers.ZeroAddress, INITIAL_STATE, PROCESS_ARWEAVE_ID))
        .to.be.revertedWithCustomError(processes, "ProcessRegistryZeroAddress")
        .withArgs("scheduler");
    });

    it("test_spawn_zeroInitialState_reverts", async function () {
      const { processes, moduleId, scheduler } = await loadFixture(deployRegistries);
      await expect(processes.spawn(moduleId, scheduler.address, ethers.ZeroHash, PROCESS_ARWEAVE_ID))
        .to.be.revertedWithCustomError(processes, "ProcessRegistryZeroHash")
        .withArgs("initialStateHash");
    });

    it("test_spawn_zeroArweaveId_reverts", async function () {
      const { processes, moduleId, scheduler } = await loadFixture(deployRegistries);
      await expect(processes.spawn(moduleId, scheduler.address, INITIAL_STATE, ethers.ZeroHash))
        .to.be.revertedWithCustomError(processes, "ProcessRegistryZeroHash")
        .withArgs("arweaveId");
    });

    it("test_spawn_schedulerStakeTooLow_reverts", async function () {
      const { processes, moduleId, scheduler2 } = await loadFixture(deployRegistries);
      await expect(processes.spawn(moduleId, scheduler2.address, INITIAL_STATE, PROCESS_ARWEAVE_ID))
        .to.be.revertedWithCustomError(processes, "ProcessRegistrySchedulerStakeTooLow")
        .withArgs(scheduler2.address, 50n * ONE, REGISTRY_PARAMS.minSchedulerStake);
    });

    it("test_spawn_unbondingStakeDoesNotCount_reverts", async function () {
      // scheduler2 has never been named, so nothing of its stake is locked and it can unbond any of it.
      const { processes, stake, moduleId, scheduler2 } = await loadFixture(deployRegistries);
      await stake.connect(scheduler2).bond(100n * ONE);
      await stake.connect(scheduler2).requestUnbond(60n * ONE);
      expect(await stake.slashableOf(scheduler2.address)).to.equal(150n * ONE);
      await expect(processes.spawn(moduleId, scheduler2.address, INITIAL_STATE, ethers.id("p2")))
        .to.be.revertedWithCustomError(processes, "ProcessRegistrySchedulerStakeTooLow")
        .withArgs(scheduler2.address, 90n * ONE, REGISTRY_PARAMS.minSchedulerStake);
    });

    it("test_spawn_sameProcessTwice_reverts", async function () {
      const { processes, moduleId, scheduler, owner, process } = await loadFixture(deployRegistries);
      await expect(
        processes.connect(owner).spawn(moduleId, scheduler.address, INITIAL_STATE, PROCESS_ARWEAVE_ID),
      )
        .to.be.revertedWithCustomError(processes, "ProcessRegistryProcessExists")
        .withArgs(process);
    });
  });

  describe("setMinSchedulerStake", function () {
    it("test_setMinSchedulerStake_admin_succeeds", async function () {
      const { processes, admin } = await loadFixture(deployRegistries);
      await expect(processes.connect(admin).setMinSchedulerStake(7n))
        .to.emit(processes, "MinSchedulerStakeSet")
        .withArgs(7n);
      expect(await processes.minSchedulerStake()).to.equal(7n);
    });

    it("test_setMinSchedulerStake_notAdmin_reverts", async function () {
      const { processes, stranger } = await loadFixture(deployRegistries);
      await expect(processes.connect(stranger).setMinSchedulerStake(7n))
        .to.be.revertedWithCustomError(processes, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, await processes.DEFAULT_ADMIN_ROLE());
    });
  });

  describe("views", function () {
    it("test_getModule_unknown_reverts", async function () {
      const { processes } = await loadFixture(deployRegistries);
      await expect(processes.getModule(ethers.ZeroHash))
        .to.be.revertedWithCustomError(processes, "ProcessRegistryUnknownModule")
        .withArgs(ethers.ZeroHash);
    });

    for (const view of ["getProcess", "schedulerOf", "frozenFromSlot"] as const) {
      it(`test_${view}_unknownProcess_reverts`, async function () {
        const { processes } = await loadFixture(deployRegistries);
        const unknown = ethers.id("nope");
        await expect(processes[view](unknown))
          .to.be.revertedWithCustomError(processes, "ProcessRegistryUnknownProcess")
          .withArgs(unknown);
      });
    }

    it("test_processStatus_knownAndUnknown_succeeds", async function () {
      const { processes, process } = await loadFixture(deployRegistries);
      expect(await processes.processStatus(process)).to.deep.equal([true, 2n ** 64n - 1n]);
      expect(await processes.processStatus(ethers.id("nope"))).to.deep.equal([false, 2n ** 64n - 1n]);
      expect(await processes.processExists(ethers.id("nope"))).to.equal(false);
      expect(await processes.frozenFromSlot(process)).to.equal(2n ** 64n - 1n);
      expect(await processes.isFrozen(process)).to.equal(false);
    });
  });
});

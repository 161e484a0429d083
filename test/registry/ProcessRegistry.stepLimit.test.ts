/**
 * The ProcessRegistry's step-limit cap (docs/registries.md, "The step-limit cap"; docs/threat-model.md
 * row 29): `maxStepLimit`, set at construction (where it also fixes `stepLimitCeiling`) and by the admin
 * within `[1, stepLimitCeiling]`, checked by `registerModule` and, against the module's stored limit, by
 * `spawn`.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import type { ProcessRegistry } from "../../typechain-types";
import { deployRegistries, INITIAL_STATE, MODULE, moduleArgs, REGISTRY_PARAMS } from "../helpers/registry";

const MAX_STEP_LIMIT = 2n ** 32n - 1n;
/** The cap the {capped} fixture lowers the registry to: the fixture module's step limit, exactly. */
const CAP = MODULE.stepLimit;

/** {deployRegistries} with the cap lowered to {CAP} (the ceiling stays 2^32 − 1). */
async function capped() {
  const f = await deployRegistries();
  await f.processes.connect(f.admin).setMaxStepLimit(CAP);
  return f;
}

/** A ProcessRegistry on the fixture's StakeManager with `ceiling` as its first cap and ceiling. */
async function registryWithCeiling(ceiling: bigint) {
  const f = await deployRegistries();
  const registry = (await ethers.deployContract("ProcessRegistry", [
    await f.stake.getAddress(),
    f.admin.address,
    REGISTRY_PARAMS.minSchedulerStake,
    ceiling,
  ])) as unknown as ProcessRegistry;
  return { ...f, registry };
}

const ceilingOf1000 = () => registryWithCeiling(1_000n);

describe("ProcessRegistry: the step-limit cap", function () {
  describe("constructor", function () {
    it("test_constructor_maxStepLimit_setsCapAndCeiling_emitsMaxStepLimitSet", async function () {
      const { processes } = await loadFixture(deployRegistries);
      expect(await processes.maxStepLimit()).to.equal(REGISTRY_PARAMS.maxStepLimit);
      expect(await processes.stepLimitCeiling()).to.equal(REGISTRY_PARAMS.maxStepLimit);
      expect(await processes.MAX_STEP_LIMIT()).to.equal(MAX_STEP_LIMIT);
      const { registry } = await loadFixture(ceilingOf1000);
      expect(await registry.maxStepLimit()).to.equal(1_000n);
      expect(await registry.stepLimitCeiling()).to.equal(1_000n);
      await expect(registry.deploymentTransaction()).to.emit(registry, "MaxStepLimitSet").withArgs(1_000n);
    });

    for (const value of [0n, MAX_STEP_LIMIT + 1n, 2n ** 64n - 1n]) {
      it(`test_constructor_maxStepLimit_${value}_reverts_ProcessRegistryInvalidMaxStepLimit`, async function () {
        const { processes, stake, admin } = await loadFixture(deployRegistries);
        const factory = await ethers.getContractFactory("ProcessRegistry");
        await expect(factory.deploy(await stake.getAddress(), admin.address, 1n, value))
          .to.be.revertedWithCustomError(processes, "ProcessRegistryInvalidMaxStepLimit")
          .withArgs(value, MAX_STEP_LIMIT);
      });
    }

    it("test_constructor_maxStepLimit_oneAndMaximum_succeeds", async function () {
      const { stake, admin } = await loadFixture(deployRegistries);
      const factory = await ethers.getContractFactory("ProcessRegistry");
      for (const value of [1n, MAX_STEP_LIMIT]) {
        const registry = await factory.deploy(await stake.getAddress(), admin.address, 1n, value);
        expect(await registry.stepLimitCeiling()).to.equal(value);
      }
    });
  });

  describe("setMaxStepLimit", function () {
    it("test_setMaxStepLimit_admin_lowers_emitsMaxStepLimitSet", async function () {
      const { processes, admin } = await loadFixture(deployRegistries);
      await expect(processes.connect(admin).setMaxStepLimit(7n))
        .to.emit(processes, "MaxStepLimitSet")
        .withArgs(7n);
      expect(await processes.maxStepLimit()).to.equal(7n);
      expect(await processes.stepLimitCeiling()).to.equal(MAX_STEP_LIMIT); // the ceiling never moves
    });

    it("test_setMaxStepLimit_raiseBackUpToTheCeiling_succeeds", async function () {
      const { registry, admin } = await loadFixture(ceilingOf1000);
      await registry.connect(admin).setMaxStepLimit(1n);
      await expect(registry.connect(admin).setMaxStepLimit(1_000n))
        .to.emit(registry, "MaxStepLimitSet")
        .withArgs(1_000n);
      expect(await registry.maxStepLimit()).to.equal(1_000n);
    });

    it("test_setMaxStepLimit_aboveTheCeiling_reverts_ProcessRegistryInvalidMaxStepLimit", async function () {
      const { registry, admin } = await loadFixture(ceilingOf1000);
      await expect(registry.connect(admin).setMaxStepLimit(1_001n))
        .to.be.revertedWithCustomError(registry, "ProcessRegistryInvalidMaxStepLimit")
        .withArgs(1_001n, 1_000n);
      await expect(registry.connect(admin).setMaxStepLimit(MAX_STEP_LIMIT))
        .to.be.revertedWithCustomError(registry, "ProcessRegistryInvalidMaxStepLimit")
        .withArgs(MAX_STEP_LIMIT, 1_000n);
    });

    it("test_setMaxStepLimit_zero_reverts_ProcessRegistryInvalidMaxStepLimit", async function () {
      const { processes, admin } = await loadFixture(deployRegistries);
      await expect(processes.connect(admin).setMaxStepLimit(0n))
        .to.be.revertedWithCustomError(processes, "ProcessRegistryInvalidMaxStepLimit")
        .withArgs(0n, MAX_STEP_LIMIT);
    });

    it("test_setMaxStepLimit_notAdmin_reverts", async function () {
      const { processes, stranger } = await loadFixture(deployRegistries);
      await expect(processes.connect(stranger).setMaxStepLimit(7n))
        .to.be.revertedWithCustomError(processes, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, await processes.DEFAULT_ADMIN_ROLE());
    });
  });

  describe("registerModule", function () {
    it("test_registerModule_stepLimitExactlyAtTheCap_succeeds", async function () {
      const { processes } = await loadFixture(capped);
      const args = moduleArgs({ wasmHash: ethers.id("at the cap"), stepLimit: CAP });
      await expect(processes.registerModule(...args)).to.emit(processes, "ModuleRegistered");
    });

    it("test_registerModule_stepLimitOneAboveTheCap_reverts_ProcessRegistryInvalidLimit", async function () {
      const { processes } = await loadFixture(capped);
      const args = moduleArgs({ wasmHash: ethers.id("above the cap"), stepLimit: CAP + 1n });
      await expect(processes.registerModule(...args))
        .to.be.revertedWithCustomError(processes, "ProcessRegistryInvalidLimit")
        .withArgs("stepLimit", CAP + 1n, CAP);
    });

    it("test_registerModule_registeredContentAboveALoweredCap_reverts", async function () {
      const { processes, admin } = await loadFixture(deployRegistries);
      await processes.connect(admin).setMaxStepLimit(CAP - 1n);
      // Registering the fixture's module again is no longer a no-op: its limit is above the cap.
      await expect(processes.registerModule(...moduleArgs()))
        .to.be.revertedWithCustomError(processes, "ProcessRegistryInvalidLimit")
        .withArgs("stepLimit", CAP, CAP - 1n);
    });
  });

  describe("spawn", function () {
    it("test_spawn_moduleExactlyAtTheCap_succeeds", async function () {
      const { processes, moduleId, scheduler, stranger } = await loadFixture(capped);
      await expect(
        processes
          .connect(stranger)
          .spawn(moduleId, scheduler.address, INITIAL_STATE, ethers.id("at the cap")),
      ).to.emit(processes, "ProcessSpawned");
    });

    it("test_spawn_moduleRegisteredUnderAHigherCap_reverts_ProcessRegistryInvalidLimit", async function () {
      const { processes, admin, moduleId, process, scheduler, stranger } =
        await loadFixture(deployRegistries);
      await processes.connect(admin).setMaxStepLimit(CAP - 1n);
      await expect(
        processes.connect(stranger).spawn(moduleId, scheduler.address, INITIAL_STATE, ethers.id("too late")),
      )
        .to.be.revertedWithCustomError(processes, "ProcessRegistryInvalidLimit")
        .withArgs("stepLimit", CAP, CAP - 1n);
      // The process spawned before the cap was lowered is untouched: it exists and can be posted for.
      expect(await processes.processExists(process)).to.equal(true);
      const status = await processes.postStatus(process);
      expect(status.scheduler).to.equal(scheduler.address);
      expect(status.frozenFrom).to.equal(2n ** 64n - 1n);
      // Raising the cap back (within the ceiling) lets the module spawn again.
      await processes.connect(admin).setMaxStepLimit(CAP);
      await expect(
        processes.connect(stranger).spawn(moduleId, scheduler.address, INITIAL_STATE, ethers.id("too late")),
      ).to.emit(processes, "ProcessSpawned");
    });
  });
});

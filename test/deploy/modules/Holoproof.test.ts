import fs from "node:fs";
import path from "node:path";

import { expect } from "chai";
import fc from "fast-check";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { startJsonRpcServer } from "../../../cli/lib/jsonrpc";
import {
  ADMIN_HANDOVERS,
  BPS,
  CORE_ROLE_GRANTS,
  deployCore,
  DeployParameterError,
  MAX_DISPUTE_TIME,
  MAX_GAME_DEGREE,
  MAX_STEP_LIMIT,
  REEXEC_STEPS_PER_SECOND,
  MAX_UINT96,
  MAX_UNBONDING_DELAY,
  maxGameDurationOf,
  ROLES,
  validateCoreParameters,
  type CoreAddresses,
  type CoreDeployment,
} from "../../../deploy";
import StakeTokenModule from "../../../deploy/modules/StakeToken";
import { HARDHAT_CLI, REPO_ROOT, rejectionOf, runNode } from "../../cli/helpers";

const ZERO = "0x0000000000000000000000000000000000000000";
const ONE = 10n ** 18n;
const TWO_DAYS = 2 * 86_400;

/**
 * Valid values of every core parameter but `stakeToken` and the addresses; each a different number,
 * so that two swapped constructor arguments cannot go unnoticed.
 */
const VALUES = {
  challengeWindow: 3_600,
  maxGameDuration: 7_200,
  unbondingDelay: 14_400,
  slashRewardBps: 2_500,
  minSchedulerStake: 100n * ONE,
  maxStepLimit: 300_000_000, // exactly what gameClockExtension 60 s re-executes in 30 s at 10^7 steps/s
  commitmentStake: 10n * ONE,
  gameDegree: 16,
  gameClockTime: 1_800,
  gameClockExtension: 60,
  gameStartGrace: 120,
  gameChallengeBond: 7n * ONE,
};

/** Every future the core module executes, by id within its module. */
const CORE_FUTURES = [
  "StakeManager",
  "ProcessRegistry",
  "ResultRegistry",
  "OneStepProverControl",
  "OneStepProverMemory",
  "OneStepProverMath",
  "OneStepProverHostIo",
  "OneStepProofEntry",
  "DisputeGame",
  ...CORE_ROLE_GRANTS.map(([id]) => id),
  ...ADMIN_HANDOVERS.map(([id]) => id),
];

/** The contract names of the core's results, by result name. */
const RESULT_CONTRACTS: Record<keyof CoreAddresses, string> = {
  stakeManager: "StakeManager",
  processRegistry: "ProcessRegistry",
  resultRegistry: "ResultRegistry",
  disputeGame: "DisputeGame",
  oneStepProofEntry: "OneStepProofEntry",
  oneStepProverControl: "OneStepProverControl",
  oneStepProverMemory: "OneStepProverMemory",
  oneStepProverMath: "OneStepProverMath",
  oneStepProverHostIo: "OneStepProverHostIo",
};

/** The stake token and the accounts; the core is deployed by each test or fixture. */
async function deployToken() {
  const [deployer, governance, treasury] = await hre.ethers.getSigners();
  const { stakeToken } = await hre.ignition.deploy(StakeTokenModule);
  return { stakeToken: await stakeToken.getAddress(), deployer, governance, treasury };
}

/** The core with a governance admin and a treasury distinct from the deployer. */
async function deployCoreWithGovernance() {
  const accounts = await deployToken();
  const core = await deployCore(hre, {
    stakeToken: accounts.stakeToken,
    admin: accounts.governance.address,
    treasury: accounts.treasury.address,
    ...VALUES,
  });
  return { ...accounts, core };
}

/** The core with every default: admin the deployer, treasury zero. */
async function deployCoreWithDefaults() {
  const accounts = await deployToken();
  const core = await deployCore(hre, { stakeToken: accounts.stakeToken, ...VALUES });
  return { ...accounts, core };
}

/**
 * Checks that on each contract that grants roles, each role is held by exactly the expected ones
 * among every account and contract of the deployment.
 */
async function expectExactRoles(core: CoreDeployment, people: Record<string, string>): Promise<void> {
  const { stakeManager, resultRegistry } = core.contracts;
  const candidates: Record<string, string> = { ...people, ...core.addresses };
  const expected: [string, { hasRole(role: string, account: string): Promise<boolean> }, string, string[]][] =
    [
      ["stakeManager", stakeManager, ROLES.LOCKER_ROLE, ["processRegistry", "resultRegistry", "disputeGame"]],
      ["stakeManager", stakeManager, ROLES.SLASHER_ROLE, ["processRegistry", "disputeGame"]],
      ["stakeManager", stakeManager, await stakeManager.PAUSER_ROLE(), []],
      ["resultRegistry", resultRegistry, ROLES.DISPUTE_GAME_ROLE, ["disputeGame"]],
    ];
  for (const [where, contract, role, holders] of expected) {
    for (const [name, address] of Object.entries(candidates)) {
      expect(await contract.hasRole(role, address), `${where}: role ${role} of ${name}`).to.equal(
        holders.includes(name),
      );
    }
  }
}

describe("deploy/modules/Holoproof (core)", function () {
  describe("the contracts and their parameters", function () {
    it("deploys a StakeManager holding every parameter", async function () {
      const { core, stakeToken, treasury } = await loadFixture(deployCoreWithGovernance);
      const stakeManager = core.contracts.stakeManager;
      expect(await stakeManager.getAddress()).to.equal(core.addresses.stakeManager);
      expect(await stakeManager.stakeToken()).to.equal(stakeToken);
      expect(await stakeManager.challengeWindow()).to.equal(3_600n);
      expect(await stakeManager.maxGameDuration()).to.equal(7_200n);
      expect(await stakeManager.unbondingDelay()).to.equal(14_400n);
      expect(await stakeManager.treasury()).to.equal(treasury.address);
      expect(await stakeManager.slashRewardBps()).to.equal(2_500n);
    });

    it("deploys the ProcessRegistry on the StakeManager, with minSchedulerStake and maxStepLimit", async function () {
      const { core } = await loadFixture(deployCoreWithGovernance);
      const { processRegistry } = core.contracts;
      expect(await processRegistry.getAddress()).to.equal(core.addresses.processRegistry);
      expect(await processRegistry.stakeManager()).to.equal(core.addresses.stakeManager);
      expect(await processRegistry.minSchedulerStake()).to.equal(100n * ONE);
      expect(await processRegistry.maxStepLimit()).to.equal(300_000_000n);
      expect(await processRegistry.stepLimitCeiling()).to.equal(300_000_000n);
    });

    it("deploys the ResultRegistry on the StakeManager and the ProcessRegistry, with commitmentStake", async function () {
      const { core } = await loadFixture(deployCoreWithGovernance);
      const { resultRegistry } = core.contracts;
      expect(await resultRegistry.getAddress()).to.equal(core.addresses.resultRegistry);
      expect(await resultRegistry.stakeManager()).to.equal(core.addresses.stakeManager);
      expect(await resultRegistry.processRegistry()).to.equal(core.addresses.processRegistry);
      expect(await resultRegistry.commitmentStake()).to.equal(10n * ONE);
    });

    it("deploys the one-step prover: the entry over the four class provers", async function () {
      const { core } = await loadFixture(deployCoreWithGovernance);
      const { oneStepProofEntry } = core.contracts;
      expect(await oneStepProofEntry.proverControl()).to.equal(core.addresses.oneStepProverControl);
      expect(await oneStepProofEntry.proverMemory()).to.equal(core.addresses.oneStepProverMemory);
      expect(await oneStepProofEntry.proverMath()).to.equal(core.addresses.oneStepProverMath);
      expect(await oneStepProofEntry.proverHostIo()).to.equal(core.addresses.oneStepProverHostIo);
    });

    it("deploys the DisputeGame with every parameter as its immutables", async function () {
      const { core } = await loadFixture(deployCoreWithGovernance);
      const { disputeGame } = core.contracts;
      expect(await disputeGame.getAddress()).to.equal(core.addresses.disputeGame);
      expect(await disputeGame.stakeManager()).to.equal(core.addresses.stakeManager);
      expect(await disputeGame.processRegistry()).to.equal(core.addresses.processRegistry);
      expect(await disputeGame.resultRegistry()).to.equal(core.addresses.resultRegistry);
      expect(await disputeGame.oneStepProver()).to.equal(core.addresses.oneStepProofEntry);
      expect(await disputeGame.degree()).to.equal(16n);
      expect(await disputeGame.clockTime()).to.equal(1_800n);
      expect(await disputeGame.clockExtension()).to.equal(60n);
      expect(await disputeGame.startGrace()).to.equal(120n);
      expect(await disputeGame.challengeBond()).to.equal(7n * ONE);
      // 2·1800 + 2·17·60 + 120 (17 moves per side at degree 16), as the validator computes it.
      expect(await disputeGame.maxDuration()).to.equal(5_760n);
      expect(maxGameDurationOf(core.parameters)).to.equal(5_760n);
    });

    it("returns nine distinct addresses, each with code", async function () {
      const { core } = await loadFixture(deployCoreWithGovernance);
      expect(Object.keys(core.addresses).sort()).to.deep.equal(Object.keys(RESULT_CONTRACTS).sort());
      expect(new Set(Object.values(core.addresses)).size).to.equal(9);
      for (const [name, address] of Object.entries(core.addresses)) {
        expect(await hre.ethers.provider.getCode(address), name).to.not.equal("0x");
      }
    });

    it("returns the validated parameters it deployed with, and what it executed", async function () {
      const { core, stakeToken, governance, treasury } = await loadFixture(deployCoreWithGovernance);
      expect(core.chainId).to.equal(31337);
      expect(core.parameters).to.deep.equal({
        stakeToken,
        admin: governance.address,
        treasury: treasury.address,
        challengeWindow: 3_600n,
        maxGameDuration: 7_200n,
        unbondingDelay: 14_400n,
        slashRewardBps: 2_500,
        minSchedulerStake: 100n * ONE,
        maxStepLimit: 300_000_000n,
        commitmentStake: 10n * ONE,
        gameDegree: 16,
        gameClockTime: 1_800n,
        gameClockExtension: 60n,
        gameStartGrace: 120n,
        gameChallengeBond: 7n * ONE,
      });
      expect(core.executed).to.have.members(CORE_FUTURES.map((id) => `Holoproof#${id}`));
      expect(core.executed).to.have.lengthOf(CORE_FUTURES.length);
      expect(core.deploymentDir).to.equal(undefined); // in memory on the in-process network
    });

    it("checks parameters against the contracts' own ceilings and role names", async function () {
      const { core } = await loadFixture(deployCoreWithDefaults);
      const { stakeManager, processRegistry, resultRegistry, disputeGame } = core.contracts;
      expect(await stakeManager.MAX_DISPUTE_TIME()).to.equal(MAX_DISPUTE_TIME);
      expect(await processRegistry.MAX_STEP_LIMIT()).to.equal(MAX_STEP_LIMIT);
      expect(await disputeGame.REEXEC_STEPS_PER_SECOND()).to.equal(REEXEC_STEPS_PER_SECOND);
      expect(await stakeManager.MAX_UNBONDING_DELAY()).to.equal(MAX_UNBONDING_DELAY);
      expect(await stakeManager.BPS()).to.equal(BPS);
      expect(await disputeGame.MAX_DEGREE()).to.equal(MAX_GAME_DEGREE);
      expect(await stakeManager.LOCKER_ROLE()).to.equal(ROLES.LOCKER_ROLE);
      expect(await stakeManager.SLASHER_ROLE()).to.equal(ROLES.SLASHER_ROLE);
      expect(await resultRegistry.DISPUTE_GAME_ROLE()).to.equal(ROLES.DISPUTE_GAME_ROLE);
    });
  });

  describe("roles and the admin", function () {
    it("grants LOCKER_ROLE, SLASHER_ROLE and DISPUTE_GAME_ROLE to exactly the contracts that need them", async function () {
      const { core, deployer, governance, treasury } = await loadFixture(deployCoreWithGovernance);
      await expectExactRoles(core, {
        deployer: deployer.address,
        governance: governance.address,
        treasury: treasury.address,
      });
    });

    it("gives the ProcessRegistry to admin at once", async function () {
      const { core, deployer, governance } = await loadFixture(deployCoreWithGovernance);
      const { processRegistry } = core.contracts;
      const adminRole = await processRegistry.DEFAULT_ADMIN_ROLE();
      expect(await processRegistry.defaultAdmin()).to.equal(governance.address);
      expect(await processRegistry.hasRole(adminRole, deployer.address)).to.equal(false);
      const [pending, schedule] = await processRegistry.pendingDefaultAdmin();
      expect([pending, schedule]).to.deep.equal([ZERO, 0n]);
    });

    it("leaves the StakeManager and ResultRegistry with the deployer, transferring to admin after 2 days", async function () {
      const { core, deployer, governance } = await loadFixture(deployCoreWithGovernance);
      for (const [callId, key] of ADMIN_HANDOVERS) {
        const contract = core.contracts[key];
        expect(await contract.defaultAdmin(), key).to.equal(deployer.address);
        const [pending, schedule] = await contract.pendingDefaultAdmin();
        expect(pending, key).to.equal(governance.address);
        expect(await contract.defaultAdminDelay()).to.equal(BigInt(TWO_DAYS));
        // Scheduled 2 days after the block of the handover call.
        const receipt = await hre.ethers.provider.getTransactionReceipt(
          await transactionOf(core, `Holoproof#${callId}`),
        );
        const block = await hre.ethers.provider.getBlock(receipt!.blockNumber);
        expect(schedule, key).to.equal(BigInt(block!.timestamp + TWO_DAYS));
      }
      const expected = [];
      for (const [, key] of ADMIN_HANDOVERS) {
        const [, schedule] = await core.contracts[key].pendingDefaultAdmin();
        expected.push({
          contract: key,
          defaultAdmin: deployer.address,
          pendingAdmin: governance.address,
          acceptableAt: Number(schedule),
        });
      }
      expect(core.adminHandovers).to.deep.equal(expected);
    });

    it("lets admin accept after the delay, which removes the deployer and keeps every grant", async function () {
      const { core, deployer, governance, treasury } = await loadFixture(deployCoreWithGovernance);
      const { stakeManager, resultRegistry } = core.contracts;
      const adminRole = await stakeManager.DEFAULT_ADMIN_ROLE();

      // Not before the schedule.
      await expect(
        stakeManager.connect(governance).acceptDefaultAdminTransfer(),
      ).to.be.revertedWithCustomError(stakeManager, "AccessControlEnforcedDefaultAdminDelay");
      // Nobody else.
      await time.increase(TWO_DAYS + 1);
      await expect(stakeManager.connect(treasury).acceptDefaultAdminTransfer())
        .to.be.revertedWithCustomError(stakeManager, "AccessControlInvalidDefaultAdmin")
        .withArgs(treasury.address);

      await (await stakeManager.connect(governance).acceptDefaultAdminTransfer()).wait();
      await (await resultRegistry.connect(governance).acceptDefaultAdminTransfer()).wait();
      for (const contract of [stakeManager, resultRegistry]) {
        expect(await contract.defaultAdmin()).to.equal(governance.address);
        expect(await contract.hasRole(adminRole, governance.address)).to.equal(true);
        expect(await contract.hasRole(adminRole, deployer.address)).to.equal(false);
      }
      await expectExactRoles(core, {
        deployer: deployer.address,
        governance: governance.address,
        treasury: treasury.address,
      });
      // The new admin governs: it can grant, and the deployer no longer can.
      await (
        await stakeManager.connect(governance).grantRole(await stakeManager.PAUSER_ROLE(), treasury.address)
      ).wait();
      await expect(
        stakeManager.connect(deployer).grantRole(await stakeManager.PAUSER_ROLE(), deployer.address),
      ).to.be.revertedWithCustomError(stakeManager, "AccessControlUnauthorizedAccount");
    });

    it("with the default admin (the deployer), hands over to itself: nothing changes hands", async function () {
      const { core, deployer } = await loadFixture(deployCoreWithDefaults);
      const { stakeManager, resultRegistry, processRegistry } = core.contracts;
      expect(await processRegistry.defaultAdmin()).to.equal(deployer.address);
      for (const contract of [stakeManager, resultRegistry]) {
        expect(await contract.defaultAdmin()).to.equal(deployer.address);
        expect((await contract.pendingDefaultAdmin())[0]).to.equal(deployer.address);
      }
      expect(core.adminHandovers.map((h) => [h.defaultAdmin, h.pendingAdmin])).to.deep.equal([
        [deployer.address, deployer.address],
        [deployer.address, deployer.address],
      ]);
      expect(await stakeManager.treasury()).to.equal(ZERO);
      await expectExactRoles(core, { deployer: deployer.address });
    });
  });

  describe("validation against the constructors", function () {
    it("accepts a StakeManager parameter set exactly when its constructor does", async function () {
      const { stakeToken, deployer } = await loadFixture(deployToken);
      const factory = await hre.ethers.getContractFactory("StakeManager");
      const time = fc.oneof(
        fc.bigInt({ min: 0n, max: 100n }),
        fc.bigInt({ min: MAX_DISPUTE_TIME - 1n, max: MAX_DISPUTE_TIME + 1n }),
        fc.bigInt({ min: 0n, max: MAX_UNBONDING_DELAY }),
      );
      const offset = fc.oneof(
        fc.bigInt({ min: -2n, max: 2n }),
        fc.bigInt({ min: -MAX_UNBONDING_DELAY, max: MAX_UNBONDING_DELAY }),
      );
      const bps = fc.oneof(fc.integer({ min: 9_998, max: 10_001 }), fc.integer({ min: 0, max: 65_535 }));
      await fc.assert(
        fc.asyncProperty(time, time, offset, bps, async (window, game, delta, reward) => {
          const delay = window + game + delta < 0n ? 0n : window + game + delta;
          const raw = {
            ...VALUES,
            stakeToken,
            admin: deployer.address,
            challengeWindow: window,
            maxGameDuration: game,
            unbondingDelay: delay,
            slashRewardBps: reward,
          };
          // The StakeManager's rules only: whether the game fits in maxGameDuration is the
          // DisputeGame's (next test).
          const validatorAccepts = problemsOf(raw).filter((p) => !p.startsWith("the longest")).length === 0;
          const tx = await factory.getDeployTransaction(
            stakeToken,
            deployer.address,
            window,
            game,
            delay,
            ZERO,
            reward,
          );
          const contractAccepts = await accepts({ ...tx, from: deployer.address });
          expect(validatorAccepts, `validator vs constructor for ${show(raw)}`).to.equal(contractAccepts);
        }),
        { numRuns: 80 },
      );
    });

    it("accepts game parameters exactly when the DisputeGame constructor does", async function () {
      const { core, deployer } = await loadFixture(deployCoreWithDefaults);
      const factory = await hre.ethers.getContractFactory("DisputeGame");
      const degree = fc.constantFrom(0, 1, 2, 3, 4, 8, 12, 16, 32, 64, 100, 128, 256, 257, 512);
      const clock = fc.oneof(fc.bigInt({ min: 0n, max: 4n }), fc.bigInt({ min: 0n, max: 4_000n }));
      const extension = fc.oneof(fc.bigInt({ min: 0n, max: 3n }), fc.bigInt({ min: 0n, max: 250n }));
      const grace = fc.oneof(fc.bigInt({ min: 0n, max: 2n }), fc.bigInt({ min: 0n, max: 8_000n }));
      const bond = fc.constantFrom(0n, 1n, ONE, MAX_UINT96);
      await fc.assert(
        fc.asyncProperty(degree, clock, extension, grace, bond, async (d, c, e, g, b) => {
          const raw = {
            ...VALUES, // maxGameDuration 7,200
            stakeToken: core.parameters.stakeToken,
            admin: deployer.address,
            gameDegree: d,
            gameClockTime: c,
            gameClockExtension: e,
            gameStartGrace: g,
            gameChallengeBond: b,
          };
          const validatorAccepts = problemsOf(raw).length === 0;
          const { stakeManager, processRegistry, resultRegistry, oneStepProofEntry } = core.addresses;
          const tx = await factory.getDeployTransaction(
            stakeManager,
            processRegistry,
            resultRegistry,
            oneStepProofEntry,
            d,
            c,
            e,
            g,
            b,
          );
          const contractAccepts = await accepts({ ...tx, from: deployer.address });
          expect(validatorAccepts, `validator vs constructor for ${show(raw)}`).to.equal(contractAccepts);
        }),
        { numRuns: 150 },
      );
    });

    it("accepts commitmentStake exactly when the ResultRegistry constructor does", async function () {
      const { core, deployer } = await loadFixture(deployCoreWithDefaults);
      const factory = await hre.ethers.getContractFactory("ResultRegistry");
      for (const amount of [0n, 1n, 10n * ONE, MAX_UINT96, MAX_UINT96 + 1n, 2n ** 200n]) {
        const raw = {
          ...VALUES,
          stakeToken: core.parameters.stakeToken,
          admin: deployer.address,
          commitmentStake: amount,
        };
        const tx = await factory.getDeployTransaction(
          core.addresses.stakeManager,
          core.addresses.processRegistry,
          deployer.address,
          amount,
        );
        expect(problemsOf(raw).length === 0, `commitmentStake ${amount}`).to.equal(
          await accepts({ ...tx, from: deployer.address }),
        );
      }
    });

    it("refuses a minSchedulerStake of 0, which the ProcessRegistry constructor would take", async function () {
      const { core, deployer } = await loadFixture(deployCoreWithDefaults);
      const factory = await hre.ethers.getContractFactory("ProcessRegistry");
      for (const [amount, validatorAccepts, contractAccepts] of [
        [0n, false, true], // stricter on purpose: a scheduler without stake could equivocate for free
        [1n, true, true],
        [2n ** 256n - 1n, true, true],
      ] as const) {
        const raw = {
          ...VALUES,
          stakeToken: core.parameters.stakeToken,
          admin: deployer.address,
          minSchedulerStake: amount,
        };
        expect(problemsOf(raw).length === 0, `minSchedulerStake ${amount}`).to.equal(validatorAccepts);
        const tx = await factory.getDeployTransaction(
          core.addresses.stakeManager,
          deployer.address,
          amount,
          VALUES.maxStepLimit,
        );
        expect(await accepts({ ...tx, from: deployer.address })).to.equal(contractAccepts);
      }
    });

    it("accepts maxStepLimit exactly when the ProcessRegistry constructor does, with a clock long enough for it", async function () {
      const { core, deployer } = await loadFixture(deployCoreWithDefaults);
      const factory = await hre.ethers.getContractFactory("ProcessRegistry");
      // A clock extension long enough for 2^32 - 1 steps (859 s), so that only the range decides.
      const roomy = { gameClockTime: 1_000, gameClockExtension: 860, maxGameDuration: 90 * 86_400 };
      for (const limit of [0n, 1n, 300_000_000n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 64n - 1n]) {
        const raw = {
          ...VALUES,
          ...roomy,
          unbondingDelay: 100 * 86_400,
          stakeToken: core.parameters.stakeToken,
          admin: deployer.address,
          maxStepLimit: limit,
        };
        const tx = await factory.getDeployTransaction(
          core.addresses.stakeManager,
          deployer.address,
          1n,
          limit,
        );
        expect(problemsOf(raw).length === 0, `maxStepLimit ${limit}`).to.equal(
          await accepts({ ...tx, from: deployer.address }),
        );
      }
    });
  });

  describe("refusals before anything is sent", function () {
    it("refuses a stake token without code", async function () {
      const { deployer, governance } = await loadFixture(deployToken);
      const nonce = await hre.ethers.provider.getTransactionCount(deployer.address);
      const error = await rejectionOf(deployCore(hre, { stakeToken: governance.address, ...VALUES }));
      expect(error).to.be.instanceOf(DeployParameterError);
      expect(error.message).to.equal(
        `deployCore parameters: stakeToken ${governance.address} has no code on chain 31337 (it must be an ERC-20 contract)`,
      );
      expect(await hre.ethers.provider.getTransactionCount(deployer.address)).to.equal(nonce);
    });

    it("refuses invalid parameters", async function () {
      const { stakeToken, deployer } = await loadFixture(deployToken);
      const nonce = await hre.ethers.provider.getTransactionCount(deployer.address);
      const error = await rejectionOf(deployCore(hre, { stakeToken, ...VALUES, unbondingDelay: 100 }));
      expect(error).to.be.instanceOf(DeployParameterError);
      expect(error.message).to.equal(
        "deployCore parameters: unbondingDelay 100 is below challengeWindow + maxGameDuration = 10800",
      );
      expect(await hre.ethers.provider.getTransactionCount(deployer.address)).to.equal(nonce);
    });

    it("refuses a dispute game longer than maxGameDuration, naming the parameters", async function () {
      const { stakeToken, deployer } = await loadFixture(deployToken);
      const nonce = await hre.ethers.provider.getTransactionCount(deployer.address);
      const error = await rejectionOf(deployCore(hre, { stakeToken, ...VALUES, gameClockTime: 3_000 }));
      expect(error).to.be.instanceOf(DeployParameterError);
      expect(error.message).to.equal(
        "deployCore parameters: the longest dispute game, 2·gameClockTime + 2·17·gameClockExtension + gameStartGrace = " +
          "2·3000 + 2·17·60 + 120 = 8160 seconds, exceeds maxGameDuration 7200 " +
          "(17 = ⌈64 / log2(gameDegree 16)⌉ + 1 moves per side)",
      );
      expect(await hre.ethers.provider.getTransactionCount(deployer.address)).to.equal(nonce);
    });
  });

  describe("from the command line (npx hardhat ignition deploy … --network localhost)", function () {
    const deploymentId = `holo-test-${process.pid}-${Date.now()}`;
    const deploymentDir = path.join(REPO_ROOT, "deploy", "deployments", deploymentId);
    const parametersFile = path.join(deploymentDir + ".parameters.json");

    after(function () {
      fs.rmSync(deploymentDir, { recursive: true, force: true });
      fs.rmSync(parametersFile, { force: true });
      const instances = path.join(hre.config.paths.cache, ".hardhat-network-instances.json");
      if (fs.existsSync(instances)) {
        const entries = JSON.parse(fs.readFileSync(instances, "utf8")) as Record<string, string>;
        delete entries[deploymentId];
        fs.writeFileSync(instances, JSON.stringify(entries, null, 2));
      }
    });

    it("deploys Holoproof.ts with a parameter file, wired, and deploys nothing new the second time", async function () {
      const { stakeToken, deployer, governance } = await loadFixture(deployToken);
      fs.mkdirSync(path.dirname(parametersFile), { recursive: true });
      fs.writeFileSync(
        parametersFile,
        JSON.stringify({
          Holoproof: {
            stakeToken,
            admin: governance.address,
            challengeWindow: 300,
            maxGameDuration: 600,
            unbondingDelay: 1_000,
            slashRewardBps: 4_000,
            minSchedulerStake: "100000000000000000000n",
            maxStepLimit: 25_000_000,
            commitmentStake: "10000000000000000000n",
            gameDegree: 16,
            gameClockTime: 120,
            gameClockExtension: 5,
            gameStartGrace: 10,
            gameChallengeBond: "10000000000000000000n",
          },
        }),
      );
      // Serve this test's in-process network: the command line deploys to it as to any `localhost` node.
      const server = await startJsonRpcServer(hre, "127.0.0.1", 0);
      try {
        const args = [
          HARDHAT_CLI,
          "ignition",
          "deploy",
          "deploy/modules/Holoproof.ts",
          "--network",
          "localhost",
          "--parameters",
          parametersFile,
          "--deployment-id",
          deploymentId,
        ];
        const env = { HOLO_RPC_URL: `http://127.0.0.1:${server.port}` };

        const first = await runNode(args, { env, timeoutMs: 120_000 });
        expect(first.code, first.stderr + first.stdout).to.equal(0);
        const addresses = JSON.parse(
          fs.readFileSync(path.join(deploymentDir, "deployed_addresses.json"), "utf8"),
        ) as Record<string, string>;
        expect(Object.keys(addresses).sort()).to.deep.equal(
          Object.values(RESULT_CONTRACTS)
            .map((name) => `Holoproof#${name}`)
            .sort(),
        );
        const at = (name: string) => addresses[`Holoproof#${name}`];
        const stakeManager = await hre.ethers.getContractAt("StakeManager", at("StakeManager"));
        expect(await stakeManager.stakeToken()).to.equal(stakeToken);
        expect(await stakeManager.unbondingDelay()).to.equal(1_000n);
        expect(await stakeManager.slashRewardBps()).to.equal(4_000n);
        expect(await stakeManager.defaultAdmin()).to.equal(deployer.address);
        expect((await stakeManager.pendingDefaultAdmin())[0]).to.equal(governance.address);
        expect(await stakeManager.hasRole(ROLES.SLASHER_ROLE, at("ProcessRegistry"))).to.equal(true);
        expect(await stakeManager.hasRole(ROLES.LOCKER_ROLE, at("ProcessRegistry"))).to.equal(true);
        expect(await stakeManager.hasRole(ROLES.LOCKER_ROLE, at("ResultRegistry"))).to.equal(true);
        expect(await stakeManager.hasRole(ROLES.LOCKER_ROLE, at("DisputeGame"))).to.equal(true);
        expect(await stakeManager.hasRole(ROLES.SLASHER_ROLE, at("DisputeGame"))).to.equal(true);
        const resultRegistry = await hre.ethers.getContractAt("ResultRegistry", at("ResultRegistry"));
        expect(await resultRegistry.hasRole(ROLES.DISPUTE_GAME_ROLE, at("DisputeGame"))).to.equal(true);
        expect(await resultRegistry.commitmentStake()).to.equal(10n * ONE);
        const disputeGame = await hre.ethers.getContractAt("DisputeGame", at("DisputeGame"));
        expect(await disputeGame.challengeBond()).to.equal(10n * ONE);
        expect(await disputeGame.maxDuration()).to.equal(420n);

        const block = await hre.ethers.provider.getBlockNumber();
        const second = await runNode(args, { env, timeoutMs: 120_000 });
        expect(second.code, second.stderr + second.stdout).to.equal(0);
        expect(second.stdout).to.include("Nothing new to deploy");
        expect(await hre.ethers.provider.getBlockNumber()).to.equal(block);
      } finally {
        await server.close();
      }
    });
  });
});

/** The problems the validator finds in `raw` (module Holoproof), none if it accepts it. */
function problemsOf(raw: Record<string, unknown>): readonly string[] {
  try {
    validateCoreParameters(raw, { source: "property", moduleId: "Holoproof" });
    return [];
  } catch (error) {
    expect(error).to.be.instanceOf(DeployParameterError);
    return (error as DeployParameterError).problems;
  }
}

/** Whether a contract-creation transaction succeeds (an `eth_call`; nothing is sent). */
async function accepts(tx: { data: string; from: string }): Promise<boolean> {
  try {
    await hre.ethers.provider.call(tx);
    return true;
  } catch {
    return false;
  }
}

function show(raw: Record<string, unknown>): string {
  return JSON.stringify(raw, (_k, v: unknown) => (typeof v === "bigint" ? `${v}` : v));
}

/**
 * The hash of the transaction that executed Ignition future `futureId`: on the in-process network
 * the journal is in memory, so it is found by its call data among the deployment's blocks.
 */
async function transactionOf(core: CoreDeployment, futureId: string): Promise<string> {
  const [, callId] = futureId.split("#");
  const handover = ADMIN_HANDOVERS.find(([id]) => id === callId);
  if (handover === undefined) throw new Error(`not a handover: ${futureId}`);
  const target = core.addresses[handover[1]];
  const data = core.contracts[handover[1]].interface.encodeFunctionData("beginDefaultAdminTransfer", [
    core.parameters.admin,
  ]);
  const latest = await hre.ethers.provider.getBlockNumber();
  for (let n = latest; n >= 0; n--) {
    const block = await hre.ethers.provider.getBlock(n, true);
    const tx = block?.prefetchedTransactions.find((t) => t.to === target && t.data === data);
    if (tx !== undefined) return tx.hash;
  }
  throw new Error(`no transaction of ${futureId}`);
}

import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import hre from "hardhat";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import {
  ADMIN_HANDOVERS,
  CORE_ROLE_GRANTS,
  deployCore,
  deployDevnet,
  DeployError,
  DeployParameterError,
  DEVNET_FUND_AMOUNT,
  ROLES,
  runIgnitionModule,
  StakeTokenModule,
} from "../../deploy";
import { rejectionOf } from "../cli/helpers";

const ONE = 10n ** 18n;

/** The core's parameters but the stake token, short and valid. */
const CORE_VALUES = {
  challengeWindow: 60,
  maxGameDuration: 600,
  unbondingDelay: 660,
  slashRewardBps: 0,
  minSchedulerStake: 5n * ONE,
  maxStepLimit: 25_000_000,
  commitmentStake: ONE,
  gameDegree: 16,
  gameClockTime: 120,
  gameClockExtension: 5,
  gameStartGrace: 10,
  gameChallengeBond: 2n * ONE,
};

/** The core's contracts, as `<module>#<contract>` names in Ignition's deployed_addresses.json. */
const CORE_CONTRACTS = {
  stakeManager: "StakeManager",
  processRegistry: "ProcessRegistry",
  resultRegistry: "ResultRegistry",
  disputeGame: "DisputeGame",
  oneStepProofEntry: "OneStepProofEntry",
  oneStepProverControl: "OneStepProverControl",
  oneStepProverMemory: "OneStepProverMemory",
  oneStepProverMath: "OneStepProverMath",
  oneStepProverHostIo: "OneStepProverHostIo",
} as const;

/** Every future a module running the core executes, with the module's prefix. */
function coreFutures(moduleId: string): string[] {
  return [
    ...Object.values(CORE_CONTRACTS),
    ...CORE_ROLE_GRANTS.map(([id]) => id),
    ...ADMIN_HANDOVERS.map(([id]) => id),
  ].map((id) => `${moduleId}#${id}`);
}

/** A fresh chain state (the fixture itself deploys nothing). */
async function emptyChain() {
  const signers = await hre.ethers.getSigners();
  return { signers };
}

describe("deploy (programmatic API)", function () {
  let tmp: string;

  beforeEach(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "holo-deploy-"));
  });

  afterEach(function () {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe("deployDevnet", function () {
    it("is idempotent: a second run with the same journal deploys nothing new", async function () {
      const { signers } = await loadFixture(emptyChain);
      const journal = path.join(tmp, "chain-31337");

      const first = await deployDevnet(hre, { deploymentDir: journal });
      expect(first.executed).to.have.members(["StakeToken#DevnetStakeToken", ...coreFutures("Devnet")]);
      expect(first.executed).to.have.lengthOf(1 + coreFutures("Devnet").length);
      expect(first.deploymentDir).to.equal(journal);
      const recorded = JSON.parse(fs.readFileSync(path.join(journal, "deployed_addresses.json"), "utf8"));
      expect(recorded).to.deep.equal({
        "StakeToken#DevnetStakeToken": first.addresses.stakeToken,
        ...Object.fromEntries(
          Object.entries(CORE_CONTRACTS).map(([key, name]) => [
            `Devnet#${name}`,
            first.addresses[key as keyof typeof CORE_CONTRACTS],
          ]),
        ),
      });

      const nonce = await hre.ethers.provider.getTransactionCount(signers[0].address);
      const block = await hre.ethers.provider.getBlockNumber();
      const second = await deployDevnet(hre, { deploymentDir: journal });
      expect(second.executed).to.deep.equal([]);
      expect(second.addresses).to.deep.equal(first.addresses);
      expect(await hre.ethers.provider.getTransactionCount(signers[0].address)).to.equal(nonce);
      expect(await hre.ethers.provider.getBlockNumber()).to.equal(block);
    });

    it("refuses to reuse a journal with different parameters", async function () {
      await loadFixture(emptyChain);
      const journal = path.join(tmp, "chain-31337");
      await deployDevnet(hre, { deploymentDir: journal });
      const error = await rejectionOf(
        deployDevnet(hre, { deploymentDir: journal, parameters: { slashRewardBps: 1 } }),
      );
      expect(error).to.be.instanceOf(DeployError);
      expect(error.message).to.match(
        /^module Devnet was not deployed \(journal: .*\): .*Devnet#StakeManager/s,
      );
      const game = await rejectionOf(
        deployDevnet(hre, { deploymentDir: journal, parameters: { gameChallengeBond: ONE } }),
      );
      expect(game).to.be.instanceOf(DeployError);
      expect(game.message).to.match(/^module Devnet was not deployed \(journal: .*\): .*Devnet#DisputeGame/s);
    });

    it("deploys only the missing contracts and calls when a journal stops halfway", async function () {
      // A journal that has the StakeToken module only: as if the devnet had been interrupted.
      await loadFixture(emptyChain);
      const journal = path.join(tmp, "chain-31337");
      const token = await runIgnitionModule(hre, StakeTokenModule, {}, { deploymentDir: journal });
      expect(token.executed).to.deep.equal(["StakeToken#DevnetStakeToken"]);

      const devnet = await deployDevnet(hre, { deploymentDir: journal });
      expect(devnet.addresses.stakeToken).to.equal(token.addresses.stakeToken);
      expect(devnet.executed).to.have.members(coreFutures("Devnet"));
      expect(
        await devnet.contracts.stakeManager.hasRole(ROLES.LOCKER_ROLE, devnet.addresses.disputeGame),
      ).to.equal(true);
    });

    it("tops accounts up to the funding amount, minting only what is missing", async function () {
      const { signers } = await loadFixture(emptyChain);
      const accounts = signers.slice(0, 3).map((s) => s.address);
      const journal = path.join(tmp, "chain-31337");
      const devnet = await deployDevnet(hre, { deploymentDir: journal, fund: { accounts } });
      expect(devnet.funded).to.deep.equal(
        accounts.map((address) => ({ address, balance: DEVNET_FUND_AMOUNT })),
      );
      const token = devnet.contracts.stakeToken;

      await (await token.connect(signers[1]).transfer(signers[2].address, 10n)).wait();
      const again = await deployDevnet(hre, {
        deploymentDir: journal,
        fund: { accounts, amount: DEVNET_FUND_AMOUNT },
      });
      expect(again.addresses).to.deep.equal(devnet.addresses);
      expect(again.funded.map((f) => f.balance)).to.deep.equal([
        DEVNET_FUND_AMOUNT,
        DEVNET_FUND_AMOUNT,
        DEVNET_FUND_AMOUNT + 10n, // above the target: nothing taken, nothing minted
      ]);
      expect(await token.totalSupply()).to.equal(3n * DEVNET_FUND_AMOUNT + 10n);
    });

    it("names the parameter file when an override breaks a rule, and sends nothing", async function () {
      const { signers } = await loadFixture(emptyChain);
      const nonce = await hre.ethers.provider.getTransactionCount(signers[0].address);
      const error = await rejectionOf(deployDevnet(hre, { parameters: { unbondingDelay: 100 } }));
      expect(error).to.be.instanceOf(DeployParameterError);
      expect(error.message).to.equal(
        "deploy/parameters/hardhat.json: unbondingDelay 100 is below challengeWindow + maxGameDuration = 900",
      );
      expect(await hre.ethers.provider.getTransactionCount(signers[0].address)).to.equal(nonce);
    });

    it("names the parameter file when the dispute game would outlast maxGameDuration, and sends nothing", async function () {
      const { signers } = await loadFixture(emptyChain);
      const nonce = await hre.ethers.provider.getTransactionCount(signers[0].address);
      const error = await rejectionOf(deployDevnet(hre, { parameters: { gameClockTime: 300 } }));
      expect(error).to.be.instanceOf(DeployParameterError);
      expect(error.message).to.equal(
        "deploy/parameters/hardhat.json: the longest dispute game, " +
          "2·gameClockTime + 2·17·gameClockExtension + gameStartGrace = 2·300 + 2·17·5 + 10 = 780 seconds, " +
          "exceeds maxGameDuration 600 (17 = ⌈64 / log2(gameDegree 16)⌉ + 1 moves per side)",
      );
      expect(await hre.ethers.provider.getTransactionCount(signers[0].address)).to.equal(nonce);
    });

    it("refuses a chain that is not local", async function () {
      const sepolia = {
        network: { name: "sepolia", provider: { request: async () => "0xaa36a7" } },
      } as unknown as HardhatRuntimeEnvironment;
      const error = await rejectionOf(deployDevnet(sepolia));
      expect(error).to.be.instanceOf(DeployError);
      expect(error.message).to.equal(
        "the devnet deploys only to local networks (chain id 31337 or 1337), not to network sepolia " +
          "(chain id 11155111); use deployCore with a real stake token",
      );
    });
  });

  describe("deployCore", function () {
    it("is idempotent: a second run with the same journal deploys nothing new", async function () {
      const { signers } = await loadFixture(emptyChain);
      const devnet = await deployDevnet(hre);
      const journal = path.join(tmp, "core");
      const params = { stakeToken: devnet.addresses.stakeToken, admin: signers[5].address, ...CORE_VALUES };
      const first = await deployCore(hre, params, { deploymentDir: journal });
      expect(first.executed).to.have.members(coreFutures("Holoproof"));
      expect(first.executed).to.have.lengthOf(coreFutures("Holoproof").length);
      const recorded = JSON.parse(fs.readFileSync(path.join(journal, "deployed_addresses.json"), "utf8"));
      expect(recorded).to.deep.equal(
        Object.fromEntries(
          Object.entries(CORE_CONTRACTS).map(([key, name]) => [
            `Holoproof#${name}`,
            first.addresses[key as keyof typeof CORE_CONTRACTS],
          ]),
        ),
      );

      const nonce = await hre.ethers.provider.getTransactionCount(signers[0].address);
      const second = await deployCore(hre, params, { deploymentDir: journal });
      expect(second.executed).to.deep.equal([]);
      expect(second.addresses).to.deep.equal(first.addresses);
      expect(second.adminHandovers).to.deep.equal(first.adminHandovers);
      expect(await hre.ethers.provider.getTransactionCount(signers[0].address)).to.equal(nonce);
    });

    it("re-run after admin accepted, reports the finished handover and sends nothing", async function () {
      const { signers } = await loadFixture(emptyChain);
      const devnet = await deployDevnet(hre);
      const journal = path.join(tmp, "core");
      const governance = signers[5];
      const params = { stakeToken: devnet.addresses.stakeToken, admin: governance.address, ...CORE_VALUES };
      const first = await deployCore(hre, params, { deploymentDir: journal });
      expect(first.adminHandovers.map((h) => [h.contract, h.defaultAdmin, h.pendingAdmin])).to.deep.equal([
        ["stakeManager", signers[0].address, governance.address],
        ["resultRegistry", signers[0].address, governance.address],
      ]);

      await hre.network.provider.request({ method: "evm_increaseTime", params: [2 * 86_400 + 1] });
      for (const { contract } of first.adminHandovers) {
        await (await first.contracts[contract].connect(governance).acceptDefaultAdminTransfer()).wait();
      }
      const nonce = await hre.ethers.provider.getTransactionCount(signers[0].address);
      const second = await deployCore(hre, params, { deploymentDir: journal });
      expect(second.executed).to.deep.equal([]);
      expect(second.adminHandovers).to.deep.equal([
        {
          contract: "stakeManager",
          defaultAdmin: governance.address,
          pendingAdmin: null,
          acceptableAt: null,
        },
        {
          contract: "resultRegistry",
          defaultAdmin: governance.address,
          pendingAdmin: null,
          acceptableAt: null,
        },
      ]);
      expect(await hre.ethers.provider.getTransactionCount(signers[0].address)).to.equal(nonce);
    });

    it("reads a parameter file's Holoproof section, overridden by the values given", async function () {
      await loadFixture(emptyChain);
      const devnet = await deployDevnet(hre);
      const file = path.join(tmp, "params.json");
      fs.writeFileSync(
        file,
        JSON.stringify(
          {
            Holoproof: {
              stakeToken: "REPLACE-ME",
              ...CORE_VALUES,
              challengeWindow: 100,
              unbondingDelay: 700,
              slashRewardBps: 7,
              minSchedulerStake: "3000000000000000000n",
              gameChallengeBond: "4000000000000000000n",
            },
          },
          (_key, value: unknown) => (typeof value === "bigint" ? `${value}n` : value),
        ), // Ignition's notation
      );
      const core = await deployCore(
        hre,
        { stakeToken: devnet.addresses.stakeToken },
        { parametersFile: file },
      );
      expect(await core.contracts.stakeManager.unbondingDelay()).to.equal(700n);
      expect(await core.contracts.stakeManager.stakeToken()).to.equal(devnet.addresses.stakeToken);
      expect(await core.contracts.processRegistry.minSchedulerStake()).to.equal(3n * ONE);
      expect(await core.contracts.disputeGame.challengeBond()).to.equal(4n * ONE);
      expect(core.parameters.gameChallengeBond).to.equal(4n * ONE);
    });
  });
});

import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import hre from "hardhat";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import {
  deployCore,
  deployDevnet,
  DeployError,
  DeployParameterError,
  DEVNET_FUND_AMOUNT,
} from "../../deploy";
import { rejectionOf } from "../cli/helpers";

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
      expect(first.executed).to.deep.equal(["StakeToken#DevnetStakeToken", "Devnet#StakeManager"]);
      expect(first.deploymentDir).to.equal(journal);
      const recorded = JSON.parse(fs.readFileSync(path.join(journal, "deployed_addresses.json"), "utf8"));
      expect(recorded).to.deep.equal({
        "StakeToken#DevnetStakeToken": first.addresses.stakeToken,
        "Devnet#StakeManager": first.addresses.stakeManager,
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
      const params = {
        stakeToken: devnet.addresses.stakeToken,
        challengeWindow: 60,
        maxGameDuration: 60,
        unbondingDelay: 120,
        slashRewardBps: 0,
      };
      const first = await deployCore(hre, params, { deploymentDir: journal });
      expect(first.executed).to.deep.equal(["Holoproof#StakeManager"]);

      const nonce = await hre.ethers.provider.getTransactionCount(signers[0].address);
      const second = await deployCore(hre, params, { deploymentDir: journal });
      expect(second.executed).to.deep.equal([]);
      expect(second.addresses).to.deep.equal(first.addresses);
      expect(await hre.ethers.provider.getTransactionCount(signers[0].address)).to.equal(nonce);
    });

    it("reads a parameter file's Holoproof section, overridden by the values given", async function () {
      await loadFixture(emptyChain);
      const devnet = await deployDevnet(hre);
      const file = path.join(tmp, "params.json");
      fs.writeFileSync(
        file,
        JSON.stringify({
          Holoproof: {
            stakeToken: "REPLACE-ME",
            challengeWindow: 100,
            maxGameDuration: 200,
            unbondingDelay: 300,
            slashRewardBps: 7,
          },
        }),
      );
      const core = await deployCore(
        hre,
        { stakeToken: devnet.addresses.stakeToken },
        { parametersFile: file },
      );
      expect(await core.contracts.stakeManager.unbondingDelay()).to.equal(300n);
      expect(await core.contracts.stakeManager.stakeToken()).to.equal(devnet.addresses.stakeToken);
    });
  });
});

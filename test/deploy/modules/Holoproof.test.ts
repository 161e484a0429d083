import fs from "node:fs";
import path from "node:path";

import { expect } from "chai";
import fc from "fast-check";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import { startJsonRpcServer } from "../../../cli/lib/jsonrpc";
import {
  BPS,
  deployCore,
  DeployParameterError,
  MAX_DISPUTE_TIME,
  MAX_UNBONDING_DELAY,
  validateCoreParameters,
} from "../../../deploy";
import StakeTokenModule from "../../../deploy/modules/StakeToken";
import { HARDHAT_CLI, REPO_ROOT, rejectionOf, runNode } from "../../cli/helpers";

const ZERO = "0x0000000000000000000000000000000000000000";

/** The stake token and the accounts; the core is deployed by each test or fixture. */
async function deployToken() {
  const [deployer, governance, treasury] = await hre.ethers.getSigners();
  const { stakeToken } = await hre.ignition.deploy(StakeTokenModule);
  return { stakeToken: await stakeToken.getAddress(), deployer, governance, treasury };
}

/** The core with a governance admin and a treasury distinct from the deployer. */
async function deployCoreWithGovernance() {
  const accounts = await deployToken();
  const params = {
    stakeToken: accounts.stakeToken,
    admin: accounts.governance.address,
    treasury: accounts.treasury.address,
    challengeWindow: 3_600,
    maxGameDuration: 7_200,
    unbondingDelay: 14_400,
    slashRewardBps: 2_500,
  };
  const core = await deployCore(hre, params);
  return { ...accounts, core };
}

/** The core with every default: admin the deployer, treasury zero. */
async function deployCoreWithDefaults() {
  const accounts = await deployToken();
  const core = await deployCore(hre, {
    stakeToken: accounts.stakeToken,
    challengeWindow: 300,
    maxGameDuration: 600,
    unbondingDelay: 900,
    slashRewardBps: 5_000,
  });
  return { ...accounts, core };
}

describe("deploy/modules/Holoproof (core)", function () {
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

  it("makes the admin parameter, not the deployer, the holder of DEFAULT_ADMIN_ROLE", async function () {
    const { core, deployer, governance } = await loadFixture(deployCoreWithGovernance);
    const stakeManager = core.contracts.stakeManager;
    const adminRole = await stakeManager.DEFAULT_ADMIN_ROLE();
    expect(await stakeManager.hasRole(adminRole, governance.address)).to.equal(true);
    expect(await stakeManager.hasRole(adminRole, deployer.address)).to.equal(false);
    expect(await stakeManager.defaultAdmin()).to.equal(governance.address);
  });

  it("returns the validated parameters it deployed with", async function () {
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
    });
    expect(core.executed).to.deep.equal(["Holoproof#StakeManager"]);
    expect(core.deploymentDir).to.equal(undefined); // in memory on the in-process network
  });

  it("defaults the admin to the deployer and the treasury to zero (burn)", async function () {
    const { core, deployer } = await loadFixture(deployCoreWithDefaults);
    const stakeManager = core.contracts.stakeManager;
    expect(await stakeManager.hasRole(await stakeManager.DEFAULT_ADMIN_ROLE(), deployer.address)).to.equal(
      true,
    );
    expect(await stakeManager.treasury()).to.equal(ZERO);
    expect(await stakeManager.unbondingDelay()).to.equal(900n);
  });

  it("checks parameters against the contract's own ceilings", async function () {
    const { core } = await loadFixture(deployCoreWithDefaults);
    const stakeManager = core.contracts.stakeManager;
    expect(await stakeManager.MAX_DISPUTE_TIME()).to.equal(MAX_DISPUTE_TIME);
    expect(await stakeManager.MAX_UNBONDING_DELAY()).to.equal(MAX_UNBONDING_DELAY);
    expect(await stakeManager.BPS()).to.equal(BPS);
  });

  it("accepts a parameter set exactly when the StakeManager constructor does", async function () {
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
          stakeToken,
          admin: deployer.address,
          challengeWindow: window,
          maxGameDuration: game,
          unbondingDelay: delay,
          slashRewardBps: reward,
        };
        let validatorAccepts = true;
        try {
          validateCoreParameters(raw, { source: "property", moduleId: "Holoproof" });
        } catch {
          validatorAccepts = false;
        }
        const tx = await factory.getDeployTransaction(
          stakeToken,
          deployer.address,
          window,
          game,
          delay,
          ZERO,
          reward,
        );
        let contractAccepts = true;
        try {
          await hre.ethers.provider.call({ ...tx, from: deployer.address });
        } catch {
          contractAccepts = false;
        }
        expect(
          validatorAccepts,
          `validator vs constructor for ${JSON.stringify(raw, (_k, v) => (typeof v === "bigint" ? `${v}` : v))}`,
        ).to.equal(contractAccepts);
      }),
      { numRuns: 80 },
    );
  });

  it("refuses a stake token without code, before sending anything", async function () {
    const { deployer, governance } = await loadFixture(deployToken);
    const nonce = await hre.ethers.provider.getTransactionCount(deployer.address);
    const error = await rejectionOf(
      deployCore(hre, {
        stakeToken: governance.address,
        challengeWindow: 300,
        maxGameDuration: 600,
        unbondingDelay: 900,
        slashRewardBps: 5_000,
      }),
    );
    expect(error).to.be.instanceOf(DeployParameterError);
    expect(error.message).to.equal(
      `deployCore parameters: stakeToken ${governance.address} has no code on chain 31337 (it must be an ERC-20 contract)`,
    );
    expect(await hre.ethers.provider.getTransactionCount(deployer.address)).to.equal(nonce);
  });

  it("refuses invalid parameters before sending anything", async function () {
    const { stakeToken, deployer } = await loadFixture(deployToken);
    const nonce = await hre.ethers.provider.getTransactionCount(deployer.address);
    const error = await rejectionOf(
      deployCore(hre, {
        stakeToken,
        challengeWindow: 300,
        maxGameDuration: 600,
        unbondingDelay: 100,
        slashRewardBps: 5_000,
      }),
    );
    expect(error).to.be.instanceOf(DeployParameterError);
    expect(error.message).to.equal(
      "deployCore parameters: unbondingDelay 100 is below challengeWindow + maxGameDuration = 900",
    );
    expect(await hre.ethers.provider.getTransactionCount(deployer.address)).to.equal(nonce);
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

    it("deploys Holoproof.ts with a parameter file, and deploys nothing new the second time", async function () {
      const { stakeToken, governance } = await loadFixture(deployToken);
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

        const first = await runNode(args, { env, timeoutMs: 90_000 });
        expect(first.code, first.stderr + first.stdout).to.equal(0);
        const addresses = JSON.parse(
          fs.readFileSync(path.join(deploymentDir, "deployed_addresses.json"), "utf8"),
        ) as Record<string, string>;
        const address = addresses["Holoproof#StakeManager"];
        expect(address).to.match(/^0x[0-9a-fA-F]{40}$/);
        const stakeManager = await hre.ethers.getContractAt("StakeManager", address);
        expect(await stakeManager.stakeToken()).to.equal(stakeToken);
        expect(await stakeManager.unbondingDelay()).to.equal(1_000n);
        expect(await stakeManager.slashRewardBps()).to.equal(4_000n);
        expect(
          await stakeManager.hasRole(await stakeManager.DEFAULT_ADMIN_ROLE(), governance.address),
        ).to.equal(true);

        const block = await hre.ethers.provider.getBlockNumber();
        const second = await runNode(args, { env, timeoutMs: 90_000 });
        expect(second.code, second.stderr + second.stdout).to.equal(0);
        expect(second.stdout).to.include("Nothing new to deploy");
        expect(await hre.ethers.provider.getBlockNumber()).to.equal(block);
      } finally {
        await server.close();
      }
    });
  });
});

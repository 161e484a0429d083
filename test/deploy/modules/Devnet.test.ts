import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import {
  ADMIN_HANDOVERS,
  CORE_ROLE_GRANTS,
  deployDevnet,
  loadCoreParameters,
  parameterFileFor,
  ROLES,
} from "../../../deploy";

const ONE = 10n ** 18n;

async function deployDevnetFixture() {
  const [deployer, treasury] = await hre.ethers.getSigners();
  const devnet = await deployDevnet(hre);
  return { devnet, deployer, treasury };
}

describe("deploy/modules/Devnet", function () {
  it("deploys the devnet token and the whole core bonding it", async function () {
    const { devnet } = await loadFixture(deployDevnetFixture);
    const { stakeManager, stakeToken } = devnet.contracts;
    expect(await stakeToken.getAddress()).to.equal(devnet.addresses.stakeToken);
    expect(await stakeManager.getAddress()).to.equal(devnet.addresses.stakeManager);
    expect(await stakeManager.stakeToken()).to.equal(devnet.addresses.stakeToken);
    expect(await stakeToken.symbol()).to.equal("HOLO-DEV");
    expect(Object.keys(devnet.addresses).sort()).to.deep.equal(
      [
        "stakeToken",
        "stakeManager",
        "processRegistry",
        "resultRegistry",
        "disputeGame",
        "oneStepProofEntry",
        "oneStepProverControl",
        "oneStepProverMemory",
        "oneStepProverMath",
        "oneStepProverHostIo",
      ].sort(),
    );
    for (const [name, address] of Object.entries(devnet.addresses)) {
      expect(await hre.ethers.provider.getCode(address), name).to.not.equal("0x");
    }
    expect(devnet.executed).to.have.members([
      "StakeToken#DevnetStakeToken",
      "Devnet#StakeManager",
      "Devnet#ProcessRegistry",
      "Devnet#ResultRegistry",
      "Devnet#OneStepProverControl",
      "Devnet#OneStepProverMemory",
      "Devnet#OneStepProverMath",
      "Devnet#OneStepProverHostIo",
      "Devnet#OneStepProofEntry",
      "Devnet#DisputeGame",
      ...CORE_ROLE_GRANTS.map(([id]) => `Devnet#${id}`),
      ...ADMIN_HANDOVERS.map(([id]) => `Devnet#${id}`),
    ]);
    expect(devnet.executed).to.have.lengthOf(18); // 10 contracts, 6 role grants, 2 admin handovers
  });

  it("uses deploy/parameters/hardhat.json on the Hardhat network", async function () {
    const { devnet, deployer, treasury } = await loadFixture(deployDevnetFixture);
    const { stakeManager, processRegistry, resultRegistry, disputeGame } = devnet.contracts;
    expect(await stakeManager.challengeWindow()).to.equal(300n);
    expect(await stakeManager.maxGameDuration()).to.equal(600n);
    expect(await stakeManager.unbondingDelay()).to.equal(900n);
    expect(await stakeManager.slashRewardBps()).to.equal(5_000n);
    expect(await stakeManager.treasury()).to.equal(treasury.address);
    expect(await processRegistry.minSchedulerStake()).to.equal(100n * ONE);
    expect(await processRegistry.maxStepLimit()).to.equal(25_000_000n);
    expect(await processRegistry.stepLimitCeiling()).to.equal(25_000_000n);
    expect(await resultRegistry.commitmentStake()).to.equal(10n * ONE);
    expect(await disputeGame.degree()).to.equal(16n);
    expect(await disputeGame.clockTime()).to.equal(120n);
    expect(await disputeGame.clockExtension()).to.equal(5n);
    expect(await disputeGame.startGrace()).to.equal(10n);
    expect(await disputeGame.challengeBond()).to.equal(10n * ONE);
    expect(await disputeGame.maxDuration()).to.equal(420n); // 2·120 + 2·17·5 + 10 ≤ 600
    for (const contract of [stakeManager, processRegistry, resultRegistry]) {
      expect(await contract.defaultAdmin()).to.equal(deployer.address);
    }
    expect(devnet.parameters).to.deep.equal({
      stakeToken: devnet.addresses.stakeToken,
      ...loadCoreParameters(parameterFileFor("hardhat"), "Devnet"),
    });
  });

  it("wires the core: the registries and the game hold their roles", async function () {
    const { devnet } = await loadFixture(deployDevnetFixture);
    const { stakeManager, resultRegistry, disputeGame } = devnet.contracts;
    const a = devnet.addresses;
    expect(await stakeManager.hasRole(ROLES.SLASHER_ROLE, a.processRegistry)).to.equal(true);
    expect(await stakeManager.hasRole(ROLES.LOCKER_ROLE, a.processRegistry)).to.equal(true);
    expect(await stakeManager.hasRole(ROLES.LOCKER_ROLE, a.resultRegistry)).to.equal(true);
    expect(await stakeManager.hasRole(ROLES.LOCKER_ROLE, a.disputeGame)).to.equal(true);
    expect(await stakeManager.hasRole(ROLES.SLASHER_ROLE, a.disputeGame)).to.equal(true);
    expect(await resultRegistry.hasRole(ROLES.DISPUTE_GAME_ROLE, a.disputeGame)).to.equal(true);
    expect(await resultRegistry.stakeManager()).to.equal(a.stakeManager);
    expect(await resultRegistry.processRegistry()).to.equal(a.processRegistry);
    expect(await disputeGame.stakeManager()).to.equal(a.stakeManager);
    expect(await disputeGame.processRegistry()).to.equal(a.processRegistry);
    expect(await disputeGame.resultRegistry()).to.equal(a.resultRegistry);
    expect(await disputeGame.oneStepProver()).to.equal(a.oneStepProofEntry);
  });

  it("makes the first account the token's owner", async function () {
    const { devnet, deployer } = await loadFixture(deployDevnetFixture);
    expect(await devnet.contracts.stakeToken.owner()).to.equal(deployer.address);
  });

  it("funds nobody unless asked", async function () {
    const { devnet } = await loadFixture(deployDevnetFixture);
    expect(devnet.funded).to.deep.equal([]);
    expect(await devnet.contracts.stakeToken.totalSupply()).to.equal(0n);
  });
});

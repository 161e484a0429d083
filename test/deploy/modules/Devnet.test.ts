import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import { deployDevnet, parameterFileFor, loadCoreParameters } from "../../../deploy";

async function deployDevnetFixture() {
  const [deployer, treasury] = await hre.ethers.getSigners();
  const devnet = await deployDevnet(hre);
  return { devnet, deployer, treasury };
}

describe("deploy/modules/Devnet", function () {
  it("deploys the devnet token and a StakeManager that bonds it", async function () {
    const { devnet } = await loadFixture(deployDevnetFixture);
    const { stakeManager, stakeToken } = devnet.contracts;
    expect(await stakeToken.getAddress()).to.equal(devnet.addresses.stakeToken);
    expect(await stakeManager.getAddress()).to.equal(devnet.addresses.stakeManager);
    expect(await stakeManager.stakeToken()).to.equal(devnet.addresses.stakeToken);
    expect(await stakeToken.symbol()).to.equal("HOLO-DEV");
    expect(devnet.executed).to.deep.equal(["StakeToken#DevnetStakeToken", "Devnet#StakeManager"]);
  });

  it("uses deploy/parameters/hardhat.json on the Hardhat network", async function () {
    const { devnet, deployer, treasury } = await loadFixture(deployDevnetFixture);
    const { stakeManager } = devnet.contracts;
    expect(await stakeManager.challengeWindow()).to.equal(300n);
    expect(await stakeManager.maxGameDuration()).to.equal(600n);
    expect(await stakeManager.unbondingDelay()).to.equal(900n);
    expect(await stakeManager.slashRewardBps()).to.equal(5_000n);
    expect(await stakeManager.treasury()).to.equal(treasury.address);
    expect(await stakeManager.hasRole(await stakeManager.DEFAULT_ADMIN_ROLE(), deployer.address)).to.equal(
      true,
    );
    expect(devnet.parameters).to.deep.equal({
      stakeToken: devnet.addresses.stakeToken,
      ...loadCoreParameters(parameterFileFor("hardhat"), "Devnet"),
    });
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

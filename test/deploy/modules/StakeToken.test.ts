import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import StakeTokenModule from "../../../deploy/modules/StakeToken";
import type { DevnetStakeToken } from "../../../typechain-types";

const ONE = 10n ** 18n;

async function deployStakeToken() {
  const [owner, alice] = await hre.ethers.getSigners();
  const { stakeToken } = await hre.ignition.deploy(StakeTokenModule);
  return { token: stakeToken as unknown as DevnetStakeToken, owner, alice };
}

describe("deploy/modules/StakeToken (DevnetStakeToken)", function () {
  it("deploys the devnet token owned by the first account", async function () {
    const { token, owner } = await loadFixture(deployStakeToken);
    expect(await token.name()).to.equal("Holoproof Devnet Stake");
    expect(await token.symbol()).to.equal("HOLO-DEV");
    expect(await token.decimals()).to.equal(18n);
    expect(await token.owner()).to.equal(owner.address);
    expect(await token.totalSupply()).to.equal(0n);
  });

  it("lets the owner mint to anyone", async function () {
    const { token, alice } = await loadFixture(deployStakeToken);
    await expect(token.mint(alice.address, 5n * ONE)).to.changeTokenBalance(token, alice, 5n * ONE);
  });

  it("refuses mints by anyone else", async function () {
    const { token, alice } = await loadFixture(deployStakeToken);
    await expect(token.connect(alice).mint(alice.address, ONE))
      .to.be.revertedWithCustomError(token, "OwnableUnauthorizedAccount")
      .withArgs(alice.address);
  });

  it("gives anyone up to FAUCET_MAX per faucet call", async function () {
    const { token, alice } = await loadFixture(deployStakeToken);
    const max = await token.FAUCET_MAX();
    expect(max).to.equal(10_000n * ONE);
    await expect(token.connect(alice).faucet(max)).to.changeTokenBalance(token, alice, max);
    await expect(token.connect(alice).faucet(1n)).to.changeTokenBalance(token, alice, 1n);
  });

  it("refuses a faucet call above the cap, naming the request and the cap", async function () {
    const { token, alice } = await loadFixture(deployStakeToken);
    const max = await token.FAUCET_MAX();
    await expect(token.connect(alice).faucet(max + 1n))
      .to.be.revertedWithCustomError(token, "DevnetStakeTokenFaucetLimit")
      .withArgs(max + 1n, max);
  });
});

import { expect } from "chai";
import hre from "hardhat";

import { accountCount, devAccounts } from "../../../cli/lib/accounts";

describe("cli/lib/accounts", function () {
  it("derives the Hardhat network's accounts and their well-known keys", async function () {
    const config = hre.config.networks.hardhat.accounts;
    const accounts = devAccounts(config, 3);
    const signers = await hre.ethers.getSigners();
    expect(accounts.map((a) => a.address)).to.deep.equal(signers.slice(0, 3).map((s) => s.address));
    expect(accounts[0]).to.deep.equal({
      index: 0,
      address: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
      privateKey: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    });
  });

  it("never returns more accounts than configured", function () {
    const config = hre.config.networks.hardhat.accounts;
    expect(devAccounts(config, 1_000)).to.have.lengthOf(accountCount(config));
  });

  it("uses explicit private keys when the configuration lists them", function () {
    const key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
    expect(devAccounts([{ privateKey: key, balance: "1" }], 5)).to.deep.equal([
      { index: 0, address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", privateKey: key },
    ]);
  });
});

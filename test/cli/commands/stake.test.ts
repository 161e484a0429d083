import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import hre from "hardhat";

import { devAccounts, type DevAccount } from "../../../cli/lib/accounts";
import { startJsonRpcServer, type RunningJsonRpcServer } from "../../../cli/lib/jsonrpc";
import { deployDevnet, type DevnetDeployment } from "../../../deploy";
import { freePort, holo, isolateChainEnv } from "../helpers";

const ONE = 10n ** 18n;
const FUNDED = 1_000_000n * ONE;

/** The environment variables the CLI reads, cleared for the tests and restored after. */

describe("cli/commands/stake (holo stake)", function () {
  const env = isolateChainEnv();
  let tmp: string;
  let snapshot: string;
  let server: RunningJsonRpcServer;
  let devnet: DevnetDeployment;
  let accounts: DevAccount[];
  let rpc: string;
  let deployment: string;
  /** `--rpc`, `--deployment` and `--key` of account `index`. */
  let as: (index: number) => string[];

  before(async function () {
    env.clear();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "holo-stake-"));
    snapshot = (await hre.network.provider.request({ method: "evm_snapshot" })) as string;
    accounts = devAccounts(hre.config.networks.hardhat.accounts, 6);
    devnet = await deployDevnet(hre, { fund: { accounts: accounts.map((a) => a.address) } });
    server = await startJsonRpcServer(hre, "127.0.0.1", 0);
    rpc = `http://127.0.0.1:${server.port}`;
    deployment = path.join(tmp, "devnet.json");
    fs.writeFileSync(
      deployment,
      JSON.stringify({
        version: 1,
        chainId: 31337,
        rpcUrl: rpc,
        deployment: { contracts: devnet.addresses },
      }),
    );
    as = (index) => ["--rpc", rpc, "--deployment", deployment, "--key", accounts[index].privateKey];
  });

  after(async function () {
    await server?.close();
    if (snapshot !== undefined)
      await hre.network.provider.request({ method: "evm_revert", params: [snapshot] });
    fs.rmSync(tmp, { recursive: true, force: true });
    env.restore();
  });

  async function increaseTime(seconds: number): Promise<void> {
    await hre.network.provider.request({ method: "evm_increaseTime", params: [seconds] });
    await hre.network.provider.request({ method: "evm_mine" });
  }

  it("bonds, unbonds, waits out the delay and withdraws, with status at each step", async function () {
    const me = accounts[1].address;
    const token = devnet.contracts.stakeToken;
    const stakeManager = devnet.contracts.stakeManager;

    const bonded = await holo("stake", "bond", "10", ...as(1), "--json");
    expect(bonded.code, bonded.stderr).to.equal(0);
    const bond = bonded.json();
    expect(bond).to.deep.include({ event: "bonded", operator: me, amount: (10n * ONE).toString() });
    expect(bond.bonded).to.equal((10n * ONE).toString());
    expect(bond.approveTx).to.match(/^0x[0-9a-f]{64}$/); // no allowance before: approved first
    expect(bond.token).to.deep.equal({
      address: devnet.addresses.stakeToken,
      symbol: "HOLO-DEV",
      decimals: 18,
    });
    expect(bonded.stderr).to.include("waiting for 1 confirmation…");
    expect(await stakeManager.bondedOf(me)).to.equal(10n * ONE);
    expect(await token.allowance(me, devnet.addresses.stakeManager)).to.equal(0n); // exactly the amount

    const unbonded = await holo("stake", "unbond", "4", ...as(1), "--json");
    expect(unbonded.code, unbonded.stderr).to.equal(0);
    const request = unbonded.json();
    const delay = Number(await stakeManager.unbondingDelay());
    const { timestamp } = (await hre.ethers.provider.getBlock("latest"))!;
    expect(request).to.deep.include({
      event: "unbond-requested",
      amount: (4n * ONE).toString(),
      unbonding: (4n * ONE).toString(),
      bonded: (6n * ONE).toString(),
      readyAt: timestamp + delay,
      readyAtIso: new Date((timestamp + delay) * 1000).toISOString(),
      readyIn: delay,
    });

    const status = await holo("stake", "status", me, "--rpc", rpc, "--deployment", deployment, "--json");
    expect(status.code, status.stderr).to.equal(0);
    expect(status.json()).to.deep.equal({
      event: "stake",
      operator: me,
      stakeManager: devnet.addresses.stakeManager,
      token: { address: devnet.addresses.stakeToken, symbol: "HOLO-DEV", decimals: 18 },
      bonded: (6n * ONE).toString(),
      locked: "0",
      unlocked: (6n * ONE).toString(),
      unbonding: {
        amount: (4n * ONE).toString(),
        readyAt: timestamp + delay,
        readyAtIso: new Date((timestamp + delay) * 1000).toISOString(),
        readyIn: delay,
        withdrawable: false,
      },
      slashable: (10n * ONE).toString(),
      payouts: "0",
      balance: (FUNDED - 10n * ONE).toString(),
      unbondingDelay: delay,
      chainTime: timestamp,
      chainTimeIso: new Date(timestamp * 1000).toISOString(),
    });
    const human = await holo("stake", "status", ...as(1)); // the key names the account
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.include(`Stake of ${me}`);
    expect(human.stdout).to.include("  bonded     6 HOLO-DEV\n");
    expect(human.stdout).to.include(
      `  unbonding  4 HOLO-DEV, withdrawable after ${new Date((timestamp + delay) * 1000).toISOString()} (ready in 15 min)`,
    );
    expect(human.stdout).to.include("  slashable  10 HOLO-DEV\n");

    const early = await holo("stake", "withdraw", ...as(1), "--json");
    expect(early.code).to.equal(1);
    expect(early.json()).to.deep.equal({
      event: "error",
      error: {
        code: "E_STATE",
        message:
          `the 4 HOLO-DEV unbonding for ${me} cannot be withdrawn before ` +
          `${new Date((timestamp + delay) * 1000).toISOString()} (in 15 min, by the latest block's time)`,
      },
    });

    await increaseTime(delay);
    const ready = await holo("stake", "status", ...as(1), "--json");
    expect((ready.json().unbonding as { withdrawable: boolean; readyIn: number }).withdrawable).to.equal(
      true,
    );
    const to = accounts[5].address;
    const before = await token.balanceOf(to);
    const withdrawn = await holo("stake", "withdraw", "--to", to.toLowerCase(), ...as(1), "--json");
    expect(withdrawn.code, withdrawn.stderr).to.equal(0);
    expect(withdrawn.json()).to.deep.include({
      event: "withdrawn",
      operator: me,
      to,
      amount: (4n * ONE).toString(),
    });
    expect(await token.balanceOf(to)).to.equal(before + 4n * ONE);

    const after = (
      await holo("stake", "status", me, "--rpc", rpc, "--deployment", deployment, "--json")
    ).json();
    expect(after).to.deep.include({
      bonded: (6n * ONE).toString(),
      unbonding: null,
      slashable: (6n * ONE).toString(),
    });

    const nothing = await holo("stake", "withdraw", ...as(1));
    expect(nothing.code).to.equal(1);
    expect(nothing.stderr).to.equal(
      `error: ${me} has nothing unbonding to withdraw (request it with: holo stake unbond <amount>)\n`,
    );
  });

  it("takes amounts with decimals or in wei, and skips the approval when the allowance covers it", async function () {
    const me = accounts[2].address;
    const half = await holo("stake", "bond", "0.5", ...as(2), "--json");
    expect(half.code, half.stderr).to.equal(0);
    expect(half.json().amount).to.equal((ONE / 2n).toString());

    const signer = await hre.ethers.getSigner(me);
    await (
      await devnet.contracts.stakeToken.connect(signer).approve(devnet.addresses.stakeManager, ONE)
    ).wait();
    const wei = await holo("stake", "bond", "1000", "--wei", ...as(2), "--json");
    expect(wei.code, wei.stderr).to.equal(0);
    expect(wei.json()).to.deep.include({
      amount: "1000",
      approveTx: null,
      bonded: (ONE / 2n + 1000n).toString(),
    });
    expect(wei.stderr).to.not.include("approve(");

    const text = await holo("stake", "bond", "1.25", ...as(2));
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stdout).to.match(
      /^Bonded 1\.25 HOLO-DEV for 0x[0-9a-fA-F]{40}; bonded now 1\.750000000000001 HOLO-DEV\./,
    );
    expect(text.stderr).to.match(/Sending approve\(StakeManager 0x[0-9a-fA-F]{40}, 1\.25 HOLO-DEV\)…/);
    expect(await devnet.contracts.stakeManager.bondedOf(me)).to.equal(ONE / 2n + 1000n + (5n * ONE) / 4n);
  });

  it("claims payouts, and refuses when nothing is owed", async function () {
    const [admin] = await hre.ethers.getSigners();
    const { stakeManager } = devnet.contracts;
    const beneficiary = accounts[3].address;

    const none = await holo("stake", "claim", ...as(3), "--json");
    expect(none.code).to.equal(1);
    expect(none.json().error).to.deep.equal({
      code: "E_STATE",
      message: `the StakeManager owes ${beneficiary} no payout`,
    });

    // A slash of account 4's stake with account 3 as the beneficiary: half of it is owed to account 3.
    expect((await holo("stake", "bond", "20", ...as(4))).code).to.equal(0);
    await (
      await stakeManager.connect(admin).grantRole(await stakeManager.SLASHER_ROLE(), admin.address)
    ).wait();
    await (await stakeManager.connect(admin).slash(accounts[4].address, 8n * ONE, beneficiary)).wait();
    const owed = (8n * ONE * (await stakeManager.slashRewardBps())) / 10_000n;
    const status = (
      await holo("stake", "status", beneficiary, "--rpc", rpc, "--deployment", deployment, "--json")
    ).json();
    expect(status.payouts).to.equal(owed.toString());

    const claimed = await holo("stake", "claim", ...as(3), "--json");
    expect(claimed.code, claimed.stderr).to.equal(0);
    expect(claimed.json()).to.deep.include({
      event: "payout-claimed",
      account: beneficiary,
      to: beneficiary,
      amount: owed.toString(),
    });
    expect(await stakeManager.payoutOf(beneficiary)).to.equal(0n);
    expect(await devnet.contracts.stakeToken.balanceOf(beneficiary)).to.equal(FUNDED + owed);
  });

  it("reads Ignition's deployed_addresses.json, the key from a file or HOLO_PRIVATE_KEY, the RPC from HOLO_RPC_URL or devnet.json", async function () {
    const ignition = path.join(tmp, "deployed_addresses.json");
    fs.writeFileSync(
      ignition,
      JSON.stringify({
        "StakeToken#DevnetStakeToken": devnet.addresses.stakeToken,
        "Devnet#StakeManager": devnet.addresses.stakeManager,
        "Devnet#ProcessRegistry": devnet.addresses.processRegistry,
      }),
    );
    const keyFile = path.join(tmp, "key");
    fs.writeFileSync(keyFile, `${accounts[1].privateKey.slice(2)}\n`);
    const fromFile = await holo(
      "stake",
      "status",
      "--rpc",
      rpc,
      "--deployment",
      ignition,
      "--key-file",
      keyFile,
      "--json",
    );
    expect(fromFile.code, fromFile.stderr).to.equal(0);
    expect(fromFile.json()).to.deep.include({
      operator: accounts[1].address,
      stakeManager: devnet.addresses.stakeManager,
    });

    process.env.HOLO_RPC_URL = rpc;
    try {
      const fromEnvUrl = await holo(
        "stake",
        "status",
        accounts[1].address,
        "--deployment",
        ignition,
        "--json",
      );
      expect(fromEnvUrl.code, fromEnvUrl.stderr).to.equal(0);
      process.env.HOLO_RPC_URL = "ws://127.0.0.1:8545";
      const badEnvUrl = await holo(
        "stake",
        "status",
        accounts[1].address,
        "--deployment",
        ignition,
        "--json",
      );
      expect(badEnvUrl.code).to.equal(3);
      expect(badEnvUrl.json().error).to.deep.equal({
        code: "E_CONFIG",
        message:
          'HOLO_RPC_URL: "ws://127.0.0.1:8545" is not an http:// or https:// URL (WebSocket endpoints are not supported).',
      });
    } finally {
      delete process.env.HOLO_RPC_URL;
    }

    process.env.HOLO_PRIVATE_KEY = accounts[2].privateKey;
    try {
      // No --rpc: the endpoint is the rpcUrl of the devnet.json given with --deployment.
      const fromEnv = await holo("stake", "status", "--deployment", deployment, "--json");
      expect(fromEnv.code, fromEnv.stderr).to.equal(0);
      expect(fromEnv.json().operator).to.equal(accounts[2].address);
    } finally {
      delete process.env.HOLO_PRIVATE_KEY;
    }
  });

  describe("bad input", function () {
    it("refuses unknown options and extra arguments (exit 2)", async function () {
      const unknown = await holo("stake", "bond", "1", "--bogus", ...as(1));
      expect(unknown.code).to.equal(2);
      expect(unknown.stderr).to.include("error: unknown option '--bogus'");
      const extra = await holo("stake", "bond", "1", "2", ...as(1));
      expect(extra.code).to.equal(2);
      expect(extra.stderr).to.include("error: too many arguments for 'bond'");
      const unknownCommand = await holo("stake", "rebond", "1");
      expect(unknownCommand.code).to.equal(2);
      expect(unknownCommand.stderr).to.include("error: unknown command 'rebond'");
    });

    it("refuses amounts that are negative, not numbers, or with an exponent, before connecting (exit 2)", async function () {
      for (const amount of ["-1", "-0.5", "1e999", "abc", "1,5", "0x10", "", "1.", ".5"]) {
        const { code, stdout, stderr } = await holo(
          "stake",
          "bond",
          amount,
          "--rpc",
          "http://127.0.0.1:9",
          "--json",
        );
        expect(code, amount).to.equal(2);
        expect(stdout, amount).to.equal("");
        expect(stderr, amount).to.include(
          `error: command-argument value '${amount}' is invalid for argument 'amount'. ` +
            "An amount is a positive decimal number of tokens, like 10 or 0.5 (no sign, no exponent).",
        );
      }
    });

    it("refuses zero, more decimals than the token has, fractions of wei, and amounts beyond uint256 (exit 2)", async function () {
      const cases: [string[], string][] = [
        [["0"], "amount '0' is zero: give a positive amount"],
        [["0.000"], "amount '0.000' is zero: give a positive amount"],
        [["0.0000000000000000001"], "amount '0.0000000000000000001' has 19 decimals, but HOLO-DEV has 18"],
        [
          ["1.5", "--wei"],
          "amount '1.5' is invalid: with --wei, an amount is a whole number of the smallest unit",
        ],
        [
          [(2n ** 256n).toString(), "--wei"],
          `amount '${2n ** 256n}' is too large: at most 2^256 − 1 in the smallest unit`,
        ],
      ];
      for (const [args, message] of cases) {
        const { code, json } = await holo("stake", "bond", ...args, ...as(1), "--json");
        expect(code, args.join(" ")).to.equal(2);
        expect(json().error).to.deep.equal({ code: "E_USAGE", message });
      }
    });

    it("refuses a bad address, naming it (exit 2)", async function () {
      const short = await holo("stake", "status", "0x1234", "--rpc", rpc, "--deployment", deployment);
      expect(short.code).to.equal(2);
      expect(short.stderr).to.include(
        `error: command-argument value '0x1234' is invalid for argument 'address'. "0x1234" is not an address (0x followed by 40 hex digits).`,
      );
      const checksum = accounts[1].address.replace(/[a-f]/, (c) => c.toUpperCase());
      const bad = await holo("stake", "withdraw", "--to", checksum, ...as(1));
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.include(`error: option '--to <address>' argument '${checksum}' is invalid.`);
      expect(bad.stderr).to.include("invalid EIP-55 checksum");
    });

    it("refuses to sign without a key, or with an invalid one, never printing it (exit 3)", async function () {
      const missing = await holo("stake", "bond", "1", "--rpc", rpc, "--deployment", deployment, "--json");
      expect(missing.code).to.equal(3);
      expect(missing.json().error).to.deep.equal({
        code: "E_KEY",
        message:
          "this command signs transactions, but no private key was given: use --key-file <path>, " +
          "the environment variable HOLO_PRIVATE_KEY, or --key <hex>",
      });
      const status = await holo("stake", "status", "--rpc", rpc, "--deployment", deployment);
      expect(status.code).to.equal(2);
      expect(status.stderr).to.include("error: whose stake? give an address");

      const secret = "0x" + "ab".repeat(31); // 31 bytes
      const invalid = await holo(
        "stake",
        "bond",
        "1",
        "--rpc",
        rpc,
        "--deployment",
        deployment,
        "--key",
        secret,
      );
      expect(invalid.code).to.equal(3);
      expect(invalid.stderr).to.equal(
        "error: the private key from --key is not a private key: 64 hex digits, optionally after 0x, are expected\n",
      );
      const zero = await holo(
        "stake",
        "unbond",
        "1",
        "--rpc",
        rpc,
        "--deployment",
        deployment,
        "--key",
        "0".repeat(64),
      );
      expect(zero.code).to.equal(3);
      expect(zero.stderr).to.equal("error: the private key from --key is out of range for secp256k1\n");

      const noFile = path.join(tmp, "no-such-key");
      const file = await holo(
        "stake",
        "claim",
        "--rpc",
        rpc,
        "--deployment",
        deployment,
        "--key-file",
        noFile,
      );
      expect(file.code).to.equal(3);
      expect(file.stderr).to.equal(`error: cannot read the key file ${noFile}: no such file\n`);
      const both = await holo("stake", "claim", "--key", accounts[1].privateKey, "--key-file", noFile);
      expect(both.code).to.equal(2);
      expect(both.stderr).to.include("cannot be used with option");

      for (const run of [missing, invalid, zero, file, both]) {
        expect(run.stdout + run.stderr).to.not.include(accounts[1].privateKey.slice(2));
        expect(run.stdout + run.stderr).to.not.include(secret.slice(2));
      }
    });

    it("names an unreachable RPC endpoint (exit 1, E_RPC)", async function () {
      const port = await freePort(); // free a moment ago: nothing listens there
      const url = `http://127.0.0.1:${port}`;
      const human = await holo(
        "stake",
        "status",
        accounts[1].address,
        "--rpc",
        url,
        "--deployment",
        deployment,
      );
      expect(human.code).to.equal(1);
      expect(human.stderr).to.equal(
        `error: cannot reach the JSON-RPC endpoint ${url} (--rpc): connection refused. ` +
          "Is the node (or holo devnet) running? Choose the endpoint with --rpc\n",
      );
      const json = await holo("stake", "bond", "1", ...as(1).slice(2), "--rpc", url, "--json");
      expect(json.code).to.equal(1);
      expect(json.json().error).to.deep.include({ code: "E_RPC" });

      const notUrl = await holo("stake", "status", "--rpc", "localhost:8545");
      expect(notUrl.code).to.equal(2);
      expect(notUrl.stderr).to.include(`error: option '--rpc <url>' argument 'localhost:8545' is invalid.`);
    });

    it("names a missing or wrong deployment file (exit 3, E_DEPLOYMENT)", async function () {
      const missingFile = path.join(tmp, "nowhere", "devnet.json");
      const missing = await holo(
        "stake",
        "status",
        accounts[1].address,
        "--rpc",
        rpc,
        "--deployment",
        missingFile,
        "--json",
      );
      expect(missing.code).to.equal(3);
      expect(missing.json().error).to.deep.equal({
        code: "E_DEPLOYMENT",
        message: `deployment file ${missingFile}: no such file`,
      });

      const write = (name: string, content: unknown) => {
        const file = path.join(tmp, name);
        fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
        return file;
      };
      const cases: [string, string][] = [
        [write("broken.json", "{"), "not valid JSON"],
        [write("other.json", { hello: "world" }), "not a deployment file"],
        [write("bad-address.json", { stakeManager: "0x1234" }), 'stakeManager is "0x1234", not an address'],
        [
          write("no-deploy.json", { chainId: 31337, deployment: null }),
          "the devnet was started with --no-deploy",
        ],
        [
          write("other-chain.json", { chainId: 1, deployment: { contracts: devnet.addresses } }),
          `is for chain 1, but ${rpc} (--rpc) is chain 31337`,
        ],
        [
          write("no-code.json", { stakeManager: "0x000000000000000000000000000000000000dEaD" }),
          "the StakeManager of",
        ],
        [
          write("no-stake-manager.json", { processRegistry: devnet.addresses.processRegistry }),
          "has no address for the StakeManager (stakeManager)",
        ],
      ];
      for (const [file, message] of cases) {
        const { code, stderr } = await holo(
          "stake",
          "status",
          accounts[1].address,
          "--rpc",
          rpc,
          "--deployment",
          file,
        );
        expect(code, file).to.equal(3);
        expect(stderr, file).to.include(message);
      }
      const noCode = await holo(
        "stake",
        "status",
        accounts[1].address,
        "--rpc",
        rpc,
        "--deployment",
        cases[5][0],
      );
      expect(noCode.stderr).to.include("has no code on chain 31337");
    });

    it("reports a contract's refusal with its decoded custom error (exit 1, E_REVERTED)", async function () {
      const [admin] = await hre.ethers.getSigners();
      const stakeManager = devnet.contracts.stakeManager.connect(admin);
      await (await stakeManager.grantRole(await stakeManager.PAUSER_ROLE(), admin.address)).wait();
      await (await stakeManager.pause()).wait();
      try {
        const paused = await holo("stake", "bond", "1", ...as(5), "--json");
        expect(paused.code).to.equal(1);
        expect(paused.json().error).to.deep.equal({
          code: "E_REVERTED",
          message: "bond(1 HOLO-DEV): the contract refused it: EnforcedPause()",
        });
      } finally {
        await (await stakeManager.unpause()).wait();
      }
    });

    it("refuses what the account cannot do, before sending (exit 1, E_STATE)", async function () {
      const poor = devAccounts(hre.config.networks.hardhat.accounts, 8)[7]; // never funded with HOLO-DEV
      const bond = await holo(
        "stake",
        "bond",
        "1",
        "--rpc",
        rpc,
        "--deployment",
        deployment,
        "--key",
        poor.privateKey,
      );
      expect(bond.code).to.equal(1);
      expect(bond.stderr).to.equal(
        `error: ${poor.address} holds 0 HOLO-DEV, less than the 1 HOLO-DEV to bond\n`,
      );
      const unbond = await holo("stake", "unbond", "1000", ...as(1), "--json");
      expect(unbond.code).to.equal(1);
      expect(unbond.json().error).to.deep.include({ code: "E_STATE" });
      expect((unbond.json().error as { message: string }).message).to.match(
        /has 6 HOLO-DEV of unlocked bonded stake \(bonded 6 HOLO-DEV, locked 0 HOLO-DEV\), less than the 1000 HOLO-DEV to unbond$/,
      );
    });
  });
});

/**
 * The chain client (agents/common/chain.ts) against the in-process Hardhat network served over a real
 * JSON-RPC URL: idempotent sends, effect checks, nonces under concurrency, crash recovery, reverts with
 * decoded custom errors, RPC outages and credentials in the URL.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";

import Database from "better-sqlite3";
import { expect } from "chai";
import { Wallet } from "ethers";
import hre, { ethers } from "hardhat";

import {
  ChainClient,
  ChainError,
  redactRpcUrl,
  type ChainClientOptions,
  type SendResult,
} from "../../../agents/common/chain";
import { createLogger, type Logger } from "../../../agents/common/log";
import { startJsonRpcServer, type RunningJsonRpcServer } from "../../../cli/lib/jsonrpc";
import type { ERC20Mock, StakeManager } from "../../../typechain-types";

const silent: Logger = createLogger({ agent: "test", level: "silent" });

async function rpc(method: string, params: unknown[] = []): Promise<unknown> {
  return hre.network.provider.request({ method, params });
}

async function nonceOf(address: string): Promise<number> {
  return ethers.provider.getTransactionCount(address, "latest");
}

/** A fresh account with 100 ETH, so each test counts its own nonces. */
async function fundedWallet(): Promise<Wallet> {
  const wallet = Wallet.createRandom() as unknown as Wallet;
  await rpc("hardhat_setBalance", [wallet.address, "0x" + (10n ** 20n).toString(16)]);
  return new Wallet(wallet.privateKey);
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function expectChainError(promise: Promise<unknown>): Promise<ChainError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(ChainError);
    return error as ChainError;
  }
  expect.fail("expected a ChainError");
}

describe("agents/common/chain", function () {
  let server: RunningJsonRpcServer;
  let port: number;
  let rpcUrl: string;
  let tmp: string;
  let token: ERC20Mock;
  let stake: StakeManager;
  let tokenAddress: string;
  const clients: ChainClient[] = [];
  const dbs: Database.Database[] = [];

  function openDb(file = path.join(tmp, `chain-${dbs.length}.sqlite`)): Database.Database {
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    dbs.push(db);
    return db;
  }

  async function connect(
    wallet: Wallet,
    db: Database.Database,
    options: Partial<ChainClientOptions> = {},
  ): Promise<ChainClient> {
    const client = await ChainClient.connect({
      rpcUrl,
      wallet: wallet.privateKey,
      db,
      chainId: 31337,
      confirmations: 0,
      pollMs: 25,
      retry: { windowMs: 5_000, baseMs: 50, maxMs: 400 },
      logger: silent,
      ...options,
    });
    clients.push(client);
    return client;
  }

  function mintOp(opId: string, to: string, amount = 1n) {
    return { opId, to: tokenAddress, data: token.interface.encodeFunctionData("mint", [to, amount]) };
  }

  before(async function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "holo-chain-"));
    server = await startJsonRpcServer(hre, "127.0.0.1", 0);
    port = server.port;
    rpcUrl = `http://127.0.0.1:${port}`;
    token = (await ethers.deployContract("ERC20Mock")) as unknown as ERC20Mock;
    tokenAddress = await token.getAddress();
    const [admin] = await ethers.getSigners();
    stake = (await ethers.deployContract("StakeManager", [
      tokenAddress,
      admin.address,
      3_600n,
      7_200n,
      10_800n,
      admin.address,
      5_000n,
    ])) as unknown as StakeManager;
  });

  afterEach(async function () {
    await rpc("evm_setAutomine", [true]);
    await rpc("evm_mine");
  });

  after(async function () {
    for (const client of clients) client.close();
    for (const db of dbs) if (db.open) db.close();
    await server.close(0);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("connects over the URL, checks the chain id and reads the block number", async function () {
    const wallet = await fundedWallet();
    const client = await connect(wallet, openDb());
    expect(client.chainId).to.equal(31337n);
    expect(client.address).to.equal(wallet.address);
    expect(client.rpcUrl).to.equal(rpcUrl);
    expect(await client.blockNumber()).to.equal(await ethers.provider.getBlockNumber());

    const wrongChain = await expectChainError(connect(wallet, openDb(), { chainId: 1 }));
    expect(wrongChain.kind).to.equal("config");
    expect(wrongChain.message).to.match(/chain 31337, expected 1/);
    expect((await expectChainError(connect(wallet, openDb(), { rpcUrl: "ftp://x" }))).kind).to.equal(
      "config",
    );
    expect((await expectChainError(connect(wallet, openDb(), { wallet: "0x1234" }))).kind).to.equal("config");
  });

  it("sends an operation once: the same opId again (sequential or concurrent) makes no second transaction", async function () {
    const wallet = await fundedWallet();
    const db = openDb();
    const client = await connect(wallet, db);
    const holder = Wallet.createRandom().address;
    const op = mintOp("mint:idempotent", holder, 7n);

    const first = await client.send(op);
    expect(first.via).to.equal("mined");
    expect(first.receipt?.status).to.equal(1);
    expect(first.nonce).to.equal(0);
    const again = await client.send(op);
    expect(again.txHash).to.equal(first.txHash);
    expect(again.receipt?.hash).to.equal(first.txHash);
    expect(await nonceOf(wallet.address)).to.equal(1);
    expect(await token.balanceOf(holder)).to.equal(7n);

    // Concurrent calls with one opId share one run.
    const op2 = mintOp("mint:concurrent-same", holder, 1n);
    const [a, b, c] = await Promise.all([client.send(op2), client.send(op2), client.send(op2)]);
    expect(new Set([a.txHash, b.txHash, c.txHash]).size).to.equal(1);
    expect(await nonceOf(wallet.address)).to.equal(2);
    expect(await token.balanceOf(holder)).to.equal(8n);

    const record = client.operation("mint:idempotent")!;
    expect(record.status).to.equal("done");
    expect(record.doneBy).to.equal("receipt");
    expect(record.nonce).to.equal(0);
    expect(record.txHash).to.equal(first.txHash);
    expect(record.attempts).to.equal(1);
    const row = db
      .prepare("SELECT status, nonce, txHash FROM chain_ops WHERE opId = ?")
      .get("mint:idempotent");
    expect(row).to.deep.equal({ status: "done", nonce: 0, txHash: first.txHash });

    // An opId names one effect: other calldata under the same opId is refused.
    const reuse = await expectChainError(client.send(mintOp("mint:idempotent", holder, 9n)));
    expect(reuse.kind).to.equal("config");
    expect(reuse.opId).to.equal("mint:idempotent");
    expect(await nonceOf(wallet.address)).to.equal(2);

    const bad = await expectChainError(client.send({ opId: "bad", to: "0x1234", data: "0x" }));
    expect(bad.kind).to.equal("config");
  });

  it("marks an operation done without sending when effectDone says so", async function () {
    const wallet = await fundedWallet();
    const client = await connect(wallet, openDb());
    const holder = Wallet.createRandom().address;
    let asked = 0;
    const skipped = await client.send(mintOp("mint:effect-there", holder), {
      effectDone: async () => {
        asked += 1;
        return true;
      },
    });
    expect(asked).to.equal(1);
    expect(skipped).to.deep.include({ via: "effect", txHash: null, receipt: null });
    expect(client.operation("mint:effect-there")?.doneBy).to.equal("effect");
    expect(await nonceOf(wallet.address)).to.equal(0);
    // Done is done: not asked again, not sent.
    expect((await client.send(mintOp("mint:effect-there", holder))).via).to.equal("effect");

    const sent = await client.send(mintOp("mint:effect-missing", holder), {
      effectDone: async () => (await token.balanceOf(holder)) > 0n,
    });
    expect(sent.via).to.equal("mined");
    expect(await nonceOf(wallet.address)).to.equal(1);
    expect(await token.balanceOf(holder)).to.equal(1n);
  });

  it("gives 20 concurrent operations the nonces 0..19, each mined once", async function () {
    const wallet = await fundedWallet();
    const client = await connect(wallet, openDb());
    const holder = Wallet.createRandom().address;
    const results: SendResult[] = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.send(mintOp(`mint:many:${i}`, holder, BigInt(i + 1)))),
    );
    const nonces = results.map((r) => r.nonce).sort((x, y) => x! - y!);
    expect(nonces).to.deep.equal(Array.from({ length: 20 }, (_, i) => i));
    expect(await nonceOf(wallet.address)).to.equal(20);
    for (const result of results) {
      expect(result.receipt?.status).to.equal(1);
      const tx = await ethers.provider.getTransaction(result.txHash!);
      expect(tx?.nonce).to.equal(result.nonce);
      expect(tx?.from).to.equal(wallet.address);
    }
    expect(await token.balanceOf(holder)).to.equal(210n); // 1 + 2 + ... + 20
    // Each got its nonce right the first time: one signed transaction per operation, no reconciliation.
    for (let i = 0; i < 20; i++) expect(client.operation(`mint:many:${i}`)?.attempts).to.equal(1);
  });

  it("reports a revert at estimation as ChainError{reverted} with the custom error, sending nothing", async function () {
    const wallet = await fundedWallet();
    const client = await connect(wallet, openDb());
    const op = {
      opId: "bond:zero",
      to: await stake.getAddress(),
      data: stake.interface.encodeFunctionData("bond", [0n]),
    };

    const error = await expectChainError(client.send(op, { errors: stake.interface }));
    expect(error.kind).to.equal("reverted");
    expect(error.errorName).to.equal("StakeManagerZeroAmount");
    expect(error.opId).to.equal("bond:zero");
    expect(error.message).to.match(/StakeManagerZeroAmount\(\)/);
    expect(client.operation("bond:zero")).to.deep.include({
      status: "failed",
      revertName: "StakeManagerZeroAmount",
    });
    expect(await nonceOf(wallet.address)).to.equal(0);

    // Without an interface the selector is still there; with the client's interfaces it is named.
    const unnamed = await expectChainError(client.send(op));
    expect(unnamed.errorName).to.equal(undefined);
    expect(unnamed.revert?.data).to.equal(stake.interface.getError("StakeManagerZeroAmount")!.selector);
    const client2 = await connect(wallet, openDb(), { errorInterfaces: [stake.interface] });
    expect((await expectChainError(client2.send(op))).errorName).to.equal("StakeManagerZeroAmount");
    expect(await nonceOf(wallet.address)).to.equal(0);
  });

  it("reports a transaction reverted on chain as a final ChainError{reverted} with the custom error", async function () {
    const wallet = await fundedWallet();
    const client = await connect(wallet, openDb(), { errorInterfaces: [stake.interface] });
    const op = {
      opId: "bond:zero:mined",
      to: await stake.getAddress(),
      data: stake.interface.encodeFunctionData("bond", [0n]),
      gasLimit: 200_000n, // skips estimation: the transaction is mined and reverts
    };
    const error = await expectChainError(client.send(op));
    expect(error.kind).to.equal("reverted");
    expect(error.errorName).to.equal("StakeManagerZeroAmount");
    expect(error.txHash).to.match(/^0x[0-9a-f]{64}$/);
    expect((await ethers.provider.getTransactionReceipt(error.txHash!))?.status).to.equal(0);
    expect(await nonceOf(wallet.address)).to.equal(1);
    expect(client.operation(op.opId)?.status).to.equal("reverted");

    // Final: the same opId again gives the same error and sends nothing.
    const again = await expectChainError(client.send(op));
    expect(again.kind).to.equal("reverted");
    expect(again.errorName).to.equal("StakeManagerZeroAmount");
    expect(await nonceOf(wallet.address)).to.equal(1);
  });

  it("replaces a transaction stuck in the mempool by one with the same nonce and higher fees", async function () {
    const wallet = await fundedWallet();
    const client = await connect(wallet, openDb(), { bumpAfterMs: 150 });
    const holder = Wallet.createRandom().address;
    await rpc("evm_setAutomine", [false]);
    const sending = client.send(mintOp("mint:stuck", holder));
    await waitFor("two fee bumps", () => (client.operation("mint:stuck")?.attempts ?? 0) >= 3);
    await rpc("evm_mine");
    const result = await sending;
    const txs = client.log.transactions("mint:stuck");
    expect(txs.every((t) => t.nonce === 0)).to.equal(true);
    expect(txs[0].maxFeePerGas > txs[1].maxFeePerGas && txs[1].maxFeePerGas > txs[2].maxFeePerGas).to.equal(
      true,
    );
    // A replacement was mined (not the original), and it is the one recorded.
    const original = txs[txs.length - 1];
    const mined = txs.find((t) => t.txHash === result.txHash)!;
    expect(mined.maxFeePerGas > original.maxFeePerGas).to.equal(true);
    expect(client.operation("mint:stuck")?.txHash).to.equal(result.txHash);
    expect(await ethers.provider.getTransactionReceipt(original.txHash)).to.equal(null);
    expect(await nonceOf(wallet.address)).to.equal(1);
    expect(await token.balanceOf(holder)).to.equal(1n);
  });

  it("waits for the configured confirmation depth", async function () {
    const wallet = await fundedWallet();
    const client = await connect(wallet, openDb(), { confirmations: 3 });
    let settled = false;
    const sending = client.send(mintOp("mint:deep", Wallet.createRandom().address)).finally(() => {
      settled = true;
    });
    await waitFor("the transaction mined", () => client.operation("mint:deep")?.status === "sent");
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).to.equal(false); // mined in one block, not yet 3 deep
    await rpc("evm_mine");
    await new Promise((r) => setTimeout(r, 200));
    expect(settled).to.equal(false);
    await rpc("evm_mine");
    const result = await sending;
    expect((await ethers.provider.getBlockNumber()) - result.blockNumber! + 1).to.equal(3);
  });

  describe("crash recovery (a new client on the same SQLite file)", function () {
    let miner: NodeJS.Timeout | undefined;

    function startMining() {
      miner = setInterval(() => void rpc("evm_mine").catch(() => undefined), 50);
    }

    afterEach(function () {
      if (miner !== undefined) clearInterval(miner);
      miner = undefined;
    });

    /**
     * Sends `op` with automining off, waits until its transaction is recorded and in the node's mempool, then
     * "crashes": the client is closed and its database handle dropped. Returns the SQLite file and the tx.
     */
    async function sendThenCrash(wallet: Wallet, opId: string, holder: string) {
      const file = path.join(tmp, `${opId.replace(/[^a-z0-9]/gi, "_")}.sqlite`);
      const db = openDb(file);
      const client = await connect(wallet, db);
      await rpc("evm_setAutomine", [false]);
      const sending = client.send(mintOp(opId, holder));
      sending.catch(() => undefined);
      let txHash = "";
      await waitFor("the transaction in the mempool", async () => {
        const hash = client.operation(opId)?.txHash;
        if (hash == null) return false;
        txHash = hash;
        return (await ethers.provider.getTransaction(hash)) !== null;
      });
      expect(client.operation(opId)?.status).to.equal("sent");
      expect(client.operation(opId)?.nonce).to.equal(await nonceOf(wallet.address));
      client.close();
      const crashed = await expectChainError(sending);
      expect(crashed.kind).to.equal("transient");
      db.close();
      return { file, txHash };
    }

    it("finishes a transaction still pending: re-broadcast with the same nonce and higher fees, mined once", async function () {
      const wallet = await fundedWallet();
      const holder = Wallet.createRandom().address;
      const { file, txHash } = await sendThenCrash(wallet, "mint:crash:pending", holder);
      expect(await nonceOf(wallet.address)).to.equal(0);

      const client = await connect(wallet, openDb(file));
      // Blocks are mined only once the fee bump is in the node's mempool (it then replaces the original there):
      // a miner running earlier could mine the original first on a slow machine, and the test would see no
      // replacement. `attempts` alone counts the bump before its broadcast has reached the node (CI flaked on
      // that under load: the original was mined).
      const recovering = client.recover();
      await waitFor("the fee bump in the mempool", async () => {
        const op = client.operation("mint:crash:pending");
        if (op === undefined || op.attempts < 2 || op.txHash == null || op.txHash === txHash) return false;
        return (await ethers.provider.getTransaction(op.txHash)) !== null;
      });
      startMining();
      const outcomes = await recovering;
      expect(outcomes).to.have.length(1);
      expect(outcomes[0]).to.deep.include({ opId: "mint:crash:pending", outcome: "mined" });
      const record = client.operation("mint:crash:pending")!;
      expect(record.status).to.equal("done");
      expect(record.nonce).to.equal(0);
      expect(record.attempts).to.equal(2); // the original and one fee bump
      expect(record.txHash).to.not.equal(txHash); // the replacement was mined, not the original
      expect(await ethers.provider.getTransactionReceipt(txHash)).to.equal(null);
      const replacement = await ethers.provider.getTransaction(record.txHash!);
      const original = client.log.transactions("mint:crash:pending").find((t) => t.txHash === txHash)!;
      expect(replacement!.maxFeePerGas! > original.maxFeePerGas).to.equal(true);
      expect(await nonceOf(wallet.address)).to.equal(1);
      expect(await token.balanceOf(holder)).to.equal(1n);
      // And it is idempotent afterwards.
      expect((await client.send(mintOp("mint:crash:pending", holder))).txHash).to.equal(record.txHash);
      expect(await nonceOf(wallet.address)).to.equal(1);
    });

    it("finishes a transaction the node dropped (or never got) with the same nonce", async function () {
      const wallet = await fundedWallet();
      const holder = Wallet.createRandom().address;
      const { file, txHash } = await sendThenCrash(wallet, "mint:crash:dropped", holder);
      expect(await rpc("hardhat_dropTransaction", [txHash])).to.equal(true);
      expect(await ethers.provider.getTransactionCount(wallet.address, "pending")).to.equal(0);

      const client = await connect(wallet, openDb(file));
      startMining();
      const [outcome] = await client.recover();
      expect(outcome.outcome).to.equal("mined");
      expect(client.operation("mint:crash:dropped")?.nonce).to.equal(0);
      expect(await nonceOf(wallet.address)).to.equal(1);
      expect(await token.balanceOf(holder)).to.equal(1n);
    });

    it("finds a transaction mined while the agent was down and sends nothing", async function () {
      const wallet = await fundedWallet();
      const holder = Wallet.createRandom().address;
      const { file, txHash } = await sendThenCrash(wallet, "mint:crash:mined", holder);
      await rpc("evm_mine");
      await rpc("evm_setAutomine", [true]);
      expect(await nonceOf(wallet.address)).to.equal(1);

      const client = await connect(wallet, openDb(file));
      const [outcome] = await client.recover();
      expect(outcome).to.deep.include({ outcome: "mined", txHash });
      expect(client.operation("mint:crash:mined")).to.deep.include({ status: "done", attempts: 1, txHash });
      expect(await nonceOf(wallet.address)).to.equal(1);
      expect(await token.balanceOf(holder)).to.equal(1n);
    });

    it("resends with a fresh nonce when its nonce was taken by another transaction, unless the effect is there", async function () {
      for (const effectThere of [false, true]) {
        const wallet = await fundedWallet();
        const holder = Wallet.createRandom().address;
        const opId = `mint:crash:replaced:${effectThere}`;
        const { file, txHash } = await sendThenCrash(wallet, opId, holder);
        await rpc("hardhat_dropTransaction", [txHash]);
        // Another process with the same key uses nonce 0.
        const other = wallet.connect(ethers.provider);
        await other.sendTransaction({ to: holder, value: 1n, nonce: 0, type: 2 });
        await rpc("evm_mine");
        await rpc("evm_setAutomine", [true]);
        expect(await nonceOf(wallet.address)).to.equal(1);

        const client = await connect(wallet, openDb(file));
        const asked: string[] = [];
        const [outcome] = await client.recover({
          effectDone: async (op) => {
            asked.push(op.opId);
            return effectThere;
          },
        });
        expect(asked).to.deep.equal([opId]);
        if (effectThere) {
          expect(outcome.outcome).to.equal("effect");
          expect(await nonceOf(wallet.address)).to.equal(1);
          expect(await token.balanceOf(holder)).to.equal(0n);
        } else {
          expect(outcome.outcome).to.equal("mined");
          expect(client.operation(opId)?.nonce).to.equal(1);
          expect(await nonceOf(wallet.address)).to.equal(2);
          expect(await token.balanceOf(holder)).to.equal(1n);
        }
      }
    });
  });

  describe("RPC outage", function () {
    async function restartServer() {
      server = await startJsonRpcServer(hre, "127.0.0.1", port);
    }

    it("retries through an outage shorter than the retry window", async function () {
      const wallet = await fundedWallet();
      const client = await connect(wallet, openDb(), { retry: { windowMs: 8_000, baseMs: 50, maxMs: 300 } });
      const holder = Wallet.createRandom().address;
      await server.close(0);
      const started = Date.now();
      const sending = client.send(mintOp("mint:outage:short", holder));
      const height = client.blockNumber();
      await new Promise((r) => setTimeout(r, 1_000));
      await restartServer();
      const result = await sending;
      expect(Date.now() - started).to.be.greaterThanOrEqual(1_000);
      expect(result.via).to.equal("mined");
      expect(await height).to.be.a("number");
      expect(await nonceOf(wallet.address)).to.equal(1);
      expect(await token.balanceOf(holder)).to.equal(1n);
    });

    it("gives a transient ChainError when the outage outlasts the retry window, and recovers afterwards", async function () {
      const wallet = await fundedWallet();
      const client = await connect(wallet, openDb(), { retry: { windowMs: 700, baseMs: 50, maxMs: 200 } });
      const holder = Wallet.createRandom().address;
      await server.close(0);
      try {
        const started = Date.now();
        const error = await expectChainError(client.send(mintOp("mint:outage:long", holder)));
        expect(error.kind).to.equal("transient");
        expect(error.opId).to.equal("mint:outage:long");
        expect(Date.now() - started).to.be.within(650, 5_000);
        expect((await expectChainError(client.blockNumber())).kind).to.equal("transient");
        const cannotConnect = await expectChainError(connect(wallet, openDb(), { retry: { windowMs: 300 } }));
        expect(cannotConnect.kind).to.equal("transient");
      } finally {
        await restartServer();
      }
      expect(client.operation("mint:outage:long")?.status).to.equal("new");
      const result = await client.send(mintOp("mint:outage:long", holder));
      expect(result.via).to.equal("mined");
      expect(await nonceOf(wallet.address)).to.equal(1);
    });
  });

  describe("credentials in the RPC URL", function () {
    it("strips user:password from URLs", function () {
      expect(redactRpcUrl("https://alice:s3cret@rpc.example.org:8545/v1?x=1")).to.equal(
        "https://rpc.example.org:8545/v1?x=1",
      );
      expect(redactRpcUrl("http://alice@127.0.0.1:8545")).to.equal("http://127.0.0.1:8545");
      expect(redactRpcUrl("http://a:p%40ss@host/")).to.equal("http://host/");
      expect(redactRpcUrl("http://127.0.0.1:8545")).to.equal("http://127.0.0.1:8545");
      expect(redactRpcUrl("not a url :s3cret@")).to.equal("<invalid URL>");
    });

    it("sends them as basic auth and never logs them", async function () {
      // A proxy in front of the node that records the Authorization header of each request.
      const seen: (string | undefined)[] = [];
      const proxy = http.createServer((req, res) => {
        seen.push(req.headers.authorization);
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          fetch(rpcUrl, {
            method: "POST",
            body: Buffer.concat(chunks),
            headers: { "content-type": "application/json" },
          })
            .then(async (r) => {
              res.writeHead(r.status, { "content-type": "application/json" });
              res.end(Buffer.from(await r.arrayBuffer()));
            })
            .catch(() => {
              res.writeHead(502);
              res.end();
            });
        });
      });
      await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
      const proxyPort = (proxy.address() as AddressInfo).port;
      const lines: string[] = [];
      const logger = createLogger({
        agent: "test",
        level: "debug",
        destination: new Writable({
          write(chunk: Buffer, _encoding, done) {
            lines.push(chunk.toString());
            done();
          },
        }),
      });
      const wallet = await fundedWallet();
      try {
        const client = await connect(wallet, openDb(), {
          rpcUrl: `http://alice:s3cret@127.0.0.1:${proxyPort}`,
          logger,
          retry: { windowMs: 500, baseMs: 50, maxMs: 100 },
        });
        expect(client.rpcUrl).to.equal(`http://127.0.0.1:${proxyPort}`);
        const result = await client.send(mintOp("mint:creds", Wallet.createRandom().address));
        expect(result.via).to.equal("mined");
        const basic = `Basic ${Buffer.from("alice:s3cret").toString("base64")}`;
        expect(seen.length).to.be.greaterThan(2);
        expect(seen.every((h) => h === basic)).to.equal(true);

        // An outage: retried, logged as warnings, the error message... none holds the password.
        await new Promise<void>((r) => proxy.close(() => r()));
        proxy.closeAllConnections();
        const error = await expectChainError(client.blockNumber());
        expect(error.kind).to.equal("transient");
        expect(error.message).to.not.include("s3cret");
        const log = lines.join("");
        expect(log).to.include('"event":"chain.connected"');
        expect(log).to.include(`"rpcUrl":"http://127.0.0.1:${proxyPort}"`);
        expect(log).to.include('"event":"chain.rpc.retry"');
        expect(log).to.not.include("s3cret");
        expect(log).to.not.include(Buffer.from("alice:s3cret").toString("base64"));
      } finally {
        if (proxy.listening) proxy.close();
      }
    });
  });
});

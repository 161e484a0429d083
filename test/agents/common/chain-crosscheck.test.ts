/**
 * The chain client's cross-check RPCs (agents/common/chain.ts, `crossCheckRpcUrls`; threat model row 40):
 * reads the agents act on (the head, blocks, `eth_call`, logs, receipts) are compared across RPCs at one
 * pinned block, and a disagreement is a named, paged, counted `RpcDisagreementError` instead of a value.
 * The "lying" RPC is a JSON-RPC proxy in front of the same Hardhat node, rewriting well-formed answers.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import Database from "better-sqlite3";
import { expect } from "chai";
import { Wallet } from "ethers";
import hre, { ethers } from "hardhat";

import {
  ChainClient,
  ChainError,
  DISAGREEMENTS_METRIC,
  RpcDisagreementError,
  type ChainClientOptions,
} from "../../../agents/common/chain";
import { createMetrics } from "../../../agents/common/metrics";
import { startJsonRpcServer, type RunningJsonRpcServer } from "../../../cli/lib/jsonrpc";
import type { ERC20Mock } from "../../../typechain-types";
import {
  capturingLogger,
  jsonAnswer,
  rpcMethods,
  startTamperingProxy,
  type ProxiedRequest,
  type ProxiedResponse,
  type TamperingProxy,
} from "../../adversarial/agent-helpers";

function single(req: ProxiedRequest): { id: unknown; method: string; params: unknown[] } | undefined {
  if (rpcMethods(req).length !== 1) return undefined;
  return JSON.parse(req.body.toString("utf8")) as { id: unknown; method: string; params: unknown[] };
}

/** Rewrites the `result` of `method`'s answers. */
function rewrite(method: string, edit: (result: unknown, params: unknown[]) => unknown) {
  return (req: ProxiedRequest, res: ProxiedResponse | undefined) => {
    const r = single(req);
    if (res === undefined || r?.method !== method) return undefined;
    const body = JSON.parse(res.body.toString("utf8")) as { result?: unknown };
    if (!("result" in body)) return undefined;
    return jsonAnswer({ jsonrpc: "2.0", id: r.id, result: edit(body.result, r.params) });
  };
}

async function expectError<T>(promise: Promise<unknown>, type: new (...a: never[]) => T): Promise<T> {
  try {
    await promise;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(type);
    return error as T;
  }
  return expect.fail("expected an error");
}

describe("agents/common/chain: cross-check RPCs", function () {
  this.timeout(60_000);

  let server: RunningJsonRpcServer;
  let rpcUrl: string;
  let tmp: string;
  let token: ERC20Mock;
  let liar: TamperingProxy;
  const clients: ChainClient[] = [];
  const dbs: Database.Database[] = [];

  before(async function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "holo-crosscheck-"));
    server = await startJsonRpcServer(hre, "127.0.0.1", 0);
    rpcUrl = `http://127.0.0.1:${server.port}`;
    token = (await ethers.deployContract("ERC20Mock")) as unknown as ERC20Mock;
  });

  beforeEach(async function () {
    liar = await startTamperingProxy(rpcUrl);
  });

  afterEach(async function () {
    for (const c of clients.splice(0)) c.close();
    for (const db of dbs.splice(0)) db.close();
    await liar.close();
  });

  after(async function () {
    await server.close(0);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function connect(options: Partial<ChainClientOptions> = {}) {
    const wallet = Wallet.createRandom();
    await hre.network.provider.request({
      method: "hardhat_setBalance",
      params: [wallet.address, "0x" + (10n ** 20n).toString(16)],
    });
    const db = new Database(path.join(tmp, `c-${dbs.length}-${Date.now()}.sqlite`));
    dbs.push(db);
    const { logger, lines } = capturingLogger("chain");
    const metrics = createMetrics({ agent: "test", defaultMetrics: false });
    const client = await ChainClient.connect({
      rpcUrl: liar.url,
      crossCheckRpcUrls: [rpcUrl],
      wallet: wallet.privateKey,
      db,
      chainId: 31337,
      confirmations: 0,
      pollMs: 25,
      retry: { windowMs: 1_000, baseMs: 20, maxMs: 100 },
      waitTimeoutMs: 3_000,
      logger,
      metrics,
      ...options,
    });
    clients.push(client);
    const counted = async (method: string) => {
      const m = (await metrics.registry.getSingleMetric(DISAGREEMENTS_METRIC)?.get())?.values ?? [];
      return m.find((v) => v.labels.method === method)?.value ?? 0;
    };
    return { client, lines, counted };
  }

  it("refuses a cross-check RPC on another chain, naming it (config)", async function () {
    liar.tamper = rewrite("eth_chainId", () => "0x1");
    const error = await expectError(
      connect({ rpcUrl, crossCheckRpcUrls: [liar.url], chainId: undefined }),
      ChainError,
    );
    expect(error.kind).to.equal("config");
    expect(error.message).to.match(
      /crossCheckRpcUrls\[0\]: the node at .* is on chain 1, the primary RPC on chain 31337/,
    );
  });

  it("without cross-check RPCs sends each read once, to the one RPC (behaviour unchanged)", async function () {
    const { client } = await connect({ crossCheckRpcUrls: [] });
    liar.seen.length = 0;
    await client.blockNumber();
    await token.connect(client.provider).balanceOf(ethers.ZeroAddress);
    expect(liar.seen.flatMap(rpcMethods)).to.deep.equal(["eth_blockNumber", "eth_call"]);
  });

  it("agrees when the RPCs agree, and pins `latest` to the lowest head within the allowed lag", async function () {
    const { client, lines } = await connect({ crossCheckMaxLagBlocks: 3 });
    await hre.network.provider.request({ method: "hardhat_mine", params: ["0x5"] });
    const head = await ethers.provider.getBlockNumber();
    expect(await client.blockNumber()).to.equal(head);
    // The primary is two blocks behind (a lagging, honest node): reads are made at its head on both RPCs.
    liar.tamper = async (req, res) => {
      const r = single(req);
      if (res !== undefined || r?.method !== "eth_getBlockByNumber" || r.params[0] !== "latest")
        return undefined;
      const block = await ethers.provider.send("eth_getBlockByNumber", [ethers.toQuantity(head - 2), false]);
      return jsonAnswer({ jsonrpc: "2.0", id: r.id, result: block });
    };
    expect(await client.blockNumber()).to.equal(head - 2);
    expect((await client.provider.getBlock("latest"))!.number).to.equal(head - 2);
    expect(lines.filter((l) => l.event === "page.rpcDisagreement")).to.have.length(0);
    // Four behind, with three allowed: a disagreement about the head.
    liar.tamper = async (req, res) => {
      const r = single(req);
      if (res !== undefined || r?.method !== "eth_getBlockByNumber" || r.params[0] !== "latest")
        return undefined;
      const block = await ethers.provider.send("eth_getBlockByNumber", [ethers.toQuantity(head - 4), false]);
      return jsonAnswer({ jsonrpc: "2.0", id: r.id, result: block });
    };
    const error = await expectError(client.blockNumber(), RpcDisagreementError);
    expect(error.method).to.equal("head");
    expect(error.kind).to.equal("transient");
  });

  it("refuses an eth_call answer, a block timestamp, hidden logs or a forged receipt only the primary gives: paged, counted", async function () {
    const { client, lines, counted } = await connect();
    const holder = Wallet.createRandom().address;
    await (await token.mint(holder, 5n)).wait();
    const t = token.connect(client.provider);

    liar.tamper = rewrite("eth_call", () => ethers.zeroPadValue("0x09", 32));
    const call = await expectError(t.balanceOf(holder), RpcDisagreementError);
    expect(call.method).to.equal("eth_call");
    expect(call.code).to.equal("RpcDisagreement");
    expect(Object.keys(call.answers)).to.have.length(2);

    liar.tamper = rewrite("eth_getBlockByNumber", (b) => ({
      ...(b as object),
      timestamp: ethers.toQuantity(BigInt((b as { timestamp: string }).timestamp) + 86_400n),
    }));
    expect((await expectError(client.provider.getBlock("latest"), RpcDisagreementError)).method).to.equal(
      "head",
    );

    liar.tamper = rewrite("eth_getLogs", () => []);
    const logs = await expectError(
      token.connect(client.provider).queryFilter(token.filters.Transfer(), 0),
      RpcDisagreementError,
    );
    expect(logs.method).to.equal("eth_getLogs");

    const mined = (await (await token.mint(holder, 1n)).wait())!;
    liar.tamper = rewrite("eth_getTransactionReceipt", (r) => ({ ...(r as object), status: "0x0" }));
    const receipt = await expectError(
      client.provider.getTransactionReceipt(mined.hash),
      RpcDisagreementError,
    );
    expect(receipt.method).to.equal("eth_getTransactionReceipt");

    const pages = lines.filter((l) => l.event === "page.rpcDisagreement");
    expect(pages.map((p) => p.method)).to.deep.equal([
      "eth_call",
      "head",
      "eth_getLogs",
      "eth_getTransactionReceipt",
    ]);
    expect(pages.every((p) => p.level === "error")).to.equal(true);
    // A second disagreement on the same method within a minute is counted and logged at warn, not paged.
    liar.tamper = rewrite("eth_call", () => ethers.zeroPadValue("0x09", 32));
    await expectError(t.balanceOf(holder), RpcDisagreementError);
    expect(lines.filter((l) => l.event === "page.rpcDisagreement")).to.have.length(4);
    expect(lines.some((l) => l.event === "chain.rpc.disagreement" && l.level === "warn")).to.equal(true);
    expect(await counted("eth_call")).to.equal(2);

    // Honest again: the same reads answer.
    liar.tamper = undefined;
    expect(await t.balanceOf(holder)).to.equal(6n);
  });

  it("a send whose receipt only the primary forges is not done; with the lie gone it completes, once", async function () {
    const { client } = await connect();
    const holder = Wallet.createRandom().address;
    const op = {
      opId: "mint:crosscheck",
      to: await token.getAddress(),
      data: token.interface.encodeFunctionData("mint", [holder, 3n]),
    };
    // Every receipt the primary gives says the transaction reverted in another block.
    liar.tamper = rewrite("eth_getTransactionReceipt", (r) =>
      r === null ? null : { ...(r as object), status: "0x0", blockHash: ethers.id("another block") },
    );
    const error = await expectError(client.send(op), ChainError);
    expect(error).to.be.instanceOf(RpcDisagreementError);
    expect(client.operation("mint:crosscheck")!.status).to.equal("sent"); // neither done nor reverted
    liar.tamper = undefined;
    const result = await client.send(op);
    expect(result.via).to.equal("mined");
    expect(await token.balanceOf(holder)).to.equal(3n);
    expect(client.operation("mint:crosscheck")!.attempts).to.equal(1);
  });
});

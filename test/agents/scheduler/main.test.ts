/**
 * The wired scheduler unit (agents/scheduler/main.ts startScheduler) over real HTTP, Hardhat's chain and
 * ArLocal: a message posted is assigned and published, /metrics shows holo_su_*, the Scheduler-Location item
 * is on Arweave, and a restart on the same SQLite file continues the chain.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";

import ArLocal from "arlocal";
import { expect } from "chai";
import { ethers, network } from "hardhat";

import { ArweaveClient, WalletFunding } from "../../../agents/common/arweave";
import { ConfigError, loadConfig } from "../../../agents/common/config";
import { SchedulerSettings } from "../../../agents/scheduler/config";
import { locationRefreshMs, startScheduler } from "../../../agents/scheduler/main";
import { findChainBreak } from "../../../sdk/ts/assignments";
import { arweaveWallet, chainSetup, message, silent, tempDir, type ChainSetup } from "./helpers";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe("agents/scheduler/main", function () {
  let arlocal: ArLocal;
  let dbPath: string;
  let gateway: string;
  let client: ArweaveClient;
  let chain: ChainSetup;
  let walletFile: string;
  let dir: string;

  before(async function () {
    const port = await freePort();
    dbPath = tempDir("holo-su-main-arlocal-");
    arlocal = new ArLocal(port, false, dbPath);
    await arlocal.start();
    gateway = `http://127.0.0.1:${port}`;
    const wallet = await arweaveWallet();
    client = new ArweaveClient({ url: gateway, wallet, local: true, logger: silent });
    await new WalletFunding(client).fund(wallet, 10n ** 15n);
    chain = await chainSetup();
    dir = tempDir("holo-su-main-");
    walletFile = path.join(dir, "wallet.json");
    fs.writeFileSync(walletFile, JSON.stringify(wallet));
  });

  after(async function () {
    await arlocal.stop();
    fs.rmSync(dbPath, { recursive: true, force: true });
  });

  function config(extra: Record<string, string> = {}) {
    return loadConfig(SchedulerSettings, {
      env: {},
      flags: {
        rpcUrl: "http://127.0.0.1:1",
        privateKey: chain.key,
        processRegistry: chain.registryAddress,
        chainId: String(chain.chainId),
        arweaveUrl: gateway,
        arweaveWallet: walletFile,
        storePath: path.join(dir, "su.sqlite"),
        processes: chain.reg.process,
        port: "0",
        publishEvery: "50ms",
        publicUrl: "http://su.test:8070",
        ...extra,
      },
    });
  }

  const post = async (url: string, body: Uint8Array) => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body,
    });
    return { status: res.status, body: (await res.json()) as { slot: number; error?: string } };
  };

  it("serves, assigns, publishes and restarts where it stopped", async function () {
    const su = await startScheduler(config(), silent, { provider: ethers.provider });
    try {
      const r = await post(`${su.url}/`, await message(chain.reg.process, "over http"));
      expect(r.status).to.equal(200);
      expect(r.body.slot).to.equal(0);
      const bad = await post(`${su.url}/`, new Uint8Array([1, 2, 3]));
      expect(bad.status).to.equal(400);
      expect(bad.body.error).to.equal("MalformedDataItem");

      const deadline = Date.now() + 20_000;
      while (su.publisher.lag() > 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
      expect(su.publisher.lag()).to.equal(0);
      const metrics = await (await fetch(`${su.url}/metrics`)).text();
      expect(metrics).to.match(/holo_su_slots_assigned_total 1\b/);
      expect(metrics).to.match(/holo_su_publish_lag_slots 0\b/);
      const location = await client.queryByTags({
        tags: [
          { name: "Type", values: ["Scheduler-Location"] },
          { name: "Url", values: ["http://su.test:8070"] },
        ],
      });
      expect(location.items).to.have.length(1);
    } finally {
      await su.stop();
    }

    const again = await startScheduler(config(), silent, { provider: ethers.provider });
    try {
      const r = await post(`${again.url}/`, await message(chain.reg.process, "after restart"));
      expect(r.body.slot).to.equal(1);
      const log = again.scheduler.log(chain.reg.process).entries.map((e) => e.assignment);
      expect(findChainBreak(chain.reg.domain, log)).to.equal(-1);
    } finally {
      await again.stop();
    }
  });

  it("re-publishes its Scheduler-Location every half TTL while it runs", async function () {
    expect(locationRefreshMs(86_400_000)).to.equal(43_200_000);
    expect(locationRefreshMs(10)).to.equal(1_000);
    expect(locationRefreshMs(1e12)).to.equal(2 ** 31 - 1);
    const url = "http://su-refresh.test:8070";
    const su = await startScheduler(
      config({ locationTtl: "2s", publicUrl: url, storePath: path.join(dir, "refresh.sqlite") }),
      silent,
      { provider: ethers.provider },
    );
    const items = async () =>
      (
        await client.queryByTags({
          tags: [
            { name: "Type", values: ["Scheduler-Location"] },
            { name: "Url", values: [url] },
          ],
        })
      ).items.length;
    try {
      expect(await items()).to.equal(1);
      const deadline = Date.now() + 10_000;
      while ((await items()) < 3 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 200));
      expect(await items()).to.be.at.least(3);
    } finally {
      await su.stop();
    }
  });

  it("runs as a process (bin/holo-su.js): JSON logs, and stops on SIGTERM", async function () {
    // Hardhat's in-process chain, served over HTTP for the child process
    const rpc = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        const call = JSON.parse(body) as
          { id: number; method: string; params?: unknown[] } | { id: number }[];
        const one = async (c: { id: number; method?: string; params?: unknown[] }) => {
          try {
            const result: unknown = await network.provider.request({
              method: c.method!,
              params: c.params ?? [],
            });
            return { jsonrpc: "2.0", id: c.id, result };
          } catch (error) {
            return { jsonrpc: "2.0", id: c.id, error: { code: -32000, message: String(error) } };
          }
        };
        void (Array.isArray(call) ? Promise.all(call.map(one)) : one(call)).then((out) => {
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify(out));
        });
      });
    });
    await new Promise<void>((resolve) => rpc.listen(0, "127.0.0.1", resolve));
    const rpcUrl = `http://127.0.0.1:${(rpc.address() as net.AddressInfo).port}`;
    const root = path.join(__dirname, "..", "..", "..");
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
    const child = spawn(
      process.execPath,
      [
        "agents/scheduler/bin/holo-su.js",
        "--rpc-url",
        rpcUrl,
        "--chain-id",
        String(chain.chainId),
        "--process-registry",
        chain.registryAddress,
        "--arweave-url",
        gateway,
        "--arweave-wallet",
        walletFile,
        "--store-path",
        path.join(dir, "child.sqlite"),
        "--processes",
        chain.reg.process,
        "--port",
        "0",
      ],
      { cwd: root, env: { ...env, HOLO_PRIVATE_KEY: chain.key } },
    );
    try {
      let out = "";
      const lines: Record<string, unknown>[] = [];
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
        const parts = out.split("\n");
        out = parts.pop()!;
        for (const l of parts) lines.push(JSON.parse(l) as Record<string, unknown>);
      });
      const started = async () => {
        const deadline = Date.now() + 60_000;
        while (Date.now() < deadline) {
          const s = lines.find((l) => l.event === "su.started");
          if (s !== undefined) return s;
          if (child.exitCode !== null) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`the SU did not start: ${JSON.stringify(lines)}`);
      };
      const line = await started();
      expect(line.agent).to.equal("su");
      expect(JSON.stringify(line)).to.not.include(chain.key.slice(2));
      const r = await post(`${String(line.url)}/`, await message(chain.reg.process, "to the child"));
      expect(r.status).to.equal(200);
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      expect(await exited).to.equal(0);
      expect(lines.some((l) => l.event === "su.stopped")).to.equal(true);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await new Promise<void>((resolve) => rpc.close(() => resolve()));
    }
  });

  it("refuses a chain id the RPC does not have", async function () {
    try {
      await startScheduler(config({ chainId: "5", storePath: path.join(dir, "other.sqlite") }), silent, {
        provider: ethers.provider,
      });
      expect.fail("expected a ConfigError");
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as ConfigError).message).to.match(/chain 31337/);
    }
  });
});

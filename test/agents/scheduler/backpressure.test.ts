/**
 * Back-pressure on the SU's publish backlog (finding 1 of docs/reliability.md "Soak"; `maxPublishBacklog`):
 * the wired SU (startScheduler, real HTTP, Hardhat's chain) publishing to ArLocal through a TCP proxy that is
 * taken down. With the gateway stopped it accepts up to the bound, then answers 503 `PublishBacklogFull` with
 * `Retry-After` and assigns nothing; once the gateway is back the backlog drains and it accepts again, the
 * refused message getting the next slot. Nothing accepted is lost.
 */
import fs from "node:fs";
import path from "node:path";

import ArLocal from "arlocal";
import { expect } from "chai";
import { ethers } from "hardhat";

import { ArweaveClient, WalletFunding } from "../../../agents/common/arweave";
import { loadConfig } from "../../../agents/common/config";
import { SchedulerSettings } from "../../../agents/scheduler/config";
import { startScheduler, type RunningScheduler } from "../../../agents/scheduler/main";
import { OutageProxy, freePort, waitFor } from "../reliability-helpers";
import { arweaveWallet, chainSetup, message, silent, tempDir, type ChainSetup } from "./helpers";

const BOUND = 5;

describe("agents/scheduler: back-pressure on the publish backlog (maxPublishBacklog)", function () {
  this.timeout(120_000);

  let arlocal: ArLocal;
  let arDir: string;
  let proxy: OutageProxy;
  let chain: ChainSetup;
  let su: RunningScheduler | undefined;
  let dir: string;

  before(async function () {
    const port = await freePort();
    arDir = tempDir("holo-su-bp-arlocal-");
    arlocal = new ArLocal(port, false, arDir);
    await arlocal.start();
    const wallet = await arweaveWallet();
    const client = new ArweaveClient({
      url: `http://127.0.0.1:${port}`,
      wallet,
      local: true,
      logger: silent,
    });
    await new WalletFunding(client).fund(wallet, 10n ** 15n);
    proxy = new OutageProxy(await freePort(), port);
    await proxy.up();
    chain = await chainSetup();
    dir = tempDir("holo-su-bp-");
    const walletFile = path.join(dir, "wallet.json");
    fs.writeFileSync(walletFile, JSON.stringify(wallet));
    const config = loadConfig(SchedulerSettings, {
      env: {},
      flags: {
        rpcUrl: "http://127.0.0.1:1",
        privateKey: chain.key,
        processRegistry: chain.registryAddress,
        chainId: String(chain.chainId),
        arweaveUrl: `http://127.0.0.1:${proxy.port}`,
        local: "true",
        arweaveWallet: walletFile,
        storePath: path.join(dir, "su.sqlite"),
        processes: chain.reg.process,
        port: "0",
        publishEvery: "100ms",
        maxPublishBacklog: String(BOUND),
      },
    });
    su = await startScheduler(config, silent, { provider: ethers.provider });
  });

  after(async function () {
    await proxy.up().catch(() => undefined);
    await su?.stop();
    await proxy.down();
    await arlocal.stop();
    fs.rmSync(arDir, { recursive: true, force: true });
  });

  const post = async (body: Uint8Array) => {
    const res = await fetch(`${su!.url}/`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body,
    });
    return {
      status: res.status,
      retryAfter: res.headers.get("retry-after"),
      body: (await res.json()) as { id?: string; slot?: number; error?: string; message?: string },
    };
  };
  const logLength = () => su!.scheduler.log(chain.reg.process, { from: 0, limit: 1000 }).entries.length;
  const metric = async (name: string) => {
    const text = await (await fetch(`${su!.url}/metrics`)).text();
    const m = new RegExp(`^${name} (\\d+)`, "m").exec(text);
    return m === null ? undefined : Number(m[1]);
  };

  it("accepts up to the bound with the gateway stopped, then answers 503 PublishBacklogFull (Retry-After, no slot); drains and accepts again once it is back", async function () {
    // the gateway works: a first message is published
    const first = await post(await message(chain.reg.process, "bp first"));
    expect(first.status).to.equal(200);
    await waitFor("the first slot published", () => su!.publisher.lag() === 0, 20_000, 50);
    const base = logLength();

    await proxy.down();
    const accepted: { id: string; slot: number }[] = [];
    for (let i = 0; i < BOUND; i++) {
      const r = await post(await message(chain.reg.process, `bp ${i}`));
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      accepted.push({ id: r.body.id!, slot: r.body.slot! });
    }
    expect(su!.publisher.lag()).to.equal(BOUND);

    const refusedItem = await message(chain.reg.process, "bp refused");
    for (let k = 0; k < 2; k++) {
      const refused = await post(refusedItem);
      expect(refused.status).to.equal(503);
      expect(refused.body.error).to.equal("PublishBacklogFull");
      expect(refused.body.message).to.match(/maxPublishBacklog 5/);
      expect(refused.retryAfter).to.equal("1");
    }
    // the 503 path assigns no slot: the log did not grow, the message is unknown
    expect(logLength()).to.equal(base + BOUND);
    expect(await metric("holo_su_backpressure_refusals_total")).to.equal(2);
    expect(await metric("holo_su_publish_lag_slots")).to.equal(BOUND);
    // still refused a little later: publishing is stuck while the gateway is down
    await new Promise((r) => setTimeout(r, 500));
    expect((await post(refusedItem)).status).to.equal(503);
    expect(logLength()).to.equal(base + BOUND);

    await proxy.up();
    await waitFor("the backlog to drain", () => su!.publisher.lag() === 0, 60_000, 50);
    const again = await post(refusedItem);
    expect(again.status, JSON.stringify(again.body)).to.equal(200);
    expect(again.body.slot).to.equal(accepted[BOUND - 1].slot + 1);
    // nothing accepted was lost: every accepted message at its slot, in order
    const entries = su!.scheduler.log(chain.reg.process, { from: 0, limit: 1000 }).entries;
    expect(entries).to.have.length(base + BOUND + 1);
    for (const a of accepted) expect(entries[a.slot].message.id).to.equal(a.id);
    expect(await metric("holo_su_backpressure_refusals_total")).to.equal(3);
    await waitFor("the last slot published", () => su!.publisher.lag() === 0, 20_000, 50);
  });
});

/**
 * Start-up with a dependency down (docs/reliability.md, "Soak", finding 2; agents/common/main.ts): an agent
 * started while the chain RPC or the gateway is unreachable waits (retrying with capped backoff, `warn`
 * `<agent>.start.waiting` naming the dependency, a stand-in `/healthz` answering 503 `waitingFor` and
 * `/metrics` `holo_start_waiting{dependency}` = 1, one `page.livenessAtRisk` after `startTimeout`) and starts
 * serving once the dependency is back, without exiting. A bad setting still exits at once with its ConfigError
 * (exit code 2).
 */
import { spawn } from "node:child_process";
import path from "node:path";

import { expect } from "chai";

import {
  AGENT_BINS,
  OutageProxy,
  ROOT,
  freePort,
  getJson,
  makeAgents,
  sleep,
  startDevnet,
  stopDevnet,
  waitFor,
  type AgentProcess,
  type Devnet,
} from "./reliability-helpers";

/** Runs the SU's bin with `args` (asynchronously: this process serves the chain); its exit code and stderr. */
function runSu(args: string[], key: string): Promise<{ status: number | null; stderr: string; ms: number }> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [AGENT_BINS.su, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOLO_PRIVATE_KEY: key },
  });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  child.stdout.resume();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  return new Promise((resolve) =>
    child.once("exit", (status) => {
      clearTimeout(timer);
      resolve({ status, stderr, ms: Date.now() - t0 });
    }),
  );
}

/** GET `url` as text (status and body); throws on a network error. */
async function getText(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: await res.text() };
}

describe("agents: start-up while the chain RPC or the gateway is down", function () {
  this.timeout(180_000);

  let d: Devnet | undefined;
  const running: AgentProcess[] = [];
  const proxies: OutageProxy[] = [];

  before(async function () {
    d = await startDevnet("holo-startup-");
  });

  afterEach(async function () {
    for (const a of running.splice(0)) await a.stop(5_000).catch(() => undefined);
    for (const p of proxies.splice(0)) await p.down().catch(() => undefined);
  });

  after(async function () {
    await stopDevnet(d);
  });

  /** The SU (and CU) of the devnet reaching the chain / the gateway through `rpc` / `gateway` proxies. */
  async function agentsVia(o: { rpc?: OutageProxy; gateway?: OutageProxy; tag: string; suArgs?: string[] }) {
    const suPort = await freePort();
    const agents = makeAgents(d!, {
      suPort,
      cuPort: await freePort(),
      suStore: path.join(d!.dir, `su-${o.tag}.sqlite`),
      cuStore: path.join(d!.dir, `cu-${o.tag}.sqlite`),
      rpcUrl: o.rpc === undefined ? undefined : `http://127.0.0.1:${o.rpc.port}`,
      gateway: o.gateway === undefined ? undefined : `http://127.0.0.1:${o.gateway.port}`,
      suArgs: ["--start-retry-max", "1s", ...(o.suArgs ?? [])],
      cuArgs: ["--start-retry-max", "1s"],
    });
    return { ...agents, suPort };
  }

  async function proxyTo(port: number): Promise<OutageProxy> {
    const p = new OutageProxy(await freePort(), port);
    proxies.push(p);
    return p; // down until up()
  }

  it("an SU started while the RPC is down waits (healthz 503, holo_start_waiting, one page after startTimeout) and serves once it is back", async function () {
    const rpc = await proxyTo(d!.rpcPort);
    const { su, suPort } = await agentsVia({ rpc, tag: "rpc", suArgs: ["--start-timeout", "1s"] });
    running.push(su);
    const t0 = Date.now();
    const started = su.start(120_000);
    started.catch(() => undefined);
    const waiting = await waitFor(
      "the SU to log su.start.waiting",
      () => su.lines.find((l) => l.event === "su.start.waiting"),
      30_000,
      50,
    );
    expect(waiting.dependency).to.equal("chain");
    expect(waiting.level).to.equal("warn");
    // the stand-in on the SU's own port while it waits (closed during each attempt: polled)
    const health = await waitFor(
      "the stand-in /healthz",
      async () => {
        const r = await getJson(`http://127.0.0.1:${suPort}/healthz`, 2_000);
        return r.status === 503 ? r : undefined;
      },
      20_000,
      50,
    );
    expect(health.body).to.include({ ok: false, agent: "su", waitingFor: "chain", starting: true });
    const metrics = await waitFor(
      "the stand-in /metrics",
      async () => {
        const r = await getText(`http://127.0.0.1:${suPort}/metrics`);
        return r.status === 200 ? r.body : undefined;
      },
      20_000,
      50,
    );
    expect(metrics).to.match(/holo_start_waiting\{dependency="chain"\} 1/);
    expect(metrics).to.match(/holo_start_attempts_total [1-9]/);
    // still down after startTimeout (1 s): one page, then keeps waiting
    await waitFor("the page", () => su.lines.some((l) => l.event === "page.livenessAtRisk"), 20_000, 50);
    await sleep(2_500);
    expect(su.running, "the SU is still running").to.equal(true);
    const pages = su.lines.filter((l) => l.event === "page.livenessAtRisk");
    expect(pages).to.have.length(1);
    expect(pages[0].dependency).to.equal("chain");
    expect(su.lines.filter((l) => l.event === "su.start.waiting").length).to.be.greaterThan(1);

    await rpc.up();
    const url = await started;
    expect(su.running).to.equal(true);
    const root = await getJson(url);
    expect(root.status).to.equal(200);
    expect(root.body.Unit).to.equal("Scheduler");
    expect((await getJson(`${url}/healthz`)).status).to.equal(200);
    expect(su.lines.some((l) => l.event === "page.stopped")).to.equal(false);
    expect(su.lines.some((l) => l.event === "su.start.ready")).to.equal(true);
    console.log(`      SU waited ${Date.now() - t0} ms in all`);
  });

  it("an SU started while the gateway (ArLocal) is down waits for it and serves once it is back", async function () {
    const gateway = await proxyTo(d!.arPort);
    const { su } = await agentsVia({ gateway, tag: "gateway" });
    running.push(su);
    const started = su.start(120_000);
    started.catch(() => undefined);
    const waiting = await waitFor(
      "the SU to wait for the gateway",
      () => su.lines.find((l) => l.event === "su.start.waiting"),
      30_000,
      50,
    );
    expect(waiting.dependency).to.equal("gateway");
    await sleep(2_000);
    expect(su.running).to.equal(true);
    await gateway.up();
    const url = await started;
    expect((await getJson(url)).status).to.equal(200);
    expect(su.lines.some((l) => l.event === "page.stopped")).to.equal(false);
    // no page: the default startTimeout (5m) was not reached
    expect(su.lines.some((l) => l.event === "page.livenessAtRisk")).to.equal(false);
  });

  it("a CU started while the RPC is down starts once it is back, without exiting", async function () {
    const rpc = await proxyTo(d!.rpcPort);
    const { cu } = await agentsVia({ rpc, tag: "cu" });
    running.push(cu);
    const started = cu.start(120_000);
    started.catch(() => undefined);
    await sleep(3_000);
    expect(cu.running).to.equal(true);
    await rpc.up();
    const url = await started;
    expect((await getJson(`${url}/healthz`)).status).to.equal(200);
    expect(cu.lines.some((l) => l.event === "page.stopped")).to.equal(false);
  });

  it("a bad setting still exits at once with its ConfigError (exit code 2), dependencies down or not", async function () {
    const base = [
      "--rpc-url",
      "http://127.0.0.1:9", // nothing listens: a bad setting is found before any connection
      "--chain-id",
      "31337",
      "--process-registry",
      d!.sys.domain.verifyingContract as string,
      "--arweave-wallet",
      d!.walletFile,
      "--store-path",
      path.join(d!.dir, "su-bad.sqlite"),
    ];
    for (const [flags, key] of [
      [["--start-timeout", "10ms"], "startTimeout"],
      [["--start-retry-max", "soon"], "startRetryMax"],
      [["--max-publish-backlog", "0"], "maxPublishBacklog"],
    ] as const) {
      const r = await runSu([...base, ...flags], d!.suKey);
      expect(r.status, `${key}: ${r.stderr}`).to.equal(2);
      expect(r.stderr).to.match(/invalid configuration/);
      expect(r.stderr).to.include(flags[0]);
      expect(r.ms, "exits at once").to.be.lessThan(15_000);
    }
  });

  it("a chain id that does not match the RPC still exits 2 (a ConfigError found at start is not waited for)", async function () {
    const r = await runSu(
      [
        "--rpc-url",
        d!.rpcUrl,
        "--chain-id",
        "1",
        "--process-registry",
        d!.sys.domain.verifyingContract as string,
        "--arweave-url",
        d!.gateway,
        "--arweave-wallet",
        d!.walletFile,
        "--store-path",
        path.join(d!.dir, "su-chainid.sqlite"),
      ],
      d!.suKey,
    );
    expect(r.status, r.stderr).to.equal(2);
    expect(r.stderr).to.match(/chainId/);
  });
});

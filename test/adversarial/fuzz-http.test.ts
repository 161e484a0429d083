/**
 * HTTP fuzzing of the three agents (issue 8; docs/agents.md §7 "malformed or hostile HTTP input"): the SU,
 * the CU and the watcher, wired by their public entry points and served over real HTTP against the devnet
 * (Hardhat over JSON-RPC, ArLocal). fast-check sends random methods, paths, query strings, content types and
 * bodies (random bytes, random JSON, truncated and bit-flipped valid data items); every answer must be a 2xx
 * (valid requests only) or a 4xx whose JSON body names the error — never a 5xx — the agent stays up, and
 * its state (the SU's log and slot counter, the CU's slot and state hash, the watcher's checks) is unchanged.
 *
 * Prints `fuzz: <target> <N> runs` (the counts go into docs/reliability.md).
 */
import path from "node:path";

import { expect } from "chai";
import fc from "fast-check";

import { loadConfig } from "../../agents/common/config";
import { ComputeSettings } from "../../agents/compute/config";
import { startCompute, type RunningCompute } from "../../agents/compute/main";
import { SchedulerSettings } from "../../agents/scheduler/config";
import { startScheduler, type RunningScheduler } from "../../agents/scheduler/main";
import { startWatcher, type RunningWatcher } from "../../agents/watcher/main";
import {
  getJson,
  postItem,
  quiet,
  signMessages,
  startDevnet,
  stopDevnet,
  waitFor,
  type Devnet,
} from "../agents/reliability-helpers";
import { gameWatcherConfig } from "../agents/watcher/helpers";

const RUNS = {
  suRandom: 500,
  suItems: 300,
  cuRandom: 500,
  cuDryRun: 200,
  watcherRandom: 300,
};

const NAMED_ERROR = /^[A-Z][A-Za-z0-9]*$/;

interface Req {
  method: string;
  url: string;
  contentType?: string;
  body?: Uint8Array;
}

interface Answer {
  status: number;
  text: string;
}

async function send(base: string, r: Req): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (r.contentType !== undefined) headers["content-type"] = r.contentType;
  const res = await fetch(`${base}${r.url}`, {
    method: r.method,
    headers,
    body: r.method === "GET" ? undefined : r.body,
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, text: await res.text() };
}

/** Every answer: no 5xx; a 4xx names its error in JSON; a 2xx only where `ok2xx` allows it. */
function checkAnswer(r: Req, a: Answer, ok2xx: boolean): void {
  const what = `${r.method} ${r.url} (${r.contentType ?? "no type"}, ${r.body?.length ?? 0} bytes) → ${a.status} ${a.text.slice(0, 200)}`;
  expect(a.status, what).to.be.below(500);
  if (a.status >= 400) {
    let body: { error?: unknown; message?: unknown };
    try {
      body = JSON.parse(a.text) as typeof body;
    } catch {
      throw new Error(`not JSON: ${what}`);
    }
    expect(String(body.error), what).to.match(NAMED_ERROR);
    expect(typeof body.message, what).to.equal("string");
  } else {
    expect(ok2xx, `unexpected success: ${what}`).to.equal(true);
  }
}

const methods = fc.constantFrom("GET", "GET", "GET", "POST", "POST", "PUT", "DELETE", "PATCH", "OPTIONS");
const contentTypes = fc.option(
  fc.oneof(
    fc.constantFrom(
      "application/octet-stream",
      "application/json",
      "text/plain",
      "multipart/form-data; boundary=x",
      "application/x-www-form-urlencoded",
      "application/octet-stream; charset=utf-8",
      "application/json; charset=latin1",
    ),
    fc.stringMatching(/^[\x21-\x7e]{1,40}$/),
  ),
  { nil: undefined },
);
const bodies = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }),
  fc.json().map((j) => new Uint8Array(Buffer.from(j))),
  fc.string().map((s) => new Uint8Array(Buffer.from(s))),
);
const segment = fc.oneof(
  fc.webSegment(),
  fc.string({ maxLength: 80 }).map((s) => encodeURIComponent(s)),
  fc.constantFrom("..", "%2e%2e", "%00", "0x", "-1", "9".repeat(40), "%ZZ", "?", "#"),
);
const query = fc.oneof(
  fc.constant(""),
  fc.webQueryParameters().map((q) => `?${q}`),
  fc
    .array(
      fc.tuple(
        fc.constantFrom("from", "to", "limit", "process-id", "x", "from[]", "limit[0]"),
        fc.oneof(
          fc.integer().map(String),
          fc.constantFrom("-1", "1e3", "0x10", "NaN", "99999999999999999999", "", "%"),
          fc.string({ maxLength: 70 }).map((s) => encodeURIComponent(s)),
        ),
      ),
      { maxLength: 4 },
    )
    .map((kv) => (kv.length === 0 ? "" : "?" + kv.map(([k, v]) => `${k}=${v}`).join("&"))),
);

/** Random requests under the given path prefixes (and anywhere). */
function requests(prefixes: readonly string[]): fc.Arbitrary<Req> {
  return fc
    .record({
      method: methods,
      prefix: fc.constantFrom(...prefixes, ""),
      segments: fc.array(segment, { maxLength: 3 }),
      query,
      contentType: contentTypes,
      body: fc.option(bodies, { nil: undefined }),
    })
    .map((x) => ({
      method: x.method,
      url: `${x.prefix}/${x.segments.join("/")}`.replace(/\/+/g, "/") + x.query,
      contentType: x.contentType,
      body: x.body,
    }));
}

describe("adversarial: HTTP fuzzing of the SU, the CU and the watcher", function () {
  this.timeout(240_000);

  let d: Devnet;
  let su: RunningScheduler;
  let cu: RunningCompute;
  let w: RunningWatcher;
  let p: string;
  let validItem: Uint8Array;
  let canonical: Uint8Array;

  before(async function () {
    d = await startDevnet("holo-fuzz-http-");
    p = d.sys.process;
    su = await startScheduler(
      loadConfig(SchedulerSettings, {
        env: {},
        flags: {
          rpcUrl: d.rpcUrl,
          privateKey: d.suKey,
          processRegistry: d.sys.domain.verifyingContract as string,
          chainId: "31337",
          arweaveUrl: d.gateway,
          arweaveWallet: d.walletFile,
          storePath: path.join(d.dir, "su.sqlite"),
          processes: p,
          port: "0",
          publishEvery: "100ms",
        },
      }),
      quiet,
    );
    cu = await startCompute(
      loadConfig(ComputeSettings, {
        env: {},
        flags: {
          rpcUrl: d.rpcUrl,
          privateKey: d.cuKey,
          resultRegistry: d.sys.results.target as string,
          processRegistry: d.sys.domain.verifyingContract as string,
          suUrl: su.url,
          storePath: path.join(d.dir, "cu.sqlite"),
          port: 0,
          processes: [{ id: p, wasm: d.wasmFile }],
          commitEverySlots: 100,
          commitEveryMs: "1h",
          pollMs: "100ms",
        },
      }),
      quiet,
    );
    w = await startWatcher(
      gameWatcherConfig(
        d.sys,
        { rpcUrl: d.rpcUrl, wasm: d.wasmFile, storePath: path.join(d.dir, "watcher.sqlite") },
        { arweaveUrl: d.gateway },
      ),
      quiet,
      { loop: false },
    );
    const msgs = await signMessages(d, 4, "fuzz");
    for (const m of msgs.slice(0, 3)) expect((await postItem(su.url, m.bytes)).status).to.equal(200);
    validItem = msgs[3].bytes; // never accepted: the mutations' seed
    await waitFor(
      "the CU to evaluate 3 slots",
      async () => (await getJson(`${cu.url}/state/${p}`)).body.slot === 2,
    );
    const log = su.scheduler.log(p, {}).entries;
    canonical = new Uint8Array(Buffer.from(log[0].message.raw, "base64url"));
  });

  after(async function () {
    await w?.stop().catch(() => undefined);
    await cu?.stop().catch(() => undefined);
    await su?.stop().catch(() => undefined);
    await stopDevnet(d);
  });

  async function suState() {
    const log = await getJson(`${su.url}/${p}?limit=1000`);
    return {
      status: log.status,
      log: JSON.stringify(log.body),
      slots: su.scheduler.log(p, {}).entries.length,
    };
  }
  async function cuState() {
    return (await getJson(`${cu.url}/state/${p}`)).body;
  }
  async function watcherState() {
    return (await getJson(`${w.url}/checks`)).body;
  }

  // Found by this fuzz: fastify answered these with its own body (FST_ERR_BAD_URL); now a named BadUrl.
  it("a path with malformed percent-encoding gets a named 400 error from every agent", async function () {
    for (const base of [su.url, cu.url, w.url]) {
      for (const url of ["/%ZZ", "/result/%E0%A4%A", `/state/%`]) {
        const r = { method: "GET", url };
        checkAnswer(r, await send(base, r), false);
      }
    }
  });

  it("SU: random methods, paths, queries, content types and bodies", async function () {
    const before = await suState();
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        requests(["/", "/timestamp", `/${p}`, "/pending", "/healthz", "/metrics"]),
        async (r) => {
          runs += 1;
          const a = await send(su.url, r);
          // A GET may be valid (a page of the log, a message lookup, the status pages); anything else is refused.
          checkAnswer(r, a, r.method === "GET" || r.method === "OPTIONS");
        },
      ),
      { numRuns: RUNS.suRandom, seed: 8_001 },
    );
    console.log(`      fuzz: su-http-random ${runs} runs`);
    expect(runs).to.equal(RUNS.suRandom);
    expect(await suState()).to.deep.equal(before);
    expect((await getJson(`${su.url}/healthz`)).status).to.equal(200);
  });

  it("SU: truncated, bit-flipped, extended and random data items to POST / are refused, the slot counter unchanged", async function () {
    const before = await suState();
    let runs = 0;
    const mutated = fc.oneof(
      fc.nat({ max: validItem.length - 1 }).map((n) => validItem.slice(0, n)),
      fc.tuple(fc.nat({ max: validItem.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([at, x]) => {
        const b = new Uint8Array(validItem);
        b[at] ^= x;
        return b;
      }),
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((tail) => new Uint8Array([...validItem, ...tail])),
      fc.uint8Array({ maxLength: 4096 }),
    );
    await fc.assert(
      fc.asyncProperty(
        mutated,
        fc.constantFrom("application/octet-stream", "application/json", "text/plain", undefined),
        async (body, contentType) => {
          runs += 1;
          const r = { method: "POST", url: "/", contentType, body };
          checkAnswer(r, await send(su.url, r), false);
        },
      ),
      { numRuns: RUNS.suItems, seed: 8_002 },
    );
    console.log(`      fuzz: su-http-items ${runs} runs`);
    expect(runs).to.equal(RUNS.suItems);
    // Over the body limit: refused before parsing.
    const big = {
      method: "POST",
      url: "/",
      contentType: "application/octet-stream",
      body: new Uint8Array(1 << 20),
    };
    const a = await send(su.url, big);
    expect(a.status).to.equal(413);
    checkAnswer(big, a, false);
    expect(await suState()).to.deep.equal(before);
    // Still up and still assigning: the untouched item is accepted as the next slot.
    const ok = await postItem(su.url, validItem);
    expect(ok.status).to.equal(200);
    expect(ok.body.slot).to.equal(before.slots);
  });

  it("CU: random methods, paths, queries, content types and bodies", async function () {
    // (the CU follows the SU: wait until it has the SU's fourth slot, so that the state is at rest)
    await waitFor("the CU to catch up", async () => (await getJson(`${cu.url}/state/${p}`)).body.slot === 3);
    const before = await cuState();
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        requests([
          "/result",
          "/results",
          `/results/${p}`,
          `/state/${p}`,
          "/state",
          "/dry-run",
          "/healthz",
          "/metrics",
        ]),
        async (r) => {
          runs += 1;
          // A dry run of whatever parses as a message is a valid request (it changes no state: checked below).
          const dryRun = r.method === "POST" && r.url.startsWith("/dry-run");
          checkAnswer(r, await send(cu.url, r), r.method === "GET" || r.method === "OPTIONS" || dryRun);
        },
      ),
      { numRuns: RUNS.cuRandom, seed: 8_003 },
    );
    console.log(`      fuzz: cu-http-random ${runs} runs`);
    expect(runs).to.equal(RUNS.cuRandom);
    expect(await cuState()).to.deep.equal(before);
    expect((await getJson(`${cu.url}/healthz`)).status).to.equal(200);
  });

  it("CU: POST /dry-run with random, truncated and bit-flipped messages never fails with a 5xx and changes no state", async function () {
    const before = await cuState();
    let runs = 0;
    const msgs = fc.oneof(
      fc.uint8Array({ maxLength: 4096 }),
      fc.nat({ max: canonical.length }).map((n) => canonical.slice(0, n)),
      fc.tuple(fc.nat({ max: canonical.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([at, x]) => {
        const b = new Uint8Array(canonical);
        b[at] ^= x;
        return b;
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        msgs,
        fc.constantFrom(p, p.toUpperCase().replace("0X", "0x"), "0x00", ""),
        async (body, pid) => {
          runs += 1;
          const r = {
            method: "POST",
            url: `/dry-run?process-id=${pid}`,
            contentType: "application/octet-stream",
            body,
          };
          checkAnswer(r, await send(cu.url, r), pid.toLowerCase() === p);
        },
      ),
      { numRuns: RUNS.cuDryRun, seed: 8_004 },
    );
    console.log(`      fuzz: cu-http-dry-run ${runs} runs`);
    expect(runs).to.equal(RUNS.cuDryRun);
    expect(await cuState()).to.deep.equal(before);
  });

  it("watcher: random methods, paths, queries, content types and bodies", async function () {
    await w.tick();
    const before = await watcherState();
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(requests(["/checks", "/games", "/healthz", "/metrics"]), async (r) => {
        runs += 1;
        checkAnswer(r, await send(w.url, r), r.method === "GET" || r.method === "OPTIONS");
      }),
      { numRuns: RUNS.watcherRandom, seed: 8_005 },
    );
    console.log(`      fuzz: watcher-http-random ${runs} runs`);
    expect(runs).to.equal(RUNS.watcherRandom);
    expect(await watcherState()).to.deep.equal(before);
    expect((await getJson(`${w.url}/healthz`)).status).to.equal(200);
  });
});

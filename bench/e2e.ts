/**
 * End-to-end benchmark of the agents (`npm run bench:e2e` → bench/results/e2e.json): a devnet (the
 * in-process Hardhat chain over JSON-RPC, ArLocal) with the SU and the CU as child processes (their bin
 * launchers, as an operator runs them). N signed messages are sent to the SU by C concurrent senders; the
 * CU's results are polled; per message the latency is send → result served by the CU.
 *
 * - `msgsPerSec`: N / (first send → last result served by the CU)
 * - `resultLatencyMs`: median and p99 of send → result served, under that saturating load (mostly queueing)
 * - `pacedResultLatencyMs`: the same with messages sent on a timer at BENCH_RATE per second (open loop)
 * - `suAcceptPerSec`, `suAcceptLatencyMs`: the SU alone (send → 200 with the assignment)
 * - `breakdown`: in-process per-message costs of the steps on the path (item verification, EIP-712
 *   assignment signing, one SQLite transaction with synchronous=FULL, fast-mode evaluation), to say where the
 *   time goes.
 * - `cpuMsPerMessage`, `cpuBoundMsgsPerSec`: CPU time (user + system) per message of each process (SU, CU, ArLocal
 *   from /proc/<pid>/stat; this process, which holds the chain, the senders and the poller, from
 *   process.cpuUsage()) over the saturating phase, and 1000 × cores / their total; `cpuUntilPublished`: the same
 *   until the SU's publication backlog is drained (ArLocal's ingest lags behind the phase); `idleCpuMsPerSec`:
 *   each process's CPU per second at rest, after that. The paced phase starts after these.
 *
 * Settings (environment): BENCH_N (default 600), BENCH_CONCURRENCY (32), BENCH_SIG (`eth`: Ethereum-signed
 * items, the cheap kind to make; `rsa`: Arweave RSA-4096 items), BENCH_CU_POLL (CU pollMs, default 50ms),
 * BENCH_PUBLISH_EVERY (SU publishEvery, default 1s; `1h` keeps the publisher out of the measured window),
 * BENCH_RATE and BENCH_RATE_N (the paced phase: BENCH_RATE_N messages at BENCH_RATE per second, default 300 at
 * 100/s), BENCH_OUT (the result file, default bench/results/e2e.json), BENCH_FRAUD=0 (skip the fraud scenario's game
 * figures, for quick runs of the throughput part), BENCH_DRAIN_SEC (the longest wait for the publication backlog
 * to drain, default 180; 0 skips it: `cpuUntilPublished.drained` is then false unless it was already empty).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { ArweaveSigner, EthereumSigner, createData } from "@dha-team/arbundles";
import { Wallet, hexlify, recoverAddress as ethersRecoverAddress } from "ethers";

import { EthereumItemSigner, createSignedMessage, verifyDataItem } from "../agents/common/arweave";
import { useFastKeccak } from "../agents/common/hashing";
import { openSchedulerStore } from "../agents/scheduler/domain/store";
import { canonicalEncoding, processTarget } from "../agents/scheduler/domain/scheduler";
import { FastProcess } from "../machine/fast";
import {
  assignmentHash,
  recoverAssignmentSigner,
  signAssignmentWithKey,
  type Assignment,
} from "../sdk/ts/assignments";
import {
  AGENT_BINS,
  freePort,
  getJson,
  makeAgents,
  postItem,
  sleep,
  startDevnet,
  stopDevnet,
  waitFor,
  type AgentProcess,
  type Devnet,
} from "../test/agents/reliability-helpers";

const N = Number(process.env.BENCH_N ?? 600);
const C = Number(process.env.BENCH_CONCURRENCY ?? 32);
const SIG = process.env.BENCH_SIG === "rsa" ? "rsa" : "eth";
const CU_POLL = process.env.BENCH_CU_POLL ?? "50ms";
const PUBLISH_EVERY = process.env.BENCH_PUBLISH_EVERY ?? "1s";
const OUT = process.env.BENCH_OUT ?? path.join(__dirname, "results", "e2e.json");
const RATE = Number(process.env.BENCH_RATE ?? 100);
const RATE_N = Number(process.env.BENCH_RATE_N ?? 300);
const DRAIN_SEC = Number(process.env.BENCH_DRAIN_SEC ?? 180);

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

// ---- CPU time per process (Linux /proc) ------------------------------------------------------------

/** Clock ticks per second of the utime/stime fields of /proc/<pid>/stat (`getconf CLK_TCK`, normally 100). */
function clockTicksPerSec(): number {
  const n = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
}
const CLK_TCK = clockTicksPerSec();

/** The fields of /proc/<pid>/stat from the third (state) on: the second (comm, in parentheses) may hold spaces. */
function statFields(pid: number): string[] {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** CPU time (user + system, all threads) process `pid` has used so far, in ms: stat fields 14 and 15. */
function procCpuMs(pid: number): number {
  const f = statFields(pid);
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}

/** This process's CPU time so far (user + system, all threads), in ms. */
function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Checks that `pid` is a child of this process running this Node binary (not a shell or another wrapper), with
 * an argument containing `marker`: the CPU read from its /proc/<pid>/stat is then the component's own.
 */
function checkNodeChild(pid: number | undefined, marker: string): number {
  if (pid === undefined) throw new Error(`no process for ${marker}`);
  const ppid = Number(statFields(pid)[1]);
  const exe = fs.readlinkSync(`/proc/${pid}/exe`);
  const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  if (
    ppid !== process.pid ||
    exe !== fs.realpathSync(process.execPath) ||
    !argv.some((a) => a.includes(marker))
  ) {
    throw new Error(`process ${pid} is not a node child running ${marker} (ppid ${ppid}, exe ${exe})`);
  }
  return pid;
}

/** ArLocal's process: the node child started with `-e` by startArlocalProcess (which keeps no handle on it). */
function arlocalPid(): number {
  const found = fs
    .readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => {
      try {
        return (
          Number(statFields(pid)[1]) === process.pid &&
          fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes('require("arlocal")')
        );
      } catch {
        return false; // gone, or not ours to read
      }
    });
  if (found.length !== 1) throw new Error(`expected one ArLocal child process, found ${found.length}`);
  return checkNodeChild(found[0], 'require("arlocal")');
}

/** The SU's `holo_su_publish_lag_slots` gauge (slots assigned, not yet in a bundle posted to and mined by ArLocal). */
async function publishLag(suUrl: string): Promise<number> {
  const text = await (await fetch(`${suUrl}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  const m = /^holo_su_publish_lag_slots(?:\{[^}]*\})? (\S+)$/m.exec(text);
  if (m === null) throw new Error("the SU's /metrics has no holo_su_publish_lag_slots");
  return Number(m[1]);
}

async function sign(d: Devnet, count: number): Promise<{ id: string; bytes: Uint8Array }[]> {
  const signer =
    SIG === "eth" ? new EthereumSigner(Wallet.createRandom().privateKey) : new ArweaveSigner(d.wallet);
  const out: { id: string; bytes: Uint8Array }[] = [];
  for (let i = 0; i < count; i++) {
    const item = createData(`bench ${i}`, signer, {
      target: processTarget(d.sys.process),
      tags: [
        { name: "Data-Protocol", value: "ao" },
        { name: "Variant", value: "ao.TN.1" },
        { name: "Type", value: "Message" },
        { name: "Action", value: i % 3 === 2 ? "Get" : "Increment" },
      ],
    });
    await item.sign(signer);
    out.push({ id: item.id, bytes: new Uint8Array(item.getRaw()) });
  }
  return out;
}

/** Per-message costs of the steps on the SU's and CU's path, measured in this process. */
async function breakdown(d: Devnet, items: { id: string; bytes: Uint8Array }[]) {
  useFastKeccak(); // as the agents run (agents/common/main.ts)
  const k = Math.min(200, items.length);
  const time = async (f: (i: number) => unknown | Promise<unknown>) => {
    const t = performance.now();
    for (let i = 0; i < k; i++) await f(i);
    return (performance.now() - t) / k;
  };
  const verified = await Promise.all(items.slice(0, k).map((m) => verifyDataItem(m.bytes)));
  const verifyMs = await time((i) => verifyDataItem(items[i].bytes));
  const rsaItem = createData("rsa", new ArweaveSigner(d.wallet), {
    target: processTarget(d.sys.process),
    tags: [{ name: "Data-Protocol", value: "ao" }],
  });
  await rsaItem.sign(new ArweaveSigner(d.wallet));
  const rsaRaw = new Uint8Array(rsaItem.getRaw());
  const verifyRsaMs = await time(() => verifyDataItem(rsaRaw));
  const encodings = verified.map((v, i) => canonicalEncoding(v, d.sys.process, BigInt(i), 1n, 1n));
  const encodeMs = await time((i) => canonicalEncoding(verified[i], d.sys.process, BigInt(i), 1n, 1n));
  const wallet = new Wallet(Wallet.createRandom().privateKey);
  const a: Assignment = {
    process: d.sys.process,
    slot: 0n,
    messageId: hexlify(new Uint8Array(32)),
    messageHash: hexlify(new Uint8Array(32)),
    messageLength: 0,
    timestamp: 1n,
    blockHeight: 1n,
    prevAssignmentHash: hexlify(new Uint8Array(32)),
  };
  // the agents' path (libsecp256k1, sdk/ts/secp256k1.ts) and, for comparison, ethers' JavaScript curve
  const eip712Ms = await time((i) =>
    signAssignmentWithKey(wallet.privateKey, d.sys.domain, { ...a, slot: BigInt(i) }),
  );
  const signed = Array.from({ length: k }, (_, i) => {
    const x = { ...a, slot: BigInt(i) };
    return { x, sig: signAssignmentWithKey(wallet.privateKey, d.sys.domain, x) };
  });
  const recoverMs = await time((i) => recoverAssignmentSigner(d.sys.domain, signed[i].x, signed[i].sig));
  const ethersSignMs = await time((i) =>
    wallet.signingKey.sign(assignmentHash(d.sys.domain, { ...a, slot: BigInt(i) })),
  );
  const ethersRecoverMs = await time((i) =>
    ethersRecoverAddress(assignmentHash(d.sys.domain, signed[i].x), signed[i].sig),
  );
  // one Assignment data item per slot: signed by the SU's EVM key (type 3, what the SU does) or, before,
  // by its Arweave key (RSA-4096)
  const itemSigner = new EthereumItemSigner(wallet.privateKey);
  const evmItemMs = await time((i) =>
    createSignedMessage(itemSigner, { type: "Assignment", tags: [{ name: "Nonce", value: String(i) }] }),
  );
  const t = performance.now();
  const rsaSamples = 20;
  for (let i = 0; i < rsaSamples; i++) {
    await createSignedMessage(d.wallet, {
      type: "Assignment",
      tags: [{ name: "Nonce", value: String(i) }],
    });
  }
  const rsaSignMs = (performance.now() - t) / rsaSamples;
  const store = openSchedulerStore(path.join(d.dir, "bench-sqlite.sqlite"));
  store.db.exec("CREATE TABLE bench (k INTEGER PRIMARY KEY, v BLOB)");
  const ins = store.db.prepare("INSERT INTO bench (k, v) VALUES (?, ?)");
  const sqliteTxMs = await time((i) => store.tx(() => ins.run(i, Buffer.from(items[i].bytes))));
  store.close();
  const fast = FastProcess.create(d.sys.wasm, { memoryLimitPages: Number(d.sys.P.memoryPages) });
  const evalMs = await time((i) => {
    fast.evaluate(encodings[i], Number(d.sys.P.stepLimit));
    fast.processStateHash();
  });
  return {
    samples: k,
    verifyItemMs: round(verifyMs, 3),
    verifyRsaItemMs: round(verifyRsaMs, 3),
    canonicalEncodingMs: round(encodeMs, 3),
    eip712SignMs: round(eip712Ms, 3),
    eip712RecoverMs: round(recoverMs, 3),
    ethersEip712SignMs: round(ethersSignMs, 3),
    ethersRecoverMs: round(ethersRecoverMs, 3),
    evmSignAssignmentItemMs: round(evmItemMs, 3),
    rsaSignAssignmentItemMs: round(rsaSignMs, 3),
    sqliteTxFsyncMs: round(sqliteTxMs, 3),
    fastEvalAndStateHashMs: round(evalMs, 3),
  };
}

/** The one-line summary of a `holo devnet --scenario fraud --once` run: the game figures. */
function fraudScenario(): {
  detectToChallengeSec: number | null;
  gameWallSec: number | null;
  summary: unknown;
} {
  const run = spawnSync(
    process.execPath,
    [path.join(__dirname, "..", "bin", "holo.js"), "devnet", "--scenario", "fraud", "--once", "--port", "0"],
    { encoding: "utf8", timeout: 600_000, cwd: path.join(__dirname, "..") },
  );
  const last = run.stdout.trim().split("\n").pop() ?? "";
  let summary: { ok?: boolean; detectToChallengeSec?: number | null; gameWallSec?: number | null };
  try {
    summary = JSON.parse(last) as typeof summary;
  } catch {
    throw new Error(
      `holo devnet --scenario fraud --once printed no summary (exit ${run.status}): ${run.stderr.slice(-2000)}`,
    );
  }
  if (run.status !== 0 || summary.ok !== true) {
    throw new Error(`the fraud scenario did not end as expected (exit ${run.status}): ${last}`);
  }
  return {
    detectToChallengeSec: summary.detectToChallengeSec ?? null,
    gameWallSec: summary.gameWallSec ?? null,
    summary,
  };
}

async function main() {
  const started = new Date();
  // The game figures first, from a devnet of its own (a child process), before this one loads the machine.
  const fraud =
    process.env.BENCH_FRAUD === "0"
      ? { detectToChallengeSec: null, gameWallSec: null, summary: "skipped (BENCH_FRAUD=0)" }
      : (console.log("fraud scenario: holo devnet --scenario fraud --once …"), fraudScenario());
  console.log(
    `fraud scenario: detectToChallengeSec ${fraud.detectToChallengeSec}, gameWallSec ${fraud.gameWallSec}`,
  );
  const d = await startDevnet("holo-bench-e2e-", { arlocalProcess: true });
  let agents: { su: AgentProcess; cu: AgentProcess } | undefined;
  try {
    const suStore = path.join(d.dir, "su.sqlite");
    agents = makeAgents(d, {
      suPort: await freePort(),
      cuPort: await freePort(),
      suStore,
      cuStore: path.join(d.dir, "cu.sqlite"),
      publishEvery: PUBLISH_EVERY,
      commitEverySlots: 100,
      commitEveryMs: "5s",
      pollMs: CU_POLL,
    });
    const { su, cu } = agents;
    console.log(`signing ${N} ${SIG} messages...`);
    const cpuSign0 = selfCpuMs();
    const items = await sign(d, N);
    const signCpuMsPerItem = (selfCpuMs() - cpuSign0) / N;
    await su.start();
    await cu.start();
    // the processes whose CPU is read: the node processes themselves (spawned with process.execPath, no shell)
    const pids = {
      su: checkNodeChild(su.child?.pid, path.basename(AGENT_BINS.su)),
      cu: checkNodeChild(cu.child?.pid, path.basename(AGENT_BINS.cu)),
      arlocal: arlocalPid(),
    };
    const cpuNow = () => ({
      su: procCpuMs(pids.su),
      cu: procCpuMs(pids.cu),
      arlocal: procCpuMs(pids.arlocal),
      benchProcess: selfCpuMs(),
    });
    // warm up both agents (JIT, first SQLite pages, first CU round)
    const warm = await sign(d, 5);
    for (const m of warm) await postItem(su.url, m.bytes);
    await waitFor(
      "warm-up results",
      async () => (await getJson(`${cu.url}/state/${d.sys.process}`)).body.slot === 4,
    );

    const slotOf = new Map<string, number>();
    const sentAt = new Array<number>(N);
    const acceptedAt = new Array<number>(N);
    const servedAt = new Array<number>(N);
    const base = warm.length;
    let next = 0;
    let errors = 0;
    const cpu0 = cpuNow();
    const t0 = performance.now();
    const sender = async () => {
      while (next < N) {
        const i = next++;
        sentAt[i] = performance.now();
        for (;;) {
          const r = await postItem(su.url, items[i].bytes).catch(() => undefined);
          if (r?.status === 200) {
            acceptedAt[i] = performance.now();
            slotOf.set(items[i].id, Number(r.body.slot));
            break;
          }
          errors++;
          await sleep(20);
        }
      }
    };
    // the result poller: the CU's /results from the first slot not yet served (one request per 10 ms)
    let seen = base;
    const idToIndex = new Map(items.map((m, i) => [hexlify(Buffer.from(m.id, "base64url")), i]));
    const poller = (async () => {
      while (seen < base + N) {
        const r = await getJson(`${cu.url}/results/${d.sys.process}?from=${seen}&limit=1000`);
        const now = performance.now();
        for (const e of (r.body.edges ?? []) as { node: { MessageId: string } }[]) {
          const i = idToIndex.get(e.node.MessageId.toLowerCase());
          if (i !== undefined && servedAt[i] === undefined) servedAt[i] = now;
          seen++;
        }
        await sleep(10);
      }
    })();
    await Promise.all(Array.from({ length: C }, sender));
    const tAccepted = performance.now();
    await poller;
    const tDone = performance.now();
    const cpu1 = cpuNow();
    // then until the SU's publication backlog is drained (every slot in a bundle posted to ArLocal and mined:
    // the SU awaits the mine, in which ArLocal unbundles and indexes the items), for ArLocal's whole share
    const lagAtEnd = await publishLag(su.url);
    let drained = lagAtEnd === 0;
    const drainBy = performance.now() + DRAIN_SEC * 1000;
    // a backlog that does not move for 90 s (e.g. BENCH_PUBLISH_EVERY=1h) is not waited for longer
    let lag = lagAtEnd;
    let movedAt = performance.now();
    while (!drained && performance.now() < drainBy && performance.now() - movedAt < 90_000) {
      await sleep(100);
      const now = await publishLag(su.url);
      if (now !== lag) [lag, movedAt] = [now, performance.now()];
      drained = now === 0;
    }
    const tDrained = performance.now();
    const cpu2 = cpuNow();
    // and at rest (nothing sent, the backlog drained): what each process uses per second regardless of messages
    const idleMs = 5_000;
    await sleep(idleMs);
    const cpu3 = cpuNow();

    // spot-check one result through /result/:message, the endpoint the latency is defined on
    const probe = items[N - 1];
    const one = await getJson(
      `${cu.url}/result/${hexlify(Buffer.from(probe.id, "base64url"))}?process-id=${d.sys.process}`,
    );
    if (one.status !== 200 || one.body.Slot !== slotOf.get(probe.id)) {
      throw new Error(`GET /result answered ${one.status} ${JSON.stringify(one.body)}`);
    }

    // Open loop: RATE messages per second on a timer (not as fast as possible), so the latency is the
    // pipeline's own (accept → poll → evaluate → serve) rather than the queue a saturating load builds.
    const paced = await sign(d, RATE_N);
    const pacedLatency: number[] = [];
    const pacedBase = base + N;
    let pacedSeen = pacedBase;
    const pacedSent = new Map<string, number>();
    const pacedIdx = new Map(paced.map((m) => [hexlify(Buffer.from(m.id, "base64url")), m.id]));
    const pacedPoller = (async () => {
      while (pacedSeen < pacedBase + RATE_N) {
        const r = await getJson(`${cu.url}/results/${d.sys.process}?from=${pacedSeen}&limit=1000`);
        const now = performance.now();
        for (const e of (r.body.edges ?? []) as { node: { MessageId: string } }[]) {
          const id = pacedIdx.get(e.node.MessageId.toLowerCase());
          const at = id === undefined ? undefined : pacedSent.get(id);
          if (at !== undefined) pacedLatency.push(now - at);
          pacedSeen++;
        }
        await sleep(10);
      }
    })();
    const tp = performance.now();
    const pacedPosts: Promise<unknown>[] = [];
    for (const [i, m] of paced.entries()) {
      const due = tp + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      pacedSent.set(m.id, performance.now());
      pacedPosts.push(postItem(su.url, m.bytes));
    }
    await Promise.all(pacedPosts);
    await pacedPoller;

    const latency = servedAt.map((s, i) => s - sentAt[i]);
    const accept = acceptedAt.map((s, i) => s - sentAt[i]);
    const parts = await breakdown(d, items);
    const cpu = os.cpus();
    const cores = os.availableParallelism();
    const perMessage = (from: typeof cpu0, to: typeof cpu0) => {
      const ms = (k: keyof typeof cpu0) => (to[k] - from[k]) / N;
      const total = ms("su") + ms("cu") + ms("arlocal") + ms("benchProcess");
      return {
        su: round(ms("su"), 3),
        cu: round(ms("cu"), 3),
        arlocal: round(ms("arlocal"), 3),
        benchProcess: round(ms("benchProcess"), 3),
        total: round(total, 3),
        cpuBoundMsgsPerSec: round((1000 * cores) / total),
      };
    };
    const phaseCpu = perMessage(cpu0, cpu1);
    const perSec = (k: keyof typeof cpu0) => round(((cpu3[k] - cpu2[k]) * 1000) / idleMs, 1);
    const idleCpuMsPerSec = {
      su: perSec("su"),
      cu: perSec("cu"),
      arlocal: perSec("arlocal"),
      benchProcess: perSec("benchProcess"),
      total: round(perSec("su") + perSec("cu") + perSec("arlocal") + perSec("benchProcess"), 1),
    };
    const result = {
      date: started.toISOString(),
      command: "npm run bench:e2e",
      machine: {
        platform: `${os.platform()} ${os.release()} ${os.arch()}`,
        cpus: cpu.length,
        cpuModel: cpu[0]?.model ?? "unknown",
        memGiB: round(os.totalmem() / 2 ** 30),
        loadAvg1m: round(os.loadavg()[0], 2),
        node: process.version,
      },
      params: {
        messages: N,
        concurrency: C,
        signature: SIG === "eth" ? "Ethereum (secp256k1) data items" : "Arweave RSA-4096 data items",
        setup:
          "Hardhat in-process chain over JSON-RPC; ArLocal, the SU and the CU as child processes (bin launchers)",
        su: { publishEvery: PUBLISH_EVERY, publishBatch: 100 },
        cu: { pollMs: CU_POLL, commitEverySlots: 100, commitEveryMs: "5s" },
        resultPoll: "GET /results/:process every 10 ms (the same store /result/:message reads)",
      },
      msgsPerSec: round(N / ((tDone - t0) / 1000)),
      resultLatencyMs: { median: round(quantile(latency, 0.5)), p99: round(quantile(latency, 0.99)) },
      resultLatencyNote:
        "resultLatencyMs is measured under the saturating load above (C senders as fast as they can): it is mostly " +
        "queueing; pacedResultLatencyMs is the same measure with messages sent on a timer at pacedRatePerSec",
      pacedRatePerSec: RATE,
      pacedMessages: RATE_N,
      pacedResultLatencyMs: {
        median: round(quantile(pacedLatency, 0.5)),
        p99: round(quantile(pacedLatency, 0.99)),
      },
      suAcceptPerSec: round(N / ((tAccepted - t0) / 1000)),
      suAcceptLatencyMs: { median: round(quantile(accept, 0.5)), p99: round(quantile(accept, 0.99)) },
      sendRetries: errors,
      breakdownMsPerMessage: parts,
      // From `holo devnet --scenario fraud --once` (the watcher, the faulty CU and the game on the devnet).
      detectToChallengeSec: fraud.detectToChallengeSec,
      gameWallSec: fraud.gameWallSec,
      gameNote:
        "holo devnet --scenario fraud --once: detect = the wrong commitment's post to the game opened; the game's " +
        "wall time includes the devnet running the liar's clock down once it stops answering (its lie cannot be proven)",
      fraudSummary: fraud.summary,
      cpuMsPerMessage: {
        su: phaseCpu.su,
        cu: phaseCpu.cu,
        arlocal: phaseCpu.arlocal,
        benchProcess: phaseCpu.benchProcess,
        total: phaseCpu.total,
        signItemOutsidePhase: round(signCpuMsPerItem, 3),
      },
      cpuBoundMsgsPerSec: phaseCpu.cpuBoundMsgsPerSec,
      cpuCores: cores,
      cpuUntilPublished: {
        drained,
        publishLagAtPhaseEnd: lagAtEnd,
        drainSec: round((tDrained - tDone) / 1000, 2),
        cpuMsPerMessage: perMessage(cpu0, cpu2),
      },
      idleCpuMsPerSec,
      idleSec: idleMs / 1000,
      cpuNote:
        "cpuMsPerMessage: CPU time (user + system, all threads) each process used over the saturating phase (the " +
        "window msgsPerSec is measured on: first send → last result served), divided by the N messages of that phase. " +
        "su, cu, arlocal: utime + stime of the node process itself (/proc/<pid>/stat, clock ticks of " +
        `${1000 / CLK_TCK} ms); benchProcess: process.cpuUsage() of this process, which holds the Hardhat chain (its ` +
        "JSON-RPC answers to the agents), the C senders' HTTP posts and the result poller; the items are signed before " +
        "the phase, so no signing is in it (signItemOutsidePhase: this process's CPU per item signed, in advance, for " +
        "reference; not in total). cpuBoundMsgsPerSec = 1000 × cpuCores / total: the throughput the machine would " +
        "reach if all its cores did this work and nothing else (other load on the machine, idle waits and the " +
        "pipeline's own serialization make the wall-clock msgsPerSec lower). Publishing is asynchronous, so ArLocal's " +
        "ingest of the phase's bundles can lag behind it: cpuUntilPublished is the same account from the phase's " +
        "start until the SU's publish lag (holo_su_publish_lag_slots) is 0, still divided by N (the warm-up's 5 " +
        "slots may fall in it). idleCpuMsPerSec: CPU ms per second of each process over idleSec right after the " +
        "drain, nothing being sent (timers, polls: the part of the figures above that does not scale with messages).",
      goals: { msgsPerSec: 500, resultLatencyMedianMs: 250 },
    };
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(OUT, JSON.stringify(result, null, 2) + "\n");
    console.table({
      msgsPerSec: { value: result.msgsPerSec, goal: ">= 500" },
      "resultLatencyMs median": { value: result.resultLatencyMs.median, goal: "<= 250" },
      "resultLatencyMs p99": { value: result.resultLatencyMs.p99, goal: "" },
      [`pacedResultLatencyMs median (${RATE}/s)`]: {
        value: result.pacedResultLatencyMs.median,
        goal: "<= 250",
      },
      [`pacedResultLatencyMs p99 (${RATE}/s)`]: { value: result.pacedResultLatencyMs.p99, goal: "" },
      suAcceptPerSec: { value: result.suAcceptPerSec, goal: "" },
      "suAcceptLatencyMs median": { value: result.suAcceptLatencyMs.median, goal: "" },
      "suAcceptLatencyMs p99": { value: result.suAcceptLatencyMs.p99, goal: "" },
    });
    console.table(parts);
    console.table({
      phase: phaseCpu,
      [`until published (+${result.cpuUntilPublished.drainSec} s)`]: result.cpuUntilPublished.cpuMsPerMessage,
      "at rest (ms per s)": idleCpuMsPerSec,
    });
    console.log(`written to ${path.relative(process.cwd(), OUT)}`);
  } finally {
    await agents?.su.stop().catch(() => undefined);
    await agents?.cu.stop().catch(() => undefined);
    await stopDevnet(d);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

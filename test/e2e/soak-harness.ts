/**
 * The load-and-soak harness shared by bench/soak.ts (the full soak, `hardhat run bench/soak.ts`) and
 * test/e2e/soak.test.ts (its short CI version). See docs/reliability.md, "Soak".
 *
 * The stack: the devnet contracts (deploy/ `deployDevnet`) on the in-process Hardhat chain served over
 * JSON-RPC, ArLocal, the example token module registered and `processes` token processes spawned (on chain
 * and at the SU, as `holo devnet` does); ONE scheduler unit, `cus` compute units (each bonded, each following
 * every process, posting and finalizing commitments) and `watchers` watchers, all child processes started
 * through their bin launchers. The agents reach the chain and ArLocal through two TCP proxies
 * (reliability-helpers `OutageProxy`) that are taken down for the outages; this process talks to both
 * directly.
 *
 * During the sending phase a seeded PRNG drives two loops: kill -9 of a random agent (SU, a CU or a watcher;
 * the kinds taken in turn from a shuffled bag, so each kind is hit once every three kills) restarted after a
 * random delay from its SQLite file, and outages (RPC, ArLocal in turn) of a random length. An RSS sampler
 * reads /proc/<pid>/status VmRSS of every agent every `rssEveryMs`. The sending phase ends when every message is
 * acked, or earlier when `maxSendMs` has passed or `options.signal` is aborted (no new message; those in flight
 * re-sent until acked; the chaos ends): the rest of the run is the same, over the messages sent. A progress line
 * (acked, rate, each agent's latest RSS) every {@link PROGRESS_EVERY_MS} while sending and settling.
 *
 * At the end: every restart done, every proxy up; the harness waits for the SU to have published every slot,
 * then advances chain time past the challenge window (as `holo devnet --once` does) until every process's
 * finalized chain covers its whole log, lets the watchers give their verdicts, and computes the invariants
 * (`soakFailures`): no acked message lost, no duplicate assignment, no wrong finalized result, no game
 * opened and no watcher disagreement against these honest CUs, everything finalized.
 */
import { spawn } from "node:child_process";
import { setMaxListeners } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import type { JWKInterface } from "@dha-team/arbundles";
import Arweave from "arweave";
import { ZeroHash, hexlify, keccak256, type TypedDataDomain } from "ethers";
import hre from "hardhat";

import { ArweaveClient, WalletFunding, createSignedMessage } from "../../agents/common/arweave";
import { SuLogSource } from "../../agents/compute/domain/su-client";
import { processTarget } from "../../agents/scheduler/domain/scheduler";
import { TOKEN_WASM } from "../../cli/devnet/system";
import { devAccounts, type DevAccount } from "../../cli/lib/accounts";
import { arweaveIdHex, postToScheduler, signAoItem } from "../../cli/lib/ao";
import { startJsonRpcServer, type RunningJsonRpcServer } from "../../cli/lib/jsonrpc";
import { deployDevnet, type DevnetDeployment } from "../../deploy";
import { FastProcess } from "../../machine/fast";
import { assignmentDomain, findChainBreak, recoverAssignmentSigner } from "../../sdk/ts/assignments";
import { ResultsChain, resultsDepth } from "../../sdk/ts/dispute";
import type { Commitment } from "../../sdk/ts/results";
import { commitmentFromEvent } from "../../agents/common/games";
import {
  AgentProcess,
  Driver,
  OutageProxy,
  freePort,
  getJson,
  readSuLog,
  rng,
  slotCounts,
  sleep,
  toAssignment,
  unpublishedSlots,
  waitFor,
  type AnyAgentKind,
  type SignedMsg,
} from "../agents/reliability-helpers";
import { processWasm } from "../sdk/helpers";

// ---- settings ----------------------------------------------------------------------------------

export interface SoakConfig {
  /** Messages sent (spread over the processes by the PRNG). */
  messages: number;
  processes: number;
  cus: number;
  watchers: number;
  seed: number;
  /** Concurrent senders. */
  concurrency: number;
  /** The sending phase lasts at least this long (senders are paced), so that the chaos has time to act. */
  minSendMs: number;
  /**
   * The sending phase stops after this long even if fewer than `messages` were sent (null: no cap); the run then
   * settles and is checked as usual, over the messages actually sent (`messages.sendCappedAtMs` in the report).
   */
  maxSendMs: number | null;
  /** kill -9 of a random agent every U(killEveryMs) during the sending phase (0: no kills). */
  kills: boolean;
  killEveryMs: [number, number];
  /** A killed agent is started again after U(restartDelayMs). */
  restartDelayMs: [number, number];
  /** An outage (RPC, ArLocal in turn) every U(outageEveryMs), lasting U(outageMs) (0: none). */
  outages: boolean;
  outageEveryMs: [number, number];
  outageMs: [number, number];
  /** Agents' settings. */
  publishEvery: string;
  /**
   * The SU's `maxPublishBacklog`: about 1 minute of ArLocal's publishing on an idle machine (13–21 slots/s;
   * 5–7 under a load average of 10–14), so that the watchers find each commitment's data on ArLocal within half
   * the devnet's 300 s challenge window (else they page `dataMissing`).
   */
  maxPublishBacklog: number;
  commitEverySlots: number;
  commitEveryMs: string;
  cuPollMs: string;
  watcherPollMs: string;
  /** The CUs publish their results and checkpoints to ArLocal (through the proxy). */
  cuArweave: boolean;
  rssEveryMs: number;
  /** After sending: how long the stack may take to publish, commit and finalize everything. */
  settleTimeoutMs: number;
  /** How long the watchers may take to give a verdict on every commitment (not an invariant). */
  watcherTimeoutMs: number;
  /** Count the SU's Assignment items on ArLocal (one per slot). */
  checkArweave: boolean;
  /** Memory not flat fails the run (otherwise it is reported only). */
  strictMemory: boolean;
  /** ArLocal's database on tmpfs (/dev/shm) rather than in the run directory. */
  arlocalTmpfs: boolean;
  /** Tune ArLocal's SQLite at start ({@link ARLOCAL_TUNING}: indexes and planner statistics). */
  arlocalTune: boolean;
  /** Keep the run's directory (stores, ArLocal, agent logs); always kept when an invariant fails. */
  keepDir: boolean;
}

/** The full soak's defaults (issue 8: 100,000 messages, 20 processes, 1 SU, 3 CUs, 2 watchers). */
export const FULL_SOAK: SoakConfig = {
  messages: 100_000,
  processes: 20,
  cus: 3,
  watchers: 2,
  seed: 20261124,
  concurrency: 16,
  minSendMs: 0,
  maxSendMs: null,
  kills: true,
  killEveryMs: [20_000, 60_000],
  restartDelayMs: [0, 3_000],
  outages: true,
  outageEveryMs: [45_000, 120_000],
  outageMs: [2_000, 8_000],
  publishEvery: "500ms",
  maxPublishBacklog: 1_000,
  commitEverySlots: 100,
  commitEveryMs: "10s",
  cuPollMs: "250ms",
  watcherPollMs: "1s",
  cuArweave: true,
  rssEveryMs: 5_000,
  settleTimeoutMs: 30 * 60_000,
  watcherTimeoutMs: 15 * 60_000,
  checkArweave: true,
  strictMemory: false,
  arlocalTmpfs: true,
  arlocalTune: true,
  keepDir: false,
};

const num = (v: string | undefined, d: number) => (v === undefined || v === "" ? d : Number(v));
const bool = (v: string | undefined, d: boolean) =>
  v === undefined || v === "" ? d : !["0", "false", "no", "off"].includes(v.toLowerCase());
const range = (v: string | undefined, d: [number, number]): [number, number] => {
  if (v === undefined || v === "") return d;
  const [a, b] = v.split(/[-,:]/).map(Number);
  return [a, b ?? a];
};

/**
 * SOAK_MAX_SEND_MS: unset or empty → `d`; otherwise a positive number of milliseconds (anything else throws an
 * error that names the variable).
 */
function maxMs(v: string | undefined, d: number | null): number | null {
  if (v === undefined || v.trim() === "") return d;
  const n = Number(v);
  if (!(Number.isFinite(n) && n > 0)) {
    throw new Error(
      `soak setting SOAK_MAX_SEND_MS (maxSendMs): ${JSON.stringify(v)} is not a positive number of milliseconds ` +
        "(leave it unset for no cap)",
    );
  }
  return n;
}

/** `base` overridden by SOAK_* environment variables (names in docs/reliability.md, "Soak"). */
export function soakConfigFromEnv(env: NodeJS.ProcessEnv, base: SoakConfig = FULL_SOAK): SoakConfig {
  const c: SoakConfig = {
    messages: num(env.SOAK_MESSAGES, base.messages),
    processes: num(env.SOAK_PROCESSES, base.processes),
    cus: num(env.SOAK_CUS, base.cus),
    watchers: num(env.SOAK_WATCHERS, base.watchers),
    seed: num(env.SOAK_SEED, base.seed),
    concurrency: num(env.SOAK_CONCURRENCY, base.concurrency),
    minSendMs: num(env.SOAK_MIN_SEND_MS, base.minSendMs),
    maxSendMs: maxMs(env.SOAK_MAX_SEND_MS, base.maxSendMs),
    kills: bool(env.SOAK_KILLS, base.kills),
    killEveryMs: range(env.SOAK_KILL_EVERY_MS, base.killEveryMs),
    restartDelayMs: range(env.SOAK_RESTART_DELAY_MS, base.restartDelayMs),
    outages: bool(env.SOAK_OUTAGES, base.outages),
    outageEveryMs: range(env.SOAK_OUTAGE_EVERY_MS, base.outageEveryMs),
    outageMs: range(env.SOAK_OUTAGE_MS, base.outageMs),
    publishEvery: env.SOAK_PUBLISH_EVERY ?? base.publishEvery,
    maxPublishBacklog: num(env.SOAK_MAX_PUBLISH_BACKLOG, base.maxPublishBacklog),
    commitEverySlots: num(env.SOAK_COMMIT_EVERY_SLOTS, base.commitEverySlots),
    commitEveryMs: env.SOAK_COMMIT_EVERY_MS ?? base.commitEveryMs,
    cuPollMs: env.SOAK_CU_POLL ?? base.cuPollMs,
    watcherPollMs: env.SOAK_WATCHER_POLL ?? base.watcherPollMs,
    cuArweave: bool(env.SOAK_CU_ARWEAVE, base.cuArweave),
    rssEveryMs: num(env.SOAK_RSS_EVERY_MS, base.rssEveryMs),
    settleTimeoutMs: num(env.SOAK_SETTLE_TIMEOUT_MS, base.settleTimeoutMs),
    watcherTimeoutMs: num(env.SOAK_WATCHER_TIMEOUT_MS, base.watcherTimeoutMs),
    checkArweave: bool(env.SOAK_CHECK_ARWEAVE, base.checkArweave),
    strictMemory: bool(env.SOAK_STRICT_MEMORY, base.strictMemory),
    arlocalTmpfs: bool(env.SOAK_ARLOCAL_TMPFS, base.arlocalTmpfs),
    arlocalTune: bool(env.SOAK_ARLOCAL_TUNE, base.arlocalTune),
    keepDir: bool(env.SOAK_KEEP, base.keepDir),
  };
  for (const [k, v] of Object.entries(c)) {
    if (typeof v === "number" && !(Number.isFinite(v) && v >= 0)) throw new Error(`soak setting ${k}: ${v}`);
  }
  if (c.processes < 1 || c.cus < 1 || c.messages < 1) throw new Error("soak: messages, processes, cus ≥ 1");
  if (c.maxSendMs !== null && !(Number.isFinite(c.maxSendMs) && c.maxSendMs > 0))
    throw new Error(`soak setting maxSendMs: ${c.maxSendMs} (a positive number of milliseconds, or null)`);
  if (c.cus > 8 || c.watchers > 6) throw new Error("soak: at most 8 CUs and 6 watchers (dev accounts)");
  return c;
}

// ---- memory -------------------------------------------------------------------------------------

/** The rule behind the "flat" verdict (also written to the report). */
export const FLAT_RULE =
  "per run of an agent (a restart starts a new series): drop the first 20% of the samples (warm-up), then " +
  "flat = median(last quartile) ≤ 1.25 × median(first quartile) of the rest; judged only with ≥ 8 samples " +
  "after warm-up; an agent is flat when every judged series of it is";

export interface RssSeries {
  agent: string;
  run: number;
  pid: number;
  /** [seconds since the start of the soak, RSS MiB]. */
  samples: [number, number][];
  firstQuartileMedianMiB: number | null;
  lastQuartileMedianMiB: number | null;
  ratio: number | null;
  verdict: "flat" | "growing" | "too short";
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const r1 = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/** Applies {@link FLAT_RULE} to one series. */
export function judgeSeries(
  samples: readonly [number, number][],
): Omit<RssSeries, "agent" | "run" | "pid" | "samples"> {
  const rest = samples.slice(Math.floor(samples.length * 0.2)).map((s) => s[1]);
  if (rest.length < 8) {
    return { firstQuartileMedianMiB: null, lastQuartileMedianMiB: null, ratio: null, verdict: "too short" };
  }
  const q = Math.floor(rest.length / 4);
  const first = median(rest.slice(0, q));
  const last = median(rest.slice(rest.length - q));
  const ratio = last / first;
  return {
    firstQuartileMedianMiB: r1(first),
    lastQuartileMedianMiB: r1(last),
    ratio: r1(ratio, 3),
    verdict: ratio <= 1.25 ? "flat" : "growing",
  };
}

/** VmRSS of `pid` in MiB (undefined when the process is gone). */
function rssMiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m === null ? undefined : Number(m[1]) / 1024;
  } catch {
    return undefined;
  }
}

// ---- the report ---------------------------------------------------------------------------------

export interface SoakReport {
  date: string;
  config: SoakConfig;
  machine: { cpus: number; cpuModel: string; memGiB: number; node: string; loadAvg1mAtEnd: number };
  messages: {
    /** `config.messages`: what the run set out to send (reached only when `sendStopped` is null). */
    target: number;
    /** Messages sent (each re-sent until acked): the invariants are over these, not over `target`. */
    sent: number;
    acked: number;
    /**
     * Milliseconds after the first send at which `config.maxSendMs` cut the sending phase before `target` was
     * sent (null: not cut by the cap).
     */
    sendCappedAtMs: number | null;
    /**
     * Why the sending phase stopped before `target` was sent: the cap (`maxSendMs`) or a stop asked through
     * `SoakOptions.signal` (bench/soak.ts: SIGINT/SIGTERM); null when every message of the target was sent.
     */
    sendStopped: { by: "maxSendMs" | "signal"; afterMs: number; reason: string } | null;
    sendRetries: number;
    refusals: number;
    /** 503 PublishBacklogFull answers (the SU's back-pressure) waited out for their Retry-After. */
    backpressureWaits: number;
    perProcess: number[];
  };
  /**
   * The SU's publishing over time (its store read every `rssEveryMs`): [seconds, slots assigned, slots in a
   * posted publication]; `perMinute`: slots published per second in each minute of the run.
   */
  publishing: {
    samples: [number, number, number][];
    perMinute: { minute: number; publishedPerSec: number; backlogAtEnd: number }[];
  };
  invariants: {
    /** Acked by the SU and not in the final log (or at another slot than answered). */
    lost: number;
    /** A message in two slots (of one or two processes), a slot held twice, a slot answered twice. */
    duplicateAssignments: number;
    /** Log checks beyond duplicates: hash chain, index = slot, signature, message id. */
    logProblems: number;
    /** Log entries that no sender was answered for (besides each process's slot 0, its Process item). */
    unexpectedEntries: number;
    /** Finalized commitments whose claim differs from a fresh re-execution of the SU's log. */
    wrongFinalized: number;
    /** Posted commitments (any CU) whose claim differs from the fresh re-execution. */
    wrongPosted: number;
    /** Slots not covered by the finalized chain at the end. */
    unfinalizedSlots: number;
    /** Finalized chains not contiguous from slot 0 with intact parents. */
    brokenFinalizedChains: number;
    /** Games opened (every CU is honest: each one is a false alarm). */
    gamesOpened: number;
    /** Watcher verdicts other than `agree` (and `pending`). */
    watcherDisagreements: number;
    /** Slots with no, or more than one, Assignment item on ArLocal (null: not checked). */
    arweaveProblems: number | null;
  };
  commitments: {
    posted: number;
    postedByCu: Record<string, number>;
    finalized: number;
    finalizedByCu: Record<string, number>;
    challenged: number;
    /** Posted, neither finalized nor rejected at the end (the other CUs' chains, see the docs). */
    pendingAtEnd: number;
  };
  watchers: Record<string, { agree: number; pending: number; other: number; total: number }>;
  chaos: {
    kills: { su: number; cu: number; watcher: number; total: number };
    outages: { rpc: number; arlocal: number; totalDownMs: number };
    restartFailures: string[];
    /** Agents that exited without a kill -9 of ours (a crash, a kill from outside); restarted. */
    unexpectedExits: { atSec: number; what: string }[];
    /**
     * Starts that failed (the agent exited or did not log `<kind>.started` in time) and were tried again. Since
     * agents wait for their dependencies at start (finding 2, fixed) this is a safety net: expected 0.
     */
    startRetries: { atSec: number; what: string }[];
    events: { atSec: number; what: string }[];
  };
  pages: { agent: string; event: string; msg: string }[];
  /** Error lines ArLocal printed (e.g. `SQLITE_CONSTRAINT`: an item or bundle posted again). */
  arlocalErrorLines: number;
  timing: {
    setupSec: number;
    sendSec: number;
    ackedPerSec: number;
    /** From the first send to every process finalized over its whole log. */
    settleSec: number;
    endToEndSec: number;
    endToEndMsgsPerSec: number;
    watchersSec: number;
    checkSec: number;
    wallSec: number;
    chainTimeAdvancedSec: number;
  };
  memory: {
    rule: string;
    everyMs: number;
    agents: Record<string, { verdict: "flat" | "growing" | "too short"; series: RssSeries[] }>;
  };
  problems: string[];
  failures: string[];
  dir: string | null;
}

/** The invariants that fail the run (empty: passed). */
export function soakFailures(r: Omit<SoakReport, "failures">): string[] {
  const f: string[] = [];
  const i = r.invariants;
  if (r.messages.acked !== r.messages.sent)
    f.push(`${r.messages.sent - r.messages.acked} messages never acked`);
  if (i.lost !== 0) f.push(`${i.lost} acked messages lost`);
  if (i.duplicateAssignments !== 0) f.push(`${i.duplicateAssignments} duplicate assignments`);
  if (i.logProblems !== 0) f.push(`${i.logProblems} log problems (chain, slot, signature)`);
  if (i.unexpectedEntries !== 0) f.push(`${i.unexpectedEntries} log entries nobody sent`);
  if (i.wrongFinalized !== 0) f.push(`${i.wrongFinalized} wrong finalized commitments`);
  if (i.wrongPosted !== 0) f.push(`${i.wrongPosted} wrong posted commitments`);
  if (i.unfinalizedSlots !== 0) f.push(`${i.unfinalizedSlots} slots not finalized`);
  if (i.brokenFinalizedChains !== 0) f.push(`${i.brokenFinalizedChains} broken finalized chains`);
  if (i.gamesOpened !== 0) f.push(`${i.gamesOpened} games opened against honest CUs`);
  if (i.watcherDisagreements !== 0) f.push(`${i.watcherDisagreements} watcher disagreements`);
  if (i.arweaveProblems !== null && i.arweaveProblems !== 0)
    f.push(`${i.arweaveProblems} slots without exactly one Assignment item on ArLocal`);
  if (r.config.strictMemory) {
    for (const [a, m] of Object.entries(r.memory.agents))
      if (m.verdict === "growing") f.push(`memory of ${a} is not flat`);
  }
  return f;
}

// ---- the run ------------------------------------------------------------------------------------

interface Proc {
  id: string;
  target: string;
}

const TOKEN_CYCLE: { name: string; value: string }[][] = [
  [{ name: "Action", value: "Info" }],
  [{ name: "Action", value: "Balance" }],
  [
    { name: "Action", value: "Transfer" },
    { name: "Recipient", value: "0x" + "ab".repeat(20) },
    { name: "Quantity", value: "1000" },
  ],
  [{ name: "Action", value: "Total-Supply" }],
  [{ name: "Action", value: "Balances" }],
];

export interface SoakOptions {
  /**
   * Aborting it stops the sending phase as `maxSendMs` does (no new message; those in flight are re-sent until
   * acked), then the run settles and is checked as usual. bench/soak.ts aborts it on SIGINT/SIGTERM. Aborted
   * once the sending is over, it changes nothing.
   */
  signal?: AbortSignal;
}

/** A progress line (acked, rate, each agent's latest RSS) at least this often during sending and settling. */
export const PROGRESS_EVERY_MS = 30_000;

/** Runs the soak; never throws for a failed invariant (see `report.failures`), only for a broken set-up. */
export async function runSoak(
  cfg: SoakConfig,
  log: (line: string) => void = () => undefined,
  options: SoakOptions = {},
): Promise<SoakReport> {
  const T0 = Date.now();
  const at = () => r1((Date.now() - T0) / 1000);
  const say = (s: string) => log(`[${at().toFixed(1)} s] ${s}`);
  // two PRNGs: the chaos schedule, and each message's process (so that neither shifts the other)
  const random = rng(cfg.seed);
  const pick = rng(cfg.seed ^ 0x5bd1e995);
  const between = ([a, b]: [number, number]) => a + Math.floor(random() * Math.max(0, b - a));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "holo-soak-"));
  const logsDir = path.join(dir, "logs");
  fs.mkdirSync(logsDir);
  const stops: (() => Promise<unknown> | unknown)[] = [];
  type Agent = AgentProcess<AnyAgentKind>;
  const agents: Agent[] = [];
  const names = new Map<Agent, string>();
  const starting = new Map<Agent, Promise<unknown>>();
  const flushed = new Map<Agent, number>();
  const pages: SoakReport["pages"] = [];
  let failed = true;

  /** Moves an agent's buffered log lines to its file (and scans them for pages). */
  const flush = (a: Agent) => {
    if (starting.has(a)) return; // start() scans the lines from where it began
    const lines = a.lines.splice(0);
    flushed.set(a, (flushed.get(a) ?? 0) + lines.length);
    if (lines.length === 0) return;
    for (const l of lines) {
      if (/^page\./.test(String(l.event ?? "")) && pages.length < 200) {
        pages.push({ agent: names.get(a)!, event: String(l.event), msg: String(l.msg ?? "") });
      }
    }
    fs.appendFileSync(
      path.join(logsDir, `${names.get(a)}.jsonl`),
      lines.map((l) => JSON.stringify(l)).join("\n") + "\n",
    );
  };

  // whatever ends this process (mocha's exit after a timeout, a signal handled by exit), no agent outlives it
  let tmpfsDir: string | undefined;
  const killAll = () => {
    for (const a of agents) if (a.running) a.child?.kill("SIGKILL");
    if (tmpfsDir !== undefined) fs.rmSync(tmpfsDir, { recursive: true, force: true });
  };
  process.on("exit", killAll);
  stops.push(() => process.off("exit", killAll));
  try {
    // ---- 1. chain, ArLocal, proxies --------------------------------------------------------------
    processWasm("token"); // builds build/processes/token.wasm if needed
    const snapshot = (await hre.network.provider.request({ method: "evm_snapshot" })) as string;
    stops.push(() => hre.network.provider.request({ method: "evm_revert", params: [snapshot] }));
    const accounts: DevAccount[] = devAccounts(hre.config.networks.hardhat.accounts, 16);
    const owner = accounts[0];
    const suAccount = accounts[2];
    const cuAccounts = accounts.slice(3, 3 + cfg.cus);
    const watcherAccounts = accounts.slice(3 + cfg.cus, 3 + cfg.cus + cfg.watchers);
    const devnet: DevnetDeployment = await deployDevnet(hre, {
      fund: { accounts: [owner, suAccount, ...cuAccounts, ...watcherAccounts].map((a) => a.address) },
    });
    const { stakeToken, stakeManager, processRegistry, resultRegistry, disputeGame } = devnet.contracts;
    const rpc: RunningJsonRpcServer = await startJsonRpcServer(hre, "127.0.0.1", 0);
    stops.push(() => rpc.close(0));
    // ArLocal in a process of its own (not this one's event loop, which serves the chain and signs messages)
    // Its database goes to tmpfs when there is one: ArLocal unbundles with one unbatched SQLite insert per item
    // and tag (about 3,000 per 100 slots), and on disk that, not the agents, paced publishing (SOAK_ARLOCAL_TMPFS=0:
    // keep it in the run directory).
    const arDir =
      cfg.arlocalTmpfs && fs.existsSync("/dev/shm")
        ? fs.mkdtempSync("/dev/shm/holo-soak-arlocal-")
        : path.join(dir, "arlocal");
    if (arDir.startsWith("/dev/shm/")) tmpfsDir = arDir;
    const arlocal = await startArLocalProcess(arDir, path.join(logsDir, "arlocal.log"), cfg.arlocalTune);
    stops.push(async () => {
      await arlocal.stop();
      if (arDir.startsWith("/dev/shm/")) {
        if (failed || cfg.keepDir) fs.cpSync(arDir, path.join(dir, "arlocal"), { recursive: true });
        fs.rmSync(arDir, { recursive: true, force: true });
      }
    });
    const rpcProxy = new OutageProxy(await freePort(), rpc.port);
    const arProxy = new OutageProxy(await freePort(), arlocal.port);
    await rpcProxy.up();
    await arProxy.up();
    stops.push(() => rpcProxy.down());
    stops.push(() => arProxy.down());
    const agentRpc = `http://127.0.0.1:${rpcProxy.port}`;
    const agentGateway = `http://127.0.0.1:${arProxy.port}`;

    const jwk = (await Arweave.init({}).wallets.generate()) as JWKInterface;
    const walletFile = path.join(dir, "arweave-wallet.json");
    fs.writeFileSync(walletFile, JSON.stringify(jwk));
    const gateway = new ArweaveClient({
      url: arlocal.url,
      wallet: jwk,
      local: true,
      logger: (await import("../../agents/common/log")).createLogger({ agent: "soak", level: "silent" }),
    });
    await new WalletFunding(gateway).fund(jwk, 10n ** 15n);

    // ---- 2. bonds (as `holo devnet`; the CUs with room for thousands of Pending commitments) -------
    const ONE = 10n ** 18n;
    const bonds: [DevAccount, bigint][] = [
      [suAccount, await processRegistry.minSchedulerStake()],
      ...cuAccounts.map((a): [DevAccount, bigint] => [a, 100_000n * ONE]),
      ...watcherAccounts.map((a): [DevAccount, bigint] => [a, 1_000n * ONE]),
    ];
    for (const [account, amount] of bonds) {
      const signer = await hre.ethers.getSigner(account.address);
      await (await stakeToken.connect(signer).approve(devnet.addresses.stakeManager, amount)).wait();
      await (await stakeManager.connect(signer).bond(amount)).wait();
    }
    const challengeWindow = Number(await stakeManager.challengeWindow());

    // ---- 3. the token module -----------------------------------------------------------------------
    const { loadModule, MODULE_DEFAULTS, moduleTags } = await import("../../cli/commands/module");
    const loaded = await loadModule(TOKEN_WASM, MODULE_DEFAULTS.memoryPages);
    const moduleItem = await signAoItem(jwk, {
      type: "Module",
      tags: moduleTags(loaded, MODULE_DEFAULTS),
      data: loaded.bytes,
    });
    await gateway.postDataItems([moduleItem]);
    const ownerSigner = await hre.ethers.getSigner(owner.address);
    const moduleContent = [
      loaded.moduleRoot,
      loaded.wasmHash,
      arweaveIdHex(moduleItem.id),
      MODULE_DEFAULTS.memoryPages,
      MODULE_DEFAULTS.stepLimit,
      MODULE_DEFAULTS.maxMessageBytes,
    ] as const;
    const moduleId = await processRegistry.computeModuleId(...moduleContent);
    await (await processRegistry.connect(ownerSigner).registerModule(...moduleContent)).wait();
    const wasm = new Uint8Array(fs.readFileSync(TOKEN_WASM));
    const domain: TypedDataDomain = assignmentDomain(31337, devnet.addresses.processRegistry);

    // ---- 4. the SU, then the processes ---------------------------------------------------------------
    const suStore = path.join(dir, "su.sqlite");
    const suPort = await freePort();
    const su: Agent = new AgentProcess<AnyAgentKind>(
      "su",
      [
        "--rpc-url",
        agentRpc,
        "--chain-id",
        "31337",
        "--process-registry",
        devnet.addresses.processRegistry,
        "--arweave-url",
        agentGateway,
        "--arweave-wallet",
        walletFile,
        "--store-path",
        suStore,
        "--port",
        String(suPort),
        "--publish-every",
        cfg.publishEvery,
        "--max-publish-backlog",
        String(cfg.maxPublishBacklog),
      ],
      { HOLO_PRIVATE_KEY: suAccount.privateKey },
    );
    agents.push(su);
    names.set(su, "su");
    // every agent is stopped at once (SIGTERM, SIGKILL after the grace), before the proxies and the chain
    stops.push(() => Promise.all(agents.map((a) => a.stop(10_000))));
    await su.start();
    const suUrl = `http://127.0.0.1:${suPort}`;
    const fromBlock = await hre.ethers.provider.getBlockNumber();

    const procs: Proc[] = [];
    for (let p = 0; p < cfg.processes; p++) {
      const item = await signAoItem(jwk, {
        type: "Process",
        tags: [
          { name: "Module", value: moduleItem.id },
          { name: "Holo-Module", value: moduleId },
          { name: "Holo-Initial-State", value: loaded.initialStateHash },
          { name: "Holo-Owner", value: owner.address },
          { name: "Name", value: `soak-token-${p}` },
        ],
        data: "",
      });
      const args = [moduleId, suAccount.address, loaded.initialStateHash, arweaveIdHex(item.id)] as const;
      await (await processRegistry.connect(ownerSigner).spawn(...args)).wait();
      const id = (await processRegistry.computeProcessId(...args, owner.address)).toLowerCase();
      const r = await postToScheduler(suUrl, new Uint8Array(item.getRaw()));
      if (r.process.toLowerCase() !== id) throw new Error(`the SU registered ${r.process}, not ${id}`);
      procs.push({ id, target: processTarget(id) });
    }
    const processesJson = JSON.stringify(procs.map((p) => ({ id: p.id, wasm: TOKEN_WASM })));

    // ---- 5. CUs and watchers -------------------------------------------------------------------------
    const cus = cuAccounts.map((a, i) => {
      const args = [
        "--rpc-url",
        agentRpc,
        "--result-registry",
        devnet.addresses.resultRegistry,
        "--process-registry",
        devnet.addresses.processRegistry,
        "--su-url",
        suUrl,
        "--store-path",
        path.join(dir, `cu${i + 1}.sqlite`),
        "--port",
        "0",
        "--processes",
        processesJson,
        "--commit-every-slots",
        String(cfg.commitEverySlots),
        "--commit-every-ms",
        cfg.commitEveryMs,
        "--poll-ms",
        cfg.cuPollMs,
        "--dispute-game",
        devnet.addresses.disputeGame,
        "--stake-manager",
        devnet.addresses.stakeManager,
        "--answer-time",
        "5s",
      ];
      if (cfg.cuArweave) args.push("--arweave-url", agentGateway, "--arweave-wallet", walletFile);
      const cu: Agent = new AgentProcess<AnyAgentKind>("cu", args, { HOLO_PRIVATE_KEY: a.privateKey });
      names.set(cu, `cu${i + 1}`);
      return cu;
    });
    const watchers = watcherAccounts.map((a, i) => {
      const w: Agent = new AgentProcess<AnyAgentKind>(
        "watcher",
        [
          "--rpc-url",
          agentRpc,
          "--result-registry",
          devnet.addresses.resultRegistry,
          "--process-registry",
          devnet.addresses.processRegistry,
          "--dispute-game",
          devnet.addresses.disputeGame,
          "--stake-manager",
          devnet.addresses.stakeManager,
          "--arweave-url",
          agentGateway,
          "--processes",
          processesJson,
          "--store-path",
          path.join(dir, `watcher${i + 1}.sqlite`),
          "--port",
          "0",
          "--poll-ms",
          cfg.watcherPollMs,
          "--confirmations",
          "0",
          "--answer-time",
          "5s",
          "--from-block",
          String(fromBlock),
        ],
        { HOLO_PRIVATE_KEY: a.privateKey },
      );
      names.set(w, `watcher${i + 1}`);
      return w;
    });
    agents.push(...cus, ...watchers);
    await Promise.all([...cus, ...watchers].map((a) => a.start(180_000)));
    const setupSec = at();
    say(`stack up: ${cfg.processes} processes, 1 SU, ${cfg.cus} CUs, ${cfg.watchers} watchers (${dir})`);

    // ---- 6. RSS sampler ---------------------------------------------------------------------------------
    const series = new Map<
      string,
      { agent: string; run: number; pid: number; samples: [number, number][] }
    >();
    const sample = () => {
      for (const a of agents) {
        const pid = a.child?.pid;
        if (pid === undefined || !a.running) continue;
        const mib = rssMiB(pid);
        if (mib === undefined) continue;
        const key = `${names.get(a)}#${a.starts}`;
        let s = series.get(key);
        if (s === undefined) {
          s = { agent: names.get(a)!, run: a.starts, pid, samples: [] };
          series.set(key, s);
        }
        s.samples.push([at(), r1(mib)]);
      }
      const extra: [string, number, number | undefined][] = [
        ["harness (chain + driver)", process.pid, process.memoryUsage().rss / 2 ** 20],
        ["arlocal", arlocal.pid, rssMiB(arlocal.pid)],
      ];
      for (const [agent, pid, mib] of extra) {
        if (mib === undefined) continue;
        const s = series.get(agent) ?? { agent, run: 1, pid, samples: [] };
        s.samples.push([at(), r1(mib)]);
        series.set(agent, s);
      }
      for (const a of agents) flush(a);
    };
    const publishing: [number, number, number][] = [];
    const samplePublishing = () => {
      try {
        const c = slotCounts(suStore);
        publishing.push([at(), c.assigned, c.published]);
      } catch {
        // the store is being written: next time
      }
    };
    const samplers = () => {
      sample();
      samplePublishing();
    };
    samplers();
    const sampler = setInterval(samplers, cfg.rssEveryMs);
    stops.push(() => clearInterval(sampler));

    // ---- 7. send, with chaos ------------------------------------------------------------------------------
    const driver = new Driver(() => suUrl);
    const processOf = new Map<string, number>();
    const perProcess = new Array<number>(cfg.processes).fill(0);
    let sent = 0;
    let next = 0;
    // the stop of the sending phase before `messages`: the cap (maxSendMs) or options.signal (bench: a signal)
    const halt = new AbortController();
    setMaxListeners(cfg.concurrency + 10, halt.signal); // one waiting sender each (pause)
    let sendStopped = null as SoakReport["messages"]["sendStopped"];
    const stopSending = (by: "maxSendMs" | "signal", reason: string) => {
      if (halt.signal.aborted || !sending || sent >= cfg.messages) return;
      sendStopped = { by, afterMs: Date.now() - tSend, reason };
      halt.abort();
      say(
        `stopping the sending phase (${reason}): ${sent} of ${cfg.messages} sent, ${driver.slots.size} acked`,
      );
    };
    /** Sleeps `ms`, or less when the sending phase is stopped. */
    const pause = (ms: number) =>
      new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          halt.signal.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        halt.signal.addEventListener("abort", done);
      });
    const sender = async () => {
      while (next < cfg.messages && !halt.signal.aborted) {
        const i = next++;
        // pacing: message i is not sent before i/messages of minSendMs has passed
        const due = tSend + (cfg.minSendMs * i) / cfg.messages;
        if (Date.now() < due) await pause(due - Date.now());
        // stopped: no new message (those already sent are re-sent until acked, by their own senders)
        if (halt.signal.aborted) return;
        const p = Math.floor(pick() * cfg.processes);
        const item = await createSignedMessage(jwk, {
          target: procs[p].target,
          tags: TOKEN_CYCLE[i % TOKEN_CYCLE.length],
          data: `soak ${i}`,
        });
        const m: SignedMsg = { id: item.id, bytes: new Uint8Array(item.getRaw()) };
        processOf.set(m.id, p);
        perProcess[p]++;
        sent++;
        await driver.send(m);
        if (driver.slots.size % 1000 === 0) say(`${driver.slots.size} acked`);
      }
    };
    let sending = true;
    let phase = "sending";
    const tSend = Date.now();
    const capTimer =
      cfg.maxSendMs === null
        ? undefined
        : setTimeout(
            () => stopSending("maxSendMs", `SOAK_MAX_SEND_MS: the cap of ${cfg.maxSendMs} ms`),
            cfg.maxSendMs,
          );
    stops.push(() => clearTimeout(capTimer));
    const onAbort = () => stopSending("signal", `stop asked: ${String(options.signal?.reason ?? "aborted")}`);
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener("abort", onAbort);
    stops.push(() => options.signal?.removeEventListener("abort", onAbort));

    // progress: acked, rate, the latest RSS of each agent (the sampler's), at least every PROGRESS_EVERY_MS
    let lastProgress = { t: tSend, acked: 0 };
    const latestRss = () => {
      const latest = new Map<string, { run: number; mib: number }>();
      for (const s of series.values()) {
        const last = s.samples[s.samples.length - 1];
        const prev = latest.get(s.agent);
        if (last !== undefined && (prev === undefined || s.run >= prev.run))
          latest.set(s.agent, { run: s.run, mib: last[1] });
      }
      const down = new Set(agents.filter((a) => !a.running).map((a) => names.get(a)!));
      return [...latest]
        .map(([agent, { mib }]) => `${agent} ${down.has(agent) ? "down" : `${Math.round(mib)}`}`)
        .join(", ");
    };
    const progress = () => {
      const now = Date.now();
      const acked = driver.slots.size;
      const rate = r1(acked / Math.max(0.001, (now - tSend) / 1000));
      const recent = r1((acked - lastProgress.acked) / Math.max(0.001, (now - lastProgress.t) / 1000));
      lastProgress = { t: now, acked };
      const pub = publishing[publishing.length - 1];
      say(
        `progress (${phase}): ${acked} acked, ${sent} sent of ${cfg.messages}; ${rate} acked/s since the first ` +
          `send, ${recent} acked/s lately` +
          (pub === undefined ? "" : `; slots ${pub[1]} assigned, ${pub[2]} published`) +
          `; RSS MiB: ${latestRss()}`,
      );
    };
    const progressTimer = setInterval(progress, PROGRESS_EVERY_MS);
    stops.push(() => clearInterval(progressTimer));
    const events: SoakReport["chaos"]["events"] = [];
    const kills = { su: 0, cu: 0, watcher: 0, total: 0 };
    const outages = { rpc: 0, arlocal: 0, totalDownMs: 0 };
    const restartFailures: string[] = [];
    const startRetries: { atSec: number; what: string }[] = [];
    const restarts: Promise<unknown>[] = [];

    /**
     * Starts `a` as a supervisor (systemd `Restart=always`) would. An agent started during an outage waits for
     * the chain or the gateway itself (agents/common/main.ts, finding 2 fixed), so one start is expected to do;
     * a start that still fails (an exit) is tried again every second (counted in `startRetries`, expected 0)
     * for up to 3 minutes — a safety net.
     */
    const supervise = async (a: Agent) => {
      const until = Date.now() + 180_000;
      for (;;) {
        try {
          // start() notices an exit with a code, not one by a signal (a kill from outside): race the exit too
          const started = a.start(180_000);
          const child = a.child!;
          const exited = new Promise<never>((_, reject) =>
            child.once("exit", (code, signal) =>
              reject(new Error(`${names.get(a)} exited during its start (${signal ?? code})`)),
            ),
          );
          exited.catch(() => undefined);
          await Promise.race([started, exited]);
          started.catch(() => undefined);
          return;
        } catch (error) {
          const what = `${names.get(a)}: ${String(error).slice(0, 300)}`;
          if (Date.now() > until) {
            restartFailures.push(what);
            return;
          }
          startRetries.push({ atSec: at(), what: what.slice(0, 200) });
          await sleep(1_000);
        }
      }
    };
    // watchdog: an agent that exited without our kill -9 (a crash, a kill from outside) is counted and restarted
    const unexpectedExits: { atSec: number; what: string }[] = [];
    let watching = true;
    const watchdog = setInterval(() => {
      if (!watching) return;
      for (const a of agents) {
        if (a.running || starting.has(a) || a.child === undefined) continue;
        const what = `${names.get(a)} exited (${a.child.signalCode ?? a.child.exitCode})`;
        unexpectedExits.push({ atSec: at(), what });
        say(`unexpected exit: ${what}; restarting it`);
        const restart = supervise(a);
        starting.set(a, restart);
        restarts.push(restart.finally(() => starting.delete(a)));
      }
    }, 1_000);
    stops.push(() => clearInterval(watchdog));
    const bag = <T>(items: readonly T[]) => {
      let current: T[] = [];
      return () => {
        if (current.length === 0) {
          current = [...items];
          for (let i = current.length - 1; i > 0; i--) {
            const j = Math.floor(random() * (i + 1));
            [current[i], current[j]] = [current[j], current[i]];
          }
        }
        return current.pop()!;
      };
    };
    // the chaos belongs to the sending phase: it ends when the senders are done or when the sending is stopped
    const chaosOn = () => sending && !halt.signal.aborted;
    const interruptibleSleep = async (ms: number) => {
      const until = Date.now() + ms;
      while (chaosOn() && Date.now() < until) await sleep(Math.min(250, until - Date.now()));
    };
    const killLoop = async () => {
      const kinds = bag<"su" | "cu" | "watcher">(cfg.watchers > 0 ? ["su", "cu", "watcher"] : ["su", "cu"]);
      for (;;) {
        await interruptibleSleep(between(cfg.killEveryMs));
        if (!chaosOn()) return;
        const kind = kinds();
        const pool = (kind === "su" ? [su] : kind === "cu" ? cus : watchers).filter(
          (a) => a.running && !starting.has(a),
        );
        if (pool.length === 0) continue;
        const target = pool[Math.floor(random() * pool.length)];
        const delay = between(cfg.restartDelayMs);
        flush(target);
        await target.kill9();
        kills[kind]++;
        kills.total++;
        events.push({ atSec: at(), what: `kill -9 ${names.get(target)} (restart in ${delay} ms)` });
        say(`kill -9 ${names.get(target)}; ${driver.slots.size} acked`);
        const restart = (async () => {
          await sleep(delay);
          await supervise(target);
        })();
        starting.set(target, restart);
        restarts.push(restart.finally(() => starting.delete(target)));
      }
    };
    const outageLoop = async () => {
      const which = bag<"rpc" | "arlocal">(["rpc", "arlocal"]);
      for (;;) {
        await interruptibleSleep(between(cfg.outageEveryMs));
        if (!chaosOn()) return;
        const w = which();
        const proxy = w === "rpc" ? rpcProxy : arProxy;
        const ms = between(cfg.outageMs);
        await proxy.down();
        events.push({ atSec: at(), what: `${w} outage for ${ms} ms` });
        say(`${w} down for ${ms} ms`);
        await sleep(ms);
        await proxy.up();
        outages[w]++;
        outages.totalDownMs += ms;
      }
    };
    const chaos = Promise.all([cfg.kills ? killLoop() : undefined, cfg.outages ? outageLoop() : undefined]);
    await Promise.all(Array.from({ length: cfg.concurrency }, sender));
    clearTimeout(capTimer);
    sending = false;
    phase = "settling";
    await chaos;
    await Promise.all(restarts);
    const sendSec = r1((Date.now() - tSend) / 1000);
    say(
      `sent: ${driver.slots.size} acked of ${sent} sent (target ${cfg.messages}${sendStopped === null ? "" : `, stopped early: ${sendStopped.reason}`}) in ${sendSec} s; ${kills.total} kills, ${outages.rpc + outages.arlocal} outages`,
    );
    progress();
    if (restartFailures.length > 0) {
      // a failed restart: start the agent again so that the run can settle (the failure is reported)
      for (const a of agents) if (!a.running) await supervise(a);
    }

    // ---- 8. settle: published, committed, finalized ---------------------------------------------------------
    const tSettle = Date.now();
    const settleDeadline = Date.now() + cfg.settleTimeoutMs;
    const problems: string[] = [];
    try {
      await waitFor(
        "the SU to publish every slot",
        () => unpublishedSlots(suStore) === 0,
        cfg.settleTimeoutMs,
        500,
      );
    } catch (error) {
      problems.push(`settle: ${String(error)} (${unpublishedSlots(suStore)} slots unpublished)`);
    }
    const logs = new Map<string, Awaited<ReturnType<typeof readSuLog>>>();
    for (const p of procs) logs.set(p.id, await readSuLog(suUrl, p.id));
    let advancedSec = 0;
    const finalizedSlots = async (p: Proc) => Number((await resultRegistry.latestFinalized(p.id))[1]);
    let lastAdvance = 0;
    for (;;) {
      let left = 0;
      for (const p of procs) left += logs.get(p.id)!.length - (await finalizedSlots(p));
      if (left === 0) break;
      if (Date.now() > settleDeadline) {
        problems.push(`settle: ${left} slots still not finalized after ${cfg.settleTimeoutMs} ms`);
        break;
      }
      // pass every open challenge window (chain time) every few seconds, as `holo devnet --once` does
      if (Date.now() - lastAdvance > 5_000) {
        await hre.network.provider.request({ method: "evm_increaseTime", params: [challengeWindow + 1] });
        await hre.network.provider.request({ method: "evm_mine", params: [] });
        advancedSec += challengeWindow + 1;
        lastAdvance = Date.now();
        say(`${left} slots to finalize; chain time advanced by ${challengeWindow + 1} s`);
      }
      await sleep(1_000);
    }
    const settleSec = r1((Date.now() - tSettle) / 1000);
    const endToEndSec = r1((Date.now() - tSend) / 1000);
    say(`settled in ${settleSec} s`);

    // ---- 9. the watchers' verdicts (every commitment seen and agreed with) ------------------------------------
    phase = "watchers' verdicts";
    const tWatch = Date.now();
    const posted = await resultRegistry.queryFilter(resultRegistry.filters.CommitmentPosted(), fromBlock);
    const ourProcesses = new Set(procs.map((p) => p.id));
    const postedOurs = posted.filter((e) => ourProcesses.has(e.args.process.toLowerCase()));
    type Checks = { id: string; verdict: string }[];
    const verdicts = new Map<string, Checks>();
    if (watchers.length > 0) {
      try {
        await waitFor(
          "the watchers' verdicts on every commitment",
          async () => {
            for (const w of watchers) {
              const r = await getJson(`${w.url}/checks`, 30_000);
              const checks = r.body as unknown as Checks;
              verdicts.set(names.get(w)!, checks);
              if (checks.length < postedOurs.length || checks.some((c) => c.verdict === "pending"))
                return false;
            }
            return true;
          },
          cfg.watcherTimeoutMs,
          2_000,
        );
      } catch (error) {
        problems.push(String(error).slice(0, 300));
      }
    }
    const watchersSec = r1((Date.now() - tWatch) / 1000);
    const watcherFigures: SoakReport["watchers"] = {};
    let watcherDisagreements = 0;
    for (const [name, checks] of verdicts) {
      const agree = checks.filter((c) => c.verdict === "agree").length;
      const pending = checks.filter((c) => c.verdict === "pending").length;
      watcherFigures[name] = { agree, pending, other: checks.length - agree - pending, total: checks.length };
      watcherDisagreements += checks.length - agree - pending;
    }

    watching = false;
    // ---- 10. the checks ---------------------------------------------------------------------------------
    phase = "checks";
    const tCheck = Date.now();
    say("checking the logs, re-executing every process, checking the commitments…");
    let lost = 0;
    let duplicates = 0;
    let logProblems = 0;
    let unexpected = 0;
    const note = (s: string) => {
      if (problems.length < 100) problems.push(s);
    };
    const seen = new Map<string, string>(); // message id → process
    for (const p of procs) {
      const entries = logs.get(p.id)!;
      const fresh = await readSuLog(suUrl, p.id); // again, after everything settled: it must not have changed
      if (fresh.length !== entries.length) {
        logProblems++;
        note(`${p.id}: the log grew from ${entries.length} to ${fresh.length} after sending stopped`);
      }
      const assignments = entries.map((e) => toAssignment(e.node.assignment));
      const brk = findChainBreak(domain, assignments);
      if (brk !== -1) {
        logProblems++;
        note(`${p.id}: hash chain or slot sequence broken at index ${brk}`);
      }
      const bySlot = new Set<number>();
      for (const [i, e] of entries.entries()) {
        const a = e.node.assignment;
        if (bySlot.has(a.slot)) {
          duplicates++;
          note(`${p.id}: slot ${a.slot} held twice`);
        }
        bySlot.add(a.slot);
        if (a.slot !== i) {
          logProblems++;
          note(`${p.id}: log index ${i} holds slot ${a.slot}`);
        }
        if (recoverAssignmentSigner(domain, assignments[i], a.signature) !== suAccount.address) {
          logProblems++;
          note(`${p.id}: slot ${i} not signed by the SU`);
        }
        if (hexlify(Buffer.from(e.node.message.id, "base64url")) !== a.messageId.toLowerCase()) {
          logProblems++;
          note(`${p.id}: slot ${i}: messageId does not match the message`);
        }
        const other = seen.get(e.node.message.id);
        if (other !== undefined) {
          duplicates++;
          note(`message ${e.node.message.id} assigned in ${other} and again in ${p.id} slot ${a.slot}`);
        }
        seen.set(e.node.message.id, p.id);
        if (i > 0 && !driver.slots.has(e.node.message.id)) {
          unexpected++;
          note(`${p.id}: slot ${i} holds a message nobody was answered for`);
        }
      }
    }
    const slotOf = new Map<string, { process: string; slot: number }>();
    for (const p of procs)
      for (const e of logs.get(p.id)!)
        slotOf.set(e.node.message.id, { process: p.id, slot: e.node.assignment.slot });
    for (const [id, answered] of driver.slots) {
      const inLog = slotOf.get(id);
      const expected = procs[processOf.get(id)!].id;
      if (inLog === undefined || inLog.process !== expected) {
        lost++;
        note(`acked message ${id} (slot ${answered[0]} of ${expected}) is not in its process's log`);
        continue;
      }
      if (answered.some((s) => s !== inLog.slot)) {
        duplicates++;
        note(`message ${id} answered slots ${answered.join(",")}, the log has ${inLog.slot}`);
      }
    }

    // fresh re-execution of every process from the SU's log (independent of the CUs)
    const fresh = new Map<string, { resultHash: string; stateHash: string; assignmentHash: string }[]>();
    for (const p of procs) {
      const source = new SuLogSource(suUrl);
      const fast = FastProcess.create(wasm, { memoryLimitPages: MODULE_DEFAULTS.memoryPages });
      const raw = logs.get(p.id)!;
      const out: { resultHash: string; stateHash: string; assignmentHash: string }[] = [];
      while (out.length < raw.length) {
        const page = await source.read(p.id, BigInt(out.length), 500);
        if (page.length === 0) break;
        for (const e of page) {
          if (out.length >= raw.length) break;
          if (keccak256(e.message) !== e.assignment.messageHash) {
            logProblems++;
            note(`${p.id}: slot ${out.length}: message hash mismatch`);
          }
          const r = fast.evaluate(e.message, MODULE_DEFAULTS.stepLimit);
          out.push({
            resultHash: hexlify(r.resultHash),
            stateHash: hexlify(fast.processStateHash()),
            assignmentHash: raw[out.length].node.assignment.hash.toLowerCase(),
          });
        }
      }
      fresh.set(p.id, out);
    }
    const claimOf = (c: Commitment) => {
      const f = fresh.get(c.process.toLowerCase())!;
      const first = Number(c.firstSlot);
      const last = Number(c.lastSlot);
      if (last >= f.length) return undefined;
      const n = last - first + 1;
      const chain = new ResultsChain(
        c.process.toLowerCase(),
        c.firstSlot,
        resultsDepth(n),
        f.slice(first, last + 1).map((s) => s.resultHash),
      );
      return {
        stateHash: f[last].stateHash,
        resultsRoot: chain.roots[n],
        lastAssignmentHash: f[last].assignmentHash,
      };
    };
    const differs = (c: Commitment) => {
      const ours = claimOf(c);
      if (ours === undefined) return "beyond the log";
      const diff = (["stateHash", "resultsRoot", "lastAssignmentHash"] as const).filter(
        (k) => ours[k].toLowerCase() !== c[k].toLowerCase(),
      );
      return diff.length === 0 ? null : diff.join(", ");
    };
    const byId = new Map<string, Commitment>();
    const cuName = new Map(cuAccounts.map((a, i) => [a.address.toLowerCase(), `cu${i + 1}`]));
    const postedByCu: Record<string, number> = {};
    let wrongPosted = 0;
    for (const e of postedOurs) {
      const c = commitmentFromEvent(e.args.c);
      byId.set(e.args.id.toLowerCase(), c);
      const who = cuName.get(c.poster.toLowerCase()) ?? c.poster;
      postedByCu[who] = (postedByCu[who] ?? 0) + 1;
      const d = differs(c);
      if (d !== null) {
        wrongPosted++;
        note(`posted commitment ${e.args.id} [${c.firstSlot}, ${c.lastSlot}] of ${who}: ${d}`);
      }
    }
    const finalizedEvents = (
      await resultRegistry.queryFilter(resultRegistry.filters.CommitmentFinalized(), fromBlock)
    ).filter((e) => ourProcesses.has(e.args.process.toLowerCase()));
    let wrongFinalized = 0;
    const finalizedByCu: Record<string, number> = {};
    const finalizedIds = new Set<string>();
    for (const e of finalizedEvents) {
      const id = e.args.id.toLowerCase();
      finalizedIds.add(id);
      const c = byId.get(id);
      if (c === undefined) {
        wrongFinalized++;
        note(`finalized commitment ${id} was never posted`);
        continue;
      }
      const who = cuName.get(c.poster.toLowerCase()) ?? c.poster;
      finalizedByCu[who] = (finalizedByCu[who] ?? 0) + 1;
      const d = differs(c);
      if (d !== null) {
        wrongFinalized++;
        note(
          `FINALIZED commitment ${id} [${c.firstSlot}, ${c.lastSlot}] of ${who} differs from a fresh run: ${d}`,
        );
      }
    }
    // each process's finalized chain: from its tip back to slot 0, parents intact, covering the log
    let broken = 0;
    let unfinalized = 0;
    for (const p of procs) {
      const [tip, count] = await resultRegistry.latestFinalized(p.id);
      const n = logs.get(p.id)!.length;
      unfinalized += Math.max(0, n - Number(count));
      let id = tip.toLowerCase();
      let expectLast = Number(count) - 1;
      while (id !== ZeroHash) {
        const c = byId.get(id);
        if (c === undefined || !finalizedIds.has(id) || Number(c.lastSlot) !== expectLast) {
          broken++;
          note(`${p.id}: the finalized chain breaks at ${id}`);
          break;
        }
        expectLast = Number(c.firstSlot) - 1;
        id = c.parent.toLowerCase();
      }
      if (id === ZeroHash && expectLast !== -1) {
        broken++;
        note(`${p.id}: the finalized chain does not start at slot 0`);
      }
    }
    const rejected = (
      await resultRegistry.queryFilter(resultRegistry.filters.CommitmentRejected(), fromBlock)
    ).filter((e) => ourProcesses.has(e.args.process.toLowerCase())).length;
    const games = await disputeGame.queryFilter(disputeGame.filters.GameOpened(), fromBlock);
    const gamesOurs = games.filter((g) => byId.has(g.args.commitmentId.toLowerCase()));

    // the SU's Assignment items on ArLocal: exactly one per slot
    let arweaveProblems: number | null = null;
    if (cfg.checkArweave) {
      arweaveProblems = 0;
      for (const p of procs) {
        // distinct item ids per slot: ArLocal's GraphQL pages can list one item twice while it mines
        // (unmined items move in the order), which is not a second Assignment item
        const byNonce = new Map<number, Set<string>>();
        for await (const info of gateway.queryAllByTags({
          tags: [
            { name: "Type", values: ["Assignment"] },
            { name: "Process", values: [p.target] },
          ],
          first: 100,
        })) {
          const nonce = Number(info.tags.find((t) => t.name === "Nonce")?.value);
          const ids = byNonce.get(nonce) ?? new Set<string>();
          ids.add(info.id);
          byNonce.set(nonce, ids);
        }
        const n = logs.get(p.id)!.length;
        for (let s = 0; s < n; s++) {
          const k = byNonce.get(s)?.size ?? 0;
          if (k !== 1) {
            arweaveProblems++;
            note(`${p.id}: slot ${s} has ${k} Assignment items on ArLocal`);
          }
        }
        for (const nonce of byNonce.keys()) {
          if (!(nonce >= 0 && nonce < n)) {
            arweaveProblems++;
            note(`${p.id}: an Assignment item for slot ${nonce}, beyond the log`);
          }
        }
      }
    }
    const checkSec = r1((Date.now() - tCheck) / 1000);

    // ---- 11. memory ------------------------------------------------------------------------------------
    clearInterval(sampler);
    sample();
    samplePublishing();
    const memory: SoakReport["memory"] = { rule: FLAT_RULE, everyMs: cfg.rssEveryMs, agents: {} };
    for (const s of series.values()) {
      const judged: RssSeries = { ...s, ...judgeSeries(s.samples) };
      const m = memory.agents[s.agent] ?? { verdict: "too short", series: [] };
      m.series.push(judged);
      memory.agents[s.agent] = m;
    }
    for (const m of Object.values(memory.agents)) {
      const judged = m.series.filter((s) => s.verdict !== "too short");
      m.verdict =
        judged.length === 0 ? "too short" : judged.every((s) => s.verdict === "flat") ? "flat" : "growing";
    }

    for (const a of agents) flush(a);
    const acked = driver.slots.size;
    const cpu = os.cpus();
    const report: Omit<SoakReport, "failures"> = {
      date: new Date(T0).toISOString(),
      config: cfg,
      machine: {
        cpus: cpu.length,
        cpuModel: cpu[0]?.model ?? "unknown",
        memGiB: r1(os.totalmem() / 2 ** 30),
        node: process.version,
        loadAvg1mAtEnd: r1(os.loadavg()[0], 2),
      },
      messages: {
        target: cfg.messages,
        sent,
        acked,
        sendCappedAtMs: sendStopped?.by === "maxSendMs" ? sendStopped.afterMs : null,
        sendStopped,
        sendRetries: driver.networkErrors,
        refusals: driver.refusals.length,
        backpressureWaits: driver.backpressureWaits,
        perProcess,
      },
      publishing: { samples: publishing, perMinute: perMinute(publishing) },
      invariants: {
        lost,
        duplicateAssignments: duplicates,
        logProblems,
        unexpectedEntries: unexpected,
        wrongFinalized,
        wrongPosted,
        unfinalizedSlots: unfinalized,
        brokenFinalizedChains: broken,
        gamesOpened: gamesOurs.length,
        watcherDisagreements,
        arweaveProblems,
      },
      commitments: {
        posted: postedOurs.length,
        postedByCu,
        finalized: finalizedEvents.length,
        finalizedByCu,
        challenged: gamesOurs.length,
        pendingAtEnd: postedOurs.length - finalizedEvents.length - rejected,
      },
      watchers: watcherFigures,
      chaos: { kills, outages, restartFailures, unexpectedExits, startRetries, events },
      pages,
      arlocalErrorLines: arlocal.errors(),
      timing: {
        setupSec,
        sendSec,
        ackedPerSec: r1(acked / sendSec),
        settleSec,
        endToEndSec,
        endToEndMsgsPerSec: r1(acked / endToEndSec),
        watchersSec,
        checkSec,
        wallSec: at(),
        chainTimeAdvancedSec: advancedSec,
      },
      memory,
      problems,
      dir: null,
    };
    const failures = [...soakFailures(report), ...restartFailures.map((f) => `restart failed: ${f}`)];
    if (problems.some((p) => p.startsWith("settle:")))
      failures.push(problems.find((p) => p.startsWith("settle:"))!);
    failed = failures.length > 0;
    const keep = failed || cfg.keepDir;
    return { ...report, failures, dir: keep ? dir : null };
  } finally {
    for (const a of agents) {
      try {
        flush(a);
      } catch {
        // best effort
      }
    }
    for (const s of stops.reverse()) {
      try {
        await s();
      } catch {
        // best effort: the rest still stops
      }
    }
    if (!failed && !cfg.keepDir) fs.rmSync(dir, { recursive: true, force: true });
    else log(`run directory kept: ${dir} (agent logs in ${logsDir})`);
  }
}

/** Slots published per second in each minute of `samples` ([sec, assigned, published]), and the backlog then. */
export function perMinute(
  samples: readonly [number, number, number][],
): SoakReport["publishing"]["perMinute"] {
  const out: SoakReport["publishing"]["perMinute"] = [];
  if (samples.length < 2) return out;
  const end = samples[samples.length - 1][0];
  for (let m = 0; m * 60 < end; m++) {
    const inMinute = samples.filter(([t]) => t >= m * 60 && t <= (m + 1) * 60);
    const before = [...samples].reverse().find(([t]) => t <= m * 60) ?? samples[0];
    const last = inMinute[inMinute.length - 1] ?? before;
    const secs = last[0] - before[0];
    out.push({
      minute: m,
      publishedPerSec: secs > 0 ? r1((last[2] - before[2]) / secs) : 0,
      backlogAtEnd: last[1] - last[2],
    });
  }
  return out;
}

/** A short human summary of a report (bench output, test logs). */
export function summarize(r: SoakReport): string {
  const i = r.invariants;
  const mem = Object.entries(r.memory.agents)
    .map(([a, m]) => {
      const longest = [...m.series].sort((x, y) => y.samples.length - x.samples.length)[0];
      return `${a}: ${m.verdict}${longest?.ratio == null ? "" : ` (${longest.firstQuartileMedianMiB} → ${longest.lastQuartileMedianMiB} MiB)`}`;
    })
    .join("; ");
  const stopped = r.messages.sendStopped;
  return [
    `messages: ${r.messages.sent} sent of a target of ${r.messages.target}, ${r.messages.acked} acked over ${r.config.processes} processes (${r.messages.sendRetries} send retries, ${r.messages.backpressureWaits} back-pressure waits)`,
    ...(stopped === null
      ? []
      : [
          `TARGET NOT REACHED: the sending phase was stopped after ${r1(stopped.afterMs / 1000)} s (${stopped.reason}) with ` +
            `${r.messages.sent} of ${r.messages.target} messages sent; every figure below is over the ${r.messages.sent} sent`,
        ]),
    `publishing (slots/s per minute, backlog): ${r.publishing.perMinute.map((m) => `${m.minute}:${m.publishedPerSec}/${m.backlogAtEnd}`).join(" ")}`,
    `invariants: lost ${i.lost}, duplicate assignments ${i.duplicateAssignments}, log problems ${i.logProblems}, ` +
      `unexpected entries ${i.unexpectedEntries}, wrong finalized ${i.wrongFinalized}, wrong posted ${i.wrongPosted}, ` +
      `unfinalized slots ${i.unfinalizedSlots}, broken finalized chains ${i.brokenFinalizedChains}, games ${i.gamesOpened}, ` +
      `watcher disagreements ${i.watcherDisagreements}, Arweave problems ${i.arweaveProblems ?? "not checked"}`,
    `commitments: ${r.commitments.posted} posted ${JSON.stringify(r.commitments.postedByCu)}, ${r.commitments.finalized} finalized ` +
      `${JSON.stringify(r.commitments.finalizedByCu)}, ${r.commitments.challenged} challenged, ${r.commitments.pendingAtEnd} pending at the end`,
    `watchers: ${JSON.stringify(r.watchers)}`,
    `chaos: kills ${JSON.stringify(r.chaos.kills)}, outages ${JSON.stringify(r.chaos.outages)}, restart failures ${r.chaos.restartFailures.length}, failed starts retried ${r.chaos.startRetries.length}, unexpected exits ${r.chaos.unexpectedExits.length}`,
    `timing: setup ${r.timing.setupSec} s, send ${r.timing.sendSec} s (${r.timing.ackedPerSec} acked/s), settle ${r.timing.settleSec} s, ` +
      `end to end ${r.timing.endToEndSec} s (${r.timing.endToEndMsgsPerSec} msgs/s), watchers ${r.timing.watchersSec} s, checks ${r.timing.checkSec} s, wall ${r.timing.wallSec} s`,
    `memory: ${mem}`,
    `ArLocal error lines: ${r.arlocalErrorLines}`,
    `pages: ${r.pages.length}${r.pages.length > 0 ? ` (first: ${JSON.stringify(r.pages.slice(0, 3))})` : ""}`,
    (r.failures.length === 0 ? "PASS" : `FAIL: ${r.failures.join("; ")}`) +
      (stopped === null
        ? ""
        : ` (over ${r.messages.sent} of the ${r.messages.target} messages: sending stopped early)`),
  ].join("\n");
}

/**
 * What the harness applies to ArLocal's SQLite database (`db.sqlite`) once ArLocal has created it
 * (SOAK_ARLOCAL_TUNE=0: nothing). Found with EXPLAIN QUERY PLAN on a soak's database (docs/reliability.md,
 * "Soak", ArLocal): the watchers' query for a process's Assignment items (tags `Type`, `Holo-Process`, `Nonce`
 * IN 50 slots; agents/watcher/domain/arweave-log.ts) was driven from `Type = Assignment` — every Assignment item
 * of every process, a cost growing with the database, paid by 2 watchers × 20 processes every poll — because
 * without statistics SQLite takes the first of three equal-looking lookups on `tags_name_value`. Planner
 * statistics (`sqlite_stat1`, written by hand: node-sqlite3 has no STAT4 histograms) that call a (name, value)
 * lookup unselective make it start from the `Nonce` values (≈ processes rows per slot: a constant cost) and
 * check the other tags by `tags_tx_id_name`; the partial indexes give the tag names that pick a process their
 * own, selective, statistics. `/mine` looked for unmined transactions with `block = ''` (no index: a scan of
 * every transaction, twice per mine) and chunks by `data_root` (a scan): indexed. The last statement changes
 * the schema, so ArLocal's open connection reloads it, statistics included.
 */
export const ARLOCAL_TUNING = `
CREATE INDEX IF NOT EXISTS holo_tags_nonce ON tags(value) WHERE name IN ('Nonce');
CREATE INDEX IF NOT EXISTS holo_tags_process ON tags(value) WHERE name IN ('Process');
CREATE INDEX IF NOT EXISTS holo_tags_holo_process ON tags(value) WHERE name IN ('Holo-Process');
CREATE INDEX IF NOT EXISTS holo_transactions_block ON transactions(block);
CREATE INDEX IF NOT EXISTS holo_chunks_data_root ON chunks(data_root);
ANALYZE sqlite_schema;
DELETE FROM sqlite_stat1 WHERE tbl = 'tags';
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
  ('tags', 'holo_tags_nonce', '1000000 40'),
  ('tags', 'holo_tags_process', '1000000 5000'),
  ('tags', 'holo_tags_holo_process', '1000000 5000'),
  ('tags', 'tags_name_value', '1000000 100000 20000'),
  ('tags', 'tags_name', '1000000 100000'),
  ('tags', 'tags_tx_id_name', '1000000 12 1'),
  ('tags', 'sqlite_autoindex_tags_1', '1000000 12 1');
CREATE INDEX IF NOT EXISTS holo_blocks_created_at ON blocks(created_at);
`;

/**
 * ArLocal (persist mode, data in `dir`) in a child process of its own; its output goes to `logFile` (ArLocal
 * prints every refused insert there: `arlocalErrors` counts them). `tune`: {@link ARLOCAL_TUNING} is applied once
 * it has started.
 */
async function startArLocalProcess(dir: string, logFile: string, tune = true) {
  const port = await freePort();
  fs.mkdirSync(dir, { recursive: true });
  const out = fs.openSync(logFile, "a");
  const script =
    'const A = require("arlocal").default; const [port, dir] = process.argv.slice(1);' +
    "new A(Number(port), false, dir, true).start().then(() => {" +
    (tune
      ? `const D = require("better-sqlite3"); const db = new D(require("path").join(dir, "db.sqlite"));` +
        `try { db.exec(${JSON.stringify(ARLOCAL_TUNING)}); console.log('soak-arlocal-tuned'); }` +
        ` catch (e) { console.log('soak-arlocal-tune-failed: ' + e.message); } finally { db.close(); }`
      : "") +
    "console.log('soak-arlocal-ready'); });" +
    // a Ctrl-C reaches the whole process group: the harness (bench/soak.ts) then settles and checks, which
    // needs ArLocal; it is stopped with SIGTERM
    'process.on("SIGINT", () => undefined);' +
    // gone with its parent, however the parent ended
    "const parent = process.ppid; setInterval(() => { try { process.kill(parent, 0); } catch { process.exit(0); } }, 1000);";
  const child = spawn(process.execPath, ["-e", script, String(port), dir], {
    cwd: path.join(__dirname, "..", ".."),
    stdio: ["ignore", out, out],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    "ArLocal to start",
    async () => {
      if (child.exitCode !== null) throw new Error(`ArLocal exited with ${child.exitCode}`);
      if (!fs.readFileSync(logFile, "utf8").includes("soak-arlocal-ready")) return false;
      return (await fetch(`${url}/info`, { signal: AbortSignal.timeout(2_000) })).ok;
    },
    60_000,
    200,
  );
  return {
    url,
    port,
    pid: child.pid!,
    /** Lines of ArLocal's output that report an error (e.g. a refused duplicate insert). */
    errors: () => (fs.readFileSync(logFile, "utf8").match(/SQLITE_CONSTRAINT|Error:/g) ?? []).length,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
      fs.closeSync(out);
    },
  };
}

/**
 * Shared set-up of the reliability suites (crash, outage, HTTP bad input) and bench/e2e.ts: a devnet made of
 * the in-process Hardhat chain served over JSON-RPC (cli/lib/jsonrpc.ts) and ArLocal, the scheduler and
 * compute units run as real child processes through their bin launchers, a message driver, and the checks
 * every suite ends with (assignments, Arweave publications, commitments, results).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

import type { JWKInterface } from "@dha-team/arbundles";
import ArLocal from "arlocal";
import Arweave from "arweave";
import Database from "better-sqlite3";
import { HDNodeWallet, ZeroHash, hexlify, keccak256 } from "ethers";
import hre from "hardhat";

import { ArweaveClient, WalletFunding, createSignedMessage } from "../../agents/common/arweave";
import { createLogger } from "../../agents/common/log";
import { SuLogSource } from "../../agents/compute/domain/su-client";
import { processTarget } from "../../agents/scheduler/domain/scheduler";
import { startJsonRpcServer, type RunningJsonRpcServer } from "../../cli/lib/jsonrpc";
import { FastProcess } from "../../machine/fast";
import { findChainBreak, recoverAssignmentSigner, type Assignment } from "../../sdk/ts/assignments";
import { commitmentId, type Commitment } from "../../sdk/ts/results";
import { commitmentFromEvent } from "../../agents/common/games";
import { deployGameSystem, type GameSystem } from "../helpers/game";

export const ROOT = path.join(__dirname, "..", "..");
export const quiet = createLogger({ agent: "reliability-test", level: "silent" });

const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

/** The private key of Hardhat's default account `index` (2 = deployGameSystem's scheduler, 3 = its CU). */
export function accountKey(index: number): string {
  return HDNodeWallet.fromPhrase(HARDHAT_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`).privateKey;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns something other than `undefined`/`false`; throws naming `what`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`,
      );
    }
    await sleep(everyMs);
  }
}

/** A seeded PRNG (mulberry32): the same seed gives the same kill schedule. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- devnet ------------------------------------------------------------------------------------

export interface Devnet {
  sys: GameSystem;
  dir: string;
  rpc: RunningJsonRpcServer;
  rpcPort: number;
  rpcUrl: string;
  arlocal: Stoppable;
  arPort: number;
  arDir: string;
  gateway: string;
  wallet: JWKInterface;
  walletFile: string;
  wasmFile: string;
  /** The SU's and CU's EVM keys (deployGameSystem's scheduler and cu accounts). */
  suKey: string;
  cuKey: string;
}

let jwk: JWKInterface | undefined;
async function arweaveWallet(): Promise<JWKInterface> {
  jwk ??= (await Arweave.init({}).wallets.generate()) as JWKInterface;
  return jwk;
}

export interface Stoppable {
  stop(): Promise<void>;
}

/** ArLocal on `port`, its data kept in `dir` (persist mode). */
export async function startArlocal(port: number, dir: string): Promise<Stoppable> {
  const a = new ArLocal(port, false, dir, true);
  await a.start();
  return a;
}

/**
 * ArLocal in a child process of its own, as a gateway is: its work (indexing every item of a bundle when it
 * mines) then does not run on the caller's event loop. The benches use it so a mine does not stall the load
 * they generate or the chain they serve.
 */
export async function startArlocalProcess(port: number, dir: string): Promise<Stoppable> {
  const script =
    `const ArLocal = require("arlocal").default; const a = new ArLocal(${port}, false, ${JSON.stringify(dir)}, true);` +
    `a.start().then(() => process.stdout.write("ready\\n"));` +
    `process.on("SIGTERM", () => a.stop().finally(() => process.exit(0)));`;
  const child = spawn(process.execPath, ["-e", script], { cwd: ROOT });
  let err = "";
  child.stderr.on("data", (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (c: Buffer) => {
      if (c.toString().includes("ready")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`arlocal exited with ${code}: ${err}`)));
  });
  return {
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Deploys the game system (counter process; a small commitment stake so that many commitments fit in the
 * CU's bond), serves the chain over JSON-RPC and starts a persistent ArLocal with a funded wallet.
 */
export async function startDevnet(
  prefix: string,
  options: { arlocalProcess?: boolean } = {},
): Promise<Devnet> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const sys = await deployGameSystem("counter", { commitmentStake: 10n ** 15n });
  const rpc = await startJsonRpcServer(hre, "127.0.0.1", 0);
  const arPort = await freePort();
  const arDir = path.join(dir, "arlocal");
  const arlocal = await (options.arlocalProcess === true ? startArlocalProcess : startArlocal)(arPort, arDir);
  const gateway = `http://127.0.0.1:${arPort}`;
  const wallet = await arweaveWallet();
  const client = new ArweaveClient({ url: gateway, wallet, local: true, logger: quiet });
  await new WalletFunding(client).fund(wallet, 10n ** 15n);
  const walletFile = path.join(dir, "wallet.json");
  fs.writeFileSync(walletFile, JSON.stringify(wallet));
  const wasmFile = path.join(dir, "counter.wasm");
  fs.writeFileSync(wasmFile, sys.wasm);
  const suKey = accountKey(2);
  const cuKey = accountKey(3);
  if (new hre.ethers.Wallet(suKey).address !== sys.scheduler.address)
    throw new Error("scheduler key mismatch");
  if (new hre.ethers.Wallet(cuKey).address !== sys.cu.address) throw new Error("cu key mismatch");
  return {
    sys,
    dir,
    rpc,
    rpcPort: rpc.port,
    rpcUrl: `http://127.0.0.1:${rpc.port}`,
    arlocal,
    arPort,
    arDir,
    gateway,
    wallet,
    walletFile,
    wasmFile,
    suKey,
    cuKey,
  };
}

export async function stopDevnet(d: Devnet | undefined): Promise<void> {
  if (d === undefined) return;
  await d.rpc.close(0).catch(() => undefined);
  await d.arlocal.stop().catch(() => undefined);
  fs.rmSync(d.dir, { recursive: true, force: true });
}

// ---- agents as child processes ------------------------------------------------------------------

export type AgentKind = "su" | "cu";
/** Every agent an {@link AgentProcess} can run (the watcher too: test/e2e/soak-harness.ts). */
export type AnyAgentKind = AgentKind | "watcher";

/** The bin launcher of each agent kind. */
export const AGENT_BINS: Record<AnyAgentKind, string> = {
  su: "agents/scheduler/bin/holo-su.js",
  cu: "agents/compute/bin/holo-cu.js",
  watcher: "agents/watcher/bin/holo-watcher.js",
};

/** One agent run as a child process through its bin launcher; `start()` again after a kill restarts it. */
export class AgentProcess<K extends AnyAgentKind = AgentKind> {
  child: ChildProcessWithoutNullStreams | undefined;
  url = "";
  starts = 0;
  /** The JSON log lines of every run, in order. */
  readonly lines: Record<string, unknown>[] = [];
  private stderr = "";

  constructor(
    readonly kind: K,
    private readonly args: string[],
    private readonly env: Record<string, string>,
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the agent and resolves with its URL once it logged `<kind>.started`. */
  async start(timeoutMs = 60_000): Promise<string> {
    const bin = AGENT_BINS[this.kind];
    // HOLO_AGENT_NODE_ARGS: extra node flags for the agents (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to
    // profile them in a bench run; NODE_OPTIONS refuses --cpu-prof)
    const nodeArgs = (process.env.HOLO_AGENT_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
    const child = spawn(process.execPath, [...nodeArgs, bin, ...this.args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...this.env },
    });
    this.child = child;
    this.starts++;
    let buffered = "";
    child.stdout.on("data", (c: Buffer) => {
      buffered += c.toString();
      const parts = buffered.split("\n");
      buffered = parts.pop()!;
      for (const l of parts) {
        try {
          this.lines.push(JSON.parse(l) as Record<string, unknown>);
        } catch {
          this.lines.push({ raw: l });
        }
      }
    });
    child.stderr.on("data", (c: Buffer) => {
      this.stderr = (this.stderr + c.toString()).slice(-4000);
    });
    const from = this.lines.length;
    const line = await waitFor(
      `${this.kind} to start`,
      () => {
        const s = this.lines.slice(from).find((l) => l.event === `${this.kind}.started`);
        if (s !== undefined) return s;
        if (child.exitCode !== null) {
          throw new Error(
            `${this.kind} exited with ${child.exitCode}: ${this.stderr}\n${JSON.stringify(this.lines.slice(from))}`,
          );
        }
        return undefined;
      },
      timeoutMs,
      25,
    );
    this.url = String(line.url);
    return this.url;
  }

  /** kill -9, resolving once the process is gone. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGKILL");
    await exited;
  }

  /** SIGTERM (a clean stop), SIGKILL after `graceMs`; resolves with the exit code. */
  async stop(graceMs = 15_000): Promise<number | null> {
    const child = this.child;
    if (child === undefined) return null;
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Lines whose `event` (or `msg`) matches. */
  events(match: RegExp): Record<string, unknown>[] {
    return this.lines.filter((l) => match.test(String(l.event ?? "")) || match.test(String(l.msg ?? "")));
  }
}

export interface AgentOptions {
  suPort: number;
  cuPort: number;
  suStore: string;
  cuStore: string;
  publishEvery?: string;
  commitEverySlots?: number;
  commitEveryMs?: string;
  pollMs?: string;
  /** Where the agents reach the chain and the gateway (default `d.rpcUrl`, `d.gateway`; e.g. an OutageProxy). */
  rpcUrl?: string;
  gateway?: string;
  /** More flags for each agent (e.g. `--start-retry-max 1s`). */
  suArgs?: string[];
  cuArgs?: string[];
}

/** The SU and CU of `d` as child processes on fixed ports (so a restart keeps its URL). */
export function makeAgents(d: Devnet, o: AgentOptions): { su: AgentProcess; cu: AgentProcess } {
  const su = new AgentProcess(
    "su",
    [
      "--rpc-url",
      o.rpcUrl ?? d.rpcUrl,
      "--chain-id",
      "31337",
      "--process-registry",
      d.sys.domain.verifyingContract as string,
      "--arweave-url",
      o.gateway ?? d.gateway,
      "--arweave-wallet",
      d.walletFile,
      "--store-path",
      o.suStore,
      "--processes",
      d.sys.process,
      "--port",
      String(o.suPort),
      "--publish-every",
      o.publishEvery ?? "200ms",
      ...(o.suArgs ?? []),
    ],
    { HOLO_PRIVATE_KEY: d.suKey },
  );
  const cu = new AgentProcess(
    "cu",
    [
      "--rpc-url",
      o.rpcUrl ?? d.rpcUrl,
      "--result-registry",
      d.sys.results.target as string,
      "--process-registry",
      d.sys.domain.verifyingContract as string,
      "--su-url",
      `http://127.0.0.1:${o.suPort}`,
      "--store-path",
      o.cuStore,
      "--port",
      String(o.cuPort),
      "--processes",
      JSON.stringify([{ id: d.sys.process, wasm: d.wasmFile }]),
      "--commit-every-slots",
      String(o.commitEverySlots ?? 10),
      "--commit-every-ms",
      o.commitEveryMs ?? "1s",
      "--poll-ms",
      o.pollMs ?? "100ms",
      ...(o.cuArgs ?? []),
    ],
    { HOLO_PRIVATE_KEY: d.cuKey },
  );
  return { su, cu };
}

// ---- messages ---------------------------------------------------------------------------------

export interface SignedMsg {
  /** The data item id (base64url). */
  id: string;
  bytes: Uint8Array;
}

/** `count` signed AO messages to the process (alternately Increment and Get, as the counter expects). */
export async function signMessages(d: Devnet, count: number, label = "m"): Promise<SignedMsg[]> {
  const out: SignedMsg[] = [];
  for (let i = 0; i < count; i++) {
    const item = await createSignedMessage(d.wallet, {
      target: processTarget(d.sys.process),
      tags: [{ name: "Action", value: i % 3 === 2 ? "Get" : "Increment" }],
      data: `${label} ${i}`,
    });
    out.push({ id: item.id, bytes: new Uint8Array(item.getRaw()) });
  }
  return out;
}

export interface PostAnswer {
  status: number;
  body: Record<string, unknown>;
  /** The `Retry-After` header in seconds, when the answer has one (the SU's 503 PublishBacklogFull). */
  retryAfterSec?: number;
}

/** POST a data item to the SU; throws on a network error (the SU is down). */
export async function postItem(url: string, bytes: Uint8Array, timeoutMs = 10_000): Promise<PostAnswer> {
  const res = await fetch(`${url}/`, {
    method: "POST",
    headers: { "content-type": "application/octet-stream" },
    body: bytes,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const retryAfter = Number(res.headers.get("retry-after") ?? NaN);
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
    ...(Number.isFinite(retryAfter) && retryAfter >= 0 ? { retryAfterSec: retryAfter } : {}),
  };
}

export async function getJson(url: string, timeoutMs = 10_000): Promise<PostAnswer> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/**
 * Sends `msgs` with `concurrency` senders; each message is re-sent until the SU answers 200 (a refused
 * connection or a reset while the SU is down is retried; a 503 with `Retry-After` — the SU's back-pressure,
 * `PublishBacklogFull` — is re-sent after that many seconds, counted in `backpressureWaits`). Records every slot
 * answered per message id: a message answered twice (a re-send after a kill) must get the same slot back.
 */
export class Driver {
  readonly slots = new Map<string, number[]>();
  readonly sentAt = new Map<string, number>();
  readonly acceptedAt = new Map<string, number>();
  networkErrors = 0;
  refusals: PostAnswer[] = [];
  /** 503 answers with Retry-After (the SU's publish backlog full), each waited out before the re-send. */
  backpressureWaits = 0;
  /** Milliseconds the senders spent waiting out Retry-After, summed over senders. */
  backpressureWaitMs = 0;
  private stopped = false;

  constructor(private readonly url: () => string) {}

  private record(id: string, slot: number) {
    const list = this.slots.get(id) ?? [];
    list.push(slot);
    this.slots.set(id, list);
  }

  /** Sends one message until it is accepted; returns its slot. */
  async send(m: SignedMsg): Promise<number> {
    if (!this.sentAt.has(m.id)) this.sentAt.set(m.id, performance.now());
    for (;;) {
      if (this.stopped) throw new Error("driver stopped");
      try {
        const r = await postItem(this.url(), m.bytes);
        if (r.status === 200) {
          const slot = Number(r.body.slot);
          if (r.body.id !== m.id) throw new Error(`the SU answered id ${String(r.body.id)} for ${m.id}`);
          this.record(m.id, slot);
          if (!this.acceptedAt.has(m.id)) this.acceptedAt.set(m.id, performance.now());
          return slot;
        }
        if (r.status === 503 && r.retryAfterSec !== undefined) {
          // back-pressure: not a refusal of the message, a request to come back later
          this.backpressureWaits++;
          const ms = Math.min(30_000, Math.max(50, r.retryAfterSec * 1000));
          this.backpressureWaitMs += ms;
          await sleep(ms);
          continue;
        }
        this.refusals.push(r);
        await sleep(50);
      } catch (error) {
        if (error instanceof Error && /answered id/.test(error.message)) throw error;
        this.networkErrors++;
        await sleep(50);
      }
    }
  }

  /** Sends every message, `concurrency` at a time, in order of the array. */
  async sendAll(msgs: readonly SignedMsg[], concurrency: number, gapMs = 0): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < msgs.length && !this.stopped) {
        const m = msgs[next++];
        await this.send(m);
        if (gapMs > 0) await sleep(gapMs);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  stop(): void {
    this.stopped = true;
  }
}

// ---- the checks -------------------------------------------------------------------------------

/** The SU's whole log of the devnet's process, read over HTTP page by page (raw JSON entries). */
export async function readSuLog(suUrl: string, process: string) {
  type Entry = {
    cursor: string;
    node: {
      message: { id: string };
      assignment: {
        process: string;
        slot: number;
        messageId: string;
        messageHash: string;
        messageLength: number;
        timestamp: number;
        blockHeight: number;
        prevAssignmentHash: string;
        hash: string;
        signature: string;
      };
    };
  };
  const all: Entry[] = [];
  for (;;) {
    const r = await getJson(`${suUrl}/${process}?from=${all.length}&limit=1000`);
    if (r.status !== 200) throw new Error(`GET /${process} answered ${r.status}: ${JSON.stringify(r.body)}`);
    const edges = r.body.edges as Entry[];
    all.push(...edges);
    if (!(r.body.page_info as { has_next_page: boolean }).has_next_page) return all;
  }
}

/** The Assignment struct of a log entry's JSON. */
export function toAssignment(a: Awaited<ReturnType<typeof readSuLog>>[number]["node"]["assignment"]) {
  return {
    process: a.process,
    slot: BigInt(a.slot),
    messageId: a.messageId,
    messageHash: a.messageHash,
    messageLength: a.messageLength,
    timestamp: BigInt(a.timestamp),
    blockHeight: BigInt(a.blockHeight),
    prevAssignmentHash: a.prevAssignmentHash,
  } satisfies Assignment;
}

/**
 * Assignment checks: slots 0..n-1 with an unbroken hash chain, each signed by the scheduler, one slot per
 * message, every accepted message in the log at the slot it was answered with (and the same slot on every
 * re-send). Returns a list of problems (empty when all hold).
 */
export async function checkAssignments(
  d: Devnet,
  suUrl: string,
  accepted: ReadonlyMap<string, readonly number[]>,
): Promise<{ problems: string[]; n: number }> {
  const problems: string[] = [];
  const log = await readSuLog(suUrl, d.sys.process);
  const assignments = log.map((e) => toAssignment(e.node.assignment));
  const brk = findChainBreak(d.sys.domain, assignments);
  if (brk !== -1) problems.push(`hash chain or slot sequence broken at log index ${brk}`);
  for (const [i, e] of log.entries()) {
    if (e.node.assignment.slot !== i) problems.push(`log index ${i} holds slot ${e.node.assignment.slot}`);
    const signer = recoverAssignmentSigner(d.sys.domain, assignments[i], e.node.assignment.signature);
    if (signer !== d.sys.scheduler.address) problems.push(`slot ${i} signed by ${signer}`);
    if (hexlify(Buffer.from(e.node.message.id, "base64url")) !== e.node.assignment.messageId.toLowerCase()) {
      problems.push(`slot ${i}: messageId does not match the message`);
    }
  }
  const bySlotId = new Map<string, number>();
  for (const e of log) {
    if (bySlotId.has(e.node.message.id)) problems.push(`message ${e.node.message.id} has two slots`);
    bySlotId.set(e.node.message.id, e.node.assignment.slot);
  }
  for (const [id, slots] of accepted) {
    const inLog = bySlotId.get(id);
    if (inLog === undefined) problems.push(`accepted message ${id} (slot ${slots[0]}) is not in the log`);
    for (const s of slots)
      if (s !== inLog) problems.push(`message ${id} answered slot ${s}, log has ${inLog}`);
  }
  if (log.length !== accepted.size)
    problems.push(`the log has ${log.length} slots, ${accepted.size} accepted`);
  return { problems, n: log.length };
}

/** Reads the SU's SQLite file (read-only, beside the running SU): slots not yet in a posted publication. */
export function unpublishedSlots(suStore: string): number {
  const db = new Database(suStore, { readonly: true, fileMustExist: true });
  try {
    return (
      db
        .prepare(
          `SELECT COUNT(*) AS n FROM assignments a LEFT JOIN publications p ON p.id = a.publication
           WHERE a.publication IS NULL OR p.status != 'posted'`,
        )
        .get() as { n: number }
    ).n;
  } finally {
    db.close();
  }
}

/** Slots the SU has assigned, and how many of them are in a posted publication (read-only, from its store). */
export function slotCounts(suStore: string): { assigned: number; published: number } {
  const db = new Database(suStore, { readonly: true, fileMustExist: true });
  try {
    const r = db
      .prepare(
        `SELECT COUNT(*) AS assigned, COUNT(p.id) AS published FROM assignments a
         LEFT JOIN publications p ON p.id = a.publication AND p.status = 'posted'`,
      )
      .get() as { assigned: number; published: number };
    return r;
  } finally {
    db.close();
  }
}

/**
 * Arweave checks: every slot 0..n-1 has exactly one Assignment item on the gateway (tags Process, Nonce),
 * each message item is there, and the items are the ones the SU stored.
 */
export async function checkPublished(d: Devnet, suStore: string, n: number): Promise<string[]> {
  const problems: string[] = [];
  const client = new ArweaveClient({ url: d.gateway, wallet: d.wallet, local: true, logger: quiet });
  const byNonce = new Map<number, Set<string>>();
  for await (const info of client.queryAllByTags({
    tags: [
      { name: "Type", values: ["Assignment"] },
      { name: "Process", values: [processTarget(d.sys.process)] },
    ],
    first: 100,
  })) {
    const nonce = Number(info.tags.find((t) => t.name === "Nonce")?.value);
    const set = byNonce.get(nonce) ?? new Set<string>();
    set.add(info.id);
    byNonce.set(nonce, set);
  }
  const db = new Database(suStore, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare("SELECT slot, item_id, message_id FROM assignments ORDER BY slot").all() as {
      slot: number;
      item_id: string | null;
      message_id: string;
    }[];
    if (rows.length !== n) problems.push(`the SU store has ${rows.length} assignments, the log ${n}`);
    for (const r of rows) {
      const ids = byNonce.get(r.slot);
      if (ids === undefined) problems.push(`slot ${r.slot}: no Assignment item on Arweave`);
      else if (ids.size !== 1) problems.push(`slot ${r.slot}: ${ids.size} Assignment items on Arweave`);
      else if (r.item_id === null || !ids.has(r.item_id))
        problems.push(`slot ${r.slot}: not the stored item`);
    }
    for (const nonce of byNonce.keys()) {
      if (!(nonce >= 0 && nonce < n)) problems.push(`an Assignment item for slot ${nonce}, beyond the log`);
    }
    // every message item of the log is on the gateway, once
    const messages = new Map<string, number>();
    for await (const info of client.queryAllByTags({
      tags: [{ name: "Type", values: ["Message"] }],
      owners: [await client.address()],
      first: 100,
    })) {
      messages.set(info.id, (messages.get(info.id) ?? 0) + 1);
    }
    for (const r of rows) {
      const count = messages.get(r.message_id) ?? 0;
      if (count !== 1) problems.push(`slot ${r.slot}: message ${r.message_id} is on Arweave ${count} times`);
    }
    const pubs = db
      .prepare("SELECT COUNT(*) AS n FROM publications WHERE kind = 'slots' AND status != 'posted'")
      .get() as { n: number };
    if (pubs.n !== 0) problems.push(`${pubs.n} publications not posted`);
  } finally {
    db.close();
  }
  return problems;
}

export interface PostedCommitment {
  id: string;
  c: Commitment;
}

/** Every CommitmentPosted event of the devnet's process, in block order. */
export async function postedCommitments(d: Devnet): Promise<PostedCommitment[]> {
  const events = await d.sys.results.queryFilter(
    d.sys.results.filters.CommitmentPosted(undefined, d.sys.process),
  );
  return events.map((e) => ({ id: e.args.id, c: commitmentFromEvent(e.args.c) }));
}

/** The fresh fast-mode evaluation of the SU's log: per slot the result hash and the state hash after it. */
export async function freshEvaluation(d: Devnet, suUrl: string) {
  const source = new SuLogSource(suUrl);
  const fast = FastProcess.create(d.sys.wasm, { memoryLimitPages: Number(d.sys.P.memoryPages) });
  const out: { resultHash: string; stateHash: string; assignmentHash: string; messageId: string }[] = [];
  const raw = await readSuLog(suUrl, d.sys.process);
  for (;;) {
    const page = await source.read(d.sys.process, BigInt(out.length), 500);
    for (const e of page) {
      if (keccak256(e.message) !== e.assignment.messageHash)
        throw new Error(`slot ${out.length}: hash mismatch`);
      const r = fast.evaluate(e.message, Number(d.sys.P.stepLimit));
      out.push({
        resultHash: hexlify(r.resultHash),
        stateHash: hexlify(fast.processStateHash()),
        assignmentHash: raw[out.length].node.assignment.hash,
        messageId: e.assignment.messageId.toLowerCase(),
      });
    }
    if (page.length < 500) return out;
  }
}

/**
 * Commitment checks against the chain's CommitmentPosted events: contiguous ranges from slot 0 covering
 * every slot, no overlap, each parent the previous commitment's id, one post per range, each claim
 * (stateHash, lastAssignmentHash) equal to the fresh evaluation at its last slot.
 */
export function checkCommitments(
  posted: readonly PostedCommitment[],
  fresh: Awaited<ReturnType<typeof freshEvaluation>>,
  cuAddress: string,
): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  const sorted = [...posted].sort((a, b) => Number(a.c.firstSlot - b.c.firstSlot));
  let expectFirst = 0n;
  let parent = ZeroHash;
  for (const p of sorted) {
    if (ids.has(p.id)) problems.push(`commitment ${p.id} posted twice`);
    ids.add(p.id);
    if (commitmentId(p.c) !== p.id) problems.push(`commitment ${p.id}: id does not match its content`);
    if (p.c.firstSlot !== expectFirst) {
      problems.push(`commitment [${p.c.firstSlot}, ${p.c.lastSlot}] expected to start at ${expectFirst}`);
    }
    if (p.c.parent !== parent) problems.push(`commitment [${p.c.firstSlot}, ${p.c.lastSlot}]: parent broken`);
    if (p.c.poster !== cuAddress) problems.push(`commitment ${p.id} posted by ${p.c.poster}`);
    const last = fresh[Number(p.c.lastSlot)];
    if (last === undefined) problems.push(`commitment up to slot ${p.c.lastSlot}, beyond the log`);
    else {
      if (last.stateHash !== p.c.stateHash.toLowerCase())
        problems.push(`commitment [${p.c.firstSlot}, ${p.c.lastSlot}]: stateHash differs from a fresh run`);
      if (last.assignmentHash.toLowerCase() !== p.c.lastAssignmentHash.toLowerCase())
        problems.push(`commitment [${p.c.firstSlot}, ${p.c.lastSlot}]: lastAssignmentHash differs`);
    }
    expectFirst = p.c.lastSlot + 1n;
    parent = p.id;
  }
  if (expectFirst !== BigInt(fresh.length)) {
    problems.push(`commitments cover slots up to ${expectFirst - 1n}, the log has ${fresh.length}`);
  }
  return problems;
}

/** The CU's results (over /results) equal the fresh evaluation, slot by slot; /state is the last slot's. */
export async function checkResults(
  d: Devnet,
  cuUrl: string,
  fresh: Awaited<ReturnType<typeof freshEvaluation>>,
): Promise<string[]> {
  const problems: string[] = [];
  const got: { cursor: string; node: { ResultHash: string; MessageId: string; Slot: number } }[] = [];
  for (;;) {
    const r = await getJson(`${cuUrl}/results/${d.sys.process}?from=${got.length}&limit=1000`);
    if (r.status !== 200) throw new Error(`GET /results answered ${r.status}`);
    got.push(...(r.body.edges as typeof got));
    if (!(r.body.page_info as { has_next_page: boolean }).has_next_page) break;
  }
  if (got.length !== fresh.length) problems.push(`the CU has ${got.length} results, the log ${fresh.length}`);
  for (const [i, f] of fresh.entries()) {
    const g = got[i];
    if (g === undefined) break;
    if (g.node.Slot !== i) problems.push(`result ${i} is slot ${g.node.Slot}`);
    if (g.node.ResultHash !== f.resultHash) problems.push(`slot ${i}: result hash differs from a fresh run`);
    if (g.node.MessageId.toLowerCase() !== f.messageId) problems.push(`slot ${i}: another message`);
  }
  const state = await getJson(`${cuUrl}/state/${d.sys.process}`);
  if (state.body.slot !== fresh.length - 1) problems.push(`/state is at slot ${String(state.body.slot)}`);
  if (fresh.length > 0 && state.body.stateHash !== fresh[fresh.length - 1].stateHash) {
    problems.push("/state's stateHash differs from a fresh run");
  }
  return problems;
}

/** Waits until the CU has evaluated `n` slots, its commitments on chain cover them and (unless `published` is
 * false) the SU has published them all. */
export async function waitSettled(
  d: Devnet,
  cuUrl: string,
  suStore: string,
  n: number,
  timeoutMs = 60_000,
  published = true,
) {
  await waitFor(
    `the CU to evaluate ${n} slots`,
    async () => (await getJson(`${cuUrl}/state/${d.sys.process}`)).body.slot === n - 1,
    timeoutMs,
  );
  await waitFor(
    `commitments to cover ${n} slots`,
    async () => {
      const posted = await postedCommitments(d);
      return posted.some((p) => p.c.lastSlot === BigInt(n - 1));
    },
    timeoutMs,
    200,
  );
  if (published) {
    await waitFor(`the SU to publish ${n} slots`, () => unpublishedSlots(suStore) === 0, timeoutMs, 200);
    // A posted bundle's items are listed once ArLocal mines them; a mine that failed under load is redone by the
    // SU's next round (ArweaveClient.settle), so the gateway can trail the SU's "posted" by a round.
    await waitFor(
      `the gateway to list ${n} Assignment items`,
      async () => (await gatewayAssignmentCount(d)) >= n,
      timeoutMs,
      200,
    );
  }
}

/** How many Assignment items of the devnet's process the gateway lists (GraphQL). */
export async function gatewayAssignmentCount(d: Devnet): Promise<number> {
  const client = new ArweaveClient({ url: d.gateway, wallet: d.wallet, local: true, logger: quiet });
  let count = 0;
  for await (const info of client.queryAllByTags({
    tags: [
      { name: "Type", values: ["Assignment"] },
      { name: "Process", values: [processTarget(d.sys.process)] },
    ],
    first: 100,
  })) {
    if (info.id !== "") count++;
  }
  return count;
}

/** {@link waitSettled}; on a timeout the error carries the agents' last log lines (what they were doing). */
export async function settleOrExplain(
  d: Devnet,
  su: AgentProcess,
  cu: AgentProcess,
  suStore: string,
  n: number,
  timeoutMs = 90_000,
): Promise<void> {
  try {
    await waitSettled(d, cu.url, suStore, n, timeoutMs);
  } catch (error) {
    const tail = (a: AgentProcess) =>
      a.lines
        .filter((l) => l.level !== "debug")
        .slice(-12)
        .map((l) => JSON.stringify(l).slice(0, 500))
        .join("\n");
    if (process.env.HOLO_TEST_DUMP) {
      fs.writeFileSync(
        process.env.HOLO_TEST_DUMP,
        [...su.lines, ...cu.lines].map((l) => JSON.stringify(l)).join("\n"),
      );
    }
    throw new Error(
      `${String(error)}\nunpublished slots: ${unpublishedSlots(suStore)}\n--- SU:\n${tail(su)}\n--- CU:\n${tail(cu)}`,
    );
  }
}

/**
 * A TCP proxy on `port` to `target` that can be taken down (listener closed, open connections reset) and
 * brought back on the same port: a gateway outage as the agents see it, without touching the gateway's data.
 */
export class OutageProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    readonly port: number,
    private readonly target: number,
  ) {}

  async up(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target, "127.0.0.1");
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

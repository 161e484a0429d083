/**
 * The watcher's core (docs/agents.md §6): follows the ResultRegistry's `CommitmentPosted` events for its
 * processes, re-executes each process's log (from Arweave: {@link ArweaveLogSource}) in fast mode, compares
 * every commitment's `stateHash`, `resultsRoot` and `lastAssignmentHash` with its own, records a verdict,
 * and on a mismatch opens a game with the shared {@link GamePlayer} and plays it with the honest
 * `CommitmentTrace` built from the same log.
 *
 * Each process's live state is in memory; every re-executed slot (its message, signed assignment, hashes) and
 * every `checkpointEverySlots`-th state are in SQLite with the verdicts, the event cursor and the games. So
 * memory does not grow with the log, and a restart resumes from the latest checkpoint, not from slot 0.
 */
import { hexlify, keccak256, ZeroHash, type TypedDataDomain } from "ethers";

import { ChainError, type ChainClient } from "../../common/chain";
import {
  commitmentFromEvent,
  commitmentFromJson,
  commitmentToJson,
  type GamePlayer,
} from "../../common/games";
import { logPage, type Logger } from "../../common/log";
import type { AgentMetrics } from "../../common/metrics";
import { checkpointInterval, hashPageEnd, Replayer, signedFromJson, signedToJson } from "../../common/replay";
import type { Store } from "../../common/store";
import type { LogEntry, LogSource } from "../../compute/domain/log-source";
import {
  loadRegisteredProcess,
  maxReexecutableStepLimit,
  ProcessMismatchError,
  StepLimitTooLargeError,
  stepProcessOf,
  type RegisteredProcess,
} from "../../common/process";
import type { FastProcess } from "../../../machine/fast";
import { assignmentHash, recoverAssignmentSigner } from "../../../sdk/ts/assignments";
import { CommitmentTrace, ResultsChain, resultsDepth } from "../../../sdk/ts/dispute";
import { commitmentId, type Commitment } from "../../../sdk/ts/results";
import { ProcessRegistry__factory, ResultRegistry__factory } from "../../../typechain-types";
import type { ProcessRegistry, ResultRegistry } from "../../../typechain-types";
import { WatcherError } from "./errors";

const CURSOR_KEY = "watcher.cursor";
const LOG_RANGE = 5_000;
const STATUS_PENDING = 1n;
const STATUS_REJECTED = 3n;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export type Verdict = "pending" | "agree" | "disagree" | "badParent";

export interface WatchSpec {
  id: string;
  wasm: Uint8Array;
}

export interface WatcherOptions {
  store: Store;
  chain: ChainClient;
  player: GamePlayer;
  resultRegistry: string;
  processRegistry: string;
  source: LogSource;
  processes: readonly WatchSpec[];
  logger: Logger;
  metrics?: AgentMetrics;
  /** The first block scanned for commitments (default 0). */
  fromBlock?: number;
  /** Entries asked of the log source per read. */
  pageSize?: number;
  /**
   * The step-mode re-execution speed this watcher counts on (steps per second). When set, a process whose
   * module's step limit cannot be re-executed within half of the game's `clockExtension` at this speed is
   * refused at open (`StepLimitTooLarge`, docs/threat-model.md row 29). Unchecked if unset.
   */
  reexecStepsPerSecond?: number;
  /** Store the state after every slot `s` with `(s + 1) % N = 0` (default 100): restarts and traces start there. */
  checkpointEverySlots?: number;
  /** Delete checkpoints the finalized chain has made useless (default true; {@link Replayer.pruneCheckpoints}). */
  pruneCheckpoints?: boolean;
  /**
   * Reads of a caught-up process back off: after a read that found nothing new, the rounds skip it for
   * `minMs`, doubling up to `maxMs`, until a read finds a slot; a commitment waiting for its slots reads at
   * once. Off when unset (every round reads every process). Saves the gateway most of its queries for
   * quiet processes (two watchers polling 20 processes every second: 40 ArLocal queries a second, an estimated
   * 0.25–0.45 of a core at 6–11 ms each, docs/reliability.md).
   */
  idleBackoff?: { minMs: number; maxMs: number };
  /** The clock of {@link idleBackoff} (ms; default Date.now). */
  now?: () => number;
}

/** A commitment as the watcher judged it. */
export interface CheckRecord {
  id: string;
  commitment: Commitment;
  verdict: Verdict;
  detail: string | null;
  gameId: string | null;
  deadline: number;
}

/** A re-executed slot as stored. */
interface SlotRow {
  slot: number;
  message: Buffer;
  signed: string;
  assignment_hash: string;
  result_hash: string;
  state_hash: string | null;
}

/** One verified, re-executed entry, before {@link Watcher.persist} stores it. */
interface Applied {
  e: LogEntry;
  slot: bigint;
  ah: string;
  rh: string;
  /** The state hash after it, where taken (page ends, checkpoints, known commitment ends). */
  sh: string | null;
  checkpoint: Uint8Array | undefined;
}

interface Watched {
  id: string;
  wasm: Uint8Array;
  memoryPages: number;
  stepLimit: number;
  scheduler: string;
  moduleRoot: string;
  initialStateHash: string;
  domain: TypedDataDomain;
  fast: FastProcess;
  /** The next slot to re-execute (the stored log's length). */
  nextSlot: bigint;
  /** The assignment hash and the state hash after `nextSlot − 1` (ZeroHash and the initial state before). */
  lastAssignmentHash: string;
  stateHash: string;
}

interface CheckRow {
  id: string;
  process: string;
  first_slot: number;
  last_slot: number;
  content: string;
  block: number;
  posted_at: number;
  deadline: number;
  verdict: Verdict;
  detail: string | null;
  game_id: string | null;
  paged: number;
}

/** Checks one log entry against the slot that should come next; throws a named error (ComputeUnit.verify). */
export function verifyEntry(
  w: { id: string; scheduler: string; domain: TypedDataDomain },
  nextSlot: bigint,
  prevHash: string,
  e: LogEntry,
): string {
  const a = e.assignment;
  if (a.process.toLowerCase() !== w.id) {
    throw new WatcherError("WrongProcess", `slot ${nextSlot}: the assignment names process ${a.process}`);
  }
  if (BigInt(a.slot) !== nextSlot) {
    throw new WatcherError("SlotGap", `expected slot ${nextSlot}, the log gave slot ${BigInt(a.slot)}`);
  }
  if (a.prevAssignmentHash.toLowerCase() !== prevHash.toLowerCase()) {
    throw new WatcherError(
      "ChainBroken",
      `slot ${nextSlot}: prevAssignmentHash ${a.prevAssignmentHash} is not ${prevHash}`,
    );
  }
  if (keccak256(e.message) !== a.messageHash.toLowerCase()) {
    throw new WatcherError(
      "HashMismatch",
      `slot ${nextSlot}: keccak(message) is not the assignment's messageHash`,
    );
  }
  let signedLength: bigint | undefined;
  try {
    signedLength = BigInt(a.messageLength);
  } catch {
    signedLength = undefined; // missing or not an integer: a mismatch, not a crash
  }
  if (signedLength !== BigInt(e.message.length)) {
    throw new WatcherError(
      "LengthMismatch",
      `slot ${nextSlot}: the message is ${e.message.length} bytes, not the assignment's messageLength ${a.messageLength}`,
    );
  }
  let signer = "";
  try {
    signer = recoverAssignmentSigner(w.domain, a, e.signature);
  } catch {
    signer = "";
  }
  if (signer.toLowerCase() !== w.scheduler.toLowerCase()) {
    throw new WatcherError(
      "BadSignature",
      `slot ${nextSlot}: the assignment is not signed by scheduler ${w.scheduler}`,
    );
  }
  return assignmentHash(w.domain, a);
}

export class Watcher {
  private readonly watched = new Map<string, Watched>();
  private readonly results: ResultRegistry;
  private readonly registry: ProcessRegistry;
  private readonly pageSize: number;
  private readonly halted = new Map<string, WatcherError>();
  private readonly paged = new Set<string>();
  private readonly checkpointEvery: bigint;
  private readonly replayer: Replayer;
  /** Processes whose last read found nothing new: when the rounds read them again (`idleBackoff`). */
  private readonly idle = new Map<string, { until: number; waitMs: number }>();
  private readonly now: () => number;

  private constructor(private readonly o: WatcherOptions) {
    this.results = ResultRegistry__factory.connect(o.resultRegistry, o.chain.provider);
    this.registry = ProcessRegistry__factory.connect(o.processRegistry, o.chain.provider);
    this.pageSize = o.pageSize ?? 100;
    this.checkpointEvery = checkpointInterval(o.checkpointEverySlots);
    this.now = o.now ?? Date.now;
    const b = o.idleBackoff;
    if (
      b !== undefined &&
      !(Number.isSafeInteger(b.minMs) && b.minMs > 0 && Number.isSafeInteger(b.maxMs) && b.maxMs >= b.minMs)
    ) {
      throw new RangeError(`idleBackoff must have 0 < minMs <= maxMs (integers), got ${JSON.stringify(b)}`);
    }
    this.replayer = new Replayer({
      store: o.store,
      slotsTable: "slots",
      logger: o.logger,
      agent: "watcher",
      error: (code, message) => new WatcherError(code, message),
    });
  }

  /** Reads each process from the chain, checks its module, and restores its state from the store. */
  static async open(o: WatcherOptions): Promise<Watcher> {
    const w = new Watcher(o);
    for (const p of o.processes) await w.follow(p);
    return w;
  }

  private async follow(spec: WatchSpec): Promise<void> {
    const { chainId } = await this.o.chain.provider.getNetwork();
    let p: RegisteredProcess;
    try {
      const maxStepLimit =
        this.o.reexecStepsPerSecond === undefined
          ? undefined
          : maxReexecutableStepLimit(this.o.player.clockExtension, this.o.reexecStepsPerSecond);
      p = await loadRegisteredProcess(this.registry, this.o.processRegistry, chainId, spec.id, spec.wasm, {
        maxStepLimit,
      });
    } catch (error) {
      if (error instanceof ProcessMismatchError) throw new WatcherError(error.code, error.message);
      if (error instanceof StepLimitTooLargeError) {
        throw new WatcherError(error.code, error.message.replace(/^StepLimitTooLarge: /, ""));
      }
      throw error;
    }
    const { id, fast, memoryPages, initialStateHash: initial } = p;
    const w: Watched = {
      id,
      wasm: spec.wasm,
      memoryPages,
      stepLimit: p.stepLimit,
      scheduler: p.scheduler,
      moduleRoot: p.moduleRoot,
      initialStateHash: initial,
      domain: p.domain,
      fast,
      nextSlot: 0n,
      lastAssignmentHash: ZeroHash,
      stateHash: initial,
    };
    // Resume after the last stored slot: the latest checkpoint, then the stored messages after it (each
    // checked against its stored hashes: ResultsChanged if re-execution differs).
    const last = this.o.store.db
      .prepare("SELECT slot, assignment_hash FROM slots WHERE process = ? ORDER BY slot DESC LIMIT 1")
      .get(id) as Pick<SlotRow, "slot" | "assignment_hash"> | undefined;
    if (last !== undefined) {
      const slot = BigInt(last.slot);
      w.fast = this.replayer.stateAt(w, slot);
      w.nextSlot = slot + 1n;
      w.lastAssignmentHash = last.assignment_hash;
      w.stateHash = this.replayer.hashAt(w, slot);
      this.o.source.resume?.(id, slot, last.assignment_hash);
      this.o.logger.info(
        { event: "watcher.process.resumed", process: id, nextSlot: w.nextSlot.toString() },
        "process state restored from the store",
      );
    }
    this.watched.set(id, w);
  }

  get processes(): string[] {
    return [...this.watched.keys()];
  }

  private get(process: string): Watched {
    const w = this.watched.get(process.toLowerCase());
    if (w === undefined) throw new WatcherError("UnknownProcess", `process ${process} is not watched`);
    return w;
  }

  /** The last slot re-executed (−1 before any) and the state hash after it. */
  state(process: string): { slot: bigint; stateHash: string } {
    const w = this.get(process);
    return { slot: w.nextSlot - 1n, stateHash: w.stateHash };
  }

  /** The state hash after stored `slot` (−1: the initial state), computed from a checkpoint if not taken. */
  stateHashAt(process: string, slot: bigint): string {
    const w = this.get(process);
    return slot === w.nextSlot - 1n ? w.stateHash : this.replayer.hashAt(w, slot);
  }

  /**
   * Reads the log past the last re-executed slot and re-executes it, a page at a time, each page stored in
   * one transaction; returns the slots added.
   */
  async evaluate(process: string): Promise<number> {
    const w = this.get(process);
    const halted = this.halted.get(w.id);
    if (halted) throw halted;
    const ends = this.knownEnds(w);
    let n = 0;
    for (;;) {
      const page = await this.o.source.read(w.id, w.nextSlot, this.pageSize);
      const done: Applied[] = [];
      let refused: unknown;
      for (const e of page) {
        let ah: string;
        try {
          ah = verifyEntry(w, w.nextSlot, w.lastAssignmentHash, e);
        } catch (error) {
          if (error instanceof WatcherError) this.halted.set(w.id, error);
          refused = error;
          break;
        }
        done.push(this.apply(w, e, ah, ends));
      }
      w.stateHash = hashPageEnd(done[done.length - 1], w.fast) ?? w.stateHash;
      this.persist(w, done);
      n += done.length;
      if (refused !== undefined) throw refused;
      if (page.length < this.pageSize) return n;
    }
  }

  /**
   * The slots whose state hash a pending commitment will be compared at (its last slot, and its parent's
   * end): hashed as they are re-executed, so a verdict need not rebuild them from a checkpoint.
   */
  private knownEnds(w: Watched): Set<bigint> {
    const rows = this.o.store.db
      .prepare(
        "SELECT first_slot, last_slot FROM checks WHERE process = ? AND verdict = 'pending' AND last_slot >= ?",
      )
      .all(w.id, Number(w.nextSlot)) as { first_slot: number; last_slot: number }[];
    const ends = new Set<bigint>();
    for (const r of rows) {
      ends.add(BigInt(r.last_slot));
      ends.add(BigInt(r.first_slot) - 1n);
    }
    return ends;
  }

  /** Re-executes one verified entry and moves the in-memory cursor; {@link persist} stores it. */
  private apply(w: Watched, e: LogEntry, ah: string, ends: ReadonlySet<bigint>): Applied {
    const out = w.fast.evaluate(e.message, w.stepLimit);
    const slot = w.nextSlot;
    const atCheckpoint = (slot + 1n) % this.checkpointEvery === 0n;
    // Hashing is most of a slot's cost (docs/benchmarks.md): taken only where it can be needed.
    const sh = atCheckpoint || ends.has(slot) ? hexlify(w.fast.processStateHash()) : null;
    const checkpoint = atCheckpoint ? w.fast.checkpoint() : undefined;
    w.nextSlot = slot + 1n;
    w.lastAssignmentHash = ah;
    if (sh !== null) w.stateHash = sh;
    return { e, slot, ah, rh: hexlify(out.resultHash), sh, checkpoint };
  }

  /**
   * Stores re-executed entries and any checkpoint in one transaction. If it fails, the in-memory state is
   * ahead of the store: the process halts (a restart resumes from the store).
   */
  private persist(w: Watched, done: readonly Applied[]): void {
    if (done.length === 0) return;
    try {
      this.o.store.tx((db) => {
        const insert = db.prepare(
          `INSERT INTO slots (process, slot, message, signed, assignment_hash, result_hash, state_hash)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        );
        const keep = db.prepare(
          "INSERT INTO checkpoints (process, slot, state_hash, state) VALUES (?, ?, ?, ?)",
        );
        for (const d of done) {
          insert.run(w.id, Number(d.slot), Buffer.from(d.e.message), signedToJson(d.e), d.ah, d.rh, d.sh);
          if (d.checkpoint !== undefined) keep.run(w.id, Number(d.slot), d.sh!, Buffer.from(d.checkpoint));
        }
      });
    } catch (error) {
      this.halted.set(
        w.id,
        new WatcherError(
          "ProcessHalted",
          `process ${w.id}: storing slots ${done[0].slot}..${done[done.length - 1].slot} failed`,
        ),
      );
      throw error;
    }
    this.o.metrics?.get("holo_watcher_slots_reexecuted_total").inc(done.length);
  }

  /** Stored slots `first..last` of `w`, in order. */
  private rows(w: Watched, first: number, last: number): SlotRow[] {
    return this.o.store.db
      .prepare("SELECT * FROM slots WHERE process = ? AND slot >= ? AND slot <= ? ORDER BY slot")
      .all(w.id, first, last) as SlotRow[];
  }

  /**
   * {@link evaluate}, with failures logged (a log that fails verification pages once) instead of thrown. With
   * `idleBackoff`, a process whose read found nothing new is skipped by the rounds until its wait is over (the
   * wait doubles from `minMs` to `maxMs` and ends with the first new slot); `force` (a pending commitment
   * needs slots not read yet) reads at once.
   */
  private async catchUp(process: string, force = false): Promise<void> {
    const idle = this.idle.get(process);
    if (!force && idle !== undefined && this.now() < idle.until) return;
    try {
      const n = await this.evaluate(process);
      const b = this.o.idleBackoff;
      if (n > 0 || b === undefined) this.idle.delete(process);
      else {
        const waitMs = Math.min(b.maxMs, idle === undefined ? b.minMs : idle.waitMs * 2);
        this.idle.set(process, { until: this.now() + waitMs, waitMs });
      }
    } catch (error) {
      if (error instanceof WatcherError && this.halted.get(process) === error) {
        if (!this.paged.has(process)) {
          this.paged.add(process);
          logPage(
            this.o.logger,
            "livenessAtRisk",
            { process, err: error.message },
            "the log failed verification",
          );
        }
      } else {
        this.o.logger.warn(
          {
            event: "watcher.log.retry",
            process,
            err: error instanceof Error ? error.message : String(error),
          },
          "reading the log failed; retried next round",
        );
      }
    }
  }

  // ---- commitments -----------------------------------------------------------------------------

  /** Every commitment seen, by process and first slot. */
  checks(process?: string): CheckRecord[] {
    const rows = (
      process === undefined
        ? this.o.store.db.prepare("SELECT * FROM checks ORDER BY process, first_slot, block").all()
        : this.o.store.db
            .prepare("SELECT * FROM checks WHERE process = ? ORDER BY first_slot, block")
            .all(process.toLowerCase())
    ) as CheckRow[];
    return rows.map(toCheck);
  }

  check(id: string): CheckRecord | undefined {
    const row = this.o.store.db.prepare("SELECT * FROM checks WHERE id = ?").get(id.toLowerCase()) as
      CheckRow | undefined;
    return row && toCheck(row);
  }

  /** Records the commitments posted for watched processes since the cursor; returns their ids. */
  async scan(): Promise<string[]> {
    const head = await this.o.chain.provider.getBlockNumber();
    let from = this.o.store.meta.get<number>(CURSOR_KEY) ?? this.o.fromBlock ?? 0;
    const found: string[] = [];
    const times = new Map<number, number>();
    while (from <= head) {
      const to = Math.min(head, from + LOG_RANGE - 1);
      for (const p of this.watched.keys()) {
        const logs = await this.results.queryFilter(
          this.results.filters.CommitmentPosted(undefined, p),
          from,
          to,
        );
        for (const ev of logs) {
          const c = commitmentFromEvent(ev.args.c);
          const id = commitmentId(c);
          let postedAt = times.get(ev.blockNumber);
          if (postedAt === undefined) {
            postedAt = (await this.o.chain.provider.getBlock(ev.blockNumber))?.timestamp ?? 0;
            times.set(ev.blockNumber, postedAt);
          }
          const r = this.o.store.db
            .prepare(
              `INSERT OR IGNORE INTO checks (id, process, first_slot, last_slot, content, block, posted_at, deadline, verdict)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending')`,
            )
            .run(
              id,
              p,
              Number(c.firstSlot),
              Number(c.lastSlot),
              commitmentToJson(c),
              ev.blockNumber,
              postedAt,
              Number(ev.args.deadline),
            );
          if (r.changes > 0) {
            found.push(id);
            this.o.logger.info(
              { event: "watcher.commitment.seen", process: p, commitmentId: id, poster: c.poster },
              "commitment seen",
            );
          }
        }
      }
      this.o.store.meta.set(CURSOR_KEY, to + 1);
      from = to + 1;
    }
    return found;
  }

  /**
   * Judges every pending commitment whose slots are re-executed (reading more of the log first); opens a
   * game against each one that disagrees. Returns the ids judged in this call.
   */
  async judge(nowSec: number): Promise<string[]> {
    const judged: string[] = [];
    const pending = this.o.store.db
      .prepare("SELECT * FROM checks WHERE verdict = 'pending' ORDER BY process, first_slot, block")
      .all() as CheckRow[];
    const evaluated = new Set<string>();
    for (const row of pending) {
      const w = this.get(row.process);
      const c = commitmentFromJson(row.content);
      if (c.lastSlot >= w.nextSlot && !evaluated.has(w.id)) {
        evaluated.add(w.id);
        await this.catchUp(w.id, true);
      }
      if (c.lastSlot >= w.nextSlot) {
        this.unavailable(row, w, nowSec);
        continue;
      }
      const verdict = await this.compare(w, c);
      this.o.store.db
        .prepare("UPDATE checks SET verdict = ?, detail = ?, checked_at = ? WHERE id = ?")
        .run(verdict.verdict, verdict.detail, Date.now(), row.id);
      this.o.metrics
        ?.get("holo_watcher_commitments_checked_total")
        .inc({ verdict: verdict.verdict === "agree" ? "agree" : "disagree" });
      judged.push(row.id);
      const fields = { process: w.id, commitmentId: row.id, poster: c.poster, detail: verdict.detail };
      if (verdict.verdict === "agree") {
        this.o.logger.info({ event: "watcher.commitment.agree", ...fields }, "commitment agrees");
      } else if (verdict.verdict === "badParent") {
        this.o.logger.warn(
          { event: "watcher.commitment.badParent", ...fields },
          "commitment continues a wrong parent",
        );
      } else {
        this.o.logger.warn({ event: "watcher.commitment.disagree", ...fields }, "commitment disagrees");
      }
    }
    // Checkpoints the finalized chain has made useless go: one registry read per process judged now.
    for (const process of new Set(pending.filter((r) => judged.includes(r.id)).map((r) => r.process))) {
      await this.pruneCheckpoints(this.get(process));
    }
    // Open games against every disagreeing commitment without one (also after a crash between the two).
    const wrong = this.o.store.db
      .prepare("SELECT * FROM checks WHERE verdict = 'disagree' AND game_id IS NULL ORDER BY block")
      .all() as CheckRow[];
    for (const row of wrong) await this.challenge(row, nowSec);
    return judged;
  }

  /** {@link Replayer.pruneCheckpoints} up to the process's finalized tip; a failed read is retried later. */
  private async pruneCheckpoints(w: Watched): Promise<void> {
    if (this.o.pruneCheckpoints === false) return;
    let slots: bigint;
    try {
      [, slots] = await this.results.latestFinalized(w.id);
    } catch (error) {
      this.o.logger.warn(
        { event: "watcher.checkpoints.retry", process: w.id, err: errorText(error) },
        "reading the finalized tip failed; checkpoints pruned later",
      );
      return;
    }
    if (slots === 0n) return;
    const deleted = this.replayer.pruneCheckpoints(w, slots - 1n);
    if (deleted.length === 0) return;
    this.o.metrics?.get("holo_checkpoints_pruned_total").inc(deleted.length);
    this.o.logger.info(
      {
        event: "watcher.checkpoints.pruned",
        process: w.id,
        slots: deleted,
        finalizedLastSlot: (slots - 1n).toString(),
      },
      "checkpoints before the finalized tip deleted",
    );
  }

  private unavailable(row: CheckRow, w: Watched, nowSec: number): void {
    const detail = `slots up to ${row.last_slot} not on Arweave yet (have ${w.nextSlot})`;
    this.o.store.db.prepare("UPDATE checks SET detail = ? WHERE id = ?").run(detail, row.id);
    const half = row.posted_at + Math.floor((row.deadline - row.posted_at) / 2);
    if (nowSec >= half && row.paged === 0) {
      this.o.store.db.prepare("UPDATE checks SET paged = 1 WHERE id = ?").run(row.id);
      this.o.metrics?.get("holo_watcher_commitments_checked_total").inc({ verdict: "unavailable" });
      logPage(
        this.o.logger,
        "dataMissing",
        { process: w.id, commitmentId: row.id, deadline: row.deadline },
        detail,
      );
    } else {
      this.o.logger.debug(
        { event: "watcher.commitment.waiting", process: w.id, commitmentId: row.id },
        detail,
      );
    }
  }

  private async compare(w: Watched, c: Commitment): Promise<{ verdict: Verdict; detail: string | null }> {
    const first = Number(c.firstSlot);
    const last = Number(c.lastSlot);
    if (c.parent !== ZeroHash) {
      const parent = await this.o.player.commitmentById(c.parent);
      const before = first === 0 ? undefined : this.rows(w, first - 1, first - 1)[0];
      if (
        parent === undefined ||
        before === undefined ||
        parent.stateHash.toLowerCase() !== (before.state_hash ?? this.stateHashAt(w.id, BigInt(first - 1))) ||
        parent.lastAssignmentHash.toLowerCase() !== before.assignment_hash.toLowerCase()
      ) {
        return {
          verdict: "badParent",
          detail: `parent ${c.parent} does not end where our slot ${first - 1} does`,
        };
      }
    }
    const slots = this.rows(w, first, last);
    const n = slots.length;
    if (n !== last - first + 1) {
      throw new WatcherError("SlotGap", `process ${w.id}: slots ${first}..${last} are not all stored`);
    }
    const chain = new ResultsChain(
      w.id,
      c.firstSlot,
      resultsDepth(n),
      slots.map((s) => s.result_hash),
    );
    const ours = {
      stateHash: slots[n - 1].state_hash ?? this.stateHashAt(w.id, c.lastSlot),
      resultsRoot: chain.roots[n],
      lastAssignmentHash: slots[n - 1].assignment_hash,
    };
    const diff = (["stateHash", "resultsRoot", "lastAssignmentHash"] as const).filter(
      (k) => ours[k].toLowerCase() !== c[k].toLowerCase(),
    );
    if (diff.length === 0) return { verdict: "agree", detail: null };
    return { verdict: "disagree", detail: diff.map((k) => `${k} ${c[k]} is not ${ours[k]}`).join("; ") };
  }

  private async challenge(row: CheckRow, nowSec: number): Promise<void> {
    const c = commitmentFromJson(row.content);
    if (c.poster.toLowerCase() === this.o.chain.address.toLowerCase()) return; // never our own
    const status = await this.results.statusOf(c);
    if (status === STATUS_REJECTED) {
      this.o.logger.info(
        { event: "watcher.commitment.rejected", process: row.process, commitmentId: row.id },
        "the wrong commitment is already rejected",
      );
      this.o.store.db.prepare("UPDATE checks SET game_id = '' WHERE id = ?").run(row.id);
      return;
    }
    if (status !== STATUS_PENDING || nowSec >= row.deadline) {
      logPage(
        this.o.logger,
        "moneyAtRisk",
        { process: row.process, commitmentId: row.id },
        "a wrong commitment can no longer be challenged",
      );
      this.o.store.db.prepare("UPDATE checks SET game_id = '' WHERE id = ?").run(row.id);
      return;
    }
    let gameId: string;
    try {
      gameId = await this.o.player.challenge(c);
    } catch (error) {
      const fields = { process: row.process, commitmentId: row.id, err: errorText(error) };
      if (error instanceof ChainError && error.kind === "reverted" && row.paged === 0) {
        // Refused (no unlocked stake for the bond...): retried every round, paged once.
        this.o.store.db.prepare("UPDATE checks SET paged = 1 WHERE id = ?").run(row.id);
        logPage(this.o.logger, "moneyAtRisk", fields, "opening a challenge was refused");
      } else {
        this.o.logger.warn(
          { event: "watcher.challenge.retry", ...fields },
          "opening a challenge failed; retried",
        );
      }
      return;
    }
    this.o.store.db.prepare("UPDATE checks SET game_id = ? WHERE id = ?").run(gameId, row.id);
    this.o.logger.info(
      { event: "watcher.challenged", process: row.process, commitmentId: row.id, gameId },
      "challenge opened",
    );
  }

  /** The honest trace of commitment `c`, from the re-executed log (the GamePlayer's `traceFor`). */
  traceFor(c: Commitment): Promise<CommitmentTrace> {
    try {
      return Promise.resolve(this.trace(c));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private trace(c: Commitment): CommitmentTrace {
    const w = this.get(c.process);
    const first = Number(c.firstSlot);
    const last = Number(c.lastSlot);
    if (BigInt(last) >= w.nextSlot) {
      throw new WatcherError("SlotGap", `slots up to ${last} are not re-executed yet`);
    }
    // The parent state in fast mode from the nearest checkpoint (step mode would take minutes for a
    // commitment late in a long log and could cost the game its clock), then as a step-mode process;
    // CommitmentTrace checks it is the parent's.
    const fast = this.replayer.stateAt(w, BigInt(first - 1));
    const before = first === 0 ? undefined : this.rows(w, first - 1, first - 1)[0];
    // The parent's hash: stored, else that of the state just rebuilt (not a second rebuild from the checkpoint).
    const parentStateHash =
      before === undefined ? w.initialStateHash : (before.state_hash ?? hexlify(fast.processStateHash()));
    const proc = stepProcessOf(fast, w.wasm, w.memoryPages);
    const slots = this.rows(w, first, last).map((r) => ({
      ...signedFromJson(r.signed, r.message.length),
      message: new Uint8Array(r.message),
    }));
    return CommitmentTrace.fromProcess(proc, {
      process: w.id,
      firstSlot: c.firstSlot,
      lastSlot: c.lastSlot,
      slots,
      stepLimit: w.stepLimit,
      prevAssignmentHash: before?.assignment_hash ?? ZeroHash,
      domain: w.domain,
      scheduler: w.scheduler,
      parentStateHash,
      moduleRoot: w.moduleRoot,
    });
  }

  /** One round: scan, judge, play the games, claim payouts. */
  async tick(): Promise<void> {
    for (const p of this.watched.keys()) await this.catchUp(p);
    // Each phase on its own: a failing scan or check must not keep the games from being played.
    const phase = async (name: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (error) {
        this.o.logger.warn(
          { event: "watcher.round.retry", phase: name, err: errorText(error) },
          `${name} failed; retried next round`,
        );
      }
    };
    await phase("scan", async () => {
      await this.scan();
      const block = await this.o.chain.provider.getBlock("latest");
      await this.judge(block?.timestamp ?? Math.floor(Date.now() / 1000));
    });
    await phase("games", () => this.o.player.tick());
    await phase("payouts", () => this.o.player.claimPayouts());
  }
}

function toCheck(r: CheckRow): CheckRecord {
  return {
    id: r.id,
    commitment: commitmentFromJson(r.content),
    verdict: r.verdict,
    detail: r.detail,
    gameId: r.game_id === "" ? null : r.game_id,
    deadline: r.deadline,
  };
}

/**
 * The watcher's core (docs/agents.md §6): follows the ResultRegistry's `CommitmentPosted` events for its
 * processes, re-executes each process's log (from Arweave: {@link ArweaveLogSource}) in fast mode, compares
 * every commitment's `stateHash`, `resultsRoot` and `lastAssignmentHash` with its own, records a verdict,
 * and on a mismatch opens a game with the shared {@link GamePlayer} and plays it with the honest
 * `CommitmentTrace` built from the same log.
 *
 * The processes' states live in memory and are rebuilt from the log at start; the verdicts, the event
 * cursor and the games are in SQLite.
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
import { FastProcess } from "../../../machine/fast";
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

interface SlotRecord {
  entry: LogEntry;
  assignmentHash: string;
  resultHash: string;
  stateHash: string;
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
  slots: SlotRecord[];
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

  private constructor(private readonly o: WatcherOptions) {
    this.results = ResultRegistry__factory.connect(o.resultRegistry, o.chain.provider);
    this.registry = ProcessRegistry__factory.connect(o.processRegistry, o.chain.provider);
    this.pageSize = o.pageSize ?? 100;
  }

  /** Reads each process from the chain, checks its module, and rebuilds its state from the log. */
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
    this.watched.set(id, {
      id,
      wasm: spec.wasm,
      memoryPages,
      stepLimit: p.stepLimit,
      scheduler: p.scheduler,
      moduleRoot: p.moduleRoot,
      initialStateHash: initial,
      domain: p.domain,
      fast,
      slots: [],
    });
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
    const last = w.slots[w.slots.length - 1];
    return { slot: BigInt(w.slots.length) - 1n, stateHash: last?.stateHash ?? w.initialStateHash };
  }

  /** Reads the log past the last re-executed slot and re-executes it; returns the slots added. */
  async evaluate(process: string): Promise<number> {
    const w = this.get(process);
    const halted = this.halted.get(w.id);
    if (halted) throw halted;
    let n = 0;
    for (;;) {
      const next = BigInt(w.slots.length);
      const page = await this.o.source.read(w.id, next, this.pageSize);
      for (const e of page) {
        const slot = BigInt(w.slots.length);
        const prev = w.slots[w.slots.length - 1]?.assignmentHash ?? ZeroHash;
        let ah: string;
        try {
          ah = verifyEntry(w, slot, prev, e);
        } catch (error) {
          if (error instanceof WatcherError) this.halted.set(w.id, error);
          throw error;
        }
        const out = w.fast.evaluate(e.message, w.stepLimit);
        w.slots.push({
          entry: e,
          assignmentHash: ah,
          resultHash: hexlify(out.resultHash),
          stateHash: hexlify(w.fast.processStateHash()),
        });
        n++;
      }
      if (page.length < this.pageSize) return n;
    }
  }

  /** {@link evaluate}, with failures logged (a log that fails verification pages once) instead of thrown. */
  private async catchUp(process: string): Promise<void> {
    try {
      await this.evaluate(process);
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
      if (c.lastSlot >= BigInt(w.slots.length) && !evaluated.has(w.id)) {
        evaluated.add(w.id);
        await this.catchUp(w.id);
      }
      if (c.lastSlot >= BigInt(w.slots.length)) {
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
    // Open games against every disagreeing commitment without one (also after a crash between the two).
    const wrong = this.o.store.db
      .prepare("SELECT * FROM checks WHERE verdict = 'disagree' AND game_id IS NULL ORDER BY block")
      .all() as CheckRow[];
    for (const row of wrong) await this.challenge(row, nowSec);
    return judged;
  }

  private unavailable(row: CheckRow, w: Watched, nowSec: number): void {
    const detail = `slots up to ${row.last_slot} not on Arweave yet (have ${w.slots.length})`;
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
      const before = w.slots[first - 1];
      if (
        parent === undefined ||
        before === undefined ||
        parent.stateHash.toLowerCase() !== before.stateHash ||
        parent.lastAssignmentHash.toLowerCase() !== before.assignmentHash.toLowerCase()
      ) {
        return {
          verdict: "badParent",
          detail: `parent ${c.parent} does not end where our slot ${first - 1} does`,
        };
      }
    }
    const slots = w.slots.slice(first, last + 1);
    const n = slots.length;
    const chain = new ResultsChain(
      w.id,
      c.firstSlot,
      resultsDepth(n),
      slots.map((s) => s.resultHash),
    );
    const ours = {
      stateHash: slots[n - 1].stateHash,
      resultsRoot: chain.roots[n],
      lastAssignmentHash: slots[n - 1].assignmentHash,
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
    const w = this.get(c.process);
    const first = Number(c.firstSlot);
    const last = Number(c.lastSlot);
    if (last >= w.slots.length) {
      return Promise.reject(new WatcherError("SlotGap", `slots up to ${last} are not re-executed yet`));
    }
    // The parent state in fast mode (step mode would take minutes for a commitment late in a long log and
    // could cost the game its clock), then as a step-mode process; CommitmentTrace checks it is the parent's.
    const fast = FastProcess.create(w.wasm, { memoryLimitPages: w.memoryPages });
    for (let s = 0; s < first; s++) fast.evaluate(w.slots[s].entry.message, w.stepLimit);
    const proc = stepProcessOf(fast, w.wasm, w.memoryPages);
    const before = w.slots[first - 1];
    return Promise.resolve(
      CommitmentTrace.fromProcess(proc, {
        process: w.id,
        firstSlot: c.firstSlot,
        lastSlot: c.lastSlot,
        slots: w.slots.slice(first, last + 1).map((s) => s.entry),
        stepLimit: w.stepLimit,
        prevAssignmentHash: before?.assignmentHash ?? ZeroHash,
        domain: w.domain,
        scheduler: w.scheduler,
        parentStateHash: before?.stateHash ?? w.initialStateHash,
        moduleRoot: w.moduleRoot,
      }),
    );
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

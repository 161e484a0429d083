/**
 * The compute unit's core (docs/agents.md §6): follows each process's log, verifies and evaluates every
 * slot in fast mode, stores per-slot results, and posts and finalizes commitments over evaluated ranges.
 *
 * The process state lives in memory; every `checkpointEverySlots` slots it is also stored in SQLite
 * (FastProcess#checkpoint) and published to Arweave. At start it is rebuilt from the latest checkpoint by
 * re-evaluating the stored messages after it; every result hash and state hash is checked against the
 * stored one (`ResultsChanged` otherwise), so stored results never change.
 *
 * Before a commitment is posted its per-slot results are published as one signed ANS-104 item whose id is
 * the commitment's `arweaveRef` (items.ts). Crash safety: the signed item's bytes and id and the commitment
 * content (with that ref) are stored in one transaction before anything is posted; the item is posted unless
 * the gateway has it already; then the commitment goes through the chain client's idempotent send.
 */
import type { DataItem, JWKInterface } from "@dha-team/arbundles";
import { getBytes, hexlify, keccak256, ZeroHash, type TypedDataDomain } from "ethers";
import { Counter, type Registry } from "prom-client";

import { ArweaveError } from "../../common/arweave";
import { ChainError, type ChainClient } from "../../common/chain";
import { commitmentFromEvent } from "../../common/games";
import { logPage, type Logger } from "../../common/log";
import type { AgentMetrics } from "../../common/metrics";
import { checkpointInterval, hashPageEnd, Replayer, signedFromJson, signedToJson } from "../../common/replay";
import type { Store } from "../../common/store";
import type { PublishTarget } from "../../scheduler/domain/publisher";
import {
  loadRegisteredProcess,
  ProcessMismatchError,
  StepLimitTooLargeError,
  stepProcessOf,
  type RegisteredProcess,
} from "../../common/process";
import { FastProcess } from "../../../machine/fast";
import type { MessageResult } from "../../../machine/process";
import { assignmentHash, type Assignment } from "../../../sdk/ts/assignments";
import { recoverAddress } from "../../../sdk/ts/secp256k1";
import { resultsDepth } from "../../../sdk/ts/dispute/game";
import { CommitmentTrace, ResultsChain, type GameTrace, type SlotInput } from "../../../sdk/ts/dispute/trace";
import { commitmentId, type Commitment } from "../../../sdk/ts/results";
import { ProcessRegistry__factory, ResultRegistry__factory } from "../../../typechain-types";
import type { ProcessRegistry, ResultRegistry } from "../../../typechain-types";
import { ComputeError } from "./errors";
import { claimedHashes, faultTrace, type Fault } from "./fault";
import { checkpointItem, idToRef, refToId, resultsItem } from "./items";
import type { LogEntry, LogSource } from "./log-source";

const STATUS_NONE = 0n;
const STATUS_PENDING = 1n;
const STATUS_FINALIZED = 2n;
const STATUS_REJECTED = 3n;

/** IResultRegistry.RejectReason, by its value. */
export const REJECT_REASONS = [
  "ChallengeLost",
  "ParentRejected",
  "SiblingFinalized",
  "ProcessFrozen",
] as const;
export type RejectReasonName = (typeof REJECT_REASONS)[number];

/** The statuses of a recorded commitment still on its way to finalization (or there). */
const LIVE = "('posting', 'posted', 'finalized')";

export interface FollowSpec {
  /** The on-chain process id. */
  id: string;
  /** The module's wasm bytes. */
  wasm: Uint8Array;
}

export interface ComputeOptions {
  store: Store;
  chain: ChainClient;
  resultRegistry: string;
  processRegistry: string;
  source: LogSource;
  processes: readonly FollowSpec[];
  commitEverySlots: number;
  commitEveryMs: number;
  logger: Logger;
  /** holo_cu_* metrics are recorded here when given. */
  metrics?: AgentMetrics;
  /** Entries asked of the log source per read. */
  pageSize?: number;
  now?: () => number;
  /**
   * Where results and checkpoint items are published, and the JWK that signs them. Without it nothing is
   * published and every commitment's `arweaveRef` is zero (logged once at start).
   */
  arweave?: { target: PublishTarget; wallet: JWKInterface };
  /** Store (and publish) the process state every this many slots; default 100. */
  checkpointEverySlots?: number;
  /**
   * Delete checkpoints the finalized chain has made useless (default true): all but the latest at or before
   * the finalized tip's last slot, with Arweave only once their item is posted.
   */
  pruneCheckpoints?: boolean;
  /** Devnet/testing only: claim wrong states or results from a slot on (fault.ts). */
  fault?: Fault;
  /** A registered step limit above this is refused at follow (`StepLimitTooLarge`); unchecked if unset. */
  maxStepLimit?: bigint;
}

/** How many commitments' game traces {@link ComputeUnit.gameTrace} keeps. */
const TRACE_CACHE_SIZE = 4;

/** How many other CUs' commitment contents {@link ComputeUnit} keeps (the oldest read first out). */
const CONTENT_CACHE_SIZE = 256;

/** The default of {@link ComputeOptions.checkpointEverySlots}. */
export { DEFAULT_CHECKPOINT_EVERY_SLOTS } from "../../common/replay";

/** A stored per-slot evaluation. */
export interface Evaluation {
  process: string;
  slot: bigint;
  messageId: string;
  assignmentHash: string;
  result: MessageResult;
  resultHash: string;
  /**
   * The process-state hash after this slot. It is taken only at a page's last slot, at checkpoints and at
   * commitment ends (null elsewhere from {@link ComputeUnit.evaluations} and {@link ComputeUnit.evaluationOf});
   * {@link ComputeUnit.evaluation} and {@link ComputeUnit.stateHashAt} compute a missing one (and store it).
   */
  stateHash: string | null;
  steps: number;
}

export interface CommitmentRow {
  id: string;
  commitment: Commitment;
  /**
   * `pruned`: it can never finalize (a sibling finalized over its first slot, its parent was rejected, the
   * process froze) and it left the registry's Pending set with its stake back (`pruned` names the
   * RejectReason); `rejected`: a game rejected it (`ChallengeLost`).
   */
  status: "posting" | "posted" | "finalized" | "refused" | "pruned" | "rejected";
  deadline: number | null;
  /** For `refused`: the registry's decoded error name. */
  refused: string | null;
  /** For `pruned` and `rejected`: the RejectReason (`SiblingFinalized`, `ParentRejected`, `ProcessFrozen`…). */
  pruned: string | null;
}

/** A stored process-state checkpoint (the state after `slot`). */
export interface CheckpointRow {
  slot: bigint;
  stateHash: string;
  /** Its Holo-Checkpoint item's id, once made (null without Arweave). */
  itemId: string | null;
}

/** The CU's own metrics (registered in the agent's registry, next to the common ones). */
interface CuMetrics {
  checkpoints: Counter;
  published: Counter<"kind">;
  refused: Counter;
  pruned: Counter<"reason">;
}

const cuMetricsByRegistry = new WeakMap<Registry, CuMetrics>();

function cuMetrics(registry: Registry): CuMetrics {
  let m = cuMetricsByRegistry.get(registry);
  if (m === undefined) {
    m = {
      checkpoints: new Counter({
        name: "holo_cu_checkpoints_total",
        help: "Process-state checkpoints stored by the compute unit",
        registers: [registry],
      }),
      published: new Counter({
        name: "holo_cu_arweave_items_posted_total",
        help: "Data items the compute unit posted to Arweave, by kind (results, checkpoint)",
        labelNames: ["kind"],
        registers: [registry],
      }),
      refused: new Counter({
        name: "holo_cu_commitments_refused_total",
        help: "Commitments the ResultRegistry refused (committing for the process stopped)",
        registers: [registry],
      }),
      pruned: new Counter({
        name: "holo_cu_commitments_pruned_total",
        help: "This CU's commitments that could never finalize and were pruned, by RejectReason",
        labelNames: ["reason"],
        registers: [registry],
      }),
    };
    cuMetricsByRegistry.set(registry, m);
  }
  return m;
}

/** One slot evaluated in memory, waiting for {@link ComputeUnit.persist}. */
interface Applied {
  e: LogEntry;
  /** Its assignment hash. */
  ah: string;
  slot: bigint;
  out: ReturnType<FastProcess["evaluate"]>;
  /** Result hash and process-state hash after it, as hex (sh: null where not taken, see {@link apply}). */
  rh: string;
  sh: string | null;
  checkpoint: Uint8Array | undefined;
}

interface Followed {
  id: string;
  fast: FastProcess;
  wasm: Uint8Array;
  memoryPages: number;
  stepLimit: number;
  scheduler: string;
  moduleRoot: string;
  initialStateHash: string;
  domain: TypedDataDomain;
  nextSlot: bigint;
  lastAssignmentHash: string;
  /** The process-state hash after nextSlot − 1 (exact between pages: a page's last slot is always hashed). */
  stateHash: string;
  /**
   * Where this CU's next commitment starts as far as evaluation knows (the slot after its latest recorded
   * one): the slots that end `commitEverySlots` ranges from here are hashed when evaluated.
   */
  commitFrom: bigint;
  /** When the oldest uncommitted slot was evaluated (ms), undefined when none is. */
  pendingSince: number | undefined;
  /** Set when the log failed verification: evaluation of this process stops. */
  halted: ComputeError | undefined;
  /** The id of a finalized tip this CU's own evaluation disagrees with (paged): committing stops. */
  disagreed: string | undefined;
}

interface EvalRow {
  slot: number;
  message_id: string;
  message: Buffer;
  assignment_hash: string;
  result: string;
  result_hash: string;
  state_hash: string | null;
  steps: number;
  signed: string | null;
}

interface CommitRow {
  id: string;
  content: string;
  status: CommitmentRow["status"];
  deadline: number | null;
  refused: string | null;
  pruned: string | null;
}

/** The finalized tip of a process: its id and last slot (none before the first finalization). */
interface Tip {
  id: string;
  lastSlot: bigint;
}

interface PublicationRow {
  item_id: string;
  process: string;
  kind: "results" | "checkpoint";
  raw: Buffer;
  status: "pending" | "posted";
}

/** The assignment's `messageLength` as a bigint; undefined when it is missing or not an integer (an SU that
 * does not serve it): such an entry is a LengthMismatch, not a crash. */
function signedLength(a: Assignment): bigint | undefined {
  try {
    return BigInt(a.messageLength);
  } catch {
    return undefined;
  }
}

function resultToJson(r: MessageResult): string {
  return JSON.stringify(
    r.ok ? { ok: true, items: r.items.map((i) => ({ kind: i.kind, bytes: hexlify(i.bytes) })) } : r,
  );
}

export function resultFromJson(s: string): MessageResult {
  const r = JSON.parse(s) as
    { ok: true; items: { kind: number; bytes: string }[] } | { ok: false; error: number; errorName: string };
  return r.ok ? { ok: true, items: r.items.map((i) => ({ kind: i.kind, bytes: getBytes(i.bytes) })) } : r;
}

function commitmentToJson(c: Commitment): string {
  return JSON.stringify({
    ...c,
    firstSlot: c.firstSlot.toString(),
    lastSlot: c.lastSlot.toString(),
    stake: c.stake.toString(),
  });
}

function commitmentFromJson(s: string): Commitment {
  const o = JSON.parse(s) as Record<string, string>;
  return {
    process: o.process,
    parent: o.parent,
    firstSlot: BigInt(o.firstSlot),
    lastSlot: BigInt(o.lastSlot),
    lastAssignmentHash: o.lastAssignmentHash,
    stateHash: o.stateHash,
    resultsRoot: o.resultsRoot,
    arweaveRef: o.arweaveRef,
    poster: o.poster,
    stake: BigInt(o.stake),
  };
}

export class ComputeUnit {
  private readonly followed = new Map<string, Followed>();
  private readonly results: ResultRegistry;
  private readonly registry: ProcessRegistry;
  private readonly pageSize: number;
  private readonly now: () => number;
  private readonly checkpointEvery: bigint;
  private readonly extra: CuMetrics | undefined;
  private readonly replayer: Replayer;
  /** gameTrace's recent traces, by commitment id (least recently used first). */
  private readonly traces = new Map<string, Promise<GameTrace>>();
  /** Contents of other CUs' commitments read from their CommitmentPosted events, by id. */
  private readonly contents = new Map<string, Commitment>();

  private constructor(private readonly o: ComputeOptions) {
    this.results = ResultRegistry__factory.connect(o.resultRegistry, o.chain.provider);
    this.registry = ProcessRegistry__factory.connect(o.processRegistry, o.chain.provider);
    this.pageSize = o.pageSize ?? 100;
    this.now = o.now ?? Date.now;
    this.checkpointEvery = checkpointInterval(o.checkpointEverySlots);
    this.extra = o.metrics === undefined ? undefined : cuMetrics(o.metrics.registry);
    this.replayer = new Replayer({
      store: o.store,
      slotsTable: "evaluations",
      logger: o.logger,
      agent: "cu",
      error: (code, message) => new ComputeError(code, message),
    });
  }

  /** Opens the compute unit: reads each process from the chain and rebuilds its state from the store. */
  static async open(o: ComputeOptions): Promise<ComputeUnit> {
    const cu = new ComputeUnit(o);
    if (o.fault !== undefined) {
      o.logger.warn(
        { event: "cu.fault", fault: { kind: o.fault.kind, fromSlot: o.fault.fromSlot.toString() } },
        `FAULT INJECTION: this compute unit claims wrong ${o.fault.kind === "state" ? "states" : "results"} from slot ${o.fault.fromSlot} on (devnet/testing only)`,
      );
    }
    if (o.arweave === undefined) {
      o.logger.warn(
        { event: "cu.arweave.off" },
        "no Arweave configured: results and checkpoints are not published and arweaveRef is zero",
      );
    }
    for (const p of o.processes) await cu.follow(p);
    return cu;
  }

  private async follow(spec: FollowSpec): Promise<void> {
    const { chainId } = await this.o.chain.provider.getNetwork();
    let p: RegisteredProcess;
    try {
      p = await loadRegisteredProcess(this.registry, this.o.processRegistry, chainId, spec.id, spec.wasm, {
        maxStepLimit: this.o.maxStepLimit,
      });
    } catch (error) {
      if (error instanceof ProcessMismatchError) throw new ComputeError(error.code, error.message);
      if (error instanceof StepLimitTooLargeError) {
        throw new ComputeError(error.code, error.message.replace(/^StepLimitTooLarge: /, ""));
      }
      throw error;
    }
    const { id, fast, memoryPages, initialStateHash: initial } = p;
    const f: Followed = {
      id,
      fast,
      wasm: spec.wasm,
      memoryPages,
      stepLimit: p.stepLimit,
      scheduler: p.scheduler,
      moduleRoot: p.moduleRoot,
      initialStateHash: initial,
      domain: p.domain,
      nextSlot: 0n,
      lastAssignmentHash: ZeroHash,
      stateHash: initial,
      commitFrom: 0n,
      pendingSince: undefined,
      halted: undefined,
      disagreed: undefined,
    };
    // Rebuild the state from the latest checkpoint and the slots after it; results must not change.
    const last = this.o.store.db
      .prepare(
        "SELECT slot, assignment_hash, state_hash FROM evaluations WHERE process = ? ORDER BY slot DESC LIMIT 1",
      )
      .get(id) as Pick<EvalRow, "slot" | "assignment_hash" | "state_hash"> | undefined;
    if (last !== undefined) {
      f.fast = this.stateAt(f, BigInt(last.slot));
      f.nextSlot = BigInt(last.slot) + 1n;
      f.lastAssignmentHash = last.assignment_hash;
      // A page's last slot is hashed, so the last row normally is; else the cursor (same transaction) has it.
      let sh = last.state_hash;
      if (sh === null) {
        sh = hexlify(f.fast.processStateHash());
        const cursor = this.o.store.db
          .prepare("SELECT next_slot, state_hash FROM cursors WHERE process = ?")
          .get(id) as { next_slot: number; state_hash: string } | undefined;
        if (cursor !== undefined && cursor.next_slot === last.slot + 1 && cursor.state_hash !== sh) {
          throw new ComputeError(
            "ResultsChanged",
            `process ${id} slot ${last.slot}: re-evaluation differs from the stored state`,
          );
        }
        this.storeStateHash(f, BigInt(last.slot), sh);
      }
      f.stateHash = sh;
    }
    f.commitFrom = this.uncommittedFrom(f);
    if (f.commitFrom < f.nextSlot) f.pendingSince = this.now();
    this.followed.set(id, f);
  }

  /** The state after `slot` (−1: the initial state), from the nearest checkpoint ({@link Replayer.stateAt}). */
  private stateAt(f: Followed, slot: bigint): FastProcess {
    return this.replayer.stateAt(f, slot);
  }

  /**
   * The process-state hash after `slot` (−1: the initial state): the stored one, else computed from the
   * nearest checkpoint at or before it ({@link stateAt}, checked against the stored hashes) and stored, so
   * it is computed once. `NotEvaluated` for a slot not evaluated yet.
   */
  stateHashAt(process: string, slot: bigint): string {
    return this.hashAt(this.get(process), slot);
  }

  private hashAt(f: Followed, slot: bigint): string {
    if (slot === f.nextSlot - 1n) return f.stateHash;
    return this.replayer.hashAt(f, slot);
  }

  private storeStateHash(f: Followed, slot: bigint, sh: string): void {
    this.replayer.storeStateHash(f, slot, sh);
  }

  /**
   * Whether a `commitEverySlots` commitment from {@link Followed.commitFrom} ends at `slot`. The state after
   * such a slot is hashed when it is evaluated, as it is at checkpoints (a page's last slot is hashed by
   * {@link evaluate}); any other slot's hash is computed only if ever needed ({@link hashAt}).
   */
  private commitEndsAt(f: Followed, slot: bigint): boolean {
    const n = BigInt(this.o.commitEverySlots);
    return n > 0n && slot >= f.commitFrom && (slot - f.commitFrom + 1n) % n === 0n;
  }

  /** The process ids followed. */
  get processes(): string[] {
    return [...this.followed.keys()];
  }

  private get(process: string): Followed {
    const f = this.followed.get(process.toLowerCase());
    if (f === undefined) throw new ComputeError("UnknownProcess", `process ${process} is not followed`);
    return f;
  }

  /** The latest evaluated slot (−1 before any) and the process-state hash after it. */
  state(process: string): { process: string; slot: bigint; stateHash: string; halted?: string } {
    const f = this.get(process);
    return { process: f.id, slot: f.nextSlot - 1n, stateHash: f.stateHash, halted: f.halted?.message };
  }

  /** Verifies one log entry against the process's cursor; throws a named error. */
  private verify(f: Followed, e: LogEntry): string {
    const a = e.assignment;
    if (a.process.toLowerCase() !== f.id) {
      throw new ComputeError("WrongProcess", `slot ${f.nextSlot}: the assignment names process ${a.process}`);
    }
    if (BigInt(a.slot) !== f.nextSlot) {
      throw new ComputeError("SlotGap", `expected slot ${f.nextSlot}, the log gave slot ${BigInt(a.slot)}`);
    }
    if (a.prevAssignmentHash.toLowerCase() !== f.lastAssignmentHash.toLowerCase()) {
      throw new ComputeError(
        "ChainBroken",
        `slot ${f.nextSlot}: prevAssignmentHash ${a.prevAssignmentHash} is not ${f.lastAssignmentHash}`,
      );
    }
    if (keccak256(e.message) !== a.messageHash.toLowerCase()) {
      throw new ComputeError(
        "HashMismatch",
        `slot ${f.nextSlot}: keccak(message) is not the assignment's messageHash`,
      );
    }
    if (signedLength(a) !== BigInt(e.message.length)) {
      throw new ComputeError(
        "LengthMismatch",
        `slot ${f.nextSlot}: the message is ${e.message.length} bytes, not the assignment's messageLength ${a.messageLength}`,
      );
    }
    const hash = assignmentHash(f.domain, a);
    let signer: string;
    try {
      signer = recoverAddress(hash, e.signature);
    } catch {
      signer = "";
    }
    if (signer.toLowerCase() !== f.scheduler.toLowerCase()) {
      throw new ComputeError(
        "BadSignature",
        `slot ${f.nextSlot}: the assignment is not signed by scheduler ${f.scheduler}`,
      );
    }
    return hash;
  }

  /**
   * Reads the log from the next unevaluated slot (page by page, until the log's end) and evaluates it.
   * Returns how many slots were evaluated. A log that fails verification halts the process (the error is
   * thrown now and on every later call).
   */
  async evaluate(process: string): Promise<number> {
    const f = this.get(process);
    if (f.halted) throw f.halted;
    let n = 0;
    for (;;) {
      const page = await this.o.source.read(f.id, f.nextSlot, this.pageSize);
      // A page is verified and evaluated in memory, then stored in one SQLite transaction (one fsync per
      // page, not per slot). Nothing awaits in between, so no other reader sees the cursor ahead of the store.
      const done: Applied[] = [];
      let refused: unknown;
      for (const e of page) {
        let ah: string;
        try {
          ah = this.verify(f, e);
        } catch (error) {
          if (error instanceof ComputeError) {
            f.halted = error;
            this.o.logger.warn(
              { process: f.id, slot: f.nextSlot.toString(), err: error.message },
              "log refused",
            );
          }
          refused = error;
          break;
        }
        done.push(this.apply(f, e, ah));
      }
      f.stateHash = hashPageEnd(done[done.length - 1], f.fast) ?? f.stateHash;
      this.persist(f, done);
      n += done.length;
      if (refused !== undefined) throw refused;
      if (page.length < this.pageSize) return n;
    }
  }

  /** Evaluates one verified entry and moves the in-memory cursor; {@link persist} stores it. */
  private apply(f: Followed, e: LogEntry, ah: string): Applied {
    const started = performance.now();
    const out = f.fast.evaluate(e.message, f.stepLimit);
    const rh = hexlify(out.resultHash);
    const slot = f.nextSlot;
    const atCheckpoint = (slot + 1n) % this.checkpointEvery === 0n;
    // The hash is most of a slot's cost (docs/benchmarks.md): taken only where it can be needed.
    const sh = atCheckpoint || this.commitEndsAt(f, slot) ? hexlify(f.fast.processStateHash()) : null;
    const checkpoint = atCheckpoint ? f.fast.checkpoint() : undefined;
    f.nextSlot = slot + 1n;
    f.lastAssignmentHash = ah;
    if (sh !== null) f.stateHash = sh;
    this.o.metrics?.get("holo_cu_eval_seconds").observe((performance.now() - started) / 1000);
    return { e, ah, slot, out, rh, sh, checkpoint };
  }

  /**
   * Stores evaluated entries, the cursor after the last one and any checkpoint, in one transaction. If it
   * fails, the in-memory state is ahead of the store: the process stops (a restart rebuilds it).
   */
  private persist(f: Followed, done: readonly Applied[]): void {
    if (done.length === 0) return;
    const last = done[done.length - 1];
    try {
      this.o.store.tx((db) => {
        const insert = db.prepare(
          `INSERT INTO evaluations (process, slot, message_id, message, assignment_hash, result, result_hash, state_hash, steps, signed)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        );
        const keep = db.prepare(
          "INSERT INTO checkpoints (process, slot, state_hash, state) VALUES (?, ?, ?, ?)",
        );
        for (const d of done) {
          insert.run(
            f.id,
            Number(d.slot),
            d.e.assignment.messageId.toLowerCase(),
            Buffer.from(d.e.message),
            d.ah,
            resultToJson(d.out.result),
            d.rh,
            d.sh,
            d.out.steps,
            signedToJson(d.e),
          );
          if (d.checkpoint !== undefined) keep.run(f.id, Number(d.slot), d.sh!, Buffer.from(d.checkpoint));
        }
        db.prepare(
          `INSERT INTO cursors (process, next_slot, last_assignment_hash, state_hash) VALUES (?, ?, ?, ?)
           ON CONFLICT (process) DO UPDATE SET next_slot = excluded.next_slot,
             last_assignment_hash = excluded.last_assignment_hash, state_hash = excluded.state_hash`,
        ).run(f.id, Number(last.slot) + 1, last.ah, last.sh!);
      });
    } catch (error) {
      f.halted = new ComputeError(
        "ProcessHalted",
        `process ${f.id}: storing slots ${done[0].slot}..${last.slot} failed`,
      );
      throw error;
    }
    f.pendingSince ??= this.now();
    const now = this.now();
    for (const d of done) {
      if (d.checkpoint !== undefined) {
        this.extra?.checkpoints.inc();
        this.o.logger.debug(
          { event: "cu.checkpoint", process: f.id, slot: d.slot.toString(), bytes: d.checkpoint.length },
          "checkpoint stored",
        );
      }
      const assignedMs = Number(d.e.assignment.timestamp);
      if (assignedMs > 0 && now >= assignedMs) {
        this.o.metrics?.get("holo_cu_result_latency_seconds").observe((now - assignedMs) / 1000);
      }
    }
    this.o.metrics?.get("holo_cu_slots_evaluated_total").inc(done.length);
  }

  /** A stored evaluation, by slot, with its state hash (computed and stored when it was not taken). */
  evaluation(process: string, slot: bigint): Evaluation | undefined {
    const f = this.get(process);
    const row = this.o.store.db
      .prepare("SELECT * FROM evaluations WHERE process = ? AND slot = ?")
      .get(f.id, Number(slot)) as EvalRow | undefined;
    if (row === undefined) return undefined;
    return { ...this.toEvaluation(f.id, row), stateHash: row.state_hash ?? this.hashAt(f, slot) };
  }

  /** A stored evaluation, by message id (its state hash null where not taken). */
  evaluationOf(process: string, messageId: string): Evaluation | undefined {
    const f = this.get(process);
    const row = this.o.store.db
      .prepare("SELECT * FROM evaluations WHERE process = ? AND message_id = ? ORDER BY slot LIMIT 1")
      .get(f.id, messageId.toLowerCase()) as EvalRow | undefined;
    return row && this.toEvaluation(f.id, row);
  }

  /** Stored evaluations of slots `[from, to]`, at most `limit` (state hashes null where not taken). */
  evaluations(process: string, from: bigint, to: bigint, limit: number): Evaluation[] {
    const f = this.get(process);
    const rows = this.o.store.db
      .prepare(
        "SELECT * FROM evaluations WHERE process = ? AND slot >= ? AND slot <= ? ORDER BY slot LIMIT ?",
      )
      .all(f.id, Number(from), Number(to), limit) as EvalRow[];
    return rows.map((r) => this.toEvaluation(f.id, r));
  }

  private toEvaluation(process: string, r: EvalRow): Evaluation {
    return {
      process,
      slot: BigInt(r.slot),
      messageId: r.message_id,
      assignmentHash: r.assignment_hash,
      result: resultFromJson(r.result),
      resultHash: r.result_hash,
      stateHash: r.state_hash,
      steps: r.steps,
    };
  }

  /**
   * Evaluates `message` against a copy of the process's current state (restored from a checkpoint of
   * the live state; nothing is re-evaluated), leaving the process, the store and the chain untouched.
   */
  dryRun(process: string, message: Uint8Array): { result: MessageResult; resultHash: string; steps: number } {
    const f = this.get(process);
    const copy = FastProcess.restore(f.wasm, { memoryLimitPages: f.memoryPages }, f.fast.checkpoint());
    const out = copy.evaluate(message, f.stepLimit);
    return { result: out.result, resultHash: hexlify(out.resultHash), steps: out.steps };
  }

  /** The stored checkpoints of `process`, by slot. */
  checkpoints(process: string): CheckpointRow[] {
    const f = this.get(process);
    const rows = this.o.store.db
      .prepare("SELECT slot, state_hash, item_id FROM checkpoints WHERE process = ? ORDER BY slot")
      .all(f.id) as { slot: number; state_hash: string; item_id: string | null }[];
    return rows.map((r) => ({ slot: BigInt(r.slot), stateHash: r.state_hash, itemId: r.item_id }));
  }

  // ---- Arweave -------------------------------------------------------------------------------

  /**
   * Makes the Holo-Checkpoint items of stored checkpoints that have none (each signed once; its bytes and
   * id stored before any post) and posts every pending item of `process` (checkpoints and results).
   * Returns the ids posted. Without Arweave, does nothing.
   */
  async publish(process: string): Promise<string[]> {
    const f = this.get(process);
    const ar = this.o.arweave;
    if (ar === undefined) return [];
    const db = this.o.store.db;
    const todo = db
      .prepare(
        "SELECT slot, state_hash, state FROM checkpoints WHERE process = ? AND item_id IS NULL ORDER BY slot",
      )
      .all(f.id) as { slot: number; state_hash: string; state: Buffer }[];
    for (const ck of todo) {
      const item = await checkpointItem(ar.wallet, {
        process: f.id,
        slot: BigInt(ck.slot),
        stateHash: ck.state_hash,
        moduleRoot: f.moduleRoot,
        state: new Uint8Array(ck.state),
      });
      this.o.store.tx(() => {
        this.recordItem(f.id, "checkpoint", BigInt(ck.slot), BigInt(ck.slot), item);
        db.prepare("UPDATE checkpoints SET item_id = ? WHERE process = ? AND slot = ?").run(
          item.id,
          f.id,
          ck.slot,
        );
      });
    }
    const pending = db
      .prepare(
        "SELECT item_id FROM publications WHERE process = ? AND status = 'pending' ORDER BY created_at, rowid",
      )
      .all(f.id) as { item_id: string }[];
    const posted: string[] = [];
    for (const p of pending) {
      if (await this.ensurePublished(p.item_id)) posted.push(p.item_id);
    }
    return posted;
  }

  private recordItem(
    process: string,
    kind: PublicationRow["kind"],
    first: bigint,
    last: bigint,
    item: DataItem,
  ) {
    this.o.store.db
      .prepare(
        `INSERT INTO publications (item_id, process, kind, first_slot, last_slot, raw, status, created_at)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)`,
      )
      .run(item.id, process, kind, Number(first), Number(last), item.getRaw(), this.now());
  }

  /**
   * Posts stored item `id` unless the gateway has it already, and marks it posted. Returns whether it
   * was posted now (false: it was posted before, or the gateway had it).
   */
  private async ensurePublished(id: string): Promise<boolean> {
    const ar = this.o.arweave;
    const db = this.o.store.db;
    const row = db.prepare("SELECT * FROM publications WHERE item_id = ?").get(id) as
      PublicationRow | undefined;
    if (row === undefined) throw new ArweaveError("invalid", `data item ${id} is not in the store`, { id });
    if (row.status === "posted") return false;
    if (ar === undefined)
      throw new ArweaveError("invalid", `data item ${id} is pending but no Arweave is configured`);
    let has = false;
    try {
      await ar.target.getInfo(id);
      has = true;
    } catch (error) {
      if (!(error instanceof ArweaveError && error.kind === "notFound")) throw error;
    }
    let bundleId: string | null = null;
    if (!has) bundleId = (await ar.target.postDataItems([new Uint8Array(row.raw)])).bundleId;
    db.prepare("UPDATE publications SET status = 'posted', bundle_id = ? WHERE item_id = ?").run(
      bundleId,
      id,
    );
    if (!has) this.extra?.published.inc({ kind: row.kind });
    this.o.logger.info(
      {
        event: "cu.arweave.posted",
        process: row.process,
        kind: row.kind,
        itemId: id,
        bundleId,
        recovered: has,
      },
      has ? "data item already on Arweave" : "data item posted to Arweave",
    );
    return !has;
  }

  /** A data item this CU made (results or checkpoint): its bytes, kind, status and bundle, if any. */
  dataItem(
    id: string,
  ): { raw: Uint8Array; kind: string; status: string; bundleId: string | null } | undefined {
    const row = this.o.store.db.prepare("SELECT * FROM publications WHERE item_id = ?").get(id) as
      (PublicationRow & { bundle_id: string | null }) | undefined;
    return (
      row && { raw: new Uint8Array(row.raw), kind: row.kind, status: row.status, bundleId: row.bundle_id }
    );
  }

  // ---- commitments ---------------------------------------------------------------------------

  /** The commitments recorded for `process`, by first slot (then in the order recorded). */
  commitments(process: string): CommitmentRow[] {
    const f = this.get(process);
    const rows = this.o.store.db
      .prepare(
        "SELECT id, content, status, deadline, refused, pruned FROM commitments WHERE process = ? ORDER BY first_slot, rowid",
      )
      .all(f.id) as CommitRow[];
    return rows.map((r) => this.toRow(r));
  }

  private toRow(r: CommitRow): CommitmentRow {
    return {
      id: r.id,
      commitment: commitmentFromJson(r.content),
      status: r.status,
      deadline: r.deadline,
      refused: r.refused,
      pruned: r.pruned,
    };
  }

  /** The latest recorded commitment still live (posting, posted or finalized), if any. */
  private lastLive(f: Followed): CommitmentRow | undefined {
    const row = this.o.store.db
      .prepare(
        `SELECT id, content, status, deadline, refused, pruned FROM commitments WHERE process = ? AND status IN ${LIVE}
         ORDER BY first_slot DESC LIMIT 1`,
      )
      .get(f.id) as CommitRow | undefined;
    return row && this.toRow(row);
  }

  private uncommittedFrom(f: Followed): bigint {
    const last = this.lastLive(f);
    return last === undefined ? 0n : last.commitment.lastSlot + 1n;
  }

  /** The commitment of `process` the registry refused, if any: committing is stopped while there is one. */
  refusedCommitment(process: string): CommitmentRow | undefined {
    return this.commitments(process).find((r) => r.status === "refused");
  }

  /**
   * The operator's action after a refusal: forgets the refused commitment of `process` so that the next
   * {@link commit} records its range again (on the current parent). Returns how many rows were removed.
   */
  retryRefused(process: string): number {
    const f = this.get(process);
    const n = this.o.store.db
      .prepare("DELETE FROM commitments WHERE process = ? AND status = 'refused'")
      .run(f.id).changes;
    if (n > 0) {
      f.pendingSince = this.now();
      this.o.logger.info(
        { event: "cu.commit.retry", process: f.id, removed: n },
        "refused commitment cleared by the operator",
      );
    }
    return n;
  }

  /** The tip of `process`'s finalized chain, from the registry (undefined before the first finalization). */
  private async tip(f: Followed): Promise<Tip | undefined> {
    const [id, slots] = await this.results.latestFinalized(f.id);
    return id === ZeroHash ? undefined : { id: id.toLowerCase(), lastSlot: slots - 1n };
  }

  /**
   * The content of commitment `id`: this CU's own record, else its `CommitmentPosted` event (checked against
   * the id). Undefined when no such event is found.
   */
  private async contentOf(f: Followed, id: string): Promise<Commitment | undefined> {
    const own = this.o.store.db.prepare("SELECT content FROM commitments WHERE id = ?").get(id) as
      Pick<CommitRow, "content"> | undefined;
    if (own !== undefined) return commitmentFromJson(own.content);
    const cached = this.contents.get(id);
    if (cached !== undefined) return cached;
    const logs = await this.results.queryFilter(this.results.filters.CommitmentPosted(id));
    for (const ev of logs) {
      const c = commitmentFromEvent(ev.args.c);
      if (commitmentId(c) !== id || c.process.toLowerCase() !== f.id) continue;
      this.contents.set(id, c);
      // Bounded: one entry per finalized tip read, so it would otherwise grow with the chain's history.
      while (this.contents.size > CONTENT_CACHE_SIZE)
        this.contents.delete(this.contents.keys().next().value!);
      return c;
    }
    return undefined;
  }

  /** The RejectReason of rejected commitment `id`, from its `CommitmentRejected` event (or `fallback`). */
  private async rejectReason(id: string, fallback: string): Promise<string> {
    const logs = await this.results.queryFilter(this.results.filters.CommitmentRejected(id));
    const ev = logs[logs.length - 1];
    return ev === undefined ? fallback : (REJECT_REASONS[Number(ev.args.reason)] ?? fallback);
  }

  /**
   * Prunes this CU's posted commitments of `process` that can never finalize (README "Several compute
   * units"): their parent was rejected (`ParentRejected`, so a superseded chain goes in one pass, in slot
   * order), a sibling finalized over their first slot (`SiblingFinalized`), the process froze at or before
   * their last slot (`ProcessFrozen`) — the registry's order. Each goes through the chain client once (opId
   * `prune:<id>`, `effectDone` = `statusOf(c) = Rejected`) and its row becomes `pruned` with the reason: its
   * stake is back in the free part of the reservation. A candidate the registry shows rejected already
   * (pruned by anyone, before a crash too) is marked without sending; one rejected by a game becomes
   * `rejected`; one finalized by anyone becomes `finalized`. Only candidates are read one by one (one
   * `latestFinalized` and one `isFrozen` per call otherwise). Returns the ids pruned by this call.
   */
  async prune(process: string): Promise<string[]> {
    const f = this.get(process);
    const pruned: string[] = [];
    const all = this.commitments(f.id);
    const rows = all.filter((r) => r.status === "posted");
    if (rows.length === 0) return pruned;
    const tip = await this.tip(f);
    const frozenFrom = (await this.registry.isFrozen(f.id))
      ? await this.registry.frozenFromSlot(f.id)
      : undefined;
    const rejected = new Set(
      all.filter((r) => r.status === "pruned" || r.status === "rejected").map((r) => r.id),
    );
    for (const row of rows) {
      const c = row.commitment;
      const why: RejectReasonName | undefined =
        c.parent !== ZeroHash && rejected.has(c.parent.toLowerCase())
          ? "ParentRejected"
          : tip !== undefined && tip.lastSlot >= c.firstSlot
            ? "SiblingFinalized"
            : frozenFrom !== undefined && c.lastSlot >= frozenFrom
              ? "ProcessFrozen"
              : undefined;
      if (why === undefined) continue;
      const status = (await this.results.record(row.id)).status;
      if (status === STATUS_NONE) continue; // a reorg: commit() posts it again
      if (status === STATUS_FINALIZED) {
        this.o.store.db.prepare("UPDATE commitments SET status = 'finalized' WHERE id = ?").run(row.id);
        continue;
      }
      if (status === STATUS_REJECTED) {
        rejected.add(row.id);
        this.markRejected(f, row, await this.rejectReason(row.id, why), false);
        continue;
      }
      const opId = `prune:${row.id}`;
      let via: "mined" | "effect";
      let receiptReason: string | undefined;
      try {
        const sent = await this.o.chain.send(
          { opId, to: this.o.resultRegistry, data: this.results.interface.encodeFunctionData("prune", [c]) },
          {
            effectDone: async () => (await this.results.statusOf(c)) === STATUS_REJECTED,
            errors: this.results.interface,
          },
        );
        via = sent.via;
        for (const log of sent.receipt?.logs ?? []) {
          const parsed = this.results.interface.parseLog(log);
          if (parsed?.name === "CommitmentRejected" && String(parsed.args.id).toLowerCase() === row.id) {
            receiptReason = REJECT_REASONS[Number(parsed.args.reason)];
          }
        }
      } catch (error) {
        if (!(error instanceof ChainError) || error.kind !== "reverted") throw error;
        // A race (finalized or pruned by someone meanwhile, a tip read behind): looked at again next round.
        this.o.logger.warn(
          {
            event: "cu.prune.reverted",
            process: f.id,
            id: row.id,
            opId,
            revert: error.errorName,
            reason: why,
          },
          "pruning a commitment reverted; checked again next round",
        );
        continue;
      }
      const reason = receiptReason ?? (await this.rejectReason(row.id, why));
      rejected.add(row.id);
      this.markRejected(f, row, reason, via === "mined");
      if (reason !== "ChallengeLost") pruned.push(row.id);
    }
    return pruned;
  }

  /** Marks `row` `pruned` (or `rejected` for a lost game) with `reason`, counts and logs it. */
  private markRejected(f: Followed, row: CommitmentRow, reason: string, sent: boolean): void {
    const status = reason === "ChallengeLost" ? "rejected" : "pruned";
    const changed = this.o.store.db
      .prepare("UPDATE commitments SET status = ?, pruned = ? WHERE id = ? AND status = 'posted'")
      .run(status, reason, row.id).changes;
    if (changed === 0) return;
    const c = row.commitment;
    const fields = {
      event: `cu.commit.${status}`,
      process: f.id,
      id: row.id,
      reason,
      sent,
      firstSlot: c.firstSlot.toString(),
      lastSlot: c.lastSlot.toString(),
    };
    if (status === "rejected") {
      this.o.logger.warn(fields, "a commitment of this CU was rejected by a game");
      return;
    }
    this.extra?.pruned.inc({ reason });
    this.o.logger.info(
      fields,
      "commitment pruned: it can never finalize; its stake is back in the reservation",
    );
  }

  /**
   * Where the next commitment of `f` goes: after this CU's latest live commitment while its chain continues
   * the finalized tip (or nothing is finalized), else on the tip itself (`rebase`) — once this CU has
   * evaluated up to the tip's last slot and agrees with the tip's state and assignment hashes there. `wait`
   * while it has not, or while a superseded commitment of its own is not pruned yet; `disagree` (paged)
   * when it does not agree.
   */
  private async base(
    f: Followed,
  ): Promise<
    | { kind: "next"; parent: string; first: bigint; rebase: boolean }
    | { kind: "wait"; why: string }
    | { kind: "disagree"; tip: string }
  > {
    const last = this.lastLive(f);
    const tip = await this.tip(f);
    if (tip === undefined) {
      return last === undefined
        ? { kind: "next", parent: ZeroHash, first: 0n, rebase: false }
        : { kind: "next", parent: last.id, first: last.commitment.lastSlot + 1n, rebase: false };
    }
    if (last !== undefined && this.continues(f, last, tip)) {
      return { kind: "next", parent: last.id, first: last.commitment.lastSlot + 1n, rebase: false };
    }
    const stale = this.o.store.db
      .prepare(
        `SELECT id FROM commitments WHERE process = ? AND status IN ('posting', 'posted') AND last_slot > ? LIMIT 1`,
      )
      .get(f.id, Number(tip.lastSlot)) as { id: string } | undefined;
    if (stale !== undefined) return { kind: "wait", why: `commitment ${stale.id} is not pruned yet` };
    if (f.nextSlot <= tip.lastSlot) {
      return { kind: "wait", why: `not evaluated up to the finalized slot ${tip.lastSlot} yet` };
    }
    const content = await this.contentOf(f, tip.id);
    if (content === undefined) return { kind: "wait", why: `the finalized tip ${tip.id} is not found` };
    const row = this.o.store.db
      .prepare("SELECT assignment_hash, state_hash FROM evaluations WHERE process = ? AND slot = ?")
      .get(f.id, Number(tip.lastSlot)) as Pick<EvalRow, "assignment_hash" | "state_hash"> | undefined;
    // Another CU's tip need not end where this CU hashed: computed from a checkpoint then (once).
    const ev = row && { ...row, state_hash: row.state_hash ?? this.hashAt(f, tip.lastSlot) };
    if (
      ev === undefined ||
      ev.state_hash.toLowerCase() !== content.stateHash.toLowerCase() ||
      ev.assignment_hash.toLowerCase() !== content.lastAssignmentHash.toLowerCase()
    ) {
      if (f.disagreed !== tip.id) {
        f.disagreed = tip.id;
        logPage(
          this.o.logger,
          "moneyAtRisk",
          {
            process: f.id,
            tip: tip.id,
            slot: tip.lastSlot.toString(),
            poster: content.poster,
            finalizedStateHash: content.stateHash,
            ownStateHash: ev?.state_hash ?? null,
            finalizedAssignmentHash: content.lastAssignmentHash,
            ownAssignmentHash: ev?.assignment_hash ?? null,
          },
          "the finalized chain disagrees with this CU's evaluation; committing this process stopped",
        );
      }
      return { kind: "disagree", tip: tip.id };
    }
    return { kind: "next", parent: tip.id, first: tip.lastSlot + 1n, rebase: true };
  }

  /** Whether `row`'s chain (through this CU's own live rows) reaches the finalized `tip`. */
  private continues(f: Followed, row: CommitmentRow, tip: Tip): boolean {
    let cur: CommitmentRow | undefined = row;
    const byId = this.o.store.db.prepare(
      "SELECT id, content, status, deadline, refused, pruned FROM commitments WHERE id = ? AND process = ?",
    );
    while (cur !== undefined) {
      if (cur.id === tip.id) return true;
      if (cur.status === "pruned" || cur.status === "rejected" || cur.status === "refused") return false;
      if (cur.commitment.firstSlot <= tip.lastSlot) return false;
      const parent = cur.commitment.parent.toLowerCase();
      if (parent === tip.id) return true;
      const next = byId.get(parent, f.id) as CommitRow | undefined;
      cur = next && this.toRow(next);
    }
    return false;
  }

  /**
   * Posts what is due for `process`: first any recorded commitment still `posting` (after a restart),
   * then new ones — `commitEverySlots` slots each while that many are uncommitted, and the remaining
   * uncommitted slots once the oldest of them is `commitEveryMs` old. Returns the ids posted. A
   * commitment the registry refuses is marked `refused` (paged) and nothing more is committed for the
   * process until {@link retryRefused}. With another CU's chain finalized, new commitments continue the
   * finalized tip ({@link base}); a finalized tip this CU disagrees with stops committing (paged once).
   */
  async commit(process: string): Promise<string[]> {
    const f = this.get(process);
    const posted: string[] = [];
    const refused = this.refusedCommitment(f.id);
    if (refused !== undefined) {
      this.o.logger.debug(
        { event: "cu.commit.stopped", process: f.id, id: refused.id, revert: refused.refused },
        "committing stopped: a commitment was refused",
      );
      return posted;
    }
    await this.repostReorged(f);
    const pending = this.o.store.db
      .prepare(
        "SELECT id, content, status, deadline FROM commitments WHERE process = ? AND status = 'posting' ORDER BY first_slot",
      )
      .all(f.id) as CommitRow[];
    for (const row of pending) {
      const out = await this.post(commitmentFromJson(row.content));
      if (out.kind === "refused") return posted;
      if (out.kind === "posted") posted.push(out.id);
    }
    const n = BigInt(this.o.commitEverySlots);
    for (;;) {
      const base = await this.base(f);
      if (base.kind !== "next") {
        const { kind, ...why } = base;
        this.o.logger.debug(
          { event: `cu.commit.${kind}`, process: f.id, ...why },
          base.kind === "wait" ? "not committing yet" : "committing stopped: the finalized tip disagrees",
        );
        break;
      }
      const first = base.first;
      const count = f.nextSlot - first;
      if (count <= 0n) {
        f.pendingSince = undefined;
        break;
      }
      f.pendingSince ??= this.now();
      // Slots uncommitted again by a rebase were committed once already: they are due now.
      if (base.rebase) f.pendingSince = Math.min(f.pendingSince, this.now() - this.o.commitEveryMs);
      const old = this.now() - f.pendingSince >= this.o.commitEveryMs;
      if (count < n && !old) break;
      const last = count >= n ? first + n - 1n : f.nextSlot - 1n;
      const c = await this.record(f, first, last, base.parent);
      if (base.rebase) {
        this.o.logger.info(
          {
            event: "cu.commit.rebase",
            process: f.id,
            parent: base.parent,
            firstSlot: first.toString(),
            lastSlot: last.toString(),
          },
          "committing on the finalized tip (another CU's chain finalized)",
        );
      }
      const out = await this.post(c);
      if (out.kind !== "posted") break;
      posted.push(out.id);
      f.pendingSince = last + 1n < f.nextSlot ? this.now() : undefined;
    }
    return posted;
  }

  /**
   * A reorg can take posted commitments off the chain (docs/agents.md §3): the latest `posted` ones whose
   * record is gone from the registry go back to `posting` (newest first, up to the first still there), so
   * that {@link commit} posts them again (same opId; the chain client resends once their effect is gone).
   */
  private async repostReorged(f: Followed): Promise<void> {
    const rows = this.o.store.db
      .prepare(
        "SELECT id, content FROM commitments WHERE process = ? AND status = 'posted' ORDER BY first_slot DESC",
      )
      .all(f.id) as Pick<CommitRow, "id" | "content">[];
    for (const row of rows) {
      if ((await this.results.statusOf(commitmentFromJson(row.content))) !== STATUS_NONE) return;
      this.o.store.db
        .prepare("UPDATE commitments SET status = 'posting', deadline = NULL WHERE id = ?")
        .run(row.id);
      this.o.logger.warn(
        { event: "cu.commit.reorged", process: f.id, id: row.id },
        "a posted commitment is not on chain any more (a reorg?); posting it again",
      );
    }
  }

  /**
   * Computes and records (status `posting`) the commitment of slots `[first, last]` after `parent`: with
   * Arweave, its results item is signed first and stored in the same transaction as the commitment that
   * names it.
   */
  private async record(f: Followed, first: bigint, last: bigint, parent: string): Promise<Commitment> {
    // The next commitment starts after this one (on a rebase too): evaluation hashes where it will end.
    f.commitFrom = last + 1n;
    const rows = this.o.store.db
      .prepare(
        "SELECT slot, message_id, result, result_hash, state_hash, assignment_hash FROM evaluations WHERE process = ? AND slot >= ? AND slot <= ? ORDER BY slot",
      )
      .all(f.id, Number(first), Number(last)) as Pick<
      EvalRow,
      "slot" | "message_id" | "result" | "result_hash" | "state_hash" | "assignment_hash"
    >[];
    const slots = Number(last - first) + 1;
    if (rows.length !== slots)
      throw new ComputeError("SlotGap", `slots [${first}, ${last}] are not all evaluated`);
    // Evaluation hashes where commitments end; a range that ends elsewhere (a rebase) computes it once.
    const stateHash = rows[slots - 1].state_hash ?? this.hashAt(f, last);
    const claimed = claimedHashes(
      this.o.fault,
      first,
      last,
      rows.map((r) => r.result_hash),
      stateHash,
    );
    const chain = new ResultsChain(f.id, first, resultsDepth(slots), claimed.resultHashes);
    const c: Commitment = {
      process: f.id,
      parent,
      firstSlot: first,
      lastSlot: last,
      lastAssignmentHash: rows[slots - 1].assignment_hash,
      stateHash: claimed.stateHash,
      resultsRoot: chain.roots[slots],
      arweaveRef: ZeroHash,
      poster: this.o.chain.address,
      stake: await this.results.commitmentStake(),
    };
    let item: DataItem | undefined;
    if (this.o.arweave !== undefined) {
      item = await resultsItem(this.o.arweave.wallet, {
        process: f.id,
        firstSlot: first,
        lastSlot: last,
        resultsRoot: c.resultsRoot,
        stateHash: c.stateHash,
        lastAssignmentHash: c.lastAssignmentHash,
        slots: rows.map((r, i) => ({
          slot: BigInt(r.slot),
          messageId: r.message_id,
          resultHash: claimed.resultHashes[i],
          result: resultFromJson(r.result),
        })),
      });
      c.arweaveRef = idToRef(item.id);
    }
    const id = commitmentId(c);
    this.o.store.tx((db) => {
      if (item !== undefined) this.recordItem(f.id, "results", first, last, item);
      db.prepare(
        `INSERT INTO commitments (id, process, parent, first_slot, last_slot, content, status) VALUES (?, ?, ?, ?, ?, ?, 'posting')`,
      ).run(id, f.id, c.parent, Number(first), Number(last), commitmentToJson(c));
    });
    return c;
  }

  /**
   * Publishes `c`'s results item (if any) and posts `c`. `refused`: the registry refused it (the row is
   * then `refused`, paged); `dropped`: its parent was rejected before it could be posted (a superseded chain;
   * the row is then `pruned` with `ParentRejected`, and the next commitment goes on the finalized tip).
   */
  private async post(c: Commitment): Promise<{ kind: "posted" | "refused" | "dropped"; id: string }> {
    const id = commitmentId(c);
    const itemId = refToId(c.arweaveRef);
    if (itemId !== undefined) await this.ensurePublished(itemId);
    const data = this.results.interface.encodeFunctionData("postCommitment", [
      c.process,
      c.parent,
      c.firstSlot,
      c.lastSlot,
      c.lastAssignmentHash,
      c.stateHash,
      c.resultsRoot,
      c.arweaveRef,
    ]);
    const opId = `post:${id}`;
    try {
      await this.o.chain.send(
        { opId, to: this.o.resultRegistry, data },
        {
          effectDone: async () => (await this.results.statusOf(c)) !== STATUS_NONE,
          errors: this.results.interface,
        },
      );
    } catch (error) {
      if (!(error instanceof ChainError) || error.kind !== "reverted") throw error;
      const revert = error.errorName ?? "unknown";
      if (revert === "ResultRegistryParentRejected") {
        this.o.store.db
          .prepare("UPDATE commitments SET status = 'pruned', pruned = 'ParentRejected' WHERE id = ?")
          .run(id);
        this.o.logger.info(
          {
            event: "cu.commit.pruned",
            process: c.process,
            id,
            reason: "ParentRejected",
            sent: false,
            firstSlot: c.firstSlot.toString(),
            lastSlot: c.lastSlot.toString(),
          },
          "commitment not posted: its parent was rejected meanwhile",
        );
        return { kind: "dropped", id };
      }
      this.o.store.db
        .prepare("UPDATE commitments SET status = 'refused', refused = ? WHERE id = ?")
        .run(revert, id);
      this.extra?.refused.inc();
      logPage(
        this.o.logger,
        "livenessAtRisk",
        {
          process: c.process,
          id,
          opId,
          revert,
          firstSlot: c.firstSlot.toString(),
          lastSlot: c.lastSlot.toString(),
          err: error.message,
        },
        "the ResultRegistry refused a commitment; committing this process stopped until an operator acts",
      );
      return { kind: "refused", id };
    }
    const rec = await this.results.record(id);
    this.o.store.db
      .prepare("UPDATE commitments SET status = 'posted', deadline = ? WHERE id = ?")
      .run(Number(rec.deadline), id);
    this.o.metrics?.get("holo_cu_commitments_posted_total").inc();
    this.o.logger.info(
      {
        process: c.process,
        id,
        firstSlot: c.firstSlot.toString(),
        lastSlot: c.lastSlot.toString(),
        arweaveRef: c.arweaveRef,
      },
      "commitment posted",
    );
    return { kind: "posted", id };
  }

  /**
   * Finalizes this CU's posted commitments of `process` whose challenge window has passed (chain time), in
   * slot order; stops at the first that cannot be finalized yet. Returns the ids finalized.
   *
   * Nothing is sent that the registry's state says would revert: a commitment under an open game waits
   * for it; one whose parent is not the finalized tip waits for its parent, or — superseded — for
   * {@link prune}. A revert anyway (a race) is classified and logged, and the commitment looked at again
   * next round.
   */
  async finalize(process: string): Promise<string[]> {
    const f = this.get(process);
    const done: string[] = [];
    const rows = this.commitments(f.id).filter((r) => r.status === "posted" && r.deadline !== null);
    if (rows.length === 0) return done;
    const block = await this.o.chain.provider.getBlock("latest");
    const nowSec = block?.timestamp ?? 0;
    let tip = await this.tip(f);
    for (const row of rows) {
      if (nowSec < row.deadline!) break;
      const c = row.commitment;
      const rec = await this.results.record(row.id);
      if (rec.status === STATUS_FINALIZED) {
        this.o.store.db.prepare("UPDATE commitments SET status = 'finalized' WHERE id = ?").run(row.id);
        done.push(row.id);
        tip = { id: row.id, lastSlot: c.lastSlot };
        continue;
      }
      const wait = (event: string, why: string, level: "debug" | "info" = "debug") =>
        this.o.logger[level]({ event, process: f.id, id: row.id, why }, "not finalizing yet");
      if (rec.status === STATUS_REJECTED) {
        // Pruned by someone, or rejected by a lost game: its descendants are pruned next (ParentRejected).
        this.markRejected(f, row, await this.rejectReason(row.id, "unknown"), false);
        break;
      }
      if (rec.status !== STATUS_PENDING) {
        wait("cu.finalize.skip", `status ${rec.status} (a reorg: commit() posts it again)`);
        break;
      }
      if (rec.openChallenges > 0n) {
        wait("cu.finalize.challenged", `${rec.openChallenges} open game(s)`);
        break;
      }
      if (c.parent.toLowerCase() !== (tip?.id ?? ZeroHash)) {
        // Superseded (a sibling finalized): prune() takes it; else its parent is not finalized yet.
        wait("cu.finalize.parent", `parent ${c.parent} is not the finalized tip ${tip?.id ?? ZeroHash}`);
        break;
      }
      const data = this.results.interface.encodeFunctionData("finalize", [c]);
      try {
        await this.o.chain.send(
          { opId: `finalize:${row.id}`, to: this.o.resultRegistry, data },
          {
            effectDone: async () => (await this.results.statusOf(c)) === STATUS_FINALIZED,
            errors: this.results.interface,
          },
        );
      } catch (error) {
        const revert = error instanceof ChainError && error.kind === "reverted" ? error.errorName : undefined;
        const expected = [
          "ResultRegistryParentNotTip",
          "ResultRegistryNotPending",
          "ResultRegistryChallengeOpen",
          "ResultRegistryWindowNotElapsed",
          "ResultRegistrySlotBeyondFreeze",
        ];
        if (revert !== undefined && expected.includes(revert)) {
          this.o.logger.info(
            { event: "cu.finalize.raced", process: f.id, id: row.id, revert },
            "finalize reverted (the registry changed meanwhile); looked at again next round",
          );
        } else {
          this.o.logger.warn(
            { event: "cu.finalize.failed", process: f.id, id: row.id, revert, err: (error as Error).message },
            "finalize failed",
          );
        }
        break;
      }
      this.o.store.db.prepare("UPDATE commitments SET status = 'finalized' WHERE id = ?").run(row.id);
      done.push(row.id);
      tip = { id: row.id, lastSlot: c.lastSlot };
    }
    if (tip !== undefined) this.pruneCheckpoints(f, tip.lastSlot);
    return done;
  }

  /**
   * Deletes the checkpoints (and their posted Holo-Checkpoint items' stored bytes) that the finalized chain
   * has made useless: those before the latest checkpoint at or before its last slot
   * ({@link Replayer.pruneCheckpoints}). With Arweave, only checkpoints whose item is posted. Off with
   * `pruneCheckpoints: false`.
   */
  private pruneCheckpoints(f: Followed, finalizedLastSlot: bigint): void {
    if (this.o.pruneCheckpoints === false) return;
    const posted = "item_id IN (SELECT item_id FROM publications WHERE status = 'posted')";
    const slots = this.replayer.pruneCheckpoints(
      f,
      finalizedLastSlot,
      this.o.arweave === undefined ? "1" : posted,
    );
    if (slots.length === 0) return;
    const drop = this.o.store.db.prepare(
      "DELETE FROM publications WHERE process = ? AND kind = 'checkpoint' AND status = 'posted' AND first_slot = ?",
    );
    this.o.store.tx(() => {
      for (const s of slots) drop.run(f.id, s);
    });
    this.o.metrics?.get("holo_checkpoints_pruned_total").inc(slots.length);
    this.o.logger.info(
      {
        event: "cu.checkpoints.pruned",
        process: f.id,
        slots,
        finalizedLastSlot: finalizedLastSlot.toString(),
      },
      "checkpoints before the finalized tip deleted",
    );
  }

  // ---- games ---------------------------------------------------------------------------------

  /**
   * The trace this CU stands by for commitment `c` (its defence in a dispute game, agents/common/games.ts
   * `traceFor`): the honest {@link CommitmentTrace} of slots `c.firstSlot … c.lastSlot`, rebuilt from the
   * stored signed log and the parent state (the latest checkpoint before the range, then re-evaluation) —
   * or, with a fault configured, the matching liar trace. The honest trace is checked against the stored
   * results (`ResultsChanged`); when `c` was posted by this CU, the trace's claim must be `c`'s
   * (`TraceMismatch`). `NotEvaluated` when the range is not evaluated yet.
   */
  async gameTrace(c: Commitment): Promise<GameTrace> {
    // A game asks for the same commitment's trace move after move: keep the last few (their replay caches too).
    const key = commitmentId(c);
    const cached = this.traces.get(key);
    if (cached !== undefined) {
      this.traces.delete(key);
      this.traces.set(key, cached);
      return cached;
    }
    const promise = this.buildGameTrace(c);
    this.traces.set(key, promise);
    promise.catch(() => this.traces.delete(key));
    while (this.traces.size > TRACE_CACHE_SIZE) this.traces.delete(this.traces.keys().next().value!);
    return promise;
  }

  private async buildGameTrace(c: Commitment): Promise<GameTrace> {
    const f = this.get(c.process);
    if (c.lastSlot < c.firstSlot || c.firstSlot < 0n)
      throw new ComputeError("NotEvaluated", `slots [${c.firstSlot}, ${c.lastSlot}] are not a range`);
    if (c.lastSlot >= f.nextSlot) {
      throw new ComputeError(
        "NotEvaluated",
        `process ${f.id}: slot ${c.lastSlot} is not evaluated yet (next ${f.nextSlot})`,
      );
    }
    const db = this.o.store.db;
    const rows = db
      .prepare(
        "SELECT slot, message, assignment_hash, result_hash, state_hash, signed FROM evaluations WHERE process = ? AND slot >= ? AND slot <= ? ORDER BY slot",
      )
      .all(f.id, Number(c.firstSlot), Number(c.lastSlot)) as EvalRow[];
    const n = Number(c.lastSlot - c.firstSlot) + 1;
    if (rows.length !== n)
      throw new ComputeError("SlotGap", `slots [${c.firstSlot}, ${c.lastSlot}] are not all stored`);
    const slots = await this.slotInputs(f, c.firstSlot, rows);

    // The parent state: the state after firstSlot − 1, as a step-mode process.
    const parentSlot = c.firstSlot - 1n;
    const parentRow =
      parentSlot < 0n
        ? undefined
        : (db
            .prepare("SELECT assignment_hash, state_hash FROM evaluations WHERE process = ? AND slot = ?")
            .get(f.id, Number(parentSlot)) as Pick<EvalRow, "assignment_hash" | "state_hash"> | undefined);
    const fast = this.stateAt(f, parentSlot);
    let parentState = parentRow?.state_hash ?? f.initialStateHash;
    if (parentRow !== undefined && parentRow.state_hash === null) {
      parentState = hexlify(fast.processStateHash());
      this.storeStateHash(f, parentSlot, parentState);
    }
    const proc = stepProcessOf(fast, f.wasm, f.memoryPages);

    const honest = CommitmentTrace.fromProcess(proc, {
      process: f.id,
      firstSlot: c.firstSlot,
      lastSlot: c.lastSlot,
      slots,
      stepLimit: f.stepLimit,
      prevAssignmentHash: parentRow?.assignment_hash ?? ZeroHash,
      domain: f.domain,
      scheduler: f.scheduler,
      parentStateHash: parentState,
      moduleRoot: f.moduleRoot,
    });
    const truth = honest.claim();
    const stored = new ResultsChain(
      f.id,
      c.firstSlot,
      resultsDepth(n),
      rows.map((r) => r.result_hash),
    );
    const lastState = rows[n - 1].state_hash ?? this.hashAt(f, c.lastSlot);
    if (truth.stateHash !== lastState || truth.resultsRoot !== stored.roots[n]) {
      throw new ComputeError(
        "ResultsChanged",
        `process ${f.id}: the trace of slots [${c.firstSlot}, ${c.lastSlot}] differs from the stored results`,
      );
    }
    const trace = faultTrace(this.o.fault, honest, parentState);
    if (c.poster.toLowerCase() === this.o.chain.address.toLowerCase()) {
      const claim = trace.claim();
      if (
        claim.stateHash !== c.stateHash.toLowerCase() ||
        claim.resultsRoot !== c.resultsRoot.toLowerCase() ||
        claim.lastAssignmentHash !== c.lastAssignmentHash.toLowerCase()
      ) {
        throw new ComputeError(
          "TraceMismatch",
          `process ${f.id}: commitment ${commitmentId(c)} is not what this CU's trace of slots [${c.firstSlot}, ${c.lastSlot}] claims`,
        );
      }
    }
    return trace;
  }

  /** The signed slots of `rows`: from the store, or (rows stored before v2) from the log source. */
  private async slotInputs(f: Followed, first: bigint, rows: readonly EvalRow[]): Promise<SlotInput[]> {
    const out: SlotInput[] = [];
    const missing = rows.some((r) => r.signed === null);
    const fromSource = new Map<bigint, LogEntry>();
    if (missing) {
      let next = first;
      const last = BigInt(rows[rows.length - 1].slot);
      while (next <= last) {
        const page = await this.o.source.read(f.id, next, this.pageSize);
        if (page.length === 0) break;
        for (const e of page) fromSource.set(BigInt(e.assignment.slot), e);
        next = BigInt(page[page.length - 1].assignment.slot) + 1n;
      }
    }
    for (const r of rows) {
      const slot = BigInt(r.slot);
      let input: SlotInput;
      if (r.signed !== null) {
        input = { ...signedFromJson(r.signed, r.message.length), message: new Uint8Array(r.message) };
      } else {
        const e = fromSource.get(slot);
        if (e === undefined)
          throw new ComputeError("SlotGap", `slot ${slot}: the log source does not have it`);
        input = { assignment: e.assignment, signature: e.signature, message: e.message };
      }
      if (assignmentHash(f.domain, input.assignment) !== r.assignment_hash) {
        throw new ComputeError("ChainBroken", `slot ${slot}: the signed assignment is not the one evaluated`);
      }
      out.push(input);
    }
    return out;
  }
}

/**
 * The compute unit's core (docs/agents.md §6): follows each process's log, verifies and evaluates every
 * slot in fast mode, stores per-slot results, and posts and finalizes commitments over evaluated ranges.
 *
 * The process state lives in memory; at start it is rebuilt by re-evaluating the stored messages from slot
 * 0 and every result hash and state hash is checked against the stored one (`ResultsChanged` otherwise),
 * so stored results never change.
 */
import { getBytes, hexlify, keccak256, ZeroHash, type TypedDataDomain } from "ethers";

import type { ChainClient } from "../../common/chain";
import type { Logger } from "../../common/log";
import type { AgentMetrics } from "../../common/metrics";
import type { Store } from "../../common/store";
import { FastProcess } from "../../../machine/fast";
import type { MessageResult } from "../../../machine/process";
import { assignmentDomain, assignmentHash, recoverAssignmentSigner } from "../../../sdk/ts/assignments";
import { resultsDepth } from "../../../sdk/ts/dispute/game";
import { ResultsChain } from "../../../sdk/ts/dispute/trace";
import { commitmentId, type Commitment } from "../../../sdk/ts/results";
import { ProcessRegistry__factory, ResultRegistry__factory } from "../../../typechain-types";
import type { ProcessRegistry, ResultRegistry } from "../../../typechain-types";
import { ComputeError } from "./errors";
import type { LogEntry, LogSource } from "./log-source";

const STATUS_NONE = 0n;
const STATUS_FINALIZED = 2n;

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
}

/** A stored per-slot evaluation. */
export interface Evaluation {
  process: string;
  slot: bigint;
  messageId: string;
  assignmentHash: string;
  result: MessageResult;
  resultHash: string;
  stateHash: string;
  steps: number;
}

export interface CommitmentRow {
  id: string;
  commitment: Commitment;
  status: "posting" | "posted" | "finalized";
  deadline: number | null;
}

interface Followed {
  id: string;
  fast: FastProcess;
  wasm: Uint8Array;
  memoryPages: number;
  stepLimit: number;
  scheduler: string;
  domain: TypedDataDomain;
  nextSlot: bigint;
  lastAssignmentHash: string;
  stateHash: string;
  /** When the oldest uncommitted slot was evaluated (ms), undefined when none is. */
  pendingSince: number | undefined;
  /** Set when the log failed verification: evaluation of this process stops. */
  halted: ComputeError | undefined;
}

interface EvalRow {
  slot: number;
  message_id: string;
  message: Buffer;
  assignment_hash: string;
  result: string;
  result_hash: string;
  state_hash: string;
  steps: number;
}

interface CommitRow {
  id: string;
  content: string;
  status: CommitmentRow["status"];
  deadline: number | null;
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

  private constructor(private readonly o: ComputeOptions) {
    this.results = ResultRegistry__factory.connect(o.resultRegistry, o.chain.provider);
    this.registry = ProcessRegistry__factory.connect(o.processRegistry, o.chain.provider);
    this.pageSize = o.pageSize ?? 100;
    this.now = o.now ?? Date.now;
  }

  /** Opens the compute unit: reads each process from the chain and rebuilds its state from the store. */
  static async open(o: ComputeOptions): Promise<ComputeUnit> {
    const cu = new ComputeUnit(o);
    for (const p of o.processes) await cu.follow(p);
    return cu;
  }

  private async follow(spec: FollowSpec): Promise<void> {
    const id = spec.id.toLowerCase();
    const info = await this.registry.getProcess(id);
    const mod = await this.registry.getModule(info.moduleId);
    const memoryPages = Number(mod.memoryPages);
    const fast = FastProcess.create(spec.wasm, { memoryLimitPages: memoryPages });
    if (hexlify(fast.moduleRoot) !== mod.moduleRoot.toLowerCase()) {
      throw new ComputeError(
        "ModuleMismatch",
        `process ${id}: the wasm's module root ${hexlify(fast.moduleRoot)} is not the registered ${mod.moduleRoot}`,
      );
    }
    const initial = hexlify(fast.processStateHash());
    if (initial !== info.initialStateHash.toLowerCase()) {
      throw new ComputeError(
        "InitialStateMismatch",
        `process ${id}: initial state ${initial} is not ${info.initialStateHash}`,
      );
    }
    const { chainId } = await this.o.chain.provider.getNetwork();
    const f: Followed = {
      id,
      fast,
      wasm: spec.wasm,
      memoryPages,
      stepLimit: Number(mod.stepLimit > 0xffffffffn ? 0xffffffffn : mod.stepLimit),
      scheduler: info.scheduler,
      domain: assignmentDomain(chainId, this.o.processRegistry),
      nextSlot: 0n,
      lastAssignmentHash: ZeroHash,
      stateHash: initial,
      pendingSince: undefined,
      halted: undefined,
    };
    // Rebuild the state: re-evaluate every stored slot; results must not change.
    const rows = this.o.store.db
      .prepare("SELECT * FROM evaluations WHERE process = ? ORDER BY slot")
      .all(id) as EvalRow[];
    for (const row of rows) {
      const out = fast.evaluate(new Uint8Array(row.message), f.stepLimit);
      const rh = hexlify(out.resultHash);
      const sh = hexlify(fast.processStateHash());
      if (rh !== row.result_hash || sh !== row.state_hash) {
        throw new ComputeError(
          "ResultsChanged",
          `process ${id} slot ${row.slot}: re-evaluation differs from the stored result`,
        );
      }
      f.nextSlot = BigInt(row.slot) + 1n;
      f.lastAssignmentHash = row.assignment_hash;
      f.stateHash = sh;
    }
    if (this.uncommittedFrom(f) < f.nextSlot) f.pendingSince = this.now();
    this.followed.set(id, f);
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
    let signer: string;
    try {
      signer = recoverAssignmentSigner(f.domain, a, e.signature);
    } catch {
      signer = "";
    }
    if (signer.toLowerCase() !== f.scheduler.toLowerCase()) {
      throw new ComputeError(
        "BadSignature",
        `slot ${f.nextSlot}: the assignment is not signed by scheduler ${f.scheduler}`,
      );
    }
    return assignmentHash(f.domain, a);
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
          throw error;
        }
        this.apply(f, e, ah);
        n++;
      }
      if (page.length < this.pageSize) return n;
    }
  }

  private apply(f: Followed, e: LogEntry, ah: string): void {
    const started = performance.now();
    const out = f.fast.evaluate(e.message, f.stepLimit);
    const rh = hexlify(out.resultHash);
    const sh = hexlify(f.fast.processStateHash());
    const slot = f.nextSlot;
    try {
      this.o.store.tx((db) => {
        db.prepare(
          `INSERT INTO evaluations (process, slot, message_id, message, assignment_hash, result, result_hash, state_hash, steps)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          f.id,
          Number(slot),
          e.assignment.messageId.toLowerCase(),
          Buffer.from(e.message),
          ah,
          resultToJson(out.result),
          rh,
          sh,
          out.steps,
        );
        db.prepare(
          `INSERT INTO cursors (process, next_slot, last_assignment_hash, state_hash) VALUES (?, ?, ?, ?)
           ON CONFLICT (process) DO UPDATE SET next_slot = excluded.next_slot,
             last_assignment_hash = excluded.last_assignment_hash, state_hash = excluded.state_hash`,
        ).run(f.id, Number(slot) + 1, ah, sh);
      });
    } catch (error) {
      // The in-memory state is ahead of the store: stop this process (a restart rebuilds it).
      f.halted = new ComputeError("ProcessHalted", `process ${f.id}: storing slot ${slot} failed`);
      throw error;
    }
    f.nextSlot = slot + 1n;
    f.lastAssignmentHash = ah;
    f.stateHash = sh;
    f.pendingSince ??= this.now();
    this.o.metrics?.get("holo_cu_slots_evaluated_total").inc();
    this.o.metrics?.get("holo_cu_eval_seconds").observe((performance.now() - started) / 1000);
  }

  /** A stored evaluation, by slot. */
  evaluation(process: string, slot: bigint): Evaluation | undefined {
    const f = this.get(process);
    const row = this.o.store.db
      .prepare("SELECT * FROM evaluations WHERE process = ? AND slot = ?")
      .get(f.id, Number(slot)) as EvalRow | undefined;
    return row && this.toEvaluation(f.id, row);
  }

  /** A stored evaluation, by message id. */
  evaluationOf(process: string, messageId: string): Evaluation | undefined {
    const f = this.get(process);
    const row = this.o.store.db
      .prepare("SELECT * FROM evaluations WHERE process = ? AND message_id = ? ORDER BY slot LIMIT 1")
      .get(f.id, messageId.toLowerCase()) as EvalRow | undefined;
    return row && this.toEvaluation(f.id, row);
  }

  /** Stored evaluations of slots `[from, to]`, at most `limit`. */
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
   * Evaluates `message` against a copy of the process's current state (rebuilt from the stored messages),
   * leaving the process, the store and the chain untouched.
   */
  dryRun(process: string, message: Uint8Array): { result: MessageResult; resultHash: string; steps: number } {
    const f = this.get(process);
    const copy = FastProcess.create(f.wasm, { memoryLimitPages: f.memoryPages });
    const msgs = this.o.store.db
      .prepare("SELECT message FROM evaluations WHERE process = ? AND slot < ? ORDER BY slot")
      .all(f.id, Number(f.nextSlot)) as { message: Buffer }[];
    for (const m of msgs) copy.evaluate(new Uint8Array(m.message), f.stepLimit);
    const out = copy.evaluate(message, f.stepLimit);
    return { result: out.result, resultHash: hexlify(out.resultHash), steps: out.steps };
  }

  // ---- commitments ---------------------------------------------------------------------------

  /** The commitments recorded for `process`, by first slot. */
  commitments(process: string): CommitmentRow[] {
    const f = this.get(process);
    const rows = this.o.store.db
      .prepare("SELECT id, content, status, deadline FROM commitments WHERE process = ? ORDER BY first_slot")
      .all(f.id) as CommitRow[];
    return rows.map((r) => ({
      id: r.id,
      commitment: commitmentFromJson(r.content),
      status: r.status,
      deadline: r.deadline,
    }));
  }

  private lastCommitment(f: Followed): CommitRow | undefined {
    return this.o.store.db
      .prepare(
        "SELECT id, content, status, deadline FROM commitments WHERE process = ? ORDER BY first_slot DESC LIMIT 1",
      )
      .get(f.id) as CommitRow | undefined;
  }

  private uncommittedFrom(f: Followed): bigint {
    const last = this.lastCommitment(f);
    return last === undefined ? 0n : commitmentFromJson(last.content).lastSlot + 1n;
  }

  /**
   * Posts what is due for `process`: first any recorded commitment still `posting` (after a restart),
   * then new ones — `commitEverySlots` slots each while that many are uncommitted, and the remaining
   * uncommitted slots once the oldest of them is `commitEveryMs` old. Returns the ids posted.
   */
  async commit(process: string): Promise<string[]> {
    const f = this.get(process);
    const posted: string[] = [];
    const pending = this.o.store.db
      .prepare(
        "SELECT id, content, status, deadline FROM commitments WHERE process = ? AND status = 'posting' ORDER BY first_slot",
      )
      .all(f.id) as CommitRow[];
    for (const row of pending) posted.push(await this.post(commitmentFromJson(row.content)));
    const n = BigInt(this.o.commitEverySlots);
    for (;;) {
      const first = this.uncommittedFrom(f);
      const count = f.nextSlot - first;
      if (count <= 0n) {
        f.pendingSince = undefined;
        break;
      }
      const old = f.pendingSince !== undefined && this.now() - f.pendingSince >= this.o.commitEveryMs;
      if (count < n && !old) break;
      const last = count >= n ? first + n - 1n : f.nextSlot - 1n;
      const c = await this.record(f, first, last);
      posted.push(await this.post(c));
      f.pendingSince = last + 1n < f.nextSlot ? this.now() : undefined;
    }
    return posted;
  }

  /** Computes and records (status `posting`) the commitment of slots `[first, last]`. */
  private async record(f: Followed, first: bigint, last: bigint): Promise<Commitment> {
    const rows = this.o.store.db
      .prepare(
        "SELECT slot, result_hash, state_hash, assignment_hash FROM evaluations WHERE process = ? AND slot >= ? AND slot <= ? ORDER BY slot",
      )
      .all(f.id, Number(first), Number(last)) as Pick<
      EvalRow,
      "slot" | "result_hash" | "state_hash" | "assignment_hash"
    >[];
    const slots = Number(last - first) + 1;
    if (rows.length !== slots)
      throw new ComputeError("SlotGap", `slots [${first}, ${last}] are not all evaluated`);
    const chain = new ResultsChain(
      f.id,
      first,
      resultsDepth(slots),
      rows.map((r) => r.result_hash),
    );
    const prev = this.lastCommitment(f);
    const c: Commitment = {
      process: f.id,
      parent: prev?.id ?? ZeroHash,
      firstSlot: first,
      lastSlot: last,
      lastAssignmentHash: rows[slots - 1].assignment_hash,
      stateHash: rows[slots - 1].state_hash,
      resultsRoot: chain.roots[slots],
      arweaveRef: ZeroHash,
      poster: this.o.chain.address,
      stake: await this.results.commitmentStake(),
    };
    const id = commitmentId(c);
    this.o.store.db
      .prepare(
        `INSERT INTO commitments (id, process, parent, first_slot, last_slot, content, status) VALUES (?, ?, ?, ?, ?, ?, 'posting')`,
      )
      .run(id, f.id, c.parent, Number(first), Number(last), commitmentToJson(c));
    return c;
  }

  private async post(c: Commitment): Promise<string> {
    const id = commitmentId(c);
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
    await this.o.chain.send(
      { opId: `post:${c.process}:${c.firstSlot}:${c.lastSlot}`, to: this.o.resultRegistry, data },
      {
        effectDone: async () => (await this.results.statusOf(c)) !== STATUS_NONE,
        errors: this.results.interface,
      },
    );
    const rec = await this.results.record(id);
    this.o.store.db
      .prepare("UPDATE commitments SET status = 'posted', deadline = ? WHERE id = ?")
      .run(Number(rec.deadline), id);
    this.o.metrics?.get("holo_cu_commitments_posted_total").inc();
    this.o.logger.info(
      { process: c.process, id, firstSlot: c.firstSlot.toString(), lastSlot: c.lastSlot.toString() },
      "commitment posted",
    );
    return id;
  }

  /**
   * Finalizes this CU's posted commitments of `process` whose challenge window has passed (chain time), in
   * slot order; stops at the first that cannot be finalized yet. Returns the ids finalized.
   */
  async finalize(process: string): Promise<string[]> {
    const f = this.get(process);
    const done: string[] = [];
    const block = await this.o.chain.provider.getBlock("latest");
    const nowSec = block?.timestamp ?? 0;
    for (const row of this.commitments(f.id)) {
      if (row.status !== "posted" || row.deadline === null) continue;
      if (nowSec < row.deadline) break;
      const c = row.commitment;
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
        this.o.logger.warn({ process: f.id, id: row.id, err: (error as Error).message }, "finalize failed");
        break;
      }
      this.o.store.db.prepare("UPDATE commitments SET status = 'finalized' WHERE id = ?").run(row.id);
      done.push(row.id);
    }
    return done;
  }
}

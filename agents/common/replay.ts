/**
 * A process's state after any stored slot, shared by the compute unit and the watcher (docs/agents.md §4,
 * §6). Both keep, in SQLite, every slot's message, result hash and (sparse) state hash in a slots table, and
 * every `checkpointEverySlots`-th state in a `checkpoints` table (`process, slot, state_hash, state`). The
 * state after slot `s` is the latest checkpoint at or before `s`, restored and checked against its hash,
 * then the stored messages after it re-evaluated, each checked against its stored hashes. So neither agent
 * keeps a process's history in memory, and a restart starts from a checkpoint instead of slot 0.
 */
import { hexlify } from "ethers";

import { FastProcess } from "../../machine/fast";
import { CheckpointError } from "../../machine/fast/process";
import type { Assignment } from "../../sdk/ts/assignments";
import type { LogEntry } from "../compute/domain/log-source";
import type { Logger } from "./log";
import type { Store } from "./store";

/** The default number of slots between two stored checkpoints (CU and watcher `checkpointEverySlots`). */
export const DEFAULT_CHECKPOINT_EVERY_SLOTS = 100;

/** `checkpointEverySlots` checked (a positive integer; default {@link DEFAULT_CHECKPOINT_EVERY_SLOTS}). */
export function checkpointInterval(every: number = DEFAULT_CHECKPOINT_EVERY_SLOTS): bigint {
  if (!Number.isSafeInteger(every) || every < 1) {
    throw new RangeError(`checkpointEverySlots must be a positive integer, got ${String(every)}`);
  }
  return BigInt(every);
}

/**
 * The state after a page's last slot is always hashed (the stored end and `state()` stay exact): hashes
 * `fast` into `end.sh` if that slot was not hashed; returns the page's end hash (undefined for no page).
 */
export function hashPageEnd(end: { sh: string | null } | undefined, fast: FastProcess): string | undefined {
  if (end === undefined) return undefined;
  end.sh ??= hexlify(fast.processStateHash());
  return end.sh;
}

/** The named failures of a replay; each agent maps them to its own error class. */
export type ReplayErrorCode = "SlotGap" | "ResultsChanged" | "NotEvaluated";

/** What a replay needs of a followed process. */
export interface ReplayedProcess {
  id: string;
  wasm: Uint8Array;
  memoryPages: number;
  stepLimit: number;
  initialStateHash: string;
}

export interface ReplayOptions {
  store: Store;
  /** The slots table: `process, slot, message BLOB, result_hash, state_hash` (NULL where not taken). */
  slotsTable: "evaluations" | "slots";
  logger: Logger;
  /** The log events' prefix (`cu`, `watcher`). */
  agent: string;
  /** Builds the agent's named error. */
  error: (code: ReplayErrorCode, message: string) => Error;
}

interface ReplayRow {
  slot: number;
  message: Buffer;
  result_hash: string;
  state_hash: string | null;
}

/** Restores states and state hashes from one agent's store. */
export class Replayer {
  constructor(private readonly o: ReplayOptions) {}

  /**
   * A new FastProcess in the state after `slot` (−1: the initial state): restored from the latest stored
   * checkpoint at or before `slot`, then the stored messages after it re-evaluated, each result hash and
   * each stored state hash (most slots have none) checked against the stored one (`ResultsChanged`). A
   * checkpoint that cannot be restored is skipped (logged) for the initial state.
   */
  stateAt(p: ReplayedProcess, slot: bigint): FastProcess {
    const db = this.o.store.db;
    const opts = { memoryLimitPages: p.memoryPages };
    let fast: FastProcess | undefined;
    let from = 0n;
    if (slot >= 0n) {
      const ck = db
        .prepare(
          "SELECT slot, state, state_hash FROM checkpoints WHERE process = ? AND slot <= ? ORDER BY slot DESC LIMIT 1",
        )
        .get(p.id, Number(slot)) as { slot: number; state: Buffer; state_hash: string } | undefined;
      if (ck !== undefined) {
        try {
          const restored = FastProcess.restore(p.wasm, opts, new Uint8Array(ck.state));
          if (hexlify(restored.processStateHash()) !== ck.state_hash) {
            throw new CheckpointError(`its state is not the stored state of slot ${ck.slot}`);
          }
          fast = restored;
          from = BigInt(ck.slot) + 1n;
        } catch (error) {
          if (!(error instanceof CheckpointError)) throw error;
          this.o.logger.warn(
            { event: `${this.o.agent}.checkpoint.bad`, process: p.id, slot: ck.slot, err: error.message },
            "checkpoint not usable; re-evaluating from the initial state",
          );
        }
      }
    }
    fast ??= FastProcess.create(p.wasm, opts);
    const rows = db
      .prepare(
        `SELECT slot, message, result_hash, state_hash FROM ${this.o.slotsTable}
         WHERE process = ? AND slot >= ? AND slot <= ? ORDER BY slot`,
      )
      .iterate(p.id, Number(from), Number(slot)) as IterableIterator<ReplayRow>;
    let expect = from;
    for (const row of rows) {
      if (BigInt(row.slot) !== expect)
        throw this.o.error("SlotGap", `process ${p.id}: slot ${expect} is not stored`);
      const out = fast.evaluate(new Uint8Array(row.message), p.stepLimit);
      if (
        hexlify(out.resultHash) !== row.result_hash ||
        (row.state_hash !== null && hexlify(fast.processStateHash()) !== row.state_hash)
      ) {
        throw this.o.error(
          "ResultsChanged",
          `process ${p.id} slot ${row.slot}: re-evaluation differs from the stored result`,
        );
      }
      expect++;
    }
    if (expect !== slot + 1n) throw this.o.error("SlotGap", `process ${p.id}: slot ${expect} is not stored`);
    return fast;
  }

  /**
   * The process-state hash after stored `slot` (−1: the initial state): the stored one, else computed from
   * the nearest checkpoint at or before it ({@link stateAt}) and stored, so it is computed once.
   * `NotEvaluated` for a slot not stored.
   */
  hashAt(p: ReplayedProcess, slot: bigint): string {
    if (slot < 0n) return p.initialStateHash;
    const row = this.o.store.db
      .prepare(`SELECT state_hash FROM ${this.o.slotsTable} WHERE process = ? AND slot = ?`)
      .get(p.id, Number(slot)) as { state_hash: string | null } | undefined;
    if (row === undefined)
      throw this.o.error("NotEvaluated", `process ${p.id}: slot ${slot} is not evaluated`);
    if (row.state_hash !== null) return row.state_hash;
    const sh = hexlify(this.stateAt(p, slot).processStateHash());
    this.storeStateHash(p, slot, sh);
    this.o.logger.debug(
      { event: `${this.o.agent}.state.rebuilt`, process: p.id, slot: slot.toString() },
      "process-state hash computed from a checkpoint",
    );
    return sh;
  }

  /**
   * Deletes the checkpoints of `p` before the latest one at or before `finalizedLastSlot` (the last slot of
   * the process's finalized chain) that `deletable` (an SQL condition on the `checkpoints` row; the agent's own
   * constant) allows; returns the slots deleted. What stays covers every state still needed: a game or a
   * verdict is only about slots after the finalized tip, and restarts use the latest checkpoint. The messages
   * stay, so a state before the kept checkpoint can still be rebuilt (from slot 0, slowly): a wrong tip
   * (a lying RPC) costs time, never a wrong state.
   */
  pruneCheckpoints(p: ReplayedProcess, finalizedLastSlot: bigint, deletable = "1"): number[] {
    return this.o.store.tx((db) => {
      const keep = db
        .prepare("SELECT MAX(slot) AS slot FROM checkpoints WHERE process = ? AND slot <= ?")
        .get(p.id, Number(finalizedLastSlot)) as { slot: number | null };
      if (keep.slot === null) return [];
      const where = `process = ? AND slot < ? AND (${deletable})`;
      const slots = (
        db.prepare(`SELECT slot FROM checkpoints WHERE ${where} ORDER BY slot`).all(p.id, keep.slot) as {
          slot: number;
        }[]
      ).map((r) => r.slot);
      if (slots.length > 0) db.prepare(`DELETE FROM checkpoints WHERE ${where}`).run(p.id, keep.slot);
      return slots;
    });
  }

  /** Stores the state hash of a slot that has none. */
  storeStateHash(p: ReplayedProcess, slot: bigint, sh: string): void {
    this.o.store.db
      .prepare(
        `UPDATE ${this.o.slotsTable} SET state_hash = ? WHERE process = ? AND slot = ? AND state_hash IS NULL`,
      )
      .run(sh, p.id, Number(slot));
  }
}

/** A log entry's signed assignment as stored JSON (bigints as decimal strings). */
export function signedToJson(e: LogEntry): string {
  const a = e.assignment;
  return JSON.stringify({
    process: a.process,
    slot: BigInt(a.slot).toString(),
    messageId: a.messageId,
    messageHash: a.messageHash,
    messageLength: BigInt(a.messageLength).toString(),
    timestamp: BigInt(a.timestamp).toString(),
    blockHeight: BigInt(a.blockHeight).toString(),
    prevAssignmentHash: a.prevAssignmentHash,
    signature: e.signature,
  });
}

/** `messageLength` stands in for a row stored before assignments signed it (its hash then differs: ChainBroken). */
export function signedFromJson(
  s: string,
  messageLength: number,
): { assignment: Assignment; signature: string } {
  const o = JSON.parse(s) as Record<string, string | undefined>;
  return {
    assignment: {
      process: o.process!,
      slot: BigInt(o.slot!),
      messageId: o.messageId!,
      messageHash: o.messageHash!,
      messageLength: o.messageLength === undefined ? messageLength : BigInt(o.messageLength),
      timestamp: BigInt(o.timestamp!),
      blockHeight: BigInt(o.blockHeight!),
      prevAssignmentHash: o.prevAssignmentHash!,
    },
    signature: o.signature!,
  };
}

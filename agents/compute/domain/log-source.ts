/** Where the compute unit reads a process's log: signed assignments with their messages, by slot. */
import type { Assignment } from "../../../sdk/ts/assignments";

/** One slot of a process's log. */
export interface LogEntry {
  assignment: Assignment;
  /** The scheduler's EIP-712 signature over the assignment (hex). */
  signature: string;
  /** The canonical message encoding; its keccak must be `assignment.messageHash`, its length
   * `assignment.messageLength`. */
  message: Uint8Array;
}

/** A process's log from slot `from` on, at most `limit` entries, in slot order (fewer at the log's end). */
export interface LogSource {
  read(process: string, from: bigint, limit: number): Promise<LogEntry[]>;
  /**
   * Tells a source that checks the log's hash chain itself where a reader's stored, verified log ends, so a
   * read from `lastSlot + 1` after a restart need not re-read the log before it.
   */
  resume?(process: string, lastSlot: bigint, lastAssignmentHash: string): void;
}

/** An in-process log over lists of entries (a local SU, replays, tests); `append` grows a process's log. */
export class ListLogSource implements LogSource {
  private readonly logs = new Map<string, LogEntry[]>();

  append(process: string, entries: readonly LogEntry[]): void {
    const key = process.toLowerCase();
    const log = this.logs.get(key) ?? [];
    log.push(...entries);
    this.logs.set(key, log);
  }

  read(process: string, from: bigint, limit: number): Promise<LogEntry[]> {
    const log = this.logs.get(process.toLowerCase()) ?? [];
    const start = log.findIndex((e) => BigInt(e.assignment.slot) >= from);
    if (start < 0) return Promise.resolve([]);
    return Promise.resolve(log.slice(start, start + limit));
  }
}

/**
 * The scheduler unit's logic (docs/agents.md §6): verify a signed ANS-104 data item, assign it the next slot of
 * its process inside one SQLite transaction, sign the EIP-712 assignment, and serve the ordered log.
 *
 * Processes are known to the SU in two ways, both checked on chain (the ProcessRegistry must name this SU's
 * key as the process's scheduler): `registerProcess(id)` (an operator's call, the `processes` setting), or a
 * `Type: Process` data item spawned on chain with its own id as `arweaveId`: its tags `Holo-Module`,
 * `Holo-Initial-State` and `Holo-Owner` with this scheduler's address and its id give the process id exactly as
 * `ProcessRegistry.computeProcessId` does (an item cannot name its own id in a tag, so a `Holo-Process` tag
 * could not be bound to the item). Such a Process item is assigned the next slot like a message (slot 0 when
 * it registers the process).
 *
 * A well-formed Process item whose process is not in the registry yet (aoconnect's `spawn` signs and posts the
 * item in one call, so its id — the on-chain `arweaveId` — is known only once it is posted) is held *pending*:
 * stored durably (`pending_processes`) and answered with the process id it will have. Slot 0 is assigned to it
 * once the registry shows the process (`activatePending`: on a timer, and before a request needs the process).
 * Messages to a pending process are refused with `ProcessPending` (nothing is queued).
 */
import { createHash } from "node:crypto";

import { DataItem } from "@dha-team/arbundles";
import { AbiCoder, Wallet, computeAddress, getBytes, hexlify, keccak256, type TypedDataDomain } from "ethers";

import { ArweaveError, verifyDataItem, type Tag, type VerifiedDataItem } from "../../common/arweave";
import type { Logger } from "../../common/log";
import type { AgentMetrics } from "../../common/metrics";
import type { Store } from "../../common/store";
import { GENESIS_ASSIGNMENT_HASH, assignmentHash, type Assignment } from "../../../sdk/ts/assignments";
import { signDigest } from "../../../sdk/ts/secp256k1";
import { MAX_MESSAGE_BYTES, encodeMessage } from "../../../machine/process/message";
import { SchedulerError, StoreIdentityError } from "./errors";

/** What the chain says about a process (a port: the ProcessRegistry in production). */
export interface ProcessInfo {
  exists: boolean;
  scheduler: string;
  /** 0x hex of the Process data item's 32-byte id. */
  arweaveId: string;
  /** The module's limit on the canonical message encoding. */
  maxMessageBytes: number;
}

export interface ProcessDirectory {
  lookup(processId: string): Promise<ProcessInfo>;
  /**
   * The first slot from which the process is frozen on chain (an equivocation was proven), `undefined` when it
   * is not frozen. Directories without it are never consulted about freezes.
   */
  frozenFrom?(processId: string): Promise<bigint | undefined>;
}

/** `type(uint64).max`: the registry's "not frozen". */
const NOT_FROZEN = (1n << 64n) - 1n;

/** A ProcessDirectory over a ProcessRegistry contract (typechain or any object with these views). */
export function registryDirectory(registry: {
  processExists(id: string): Promise<boolean>;
  getProcess(id: string): Promise<{ moduleId: string; arweaveId: string; scheduler: string }>;
  getModule(id: string): Promise<{ maxMessageBytes: bigint | number }>;
  processStatus?(id: string): Promise<[boolean, bigint] | { exists: boolean; frozenFrom: bigint }>;
}): ProcessDirectory {
  const status = registry.processStatus?.bind(registry);
  return {
    ...(status && {
      async frozenFrom(processId: string) {
        const r = await status(processId);
        const from = Array.isArray(r) ? r[1] : r.frozenFrom;
        return from === NOT_FROZEN ? undefined : BigInt(from);
      },
    }),
    async lookup(processId) {
      if (!(await registry.processExists(processId))) {
        return { exists: false, scheduler: "", arweaveId: "", maxMessageBytes: 0 };
      }
      const p = await registry.getProcess(processId);
      const m = await registry.getModule(p.moduleId);
      return {
        exists: true,
        scheduler: p.scheduler,
        arweaveId: p.arweaveId.toLowerCase(),
        maxMessageBytes: Number(m.maxMessageBytes),
      };
    },
  };
}

/** A stored assignment with its hash and signature. */
export interface SignedAssignment extends Assignment {
  slot: bigint;
  timestamp: bigint;
  blockHeight: bigint;
  /** The EIP-712 digest (the next slot's prevAssignmentHash). */
  hash: string;
  signature: string;
  scheduler: string;
}

export interface AcceptResult {
  pending: false;
  /** The data item id (base64url). */
  id: string;
  timestamp: number;
  slot: number;
  process: string;
  assignment: SignedAssignment;
  /** False when the item had been assigned before (the earlier assignment is returned). */
  created: boolean;
}

/** A Process item held until its process is spawned on chain (`ProcessRegistry.spawn` with these values). */
export interface PendingSpawn {
  pending: true;
  /** The Process item's id (base64url). */
  id: string;
  /** The process id it will have on chain (0x hex). */
  process: string;
  /** When the item was first received (ms since the epoch). */
  timestamp: number;
  /** The item's id as bytes32: the `arweaveId` to spawn with. */
  arweaveId: string;
  moduleId: string;
  initialState: string;
  owner: string;
  /** This scheduler's address: the `scheduler` to spawn with. */
  scheduler: string;
}

export interface LogEntry {
  message: {
    id: string;
    type: string;
    owner: string;
    target: string;
    anchor: string;
    tags: Tag[];
    /** The data, base64. */
    data: string;
    /** The whole signed item, base64url (verify it against `id`). */
    raw: string;
  };
  assignment: SignedAssignment;
}

export interface LogPage {
  process: string;
  entries: LogEntry[];
  hasNextPage: boolean;
}

export interface SchedulerOptions {
  store: Store;
  /** The scheduler's EVM key (0x hex). */
  privateKey: string;
  chainId: bigint | number;
  /** The ProcessRegistry: the domain's verifying contract. */
  processRegistry: string;
  directory: ProcessDirectory;
  logger: Logger;
  metrics?: AgentMetrics;
  /** Milliseconds since the epoch; `Date.now` unless given. */
  now?: () => number;
  /**
   * How long (ms) a process's on-chain freeze status is trusted before it is read again (default 5,000). A
   * frozen process gets no new slots: every commitment covering them would be refused anyway.
   */
  freezeCheckMs?: number;
  /** The most Process items held pending at once (default 1,000); more are refused with `TooManyPending`. */
  maxPending?: number;
  /**
   * How long (ms) a Process item is held pending (default 7 days): past it, a {@link Scheduler.activatePending}
   * round that finds the process still not spawned drops it (`su.pending.expired`). Nothing is lost for good:
   * posted again after its spawn, the item registers the process as any Process item does.
   */
  pendingTtlMs?: number;
}

interface PendingRow {
  id: string;
  item_id: string;
  module_id: string;
  initial_state: string;
  owner: string;
  raw: Buffer;
  received_at: number;
}

const PROCESS_ID = /^0x[0-9a-f]{64}$/;

function tagValue(tags: readonly Tag[], name: string): string | undefined {
  return tags.find((t) => t.name === name)?.value;
}

/** Normalises a process id given as 0x hex or as base64url of its 32 bytes; `undefined` if neither. */
export function parseProcessId(id: string): string | undefined {
  if (/^0x[0-9a-fA-F]{64}$/.test(id)) return id.toLowerCase();
  if (/^[A-Za-z0-9_-]{43}$/.test(id)) {
    const b = Buffer.from(id, "base64url");
    if (b.length === 32 && b.toString("base64url") === id) return hexlify(b);
  }
  return undefined;
}

/** A data item id as given by aoconnect (base64url) or as bytes32 (0x hex), in its base64url form. */
function itemIdOf(messageId: string): string {
  return /^0x[0-9a-fA-F]{64}$/.test(messageId)
    ? Buffer.from(messageId.slice(2), "hex").toString("base64url")
    : messageId;
}

/** The base64url form of a 0x process id (an AO target). */
export function processTarget(processId: string): string {
  return Buffer.from(getBytes(processId)).toString("base64url");
}

interface ProcessRow {
  id: string;
  arweave_id: string;
  max_message_bytes: number;
  next_slot: number;
  last_hash: string;
  last_timestamp: number;
  last_height: number;
}

interface AssignmentRow {
  process: string;
  slot: number;
  message_id: string;
  message_hash: string;
  message_length: number;
  timestamp: number;
  block_height: number;
  prev_hash: string;
  hash: string;
  signature: string;
}

export class Scheduler {
  readonly address: string;
  readonly domain: TypedDataDomain;
  private readonly store: Store;
  private readonly wallet: Wallet;
  private readonly directory: ProcessDirectory;
  private readonly logger: Logger;
  private readonly metrics?: AgentMetrics;
  private readonly now: () => number;
  private readonly freezeCheckMs: number;
  private readonly maxPending: number;
  private readonly pendingTtlMs: number;
  /** The last freeze status read per process: the frozen-from slot (undefined: not frozen) and when. */
  private readonly freezes = new Map<string, { from: bigint | undefined; at: number }>();
  private height = 0;
  /** Writes waiting for the next group commit ({@link commit}). */
  private queue: {
    fn: () => unknown;
    resolve: (value: unknown) => void;
    reject: (error: unknown) => void;
  }[] = [];

  constructor(options: SchedulerOptions) {
    this.store = options.store;
    this.wallet = new Wallet(options.privateKey);
    this.address = this.wallet.address;
    this.domain = {
      name: "Holoproof",
      version: "1",
      chainId: BigInt(options.chainId),
      verifyingContract: options.processRegistry,
    };
    this.directory = options.directory;
    this.logger = options.logger;
    this.metrics = options.metrics;
    this.now = options.now ?? Date.now;
    this.freezeCheckMs = options.freezeCheckMs ?? 5_000;
    this.maxPending = options.maxPending ?? 1_000;
    this.pendingTtlMs = options.pendingTtlMs ?? 7 * 24 * 3600 * 1000;
    const identity = {
      scheduler: this.address,
      chainId: String(options.chainId),
      processRegistry: options.processRegistry.toLowerCase(),
    };
    const stored = this.store.meta.get<typeof identity>("identity");
    if (stored === undefined) {
      this.store.meta.set("identity", identity);
    } else if (
      stored.scheduler !== identity.scheduler ||
      stored.chainId !== identity.chainId ||
      stored.processRegistry !== identity.processRegistry
    ) {
      throw new StoreIdentityError(
        `the store ${this.store.path} belongs to scheduler ${stored.scheduler} on chain ${stored.chainId} with ` +
          `registry ${stored.processRegistry}, not ${identity.scheduler} on chain ${identity.chainId} with ` +
          `registry ${identity.processRegistry}`,
      );
    }
    // Rows from before store version 4 were signed without messageLength: no registry of this version
    // takes those signatures, and a new slot cannot chain to them (store.ts, migration 4).
    const legacy = this.store.db
      .prepare("SELECT COUNT(*) AS n FROM assignments WHERE message_length IS NULL")
      .get() as { n: number };
    if (legacy.n > 0) {
      throw new SchedulerError(
        "LegacyAssignments",
        `the store ${this.store.path} holds ${legacy.n} assignments signed without messageLength (before ` +
          `store version 4); they belong to a registry of the earlier Assignment type: use a new store`,
      );
    }
  }

  /** The Arweave block height assignments carry from now on (never decreases). */
  setBlockHeight(height: number): void {
    if (Number.isSafeInteger(height) && height > this.height) this.height = height;
  }

  get blockHeight(): number {
    return this.height;
  }

  /** Registers `processId` after checking on chain that it exists and names this scheduler. Idempotent. */
  async registerProcess(processId: string): Promise<void> {
    const id = parseProcessId(processId);
    if (id === undefined)
      throw new SchedulerError("UnknownProcess", `not a process id: ${processId}`, "process");
    if (this.processRow(id) !== undefined) return;
    const info = await this.checkedInfo(id);
    this.insertProcess(id, info);
  }

  /** Whether the SU schedules `processId`. */
  knows(processId: string): boolean {
    const id = parseProcessId(processId);
    return id !== undefined && this.processRow(id) !== undefined;
  }

  /** The registered processes (0x ids). */
  processes(): string[] {
    return (this.store.db.prepare("SELECT id FROM processes ORDER BY id").all() as { id: string }[]).map(
      (r) => r.id,
    );
  }

  private async checkedInfo(id: string): Promise<ProcessInfo> {
    return this.checked(id, await this.directory.lookup(id));
  }

  private checked(id: string, info: ProcessInfo): ProcessInfo {
    if (!info.exists)
      throw new SchedulerError("UnknownProcess", `no process ${id} in the ProcessRegistry`, "target");
    if (info.scheduler.toLowerCase() !== this.address.toLowerCase()) {
      throw new SchedulerError(
        "WrongTarget",
        `process ${id} is scheduled by ${info.scheduler}, not by this scheduler (${this.address})`,
        "target",
      );
    }
    return info;
  }

  private insertProcess(id: string, info: ProcessInfo): void {
    const limit = Math.min(
      MAX_MESSAGE_BYTES,
      info.maxMessageBytes > 0 ? info.maxMessageBytes : MAX_MESSAGE_BYTES,
    );
    const changed = this.store.db
      .prepare(
        `INSERT OR IGNORE INTO processes (id, arweave_id, max_message_bytes, next_slot, last_hash, registered_at)
         VALUES (?, ?, ?, 0, ?, ?)`,
      )
      .run(id, info.arweaveId, limit, GENESIS_ASSIGNMENT_HASH, this.now()).changes;
    if (changed > 0) this.logger.info({ event: "su.process.registered", process: id }, "process registered");
  }

  /**
   * Throws `ProcessFrozen` when the process is frozen on chain at or before its next slot (the status is read
   * at most every `freezeCheckMs`; a failed read keeps the last known status and is logged).
   */
  private async refuseIfFrozen(id: string): Promise<void> {
    const frozenFrom = this.directory.frozenFrom?.bind(this.directory);
    if (frozenFrom === undefined) return;
    let known = this.freezes.get(id);
    if (known === undefined || this.now() - known.at >= this.freezeCheckMs) {
      try {
        known = { from: await frozenFrom(id), at: this.now() };
        this.freezes.set(id, known);
      } catch (error) {
        this.logger.warn(
          { event: "su.freeze.retry", process: id, err: error },
          "the freeze status could not be read; the last known one is used",
        );
      }
    }
    if (known?.from === undefined) return;
    const next = BigInt(this.nextSlot(id));
    if (known.from <= next) {
      throw new SchedulerError(
        "ProcessFrozen",
        `process ${id} is frozen on chain from slot ${known.from} (an equivocation was proven); no slot ${next} is assigned`,
        "target",
      );
    }
  }

  private processRow(id: string): ProcessRow | undefined {
    return this.store.db.prepare("SELECT * FROM processes WHERE id = ?").get(id) as ProcessRow | undefined;
  }

  /**
   * Verifies the signed data item `bytes` and assigns it the next slot of its process (or returns the
   * assignment it already has). Throws SchedulerError for bad input; nothing is stored then. A Process item
   * not spawned on chain yet is held pending (see `submit`) and refused here with `UnknownProcess`.
   */
  async accept(bytes: Uint8Array): Promise<AcceptResult> {
    const r = await this.submit(bytes);
    if (r.pending) {
      throw new SchedulerError(
        "UnknownProcess",
        `no process ${r.process} in the ProcessRegistry yet: its Process item is held pending until it is ` +
          `spawned with arweaveId ${r.arweaveId}`,
        "target",
      );
    }
    return r;
  }

  /**
   * As `accept`, except that a well-formed Process item whose process is not in the registry yet is stored
   * pending (idempotent) and answered as a `PendingSpawn`; slot 0 is assigned to it once it is spawned.
   */
  async submit(bytes: Uint8Array): Promise<AcceptResult | PendingSpawn> {
    const item = await verify(bytes);
    const existing = this.assignmentOfMessage(item.id);
    if (existing !== undefined) return this.result(item.id, existing, false);

    if (tagValue(item.tags, "Data-Protocol") !== "ao") {
      throw new SchedulerError(
        "MalformedDataItem",
        "the item has no tag Data-Protocol: ao",
        "tags.Data-Protocol",
      );
    }
    const type = tagValue(item.tags, "Type");
    let processId: string;
    let register: ProcessInfo | undefined;
    let hold = false;
    if (type === "Message") {
      if (item.target === "")
        throw new SchedulerError("WrongTarget", "a Message needs a target (the process id)", "target");
      const id = parseProcessId(item.target);
      if (id === undefined)
        throw new SchedulerError("WrongTarget", `target ${item.target} is not a process id`, "target");
      if (this.processRow(id) === undefined && this.pendingRow(id) !== undefined) {
        await this.activatePending(id);
      }
      if (this.processRow(id) === undefined) {
        const pending = this.pendingRow(id);
        if (pending !== undefined) {
          throw new SchedulerError(
            "ProcessPending",
            `process ${id} is not spawned on chain yet: its Process item ${pending.item_id} is held; spawn it ` +
              `with arweaveId ${hexlify(Buffer.from(pending.item_id, "base64url"))}, then send the message again`,
            "target",
          );
        }
        throw new SchedulerError(
          "UnknownProcess",
          `process ${id} is not scheduled by this scheduler`,
          "target",
        );
      }
      await this.refuseIfFrozen(id);
      processId = id;
    } else if (type === "Process") {
      if (item.target !== "")
        throw new SchedulerError("WrongTarget", "a Process item has no target", "target");
      const id = this.processIdOf(item);
      const row = this.processRow(id);
      if (row === undefined) {
        const info = await this.directory.lookup(id);
        if (info.exists) register = this.checked(id, info);
        else hold = true;
      }
      const arweaveId = hold
        ? hexlify(Buffer.from(item.id, "base64url"))
        : (row?.arweave_id ?? register!.arweaveId);
      if (arweaveId !== hexlify(Buffer.from(item.id, "base64url"))) {
        throw new SchedulerError(
          "WrongTarget",
          `process ${id} was spawned with Process item ${arweaveId}`,
          "body",
        );
      }
      processId = id;
    } else {
      throw new SchedulerError(
        "MalformedDataItem",
        `Type must be Message or Process, got ${String(type)}`,
        "tags.Type",
      );
    }

    const maxBytes =
      this.processRow(processId)?.max_message_bytes ?? register?.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    const size = canonicalEncoding(item, processId, 0n, 0n, 0n).length;
    if (size > Math.min(maxBytes, MAX_MESSAGE_BYTES)) {
      throw new SchedulerError(
        "MessageTooLarge",
        `the canonical message encoding is ${size} bytes, more than the process's limit of ${Math.min(maxBytes, MAX_MESSAGE_BYTES)}`,
        "data",
      );
    }
    if (hold) return this.hold(processId, item);

    // Everything from here is one synchronous SQLite savepoint of the next group commit: no other accept
    // interleaves, and the answer leaves only once the transaction holding it is durable.
    const outcome = await this.commit(() => {
      const again = this.assignmentOfMessage(item.id);
      if (again !== undefined) return { row: again, created: false };
      if (register !== undefined) {
        this.insertProcess(processId, register);
        this.store.db.prepare("DELETE FROM pending_processes WHERE id = ?").run(processId);
      }
      const p = this.processRow(processId)!;
      const timestamp = Math.max(this.now(), p.last_timestamp);
      const height = Math.max(this.height, p.last_height);
      const slot = p.next_slot;
      const encoded = canonicalEncoding(item, processId, BigInt(slot), BigInt(timestamp), BigInt(height));
      const a: Assignment = {
        process: processId,
        slot: BigInt(slot),
        messageId: hexlify(Buffer.from(item.id, "base64url")),
        messageHash: keccak256(encoded),
        messageLength: encoded.length,
        timestamp: BigInt(timestamp),
        blockHeight: BigInt(height),
        prevAssignmentHash: p.last_hash,
      };
      const hash = assignmentHash(this.domain, a);
      const signature = signDigest(this.wallet.privateKey, hash);
      this.store.db
        .prepare(
          "INSERT INTO messages (id, process, slot, type, owner_address, raw) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .run(item.id, processId, slot, type, item.ownerAddress, Buffer.from(item.raw));
      const row: AssignmentRow = {
        process: processId,
        slot,
        message_id: item.id,
        message_hash: a.messageHash,
        message_length: encoded.length,
        timestamp,
        block_height: height,
        prev_hash: p.last_hash,
        hash,
        signature,
      };
      this.store.db
        .prepare(
          `INSERT INTO assignments (process, slot, message_id, message_hash, message_length, timestamp, block_height, prev_hash, hash, signature)
           VALUES (@process, @slot, @message_id, @message_hash, @message_length, @timestamp, @block_height, @prev_hash, @hash, @signature)`,
        )
        .run(row);
      this.store.db
        .prepare(
          "UPDATE processes SET next_slot = ?, last_hash = ?, last_timestamp = ?, last_height = ? WHERE id = ?",
        )
        .run(slot + 1, hash, timestamp, height, processId);
      return { row, created: true };
    });
    if (outcome.created) {
      this.metrics?.get("holo_su_slots_assigned_total").inc();
      this.metrics?.get("holo_su_publish_lag_slots").inc();
      this.logger.info(
        { event: "su.slot.assigned", process: processId, slot: outcome.row.slot, message: item.id },
        "slot assigned",
      );
    }
    return this.result(item.id, outcome.row, outcome.created);
  }

  /**
   * Runs `fn` in the next group commit. Every accept that reaches its write in one turn of the event loop is
   * written in one SQLite transaction: one fsync for all of them, which is most of an accept's cost when it is
   * alone (docs/benchmarks.md). Each runs in its own savepoint, in arrival order, so a failure undoes that one
   * only; every promise settles after the transaction has committed (or failed, and then all of them fail).
   */
  private commit<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const ops = this.queue;
    this.queue = [];
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.store.tx(() => {
        for (const op of ops) {
          try {
            outcomes.push({ ok: true, value: this.store.tx(op.fn) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      for (const op of ops) op.reject(error);
      return;
    }
    this.metrics?.get("holo_su_commits_total").inc();
    ops.forEach((op, i) => {
      const o = outcomes[i];
      if (o.ok) op.resolve(o.value);
      else op.reject(o.error);
    });
  }

  private pendingRow(id: string): PendingRow | undefined {
    return this.store.db.prepare("SELECT * FROM pending_processes WHERE id = ?").get(id) as
      PendingRow | undefined;
  }

  private pendingJson(r: PendingRow): PendingSpawn {
    return {
      pending: true,
      id: r.item_id,
      process: r.id,
      timestamp: r.received_at,
      arweaveId: hexlify(Buffer.from(r.item_id, "base64url")),
      moduleId: r.module_id,
      initialState: r.initial_state,
      owner: r.owner,
      scheduler: this.address,
    };
  }

  /** Stores the Process item of not yet spawned process `id` (once; refused beyond `maxPending`). */
  private hold(id: string, item: VerifiedDataItem): PendingSpawn {
    const row = this.store.tx(() => {
      const known = this.pendingRow(id);
      if (known !== undefined) return known;
      const { n } = this.store.db.prepare("SELECT COUNT(*) AS n FROM pending_processes").get() as {
        n: number;
      };
      if (n >= this.maxPending) {
        throw new SchedulerError(
          "TooManyPending",
          `${n} Process items are already waiting to be spawned on chain; spawn one first or try again later`,
          "body",
        );
      }
      this.store.db
        .prepare(
          `INSERT INTO pending_processes (id, item_id, module_id, initial_state, owner, raw, received_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          item.id,
          tagValue(item.tags, "Holo-Module")!.toLowerCase(),
          tagValue(item.tags, "Holo-Initial-State")!.toLowerCase(),
          tagValue(item.tags, "Holo-Owner")!,
          Buffer.from(item.raw),
          this.now(),
        );
      this.logger.info(
        { event: "su.process.pending", process: id, item: item.id },
        "Process item held until the process is spawned on chain",
      );
      return this.pendingRow(id)!;
    });
    return this.pendingJson(row);
  }

  /** The pending spawn of `processId` (0x or base64url), `undefined` if none is held. */
  pendingSpawn(processId: string): PendingSpawn | undefined {
    const id = parseProcessId(processId);
    const row = id === undefined ? undefined : this.pendingRow(id);
    return row && this.pendingJson(row);
  }

  /** The process ids (0x) of the Process items held pending. */
  pendingProcesses(): string[] {
    return (
      this.store.db.prepare("SELECT id FROM pending_processes ORDER BY id").all() as { id: string }[]
    ).map((r) => r.id);
  }

  /**
   * Assigns slot 0 to each held Process item (all, or that of `processId`) whose process the registry now
   * shows; returns the process ids registered. A failed chain read keeps the item pending (logged); an item
   * refused on chain grounds is dropped (logged).
   */
  async activatePending(processId?: string): Promise<string[]> {
    const rows =
      processId === undefined
        ? (this.store.db
            .prepare("SELECT * FROM pending_processes ORDER BY received_at")
            .all() as PendingRow[])
        : [this.pendingRow(processId.toLowerCase())].filter((r): r is PendingRow => r !== undefined);
    const done: string[] = [];
    for (const r of rows) {
      let exists: boolean;
      try {
        exists = (await this.directory.lookup(r.id)).exists;
      } catch (error) {
        this.logger.warn(
          { event: "su.pending.retry", process: r.id, err: error },
          "the registry could not be read; the Process item stays pending",
        );
        continue;
      }
      if (!exists) {
        const age = this.now() - r.received_at;
        if (age > this.pendingTtlMs) {
          this.store.db
            .prepare("DELETE FROM pending_processes WHERE id = ? AND received_at = ?")
            .run(r.id, r.received_at);
          this.logger.info(
            { event: "su.pending.expired", process: r.id, item: r.item_id, ageMs: age },
            "a Process item held pending longer than pendingTtl was dropped; post it again once it is spawned",
          );
        }
        continue;
      }
      try {
        await this.submit(new Uint8Array(r.raw));
        done.push(r.id);
      } catch (error) {
        if (!(error instanceof SchedulerError)) throw error;
        this.store.db.prepare("DELETE FROM pending_processes WHERE id = ?").run(r.id);
        this.logger.warn(
          { event: "su.pending.refused", process: r.id, error: error.name, reason: error.message },
          "a pending Process item was refused once spawned; dropped",
        );
      }
    }
    return done;
  }

  /**
   * The on-chain id of the process a Process item spawned: computed as the ProcessRegistry does, from the
   * item's tags Holo-Module (module id), Holo-Initial-State (state hash) and Holo-Owner (the spawner), this
   * scheduler's address and the item's own id as `arweaveId`.
   */
  private processIdOf(item: VerifiedDataItem): string {
    const need = (name: string, pattern: RegExp): string => {
      const v = tagValue(item.tags, name);
      if (v === undefined || !pattern.test(v)) {
        throw new SchedulerError(
          "MalformedDataItem",
          `a Process item needs tag ${name} (${String(pattern)})`,
          `tags.${name}`,
        );
      }
      return v;
    };
    const moduleId = need("Holo-Module", /^0x[0-9a-fA-F]{64}$/);
    const initialState = need("Holo-Initial-State", /^0x[0-9a-fA-F]{64}$/);
    const owner = need("Holo-Owner", /^0x[0-9a-fA-F]{40}$/);
    return keccak256(
      AbiCoder.defaultAbiCoder().encode(
        ["uint256", "address", "bytes32", "address", "bytes32", "bytes32", "address"],
        [
          this.domain.chainId,
          this.domain.verifyingContract,
          moduleId,
          this.address,
          initialState,
          hexlify(Buffer.from(item.id, "base64url")),
          owner,
        ],
      ),
    ).toLowerCase();
  }

  private assignmentOfMessage(id: string): AssignmentRow | undefined {
    return this.store.db.prepare("SELECT * FROM assignments WHERE message_id = ?").get(id) as
      AssignmentRow | undefined;
  }

  private toSigned(row: AssignmentRow): SignedAssignment {
    return {
      process: row.process,
      slot: BigInt(row.slot),
      messageId: hexlify(Buffer.from(row.message_id, "base64url")),
      messageHash: row.message_hash,
      messageLength: row.message_length,
      timestamp: BigInt(row.timestamp),
      blockHeight: BigInt(row.block_height),
      prevAssignmentHash: row.prev_hash,
      hash: row.hash,
      signature: row.signature,
      scheduler: this.address,
    };
  }

  private result(id: string, row: AssignmentRow, created: boolean): AcceptResult {
    return {
      pending: false,
      id,
      timestamp: row.timestamp,
      slot: row.slot,
      process: row.process,
      assignment: this.toSigned(row),
      created,
    };
  }

  /** The assignment of message `messageId` in `processId`, with the message; NotFound if none. */
  message(messageId: string, processId: string): LogEntry {
    const id = parseProcessId(processId);
    if (id === undefined)
      throw new SchedulerError("UnknownProcess", `not a process id: ${processId}`, "query.process-id");
    const row = this.store.db
      .prepare("SELECT * FROM assignments WHERE message_id = ? AND process = ?")
      .get(itemIdOf(messageId), id) as AssignmentRow | undefined;
    if (row === undefined)
      throw new SchedulerError("NotFound", `no message ${messageId} in process ${id}`, "params.id");
    return this.entry(row);
  }

  /** The process (0x) of message `messageId` (base64url or 0x hex), if this SU assigned it; else `undefined`. */
  messageProcess(messageId: string): string | undefined {
    const row = this.store.db
      .prepare("SELECT process FROM messages WHERE id = ?")
      .get(itemIdOf(messageId)) as { process: string } | undefined;
    return row?.process;
  }

  private entry(row: AssignmentRow): LogEntry {
    const m = this.store.db.prepare("SELECT type, raw FROM messages WHERE id = ?").get(row.message_id) as {
      type: string;
      raw: Buffer;
    };
    const item = parseVerified(m.raw);
    return {
      message: {
        id: row.message_id,
        type: m.type,
        owner: item.ownerAddress,
        target: item.target,
        anchor: item.anchor,
        tags: item.tags,
        data: Buffer.from(item.data).toString("base64"),
        raw: m.raw.toString("base64url"),
      },
      assignment: this.toSigned(row),
    };
  }

  /** Slots `from..to` (inclusive) of `processId`, at most `limit`. */
  log(processId: string, range: { from?: number; to?: number; limit?: number } = {}): LogPage {
    const id = parseProcessId(processId);
    if (id !== undefined && this.processRow(id) === undefined && this.pendingRow(id) !== undefined) {
      throw new SchedulerError(
        "ProcessPending",
        `process ${id} is not spawned on chain yet (its Process item is held); it has no log`,
        "params.id",
      );
    }
    if (id === undefined || this.processRow(id) === undefined) {
      throw new SchedulerError("UnknownProcess", `process ${processId} is not scheduled here`, "params.id");
    }
    const from = range.from ?? 0;
    const to = range.to ?? Number.MAX_SAFE_INTEGER;
    const limit = range.limit ?? 100;
    if (!Number.isSafeInteger(from) || from < 0)
      throw new SchedulerError("BadRange", "from must be a slot >= 0", "query.from");
    if (!Number.isSafeInteger(to) || to < 0)
      throw new SchedulerError("BadRange", "to must be a slot >= 0", "query.to");
    if (from > to) throw new SchedulerError("BadRange", `from (${from}) is after to (${to})`, "query.from");
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
      throw new SchedulerError("BadRange", "limit must be 1..1000", "query.limit");
    }
    const rows = this.store.db
      .prepare(
        "SELECT * FROM assignments WHERE process = ? AND slot >= ? AND slot <= ? ORDER BY slot LIMIT ?",
      )
      .all(id, from, to, limit + 1) as AssignmentRow[];
    return {
      process: id,
      entries: rows.slice(0, limit).map((r) => this.entry(r)),
      hasNextPage: rows.length > limit,
    };
  }

  /** The next slot of `processId` (the count of its assignments). */
  nextSlot(processId: string): number {
    const id = parseProcessId(processId);
    return id === undefined ? 0 : (this.processRow(id)?.next_slot ?? 0);
  }
}

async function verify(bytes: Uint8Array): Promise<VerifiedDataItem> {
  try {
    return await verifyDataItem(bytes);
  } catch (error) {
    if (error instanceof ArweaveError) {
      if (/signature does not verify/.test(error.message)) {
        throw new SchedulerError("InvalidSignature", error.message, "body");
      }
      throw new SchedulerError("MalformedDataItem", error.message, "body");
    }
    throw new SchedulerError("MalformedDataItem", `not an ANS-104 data item: ${String(error)}`, "body");
  }
}

/** A stored item's fields (it was verified when accepted). */
function parseVerified(raw: Buffer): {
  ownerAddress: string;
  target: string;
  anchor: string;
  tags: Tag[];
  data: Uint8Array;
} {
  const item = new DataItem(raw);
  return {
    ownerAddress: createHash("sha256").update(item.rawOwner).digest().toString("base64url"),
    target: item.target,
    anchor: item.anchor,
    tags: item.tags,
    data: new Uint8Array(item.rawData),
  };
}

/** arbundles' signature type of Ethereum (secp256k1) signed items. */
export const ETHEREUM_SIGNATURE_TYPE = 3;

/**
 * The `from` of the canonical encoding: the Ethereum address (20 bytes, left-padded by the encoding) of an
 * Ethereum-signed item, else the owner's Arweave address, sha256 of the owner's public key (32 bytes).
 */
export function senderBytes(
  item: Pick<VerifiedDataItem, "signatureType" | "owner" | "ownerAddress">,
): Uint8Array {
  if (item.signatureType === ETHEREUM_SIGNATURE_TYPE) {
    return getBytes(computeAddress(hexlify(Buffer.from(item.owner, "base64url"))));
  }
  return new Uint8Array(Buffer.from(item.ownerAddress, "base64url"));
}

/** The canonical encoding (docs/process-abi.md) of `item` at a slot: id, owner address, target = process. */
export function canonicalEncoding(
  item: Pick<VerifiedDataItem, "id" | "signatureType" | "owner" | "ownerAddress" | "tags" | "data">,
  processId: string,
  slot: bigint,
  timestamp: bigint,
  blockHeight: bigint,
): Uint8Array {
  if (!PROCESS_ID.test(processId)) throw new TypeError(`canonicalEncoding: bad process id ${processId}`);
  return encodeMessage({
    id: new Uint8Array(Buffer.from(item.id, "base64url")),
    from: senderBytes(item),
    target: getBytes(processId),
    slot,
    timestamp,
    blockHeight,
    tags: item.tags.map((t) => ({ name: t.name, value: t.value })),
    data: item.data,
  });
}

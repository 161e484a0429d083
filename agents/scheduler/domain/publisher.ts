/**
 * The publishing loop: bundles new messages and their signed assignments to Arweave (docs/agents.md §6).
 *
 * Crash safety (the `publications` table): the Assignment data items are made and stored first; then one
 * transaction records a `pending` publication with its item ids and marks the messages and assignments as
 * belonging to it; then the bundle transaction is signed and stored with it (`bundle_id`, `bundle_tx`); then it
 * is posted and the publication marked `posted`. A `pending` publication (after a failed round or a crash) is
 * resumed before anything new: if the gateway already has its items it is marked `posted` without posting
 * again, else the same stored transaction is re-sent (the gateway skips what it has; never a second bundle of
 * the same items, which would cost a second fee and which ArLocal cannot mine). A post the gateway refuses is
 * followed by a second look for the items. So every slot is published, once.
 *
 * Failed rounds are retried the next round; a gateway failure (`transient`) is a warning, any other one too
 * until {@link PAGE_AFTER_FAILED_ROUNDS} rounds in a row have failed: then it pages `livenessAtRisk`.
 */
import { ArweaveSigner, createData, type JWKInterface } from "@dha-team/arbundles";

import {
  ArweaveError,
  createSignedMessage,
  type EthereumItemSigner,
  type PostedBundle,
  type SignedBundle,
  type Tag,
  type TransactionInfo,
} from "../../common/arweave";
import { logPage, type Logger } from "../../common/log";
import type { AgentMetrics } from "../../common/metrics";
import type { Store } from "../../common/store";
import { processTarget } from "./scheduler";

/** Posting items and looking them up (ArweaveClient); the CU's publishing uses this one. */
export interface PublishTarget {
  postDataItems(items: readonly Uint8Array[]): Promise<PostedBundle>;
  getInfo(id: string): Promise<TransactionInfo>;
}

/**
 * The gateway operations the SU's publisher needs (ArweaveClient): a bundle transaction signed once and stored,
 * then sent (again, after a failure) as that same transaction.
 */
export interface BundleTarget {
  signBundle(items: readonly Uint8Array[]): Promise<SignedBundle>;
  sendBundle(transaction: string, items: readonly Uint8Array[]): Promise<PostedBundle>;
  getInfo(id: string): Promise<TransactionInfo>;
  /** Housekeeping owed after a post (ArLocal's mine), run at the start of every round. */
  settle?(): Promise<void>;
}

/**
 * K: the failed rounds in a row (other than gateway outages, which only warn) after which the publisher pages
 * `livenessAtRisk`. One refusal is often cleared by the next round (the resume finds the items posted), so one
 * failure alone does not page.
 */
export const PAGE_AFTER_FAILED_ROUNDS = 3;

export interface PublisherOptions {
  store: Store;
  arweave: BundleTarget;
  /** The JWK that signs the Scheduler-Location items, and the Assignment items when `itemSigner` is not given. */
  wallet: JWKInterface;
  /**
   * The scheduler's EVM key as an ANS-104 type-3 signer: it signs one Assignment item per slot at about 0.05 ms,
   * where the RSA-4096 `wallet` takes about 10 ms (docs/benchmarks.md). Its address must be `scheduler`.
   */
  itemSigner?: EthereumItemSigner;
  /** The scheduler's EVM address (tag Holo-Scheduler). */
  scheduler: string;
  /** The most slots per bundle. */
  batch: number;
  logger: Logger;
  metrics?: AgentMetrics;
  now?: () => number;
  /** K, default {@link PAGE_AFTER_FAILED_ROUNDS}. */
  pageAfterFailedRounds?: number;
}

interface PendingRow {
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
  item_id: string | null;
  item_raw: Buffer | null;
  message_publication: number | null;
}

export interface PublishOutcome {
  publication: number;
  bundleId: string | null;
  slots: number;
  items: number;
}

/** The AO tags of an assignment's data item (plus Holoproof's, which rebuild the EIP-712 struct). */
export function assignmentTags(a: {
  process: string;
  slot: number;
  message_id: string;
  timestamp: number;
  block_height: number;
  hash: string;
  signature: string;
  message_hash: string;
  message_length: number;
  prev_hash: string;
  scheduler: string;
}): Tag[] {
  return [
    { name: "Process", value: processTarget(a.process) },
    { name: "Message", value: a.message_id },
    { name: "Nonce", value: String(a.slot) },
    { name: "Epoch", value: "0" },
    { name: "Timestamp", value: String(a.timestamp) },
    { name: "Block-Height", value: String(a.block_height) },
    { name: "Hash-Chain", value: a.hash },
    { name: "Holo-Signature", value: a.signature },
    { name: "Holo-Process", value: a.process },
    { name: "Holo-Message-Hash", value: a.message_hash },
    { name: "Holo-Message-Length", value: String(a.message_length) },
    { name: "Holo-Prev-Assignment-Hash", value: a.prev_hash },
    { name: "Holo-Scheduler", value: a.scheduler },
  ];
}

export class Publisher {
  private readonly o: Required<Omit<PublisherOptions, "metrics" | "itemSigner">> & {
    metrics?: AgentMetrics;
    itemSigner?: EthereumItemSigner;
  };
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Rounds failed in a row (reset by a round that succeeds). */
  private failedRounds = 0;
  /** Rounds and Scheduler-Location posts run one at a time: two resuming one publication would post it twice. */
  private lock: Promise<unknown> = Promise.resolve();

  constructor(options: PublisherOptions) {
    if (!Number.isSafeInteger(options.batch) || options.batch < 1) {
      throw new RangeError(`Publisher: batch must be a positive integer, got ${String(options.batch)}`);
    }
    const k = options.pageAfterFailedRounds ?? PAGE_AFTER_FAILED_ROUNDS;
    if (!Number.isSafeInteger(k) || k < 1) {
      throw new RangeError(`Publisher: pageAfterFailedRounds must be a positive integer, got ${String(k)}`);
    }
    if (
      options.itemSigner !== undefined &&
      options.itemSigner.address.toLowerCase() !== options.scheduler.toLowerCase()
    ) {
      throw new RangeError(
        `Publisher: itemSigner is the key of ${options.itemSigner.address}, not of the scheduler ${options.scheduler}`,
      );
    }
    this.o = { now: Date.now, ...options, pageAfterFailedRounds: k };
  }

  /** Slots of each pending publication (counted once; a publication's slots never change). */
  private readonly pendingSlots = new Map<number, number>();

  /**
   * Slots assigned and not yet in a posted publication: the publish backlog (`maxPublishBacklog` bounds it).
   * Cheap enough for every POST: the unpublished slots are counted over the partial index
   * `assignments_unpublished`, the slots of pending publications (at most a few) are cached.
   */
  lag(): number {
    const db = this.o.store.db;
    let n = (
      db.prepare("SELECT COUNT(*) AS n FROM assignments WHERE publication IS NULL").get() as { n: number }
    ).n;
    const pending = db
      .prepare("SELECT id FROM publications WHERE status = 'pending' AND kind = 'slots'")
      .all() as { id: number }[];
    for (const { id } of pending) {
      let k = this.pendingSlots.get(id);
      if (k === undefined) {
        k = (
          db.prepare("SELECT COUNT(*) AS n FROM assignments WHERE publication = ?").get(id) as { n: number }
        ).n;
        this.pendingSlots.set(id, k);
      }
      n += k;
    }
    if (this.pendingSlots.size > pending.length) {
      const live = new Set(pending.map((p) => p.id));
      for (const id of this.pendingSlots.keys()) if (!live.has(id)) this.pendingSlots.delete(id);
    }
    return n;
  }

  /** {@link lag}, also set as the `holo_su_publish_lag_slots` gauge. */
  backlog(): number {
    const n = this.lag();
    this.o.metrics?.get("holo_su_publish_lag_slots").set(n);
    return n;
  }

  private updateLag(): void {
    this.backlog();
  }

  /**
   * Publishes until nothing is left (each bundle at most `batch` slots), or until {@link stop} (after the bundle
   * in progress: a stop does not wait for a backlog to drain); returns what was posted.
   */
  async publishAll(): Promise<PublishOutcome[]> {
    await this.o.arweave.settle?.();
    const out: PublishOutcome[] = [];
    while (!this.stopped) {
      const r = await this.publishOnce();
      if (r === undefined) break;
      out.push(r);
    }
    return out;
  }

  /** Resumes a pending publication, or publishes the next batch; `undefined` when there was nothing to do. */
  publishOnce(): Promise<PublishOutcome | undefined> {
    return this.exclusive(() => this.publishOnceLocked());
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async publishOnceLocked(): Promise<PublishOutcome | undefined> {
    const db = this.o.store.db;
    const pending = db
      .prepare("SELECT id, kind, item_ids FROM publications WHERE status = 'pending' ORDER BY id LIMIT 1")
      .get() as { id: number; kind: string; item_ids: string } | undefined;
    if (pending !== undefined) return this.resume(pending.id);

    const rows = db
      .prepare(
        `SELECT a.*, m.publication AS message_publication FROM assignments a JOIN messages m ON m.id = a.message_id
         WHERE a.publication IS NULL ORDER BY a.rowid LIMIT ?`,
      )
      .all(this.o.batch) as PendingRow[];
    if (rows.length === 0) {
      this.updateLag();
      return undefined;
    }
    // 1. the Assignment items, made once and stored before they are used
    for (const row of rows) {
      if (row.item_raw !== null) continue;
      const item = await createSignedMessage(this.o.itemSigner ?? this.o.wallet, {
        type: "Assignment",
        tags: assignmentTags({ ...row, scheduler: this.o.scheduler }),
      });
      db.prepare(
        "UPDATE assignments SET item_id = ?, item_raw = ? WHERE process = ? AND slot = ? AND item_raw IS NULL",
      ).run(item.id, item.getRaw(), row.process, row.slot);
    }
    // 2. the publication, recorded before the post
    const publication = this.o.store.tx(() => {
      const ids: string[] = [];
      for (const row of rows) {
        if (row.message_publication === null) ids.push(row.message_id);
        const a = db
          .prepare("SELECT item_id FROM assignments WHERE process = ? AND slot = ?")
          .get(row.process, row.slot) as { item_id: string };
        ids.push(a.item_id);
      }
      const id = Number(
        db
          .prepare(
            "INSERT INTO publications (kind, status, item_ids, created_at) VALUES ('slots', 'pending', ?, ?)",
          )
          .run(JSON.stringify(ids), this.o.now()).lastInsertRowid,
      );
      for (const row of rows) {
        db.prepare("UPDATE assignments SET publication = ? WHERE process = ? AND slot = ?").run(
          id,
          row.process,
          row.slot,
        );
        db.prepare("UPDATE messages SET publication = ? WHERE id = ? AND publication IS NULL").run(
          id,
          row.message_id,
        );
      }
      return id;
    });
    return this.resume(publication);
  }

  /**
   * Posts publication `id` unless the gateway has its items already; marks it posted. The bundle transaction
   * is signed and stored once, before its first post; every resume re-sends that one.
   */
  private async resume(id: number): Promise<PublishOutcome> {
    const db = this.o.store.db;
    const pub = db.prepare("SELECT * FROM publications WHERE id = ?").get(id) as {
      kind: string;
      item_ids: string;
      items: Buffer | null;
      bundle_id: string | null;
      bundle_tx: string | null;
    };
    const ids = JSON.parse(pub.item_ids) as string[];
    const slots = (
      db.prepare("SELECT COUNT(*) AS n FROM assignments WHERE publication = ?").get(id) as { n: number }
    ).n;
    let bundleId = pub.bundle_id;
    const recovered = (why: string) =>
      this.o.logger.info(
        { event: "su.publish.recovered", publication: id, bundleId, why },
        "publication already on Arweave",
      );
    if (await this.gatewayHas(ids)) {
      recovered("its items are on the gateway");
    } else {
      const items = this.itemsOf(id, pub.kind, ids, pub.items);
      let transaction = pub.bundle_tx;
      if (transaction === null) {
        const signed = await this.o.arweave.signBundle(items);
        db.prepare("UPDATE publications SET bundle_id = ?, bundle_tx = ? WHERE id = ?").run(
          signed.bundleId,
          signed.transaction,
          id,
        );
        bundleId = signed.bundleId;
        transaction = signed.transaction;
      }
      try {
        await this.o.arweave.sendBundle(transaction, items);
      } catch (error) {
        // A refusal may be about a post that already went through (a retry, a re-post after a crash): look again.
        const refused = error instanceof ArweaveError && error.kind !== "transient";
        if (!refused || !(await this.gatewayHas(ids).catch(() => false))) {
          if (refused && error.status === 400) {
            // the gateway calls the transaction itself invalid (an anchor too old after a long outage, a
            // reward too low): it was never accepted, so the next round signs a new one
            db.prepare("UPDATE publications SET bundle_id = NULL, bundle_tx = NULL WHERE id = ?").run(id);
            this.o.logger.warn(
              { event: "su.publish.resign", publication: id, bundleId, err: error.message },
              "the gateway refused the bundle transaction; it will be signed again",
            );
          }
          throw error;
        }
        recovered("the gateway refused the post but has the items");
      }
    }
    db.prepare("UPDATE publications SET status = 'posted', bundle_id = ?, posted_at = ? WHERE id = ?").run(
      bundleId,
      this.o.now(),
      id,
    );
    this.updateLag();
    this.o.logger.info(
      { event: "su.publish.posted", publication: id, bundleId, slots, items: ids.length },
      "published to Arweave",
    );
    return { publication: id, bundleId, slots, items: ids.length };
  }

  private itemsOf(id: number, kind: string, ids: readonly string[], single: Buffer | null): Uint8Array[] {
    if (kind === "location") return [new Uint8Array(single!)];
    const db = this.o.store.db;
    const byId = new Map<string, Buffer>();
    for (const r of db.prepare("SELECT id, raw FROM messages WHERE publication = ?").all(id) as {
      id: string;
      raw: Buffer;
    }[]) {
      byId.set(r.id, r.raw);
    }
    for (const r of db.prepare("SELECT item_id, item_raw FROM assignments WHERE publication = ?").all(id) as {
      item_id: string;
      item_raw: Buffer;
    }[]) {
      byId.set(r.item_id, r.item_raw);
    }
    return ids.map((i) => {
      const raw = byId.get(i);
      if (raw === undefined) throw new Error(`publication ${id}: item ${i} is not in the store`);
      return new Uint8Array(raw);
    });
  }

  /** Whether the gateway knows every item of `ids` (a notFound means no). */
  private async gatewayHas(ids: readonly string[]): Promise<boolean> {
    for (const i of ids) {
      try {
        await this.o.arweave.getInfo(i);
      } catch (error) {
        if (error instanceof ArweaveError && error.kind === "notFound") return false;
        throw error;
      }
    }
    return ids.length > 0;
  }

  /**
   * Publishes a `Scheduler-Location` item (AO: Type Scheduler-Location, Url, Time-To-Live in ms), recorded as a
   * publication first so a crash resumes it. Returns the item id.
   */
  async publishLocation(url: string, ttlMs: number): Promise<string> {
    const signer = new ArweaveSigner(this.o.wallet);
    const item = createData("", signer, {
      tags: [
        { name: "Data-Protocol", value: "ao" },
        { name: "Variant", value: "ao.TN.1" },
        { name: "Type", value: "Scheduler-Location" },
        { name: "Url", value: url },
        { name: "Time-To-Live", value: String(ttlMs) },
        { name: "Holo-Scheduler", value: this.o.scheduler },
      ],
    });
    await item.sign(signer);
    const id = Number(
      this.o.store.db
        .prepare(
          "INSERT INTO publications (kind, status, item_ids, items, created_at) VALUES ('location', 'pending', ?, ?, ?)",
        )
        .run(JSON.stringify([item.id]), item.getRaw(), this.o.now()).lastInsertRowid,
    );
    await this.exclusive(async () => {
      // The loop may have posted it meanwhile (it resumes every pending publication).
      const row = this.o.store.db.prepare("SELECT status FROM publications WHERE id = ?").get(id) as {
        status: string;
      };
      if (row.status === "pending") await this.resume(id);
    });
    return item.id;
  }

  /** Runs {@link publishAll} every `everyMs` until {@link stop}; a failure is logged and retried next round. */
  start(everyMs: number): void {
    if (this.timer !== undefined || this.stopped) return;
    const tick = () => {
      this.running = this.publishAll()
        .then(() => {
          this.failedRounds = 0;
        })
        .catch((error: unknown) => {
          this.failedRounds += 1;
          const transient = error instanceof ArweaveError && error.kind === "transient";
          const rounds = this.failedRounds;
          if (transient || rounds < this.o.pageAfterFailedRounds) {
            this.o.logger.warn(
              { event: "su.publish.retry", err: error, failedRounds: rounds },
              "publishing failed; retrying",
            );
          } else {
            logPage(
              this.o.logger,
              "livenessAtRisk",
              { err: error, failedRounds: rounds },
              `publishing to Arweave failed ${rounds} rounds in a row`,
            );
          }
        })
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.timer = setTimeout(tick, everyMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  /** Stops the loop and waits for a round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}

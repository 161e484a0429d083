/**
 * A process's log rebuilt from Arweave data only (docs/agents.md §6): the SU publishes each slot as an
 * `Assignment` data item whose tags carry the EIP-712 assignment and the scheduler's signature
 * (agents/scheduler/domain/publisher.ts `assignmentTags`), and the message as the user's signed data item.
 * This source finds the assignment items by GraphQL (`Type`, `Holo-Process`, `Nonce`), checks each one
 * (order, hash chain, scheduler signature), fetches the message item, verifies it and re-encodes it with the
 * scheduler's `canonicalEncoding`, and checks its hash and length against the signed `messageHash` and
 * `messageLength` (tag `Holo-Message-Length`). It never asks a CU.
 *
 * Message items are cut from their bundle and their signature checked when the gateway says which bundle
 * holds them (GraphQL `bundledIn`). ArLocal does not say; there the message is rebuilt from its GraphQL
 * record (owner address, tags) and its data, and the scheduler-signed `messageHash` is what vouches for it
 * (Arweave-signed messages only: an Ethereum-signed item's sender is not in the GraphQL record).
 */
import { getBytes, hexlify, keccak256, ZeroHash, type TypedDataDomain } from "ethers";

import {
  ArweaveError,
  type TagQuery,
  type TransactionInfo,
  type VerifiedDataItem,
} from "../../common/arweave";
import { logPage, type Logger } from "../../common/log";
import { assignmentHash, recoverAssignmentSigner, type Assignment } from "../../../sdk/ts/assignments";
import type { LogEntry, LogSource } from "../../compute/domain/log-source";
import { canonicalEncoding } from "../../scheduler/domain/scheduler";
import { WatcherError } from "./errors";

/** The gateway operations the source needs (ArweaveClient). */
export interface ArweaveReader {
  queryAllByTags(query: Omit<TagQuery, "after">): AsyncGenerator<TransactionInfo & { cursor: string }>;
  getDataItem(id: string, bundleId?: string): Promise<VerifiedDataItem>;
  getInfo(id: string): Promise<TransactionInfo>;
  getData(id: string): Promise<Uint8Array>;
}

export interface ArweaveLogOptions {
  arweave: ArweaveReader;
  /** The EIP-712 domain of the ProcessRegistry. */
  domain: TypedDataDomain;
  /** The scheduler (EVM address) of a process, as registered on chain. */
  schedulerOf(process: string): Promise<string> | string;
  logger?: Logger;
  /** The most slots asked of the gateway per query (≤ 100). */
  pageSize?: number;
}

function tag(info: { tags: readonly { name: string; value: string }[] }, name: string): string | undefined {
  return info.tags.find((t) => t.name === name)?.value;
}

const HEX32 = /^0x[0-9a-fA-F]{64}$/;
/** A uint32 in canonical decimal (no sign, no leading zero). */
const UINT32_DECIMAL = /^(0|[1-9]\d{0,9})$/;
const MAX_UINT32 = 2 ** 32 - 1;

/** The assignment and signature an Assignment item's tags carry, or a reason it is malformed. */
export function assignmentFromTags(info: {
  tags: readonly { name: string; value: string }[];
}): { assignment: Assignment & { slot: bigint }; signature: string; messageItem: string } | string {
  const process = tag(info, "Holo-Process");
  const nonce = tag(info, "Nonce");
  const message = tag(info, "Message");
  const messageHash = tag(info, "Holo-Message-Hash");
  const messageLength = tag(info, "Holo-Message-Length");
  const prev = tag(info, "Holo-Prev-Assignment-Hash");
  const timestamp = tag(info, "Timestamp");
  const height = tag(info, "Block-Height");
  const signature = tag(info, "Holo-Signature");
  if (process === undefined || !HEX32.test(process)) return "Holo-Process";
  if (nonce === undefined || !/^\d{1,19}$/.test(nonce)) return "Nonce";
  if (message === undefined || !/^[A-Za-z0-9_-]{43}$/.test(message)) return "Message";
  if (messageHash === undefined || !HEX32.test(messageHash)) return "Holo-Message-Hash";
  if (
    messageLength === undefined ||
    !UINT32_DECIMAL.test(messageLength) ||
    Number(messageLength) > MAX_UINT32
  ) {
    return "Holo-Message-Length";
  }
  if (prev === undefined || !HEX32.test(prev)) return "Holo-Prev-Assignment-Hash";
  if (timestamp === undefined || !/^\d{1,19}$/.test(timestamp)) return "Timestamp";
  if (height === undefined || !/^\d{1,19}$/.test(height)) return "Block-Height";
  if (signature === undefined || !/^0x[0-9a-fA-F]{130}$/.test(signature)) return "Holo-Signature";
  return {
    assignment: {
      process: process.toLowerCase(),
      slot: BigInt(nonce),
      messageId: hexlify(Buffer.from(message, "base64url")),
      messageHash: messageHash.toLowerCase(),
      messageLength: Number(messageLength),
      timestamp: BigInt(timestamp),
      blockHeight: BigInt(height),
      prevAssignmentHash: prev.toLowerCase(),
    },
    signature,
    messageItem: message,
  };
}

/** The verified assignment hashes kept per process: the last this many slots read. */
const KNOWN_WINDOW = 1_000n;

export class ArweaveLogSource implements LogSource {
  /** Verified assignment hashes, per process and slot (the chain check of the next read). */
  private readonly hashes = new Map<string, Map<bigint, string>>();
  private readonly pageSize: number;
  private readonly equivocations = new Set<string>();

  constructor(private readonly o: ArweaveLogOptions) {
    this.pageSize = Math.min(100, Math.max(1, o.pageSize ?? 50));
  }

  /**
   * Continues the verified chain of `process` after `lastSlot`, whose assignment hash a reader verified and
   * stored: the next read from `lastSlot + 1` checks against it instead of re-reading the log before it.
   */
  resume(process: string, lastSlot: bigint, lastAssignmentHash: string): void {
    const id = process.toLowerCase();
    const known = this.hashes.get(id) ?? new Map<bigint, string>();
    known.set(lastSlot, lastAssignmentHash.toLowerCase());
    this.hashes.set(id, known);
  }

  async read(process: string, from: bigint, limit: number): Promise<LogEntry[]> {
    const id = process.toLowerCase();
    if (!HEX32.test(id)) throw new WatcherError("BadProcessId", `not an on-chain process id: ${process}`);
    if (typeof from !== "bigint" || from < 0n) throw new WatcherError("BadRange", `slot ${String(from)}`);
    let known = this.hashes.get(id);
    if (known === undefined) {
      known = new Map();
      this.hashes.set(id, known);
    }
    let prev: string | undefined = from === 0n ? ZeroHash : known.get(from - 1n);
    if (prev === undefined) {
      const before = await this.read(id, from - 1n, 1);
      if (before.length === 0) return [];
      prev = known.get(from - 1n)!;
    }
    const scheduler = (await this.o.schedulerOf(id)).toLowerCase();
    const out: LogEntry[] = [];
    let slot = from;
    while (out.length < limit) {
      const want = Math.min(limit - out.length, this.pageSize);
      const bySlot = await this.assignmentItems(id, slot, want);
      const before = out.length;
      prev = await this.take(id, scheduler, bySlot, slot, want, prev, known, out);
      slot += BigInt(out.length - before);
      if (out.length - before < want) return out;
    }
    return out;
  }

  /** The Assignment items of slots `[from, from + count)`, by slot (several when someone posted copies). */
  private async assignmentItems(
    id: string,
    from: bigint,
    count: number,
  ): Promise<Map<bigint, TransactionInfo[]>> {
    const nonces = Array.from({ length: count }, (_, i) => (from + BigInt(i)).toString());
    const bySlot = new Map<bigint, TransactionInfo[]>();
    for await (const info of this.o.arweave.queryAllByTags({
      tags: [
        { name: "Type", values: ["Assignment"] },
        { name: "Holo-Process", values: [id] },
        { name: "Nonce", values: nonces },
      ],
      first: 100,
    })) {
      const n = tag(info, "Nonce");
      if (n === undefined || !/^\d+$/.test(n)) continue;
      const list = bySlot.get(BigInt(n)) ?? [];
      list.push(info);
      bySlot.set(BigInt(n), list);
    }
    return bySlot;
  }

  /**
   * Appends to `out` the verified entries of slots `from, from + 1, …` (at most `want`), stopping at the first
   * slot without a valid assignment or with its message not on the gateway yet; returns the last hash.
   */
  private async take(
    id: string,
    scheduler: string,
    bySlot: Map<bigint, TransactionInfo[]>,
    from: bigint,
    want: number,
    prevHash: string,
    known: Map<bigint, string>,
    out: LogEntry[],
  ): Promise<string> {
    let prev = prevHash;
    let slot = from;
    for (let k = 0; k < want; k++) {
      const valid = this.validAssignments(id, scheduler, bySlot.get(slot) ?? [], slot, prev);
      if (valid.length === 0) return prev;
      const hashes = new Set(valid.map((v) => v.hash));
      if (hashes.size > 1 && !this.equivocations.has(`${id}:${slot}`)) {
        this.equivocations.add(`${id}:${slot}`);
        if (this.o.logger !== undefined) {
          logPage(
            this.o.logger,
            "equivocation",
            { process: id, slot: slot.toString(), assignments: [...hashes] },
            "the scheduler signed two assignments for one slot",
          );
        }
      }
      const { parsed, hash } = valid[0];
      const message = await this.message(parsed.messageItem, id, parsed.assignment);
      if (message === undefined) return prev; // not on the gateway yet
      const found: LogEntry = { assignment: parsed.assignment, signature: parsed.signature, message };
      out.push(found);
      known.set(slot, hash);
      // Only the chain's recent end is needed: the map stays bounded over a long log (issue 8, finding 5).
      for (const k of known.keys()) {
        if (k + KNOWN_WINDOW > slot) break;
        known.delete(k);
      }
      prev = hash;
      slot += 1n;
    }
    return prev;
  }

  /** The candidates of `slot` that are well-formed, chain to `prev` and are signed by the scheduler. */
  private validAssignments(
    id: string,
    scheduler: string,
    candidates: readonly TransactionInfo[],
    slot: bigint,
    prev: string,
  ): { parsed: Exclude<ReturnType<typeof assignmentFromTags>, string>; hash: string }[] {
    const out: { parsed: Exclude<ReturnType<typeof assignmentFromTags>, string>; hash: string }[] = [];
    for (const info of candidates) {
      const parsed = assignmentFromTags(info);
      if (typeof parsed === "string") {
        this.o.logger?.warn(
          { event: "watcher.arweave.refused", item: info.id, tag: parsed },
          "malformed assignment item",
        );
        continue;
      }
      const a = parsed.assignment;
      if (a.process !== id || a.slot !== slot || a.prevAssignmentHash !== prev.toLowerCase()) {
        this.o.logger?.warn(
          { event: "watcher.arweave.refused", item: info.id, slot: slot.toString() },
          "assignment item off the chain",
        );
        continue;
      }
      let signer = "";
      try {
        signer = recoverAssignmentSigner(this.o.domain, a, parsed.signature).toLowerCase();
      } catch {
        signer = "";
      }
      if (signer !== scheduler) {
        this.o.logger?.warn(
          { event: "watcher.arweave.refused", item: info.id, slot: slot.toString() },
          "assignment not signed by the scheduler",
        );
        continue;
      }
      out.push({ parsed, hash: assignmentHash(this.o.domain, a) });
    }
    return out;
  }

  /** The canonical encoding of message item `itemId` at assignment `a`; undefined when not available yet. */
  private async message(
    itemId: string,
    process: string,
    a: Assignment & { slot: bigint },
  ): Promise<Uint8Array | undefined> {
    const encode = (item: Parameters<typeof canonicalEncoding>[0]) =>
      canonicalEncoding(item, process, a.slot, BigInt(a.timestamp), BigInt(a.blockHeight));
    let bytes: Uint8Array;
    try {
      let info: TransactionInfo;
      try {
        info = await this.o.arweave.getInfo(itemId);
      } catch (error) {
        if (error instanceof ArweaveError && error.kind === "notFound") return undefined;
        throw error;
      }
      if (info.bundledIn !== null) {
        bytes = encode(await this.o.arweave.getDataItem(itemId, info.bundledIn));
      } else {
        const data = await this.o.arweave.getData(itemId);
        bytes = encode({
          id: itemId,
          signatureType: 1,
          owner: "",
          ownerAddress: info.ownerAddress,
          tags: info.tags,
          data,
        });
      }
    } catch (error) {
      if (error instanceof ArweaveError && error.kind === "notFound") return undefined;
      throw error;
    }
    if (keccak256(bytes) !== a.messageHash.toLowerCase()) {
      throw new WatcherError(
        "HashMismatch",
        `process ${process} slot ${a.slot}: message ${itemId} from the gateway does not hash to the signed messageHash`,
      );
    }
    if (BigInt(bytes.length) !== BigInt(a.messageLength)) {
      throw new WatcherError(
        "LengthMismatch",
        `process ${process} slot ${a.slot}: message ${itemId} from the gateway is ${bytes.length} bytes, not the signed messageLength ${a.messageLength}`,
      );
    }
    return getBytes(bytes);
  }
}

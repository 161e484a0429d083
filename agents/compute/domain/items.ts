/**
 * The compute unit's Arweave data items (README.md, "Arweave formats"): signed ANS-104 items holding a
 * commitment's per-slot results (`Type: Holo-Results`) and process-state checkpoints
 * (`Type: Holo-Checkpoint`), and the `arweaveRef` ↔ item id mapping.
 *
 * A commitment's `arweaveRef` is its results item's id as bytes32: the id is the base64url text of 32
 * bytes (the SHA-256 of the item's signature), so `arweaveRef = 0x ‖ hex(base64urlDecode(id))` and
 * `id = base64urlEncode(arweaveRef bytes)`.
 */
import { ArweaveSigner, createData, type DataItem, type JWKInterface } from "@dha-team/arbundles";
import { hexlify, ZeroHash } from "ethers";

import { ArweaveError, isArweaveId, type Tag } from "../../common/arweave";
import type { MessageResult } from "../../../machine/process";

/** The JSON format version of a results item's data. */
export const RESULTS_FORMAT = "holo-results/1";
/** The format of a checkpoint item's data (machine/fast/process.ts `FastProcess#checkpoint`). */
export const CHECKPOINT_FORMAT = "holo-fast-checkpoint/1";

/** An Arweave item id (43 base64url characters) as the bytes32 `arweaveRef` of a commitment. */
export function idToRef(id: string): string {
  if (!isArweaveId(id)) throw new ArweaveError("invalid", `not an Arweave id: ${JSON.stringify(id)}`);
  return hexlify(Buffer.from(id, "base64url"));
}

/** The item id of a non-zero `arweaveRef`; `undefined` for the zero ref (nothing published). */
export function refToId(ref: string): string | undefined {
  if (ref.toLowerCase() === ZeroHash) return undefined;
  return Buffer.from(ref.slice(2), "hex").toString("base64url");
}

/** One slot of a results item. */
export interface SlotResult {
  slot: bigint;
  messageId: string;
  /** The result hash the commitment claims for the slot. */
  resultHash: string;
  result: MessageResult;
}

export interface ResultsContent {
  process: string;
  firstSlot: bigint;
  lastSlot: bigint;
  resultsRoot: string;
  stateHash: string;
  lastAssignmentHash: string;
  slots: readonly SlotResult[];
}

/** The JSON data of a results item. */
export function resultsJson(c: ResultsContent): string {
  return JSON.stringify({
    format: RESULTS_FORMAT,
    process: c.process,
    firstSlot: c.firstSlot.toString(),
    lastSlot: c.lastSlot.toString(),
    resultsRoot: c.resultsRoot,
    stateHash: c.stateHash,
    lastAssignmentHash: c.lastAssignmentHash,
    results: c.slots.map((s) => ({
      slot: s.slot.toString(),
      messageId: s.messageId,
      resultHash: s.resultHash,
      ...(s.result.ok
        ? { ok: true, items: s.result.items.map((i) => ({ kind: i.kind, bytes: hexlify(i.bytes) })) }
        : { ok: false, error: s.result.error, errorName: s.result.errorName }),
    })),
  });
}

async function signed(wallet: JWKInterface, data: string | Uint8Array, tags: Tag[]): Promise<DataItem> {
  if (typeof wallet?.n !== "string" || typeof wallet.d !== "string") {
    throw new ArweaveError("invalid", "the Arweave wallet must be a JWK with its private part");
  }
  const signer = new ArweaveSigner(wallet);
  const item = createData(data, signer, { tags });
  await item.sign(signer);
  return item;
}

/** The tags of a results item. */
export function resultsTags(c: ResultsContent): Tag[] {
  return [
    { name: "Data-Protocol", value: "ao" },
    { name: "Type", value: "Holo-Results" },
    { name: "Content-Type", value: "application/json" },
    { name: "Holo-Format", value: RESULTS_FORMAT },
    { name: "Holo-Process", value: c.process },
    { name: "Holo-First-Slot", value: c.firstSlot.toString() },
    { name: "Holo-Last-Slot", value: c.lastSlot.toString() },
    { name: "Holo-Results-Root", value: c.resultsRoot },
    { name: "Holo-State-Hash", value: c.stateHash },
    { name: "Holo-Last-Assignment-Hash", value: c.lastAssignmentHash },
  ];
}

/** A signed `Holo-Results` item of a commitment's per-slot results. */
export function resultsItem(wallet: JWKInterface, c: ResultsContent): Promise<DataItem> {
  return signed(wallet, resultsJson(c), resultsTags(c));
}

export interface CheckpointContent {
  process: string;
  /** The state is the one after this slot. */
  slot: bigint;
  stateHash: string;
  moduleRoot: string;
  /** `FastProcess#checkpoint()`. */
  state: Uint8Array;
}

/** The tags of a checkpoint item. */
export function checkpointTags(c: CheckpointContent): Tag[] {
  return [
    { name: "Data-Protocol", value: "ao" },
    { name: "Type", value: "Holo-Checkpoint" },
    { name: "Content-Type", value: "application/octet-stream" },
    { name: "Holo-Format", value: CHECKPOINT_FORMAT },
    { name: "Holo-Process", value: c.process },
    { name: "Holo-Slot", value: c.slot.toString() },
    { name: "Holo-State-Hash", value: c.stateHash },
    { name: "Holo-Module-Root", value: c.moduleRoot },
  ];
}

/** A signed `Holo-Checkpoint` item of a process state. */
export function checkpointItem(wallet: JWKInterface, c: CheckpointContent): Promise<DataItem> {
  return signed(wallet, c.state, checkpointTags(c));
}

/**
 * A message's result (docs/process-abi.md, "The result and its hash"): the items a process emitted, or
 * an error, and the result hash the machine accumulates in its state.
 */
import { ZERO32 } from "../code/hash";
import { TAG } from "../code/tags";
import { hashTaggedInto } from "../hash/keccak";
import { HOST_ABI } from "../spec";
import { errorResultHash, resultItemHash } from "../interp/semantics";

export const RESULT_KIND = HOST_ABI.resultKinds;

/** One emitted item: kind 0 output, 1 message, 2 spawn. */
export interface ResultItem {
  kind: number;
  bytes: Uint8Array;
}

export type MessageResult =
  { ok: true; items: ResultItem[] } | { ok: false; error: number; errorName: string };

/** The zero-padded last chunk of an item whose length is not a multiple of 32. */
const TAIL = new Uint8Array(32);

/**
 * The hash of one item's bytes (32-byte chunks from the item's start, zero-padded): the chain of
 * `resultChunkHash` of machine/interp/semantics, computed in place (a hot path of the fast mode).
 */
export function itemHash(bytes: Uint8Array): Uint8Array {
  const h = new Uint8Array(32);
  for (let off = 0; off < bytes.length; off += 32) {
    let chunk = bytes.subarray(off, off + 32);
    if (chunk.length < 32) {
      TAIL.fill(0);
      TAIL.set(chunk);
      chunk = TAIL;
    }
    hashTaggedInto(h, 0, TAG.resultChunk, h, chunk);
  }
  return h;
}

/** The result hash of a published result; equals the machine's final `resultHash`. */
export function resultHash(r: MessageResult): Uint8Array {
  if (!r.ok) return errorResultHash(r.error);
  let acc = ZERO32;
  for (const it of r.items) acc = resultItemHash(acc, it.kind, it.bytes.length, itemHash(it.bytes));
  return acc;
}

/** The concatenated output of a result's output items. */
export function outputOf(items: readonly ResultItem[]): Uint8Array {
  const outs = items.filter((i) => i.kind === RESULT_KIND.output);
  const total = outs.reduce((n, i) => n + i.bytes.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const i of outs) {
    out.set(i.bytes, off);
    off += i.bytes.length;
  }
  return out;
}

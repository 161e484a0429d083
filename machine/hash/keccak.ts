/**
 * Synchronous keccak-256 (Ethereum's keccak, padding 0x01, not SHA3-256) for the machine's hot paths.
 *
 * Backed by the WebAssembly engine of ./keccak-wasm.ts, instantiated synchronously when this module is
 * first imported: there is nothing to initialize and no async step. `initHash()` exists only so that
 * code written against an async-init API keeps working; awaiting it is never required.
 *
 * Every function here equals, byte for byte, ethers' `keccak256(concat(parts))`, and so Solidity's
 * `keccak256(abi.encodePacked(tag, parts...))` when the tag is a string and the parts are bytes/bytesN.
 *
 * Not re-entrant across threads by construction (one engine per module instance = per worker thread);
 * within a thread every call runs to completion, so sharing the engine is safe.
 */
import {
  IN_BYTES,
  IN_PTR,
  KECCAK_RATE,
  OUT_BYTES,
  OUT_PTR,
  PREFIX_PTR,
  STATE_PTR,
  instantiateKeccak,
} from "./keccak-wasm";

export { KECCAK_RATE } from "./keccak-wasm";

/** Bytes of a keccak-256 digest. */
export const HASH_BYTES = 32;
/** Longest `tag ‖ item` that `hashTaggedItems` hashes in one block. */
export const MAX_SINGLE_BLOCK_MESSAGE = KECCAK_RATE - 1;

const engine = instantiateKeccak();
// The module's memory never grows, so this view stays valid.
const mem = new Uint8Array(engine.memory.buffer);

/** Kept for API compatibility; the engine is ready as soon as this module is imported. */
export async function initHash(): Promise<void> {
  return;
}

// ---------------------------------------------------------------- streaming sponge (any length)

let spongePos = 0;

function spongeStart(): void {
  engine.reset();
  spongePos = 0;
}

function spongeFeed(data: Uint8Array): void {
  let offset = 0;
  while (offset < data.length) {
    const take = Math.min(IN_BYTES - spongePos, data.length - offset);
    if (take === data.length) mem.set(data, IN_PTR + spongePos);
    else mem.set(data.subarray(offset, offset + take), IN_PTR + spongePos);
    spongePos += take;
    offset += take;
    if (spongePos === IN_BYTES) {
      engine.absorb(IN_PTR, IN_BYTES / KECCAK_RATE);
      spongePos = 0;
    }
  }
}

/** Pads and absorbs the tail; the digest is then at STATE_PTR. */
function spongeFinish(): void {
  const full = Math.floor(spongePos / KECCAK_RATE);
  if (full > 0) engine.absorb(IN_PTR, full);
  const tail = IN_PTR + full * KECCAK_RATE;
  const end = tail + KECCAK_RATE; // ≤ IN_PTR + IN_BYTES because IN_BYTES is a multiple of the rate
  mem.fill(0, IN_PTR + spongePos, end);
  mem[IN_PTR + spongePos] = 0x01;
  mem[end - 1]! |= 0x80;
  engine.absorb(tail, 1);
}

function digestCopy(): Uint8Array {
  return mem.slice(STATE_PTR, STATE_PTR + HASH_BYTES);
}

// ---------------------------------------------------------------- public API

/** keccak256(data). */
export function keccak256(data: Uint8Array): Uint8Array {
  spongeStart();
  spongeFeed(data);
  spongeFinish();
  return digestCopy();
}

/** keccak256(parts[0] ‖ parts[1] ‖ …) without concatenating in JS. */
export function keccak256Concat(...parts: Uint8Array[]): Uint8Array {
  spongeStart();
  for (const part of parts) spongeFeed(part);
  spongeFinish();
  return digestCopy();
}

/** keccak256(tag ‖ parts…): the domain-separated hash; `tag` is the UTF-8 bytes of a domain tag. */
export function hashTagged(tag: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  spongeStart();
  spongeFeed(tag);
  for (const part of parts) spongeFeed(part);
  spongeFinish();
  return digestCopy();
}

/** Like `hashTagged`, but writes the digest to out[outOffset .. outOffset+32) and allocates nothing. */
export function hashTaggedInto(
  out: Uint8Array,
  outOffset: number,
  tag: Uint8Array,
  ...parts: Uint8Array[]
): void {
  spongeStart();
  spongeFeed(tag);
  for (const part of parts) spongeFeed(part);
  spongeFinish();
  out.set(mem.subarray(STATE_PTR, STATE_PTR + HASH_BYTES), outOffset);
}

/**
 * Batch hashing, the Merkle-tree workhorse: for i < count,
 *   dst[dstOffset + 32i .. +32) = keccak256(tag ‖ src[srcOffset + i·itemLen .. +itemLen)).
 * Requires tag.length + itemLen ≤ 135 (each message is one keccak block). `dst` may be `src`'s buffer only
 * if the ranges do not overlap.
 */
export function hashTaggedItems(
  tag: Uint8Array,
  src: Uint8Array,
  srcOffset: number,
  itemLen: number,
  count: number,
  dst: Uint8Array,
  dstOffset: number,
): void {
  if (tag.length + itemLen > MAX_SINGLE_BLOCK_MESSAGE) {
    throw new RangeError(
      `hashTaggedItems: tag (${tag.length} B) + item (${itemLen} B) exceeds one keccak block (${MAX_SINGLE_BLOCK_MESSAGE} B)`,
    );
  }
  if (
    !Number.isInteger(count) ||
    count < 0 ||
    srcOffset < 0 ||
    srcOffset + count * itemLen > src.length ||
    dstOffset < 0 ||
    dstOffset + count * HASH_BYTES > dst.length
  ) {
    throw new RangeError("hashTaggedItems: range outside src or dst");
  }
  mem.set(tag, PREFIX_PTR);
  const perChunk = Math.max(1, Math.min(Math.floor(IN_BYTES / Math.max(itemLen, 1)), OUT_BYTES / HASH_BYTES));
  let done = 0;
  while (done < count) {
    const n = Math.min(perChunk, count - done);
    const from = srcOffset + done * itemLen;
    if (itemLen > 0) mem.set(src.subarray(from, from + n * itemLen), IN_PTR);
    engine.hashItems(PREFIX_PTR, tag.length, IN_PTR, itemLen, n, OUT_PTR);
    dst.set(mem.subarray(OUT_PTR, OUT_PTR + n * HASH_BYTES), dstOffset + done * HASH_BYTES);
    done += n;
  }
}

/** Lower-case 0x-prefixed hex; for messages and tests, never on hot paths. */
export function toHex(bytes: Uint8Array): string {
  return "0x" + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Constant-length byte equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

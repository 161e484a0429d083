/**
 * The canonical message encoding (docs/process-abi.md): what the scheduler signs the keccak of, and
 * what a process reads with `holo.msg_read`.
 */
import { ByteReader, ByteWriter, keccak } from "../code/hash";
import { LAYOUT } from "../spec";

export const MESSAGE_VERSION = 1;
export const MAX_MESSAGE_BYTES = LAYOUT.maxMessageBytes;

/** A message as the machine sees it. `id`, `from`, `target` are 32 raw bytes each. */
export interface Message {
  id: Uint8Array;
  from: Uint8Array;
  target: Uint8Array;
  slot: bigint;
  timestamp: bigint;
  blockHeight: bigint;
  tags: { name: string; value: string }[];
  data: Uint8Array;
}

export class MessageEncodingError extends Error {
  override name = "MessageEncodingError";
}

function fixed32(b: Uint8Array, what: string): Uint8Array {
  if (b.length > 32) throw new MessageEncodingError(`${what} is ${b.length} bytes, at most 32`);
  const out = new Uint8Array(32);
  out.set(b, 32 - b.length);
  return out;
}

/** Encodes a message (`from` shorter than 32 bytes, e.g. an Ethereum address, is left-padded). */
export function encodeMessage(m: Message): Uint8Array {
  const w = new ByteWriter();
  const te = new TextEncoder();
  w.u8(MESSAGE_VERSION)
    .bytes(fixed32(m.id, "id"))
    .bytes(fixed32(m.from, "from"))
    .bytes(fixed32(m.target, "target"));
  w.u64(m.slot).u64(m.timestamp).u64(m.blockHeight);
  if (m.tags.length > 0xffff) throw new MessageEncodingError("too many tags");
  w.u16(m.tags.length);
  for (const t of m.tags) {
    const name = te.encode(t.name);
    const value = te.encode(t.value);
    if (name.length > 0xffff || value.length > 0xffff) throw new MessageEncodingError("tag too long");
    w.u16(name.length).bytes(name).u16(value.length).bytes(value);
  }
  w.u32(m.data.length).bytes(m.data);
  return w.finish();
}

/** Decodes a canonical message encoding (throws MessageEncodingError). */
export function decodeMessage(bytes: Uint8Array): Message {
  const r = new ByteReader(bytes, () => new MessageEncodingError("truncated message"));
  if (r.u8() !== MESSAGE_VERSION) throw new MessageEncodingError("unknown message version");
  const td = new TextDecoder("utf-8", { fatal: true });
  const id = r.bytes(32);
  const from = r.bytes(32);
  const target = r.bytes(32);
  const slot = r.u64();
  const timestamp = r.u64();
  const blockHeight = r.u64();
  const n = r.u16();
  const tags: Message["tags"] = [];
  for (let i = 0; i < n; i++) {
    const name = td.decode(r.bytes(r.u16()));
    const value = td.decode(r.bytes(r.u16()));
    tags.push({ name, value });
  }
  const data = r.bytes(r.u32());
  if (r.remaining !== 0) throw new MessageEncodingError("trailing bytes");
  return { id, from, target, slot, timestamp, blockHeight, tags, data };
}

/** The message hash the scheduler signs: keccak of the canonical encoding. */
export function messageHash(encoded: Uint8Array): Uint8Array {
  return keccak(encoded);
}

// The incoming message: decoded from the canonical message encoding (docs/process-abi.md), big-endian:
//   version u8 (1) | id 32 | from 32 | target 32 | slot u64 | timestamp u64 | blockHeight u64
//   | tags: u16 count, per tag u16 name length, name, u16 value length, value | data: u32 length, bytes

import { msg_len, msg_read } from "./holo";
import { Tag, Tags } from "./tags";
import { base64urlOf, fromUtf8 } from "./bytes";
import { formatAddressAt } from "./address";
import { OutMessage, send } from "./outbound";

export const MESSAGE_VERSION: u8 = 1;
const HEADER_BYTES: i32 = 1 + 32 * 3 + 8 * 3;

/** A message as a handler sees it (field names as in aos). */
export class Msg {
  /** The message id (its Arweave data-item id), base64url. */
  Id: string = "";
  /** The sender: "0x…" for an Ethereum address, else base64url (address.ts). */
  From: string = "";
  /** The process id, base64url. */
  Target: string = "";
  /** The assignment's slot (AO's `Nonce`). */
  Slot: u64 = 0;
  /** Milliseconds, from the assignment. */
  Timestamp: u64 = 0;
  /** Arweave block height, from the assignment. */
  BlockHeight: u64 = 0;
  Tags: Tags = new Tags();
  /** The data as raw bytes. */
  DataBytes: Uint8Array = new Uint8Array(0);
  IdBytes: Uint8Array = new Uint8Array(0);
  FromBytes: Uint8Array = new Uint8Array(0);
  TargetBytes: Uint8Array = new Uint8Array(0);

  private dataText: string | null = null;

  /** The data as UTF-8 text (decoded once, on first use). */
  get Data(): string {
    let s = this.dataText;
    if (s === null) {
      s = fromUtf8(this.DataBytes);
      this.dataText = s;
    }
    return s;
  }

  /** The value of the first tag called `name` (aos's `msg[name]`), or null. */
  get(name: string): string | null {
    return this.Tags.get(name);
  }

  /**
   * Replies as aos's `msg.reply`: the target is the message's `Reply-To` tag if present, else
   * `reply.Target` if set, else `msg.From`; it sets `X-Reference` to the message's `X-Reference` or
   * else its `Reference` tag, and `X-Origin` to the message's `X-Origin` if present. Returns the
   * reply's own `Reference`.
   */
  reply(reply: OutMessage): string {
    const replyTo = this.Tags.get("Reply-To");
    if (replyTo !== null) reply.Target = replyTo;
    else if (reply.Target.length == 0) reply.Target = this.From;
    let xref = this.Tags.get("X-Reference");
    if (xref === null) xref = this.Tags.get("Reference");
    if (xref !== null) reply.set("X-Reference", xref);
    const origin = this.Tags.get("X-Origin");
    if (origin !== null) reply.set("X-Origin", origin);
    return send(reply);
  }

  /** Replies with `data` as the data (aos's `Handlers.utils.reply(string)`). */
  replyData(data: string): string {
    const m = new OutMessage();
    m.Data = data;
    return this.reply(m);
  }
}

function copyOf(buf: Uint8Array, off: i32, len: i32): Uint8Array {
  const out = new Uint8Array(len);
  memory.copy(out.dataStart, buf.dataStart + <usize>off, <usize>len);
  return out;
}

function malformed(what: string): void {
  throw new Error("malformed message: " + what);
}

/** Decodes a canonical message encoding; aborts ("malformed message: …") on a bad one. */
export function decodeMessage(buf: Uint8Array): Msg {
  const n = buf.length;
  const p = buf.dataStart;
  if (n < HEADER_BYTES + 2 + 4) malformed("truncated header");
  if (load<u8>(p) != MESSAGE_VERSION) malformed("unknown version " + load<u8>(p).toString());
  const m = new Msg();
  m.IdBytes = copyOf(buf, 1, 32);
  m.FromBytes = copyOf(buf, 33, 32);
  m.TargetBytes = copyOf(buf, 65, 32);
  m.Id = base64urlOf(p + 1, 32);
  m.From = formatAddressAt(p + 33);
  m.Target = base64urlOf(p + 65, 32);
  m.Slot = bswap<u64>(load<u64>(p + 97));
  m.Timestamp = bswap<u64>(load<u64>(p + 105));
  m.BlockHeight = bswap<u64>(load<u64>(p + 113));
  let off = HEADER_BYTES;
  const count = <i32>bswap<u16>(load<u16>(p + off));
  off += 2;
  const list = new Array<Tag>(count);
  for (let i = 0; i < count; i++) {
    if (off + 2 > n) malformed("truncated tag");
    const nl = <i32>bswap<u16>(load<u16>(p + off));
    off += 2;
    if (off + nl + 2 > n) malformed("truncated tag");
    const t = new Tag();
    t.name = String.UTF8.decodeUnsafe(p + off, nl);
    off += nl;
    const vl = <i32>bswap<u16>(load<u16>(p + off));
    off += 2;
    if (off + vl > n) malformed("truncated tag");
    t.value = String.UTF8.decodeUnsafe(p + off, vl);
    off += vl;
    unchecked((list[i] = t));
  }
  m.Tags = new Tags(list);
  if (off + 4 > n) malformed("truncated data length");
  const dl = bswap<u32>(load<u32>(p + off));
  off += 4;
  if (<u64>off + <u64>dl != <u64>n)
    malformed(<u64>off + <u64>dl > <u64>n ? "truncated data" : "trailing bytes");
  m.DataBytes = copyOf(buf, off, <i32>dl);
  return m;
}

/** Reads and decodes the current message through `holo.msg_len`/`holo.msg_read`. */
export function readMessage(): Msg {
  const len = msg_len();
  const buf = new Uint8Array(len);
  if (len > 0) msg_read(buf.dataStart, 0, <u32>len);
  return decodeMessage(buf);
}

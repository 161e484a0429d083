// Outbound messages and spawns (`holo.send`, `holo.spawn`).
//
// The bytes of an item are the outbound encoding (docs/writing-processes.md), big-endian:
//   target   32 bytes  (send: the recipient; spawn: the module id of the process to spawn)
//   tags     u16 count, then per tag: u16 name length, name (UTF-8), u16 value length, value (UTF-8)
//   data     u32 length, then the bytes
// As aos's `ao.send`, every item gets a `Reference` tag first: a per-process counter, 1, 2, 3, …,
// shared by sends and spawns, kept in memory (so a failed message does not consume references).

import { send as send_raw, spawn as spawn_raw } from "./holo";
import { Tag, tag } from "./tags";
import { ByteWriter, utf8 } from "./bytes";
import { parseAddress } from "./address";

/**
 * A message to send. `Target` is an address string (see address.ts); `Data` is UTF-8 text unless
 * `DataBytes` is set, which then wins. Usable as an object literal:
 * `send({ Target: msg.From, Tags: [tag("Action", "Pong")], Data: "pong" })`.
 */
export class OutMessage {
  Target: string = "";
  Tags: Tag[] = [];
  Data: string = "";
  DataBytes: Uint8Array | null = null;

  /** Sets tag `name` to `value`: replaces the first tag of that name, or appends one. */
  set(name: string, value: string): OutMessage {
    const l = this.Tags;
    for (let i = 0, n = l.length; i < n; i++) {
      if (l[i].name == name) {
        l[i].value = value;
        return this;
      }
    }
    l.push(tag(name, value));
    return this;
  }

  /** Appends a tag (even if one of that name exists). */
  add(name: string, value: string): OutMessage {
    this.Tags.push(tag(name, value));
    return this;
  }

  /** The value of the first tag called `name`, or null. */
  get(name: string): string | null {
    const l = this.Tags;
    for (let i = 0, n = l.length; i < n; i++) if (l[i].name == name) return l[i].value;
    return null;
  }
}

/** A new message to `target`. */
export function message(target: string): OutMessage {
  const m = new OutMessage();
  m.Target = target;
  return m;
}

/** The last `Reference` used (0 before the first send). */
let reference: u64 = 0;

/** The last reference handed out by `send`/`spawn`. */
export function lastReference(): u64 {
  return reference;
}

function writeTag(w: ByteWriter, name: string, value: string): void {
  const n = utf8(name);
  const v = utf8(value);
  if (n.length > 0xffff || v.length > 0xffff) throw new Error("tag longer than 65535 bytes: " + name);
  w.u16(n.length).bytes(n).u16(v.length).bytes(v);
}

/**
 * Encodes an outbound item with the given `Reference` value (if not null) before the message's own
 * tags. Aborts if the target is not 32 bytes, a tag exceeds 65,535 bytes or there are too many tags.
 */
export function encodeOutbound(target: Uint8Array, m: OutMessage, ref: string | null): Uint8Array {
  if (target.length != 32) throw new Error("outbound target must be 32 bytes");
  const count = m.Tags.length + (ref !== null ? 1 : 0);
  if (count > 0xffff) throw new Error("too many tags");
  const data = m.DataBytes !== null ? (m.DataBytes as Uint8Array) : utf8(m.Data);
  const w = new ByteWriter(64 + data.length);
  w.bytes(target).u16(count);
  if (ref !== null) writeTag(w, "Reference", ref);
  const l = m.Tags;
  for (let i = 0, n = l.length; i < n; i++) writeTag(w, l[i].name, l[i].value);
  w.u32(data.length).bytes(data);
  return w.finish();
}

function targetBytes(s: string, what: string): Uint8Array {
  const b = parseAddress(s);
  if (b === null) throw new Error(what + " is not an address: '" + s + "'");
  return b;
}

/** Sends `m` (adds `Reference`); returns the reference. Aborts if `m.Target` is not an address. */
export function send(m: OutMessage): string {
  const t = targetBytes(m.Target, "send: Target");
  reference++;
  const ref = reference.toString();
  const bytes = encodeOutbound(t, m, ref);
  send_raw(bytes.dataStart, <u32>bytes.length);
  return ref;
}

/**
 * Spawns a process of module `module` (a 43-character id) with the tags and data of `m` (its
 * `Target` is ignored); returns the reference. The compute unit publishes it as a Process data item
 * with `Module = module`.
 */
export function spawn(module: string, m: OutMessage): string {
  const t = targetBytes(module, "spawn: module");
  reference++;
  const ref = reference.toString();
  const bytes = encodeOutbound(t, m, ref);
  spawn_raw(bytes.dataStart, <u32>bytes.length);
  return ref;
}

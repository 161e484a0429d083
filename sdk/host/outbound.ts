/**
 * The outbound encoding: the bytes of a `holo.send` (message) or `holo.spawn` item, as the SDK writes
 * them (docs/writing-processes.md). All integers are big-endian; strings are UTF-8.
 *
 * | field  | encoding                                                                            |
 * | ------ | ----------------------------------------------------------------------------------- |
 * | target | 32 bytes: the recipient (send) or the module id of the process to spawn (spawn)     |
 * | tags   | u16 count, then per tag: u16 name length, name bytes, u16 value length, value bytes |
 * | data   | u32 length, then the bytes                                                          |
 *
 * It is the tail of the canonical message encoding (docs/process-abi.md) after `from`, without the
 * assignment fields: `target ‖ tags ‖ data`.
 */
import { formatAddress, parseAddress } from "./address";

export class OutboundEncodingError extends Error {
  override name = "OutboundEncodingError";
}

/** One outbound item, decoded. */
export interface Outbound {
  /** 32 raw bytes. */
  target: Uint8Array;
  tags: { name: string; value: string }[];
  data: Uint8Array;
}

/** An outbound item in the form processes use: address strings, text data. */
export interface OutboundView {
  /** The target as an address string (sdk/host/address.ts). */
  Target: string;
  Tags: { name: string; value: string }[];
  /** The data as UTF-8 text (invalid sequences become U+FFFD). */
  Data: string;
  /** The raw data. */
  DataBytes: Uint8Array;
  /** The value of the first tag called `name`, or undefined. */
  get(name: string): string | undefined;
}

/** Encodes an outbound item (the inverse of `decodeOutbound`). */
export function encodeOutbound(o: Outbound): Uint8Array {
  if (o.target.length !== 32) throw new OutboundEncodingError(`target is ${o.target.length} bytes, not 32`);
  if (o.tags.length > 0xffff) throw new OutboundEncodingError("more than 65535 tags");
  const te = new TextEncoder();
  const tags = o.tags.map((t) => [te.encode(t.name), te.encode(t.value)] as const);
  let size = 32 + 2 + 4 + o.data.length;
  for (const [n, v] of tags) {
    if (n.length > 0xffff || v.length > 0xffff)
      throw new OutboundEncodingError("tag longer than 65535 bytes");
    size += 4 + n.length + v.length;
  }
  if (o.data.length > 0xffffffff) throw new OutboundEncodingError("data longer than 2^32 - 1 bytes");
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set(o.target, 0);
  let p = 32;
  dv.setUint16(p, tags.length);
  p += 2;
  for (const [n, v] of tags) {
    dv.setUint16(p, n.length);
    out.set(n, p + 2);
    p += 2 + n.length;
    dv.setUint16(p, v.length);
    out.set(v, p + 2);
    p += 2 + v.length;
  }
  dv.setUint32(p, o.data.length);
  out.set(o.data, p + 4);
  return out;
}

/** Decodes an outbound item; throws OutboundEncodingError if it is truncated, has trailing bytes or bad UTF-8. */
export function decodeOutbound(bytes: Uint8Array): Outbound {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const td = new TextDecoder("utf-8", { fatal: true });
  let p = 0;
  const need = (n: number): void => {
    if (p + n > bytes.length) throw new OutboundEncodingError("truncated outbound item");
  };
  const text = (n: number): string => {
    need(n);
    let s: string;
    try {
      s = td.decode(bytes.subarray(p, p + n));
    } catch {
      throw new OutboundEncodingError("tag is not valid UTF-8");
    }
    p += n;
    return s;
  };
  need(32);
  const target = bytes.slice(0, 32);
  p = 32;
  need(2);
  const count = dv.getUint16(p);
  p += 2;
  const tags: Outbound["tags"] = [];
  for (let i = 0; i < count; i++) {
    need(2);
    const nl = dv.getUint16(p);
    p += 2;
    const name = text(nl);
    need(2);
    const vl = dv.getUint16(p);
    p += 2;
    tags.push({ name, value: text(vl) });
  }
  need(4);
  const dl = dv.getUint32(p);
  p += 4;
  need(dl);
  const data = bytes.slice(p, p + dl);
  p += dl;
  if (p !== bytes.length) throw new OutboundEncodingError("trailing bytes after outbound item");
  return { target, tags, data };
}

/** Decodes an outbound item into the form processes use (address strings, text data). */
export function viewOutbound(bytes: Uint8Array): OutboundView {
  const o = decodeOutbound(bytes);
  return {
    Target: formatAddress(o.target),
    Tags: o.tags,
    Data: new TextDecoder().decode(o.data),
    DataBytes: o.data,
    get(name: string) {
      return o.tags.find((t) => t.name === name)?.value;
    },
  };
}

/** Builds an outbound item from address strings and text (a convenience for tests and tools). */
export function outbound(
  target: string,
  tags: Record<string, string> | Outbound["tags"],
  data = "",
): Outbound {
  const list = Array.isArray(tags) ? tags : Object.entries(tags).map(([name, value]) => ({ name, value }));
  return { target: parseAddress(target), tags: list, data: new TextEncoder().encode(data) };
}

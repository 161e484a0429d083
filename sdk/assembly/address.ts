// Addresses. The canonical message encoding carries every party as 32 raw bytes; processes see strings:
//   - an Ethereum address (the first 12 bytes are zero) as "0x" + 40 lowercase hex digits;
//   - anything else (an Arweave owner address or a process/message id) as unpadded base64url (43 chars).
// `parseAddress` accepts exactly these two forms (hex in either case) and returns the 32 bytes, so
// `formatAddress(parseAddress(s))` is the one canonical spelling of an address.

import { base64urlOf, fromBase64url, hexDigit, hexOf } from "./bytes";

/** Formats 32 address bytes at `ptr` as described above. */
export function formatAddressAt(ptr: usize): string {
  let zero = true;
  for (let i = 0; i < 12; i++) {
    if (load<u8>(ptr + i) != 0) {
      zero = false;
      break;
    }
  }
  return zero ? "0x" + hexOf(ptr + 12, 20) : base64urlOf(ptr, 32);
}

/** Formats a 32-byte address (aborts on another length). */
export function formatAddress(b: Uint8Array): string {
  if (b.length != 32) throw new Error("address must be 32 bytes");
  return formatAddressAt(b.dataStart);
}

/** The 32 bytes of an address string ("0x" + 40 hex digits, or 43 base64url chars), or null. */
export function parseAddress(s: string): Uint8Array | null {
  if (s.length == 42 && s.charCodeAt(0) == 48 && (s.charCodeAt(1) == 120 || s.charCodeAt(1) == 88)) {
    const out = new Uint8Array(32);
    for (let i = 0; i < 20; i++) {
      const h = hexDigit(s.charCodeAt(2 + 2 * i));
      const l = hexDigit(s.charCodeAt(3 + 2 * i));
      if (h < 0 || l < 0) return null;
      out[12 + i] = <u8>((h << 4) | l);
    }
    return out;
  }
  if (s.length == 43) return fromBase64url(s);
  return null;
}

/** The canonical spelling of an address string, or null if it is not one. */
export function canonicalAddress(s: string): string | null {
  const b = parseAddress(s);
  return b === null ? null : formatAddressAt(b.dataStart);
}

/**
 * Address strings as processes see them (sdk/assembly/address.ts), for hosts and tests: 32 bytes whose
 * first 12 are zero are an Ethereum address, `0x` + 40 lowercase hex digits; any other 32 bytes are
 * unpadded base64url (43 characters).
 */

export class AddressError extends Error {
  override name = "AddressError";
}

/** Formats 32 address bytes. */
export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length !== 32) throw new AddressError(`an address is 32 bytes, got ${bytes.length}`);
  if (bytes.subarray(0, 12).every((b) => b === 0))
    return "0x" + Buffer.from(bytes.subarray(12)).toString("hex");
  return Buffer.from(bytes).toString("base64url");
}

const HEX40 = /^0[xX][0-9a-fA-F]{40}$/;
const B64URL43 = /^[A-Za-z0-9_-]{43}$/;

/**
 * The 32 bytes of an address string: `0x` + 40 hex digits (either case; left-padded with zeros) or 43
 * characters of canonical base64url. Throws AddressError otherwise.
 */
export function parseAddress(s: string): Uint8Array {
  if (HEX40.test(s)) {
    const out = new Uint8Array(32);
    out.set(Buffer.from(s.slice(2), "hex"), 12);
    return out;
  }
  if (B64URL43.test(s)) {
    const b = new Uint8Array(Buffer.from(s, "base64url"));
    if (b.length === 32 && Buffer.from(b).toString("base64url") === s) return b;
  }
  throw new AddressError(`not an address: ${JSON.stringify(s)}`);
}

/** The canonical spelling of an address string. */
export function canonicalAddress(s: string): string {
  return formatAddress(parseAddress(s));
}

/**
 * Ethereum-style secp256k1 signatures over 32-byte digests, on libsecp256k1 (the `secp256k1` package's
 * native binding; the package falls back to its own JavaScript when the binding does not load).
 *
 * Why not ethers: a scheduler signs, and every compute unit and watcher recovers, one signature per slot.
 * ethers' pure-JavaScript curve costs about 0.4 ms to sign and 1.7 ms to recover on this project's bench
 * machine; the binding costs about 0.05 ms for either (docs/benchmarks.md, "end to end").
 *
 * The rules are the contracts' rules (OpenZeppelin `ECDSA.recover` as used by `ProcessRegistry`), stricter
 * than ethers' `recoverAddress`: exactly 65 bytes `r ‖ s ‖ v`, `v` 27 or 28, `0 < r < n`, `0 < s ≤ n/2`. A
 * signature the chain would refuse is refused here too, so an agent never builds on a slot it could not prove.
 * Signatures made here are byte-identical to ethers' `SigningKey.sign` (both RFC 6979, low `s`), which
 * test/sdk/secp256k1.test.ts checks.
 */
import secp from "secp256k1";
import { getAddress, getBytes, hexlify, keccak256 } from "ethers";
import type { BytesLike } from "ethers";

/** The order of the secp256k1 group. */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_N = N >> 1n;

/** A signature or digest the rules above refuse; `field` names the part that is wrong. */
export class SignatureError extends Error {
  constructor(
    readonly field: "signature" | "v" | "r" | "s" | "digest" | "privateKey",
    message: string,
  ) {
    super(message);
    this.name = "SignatureError";
  }
}

function bytes32(x: BytesLike, field: "digest" | "privateKey"): Uint8Array {
  const b = getBytes(x, field);
  if (b.length !== 32) throw new SignatureError(field, `${field} must be 32 bytes, got ${b.length}`);
  return b;
}

function toBig(b: Uint8Array): bigint {
  return BigInt(hexlify(b));
}

/** Signs `digest` with `privateKey`; returns `0x` + 65 bytes `r ‖ s ‖ v` with `v` = 27 + recovery id. */
export function signDigest(privateKey: BytesLike, digest: BytesLike): string {
  const key = bytes32(privateKey, "privateKey");
  if (!secp.privateKeyVerify(key))
    throw new SignatureError("privateKey", "not a valid secp256k1 private key");
  const { signature, recid } = secp.ecdsaSign(bytes32(digest, "digest"), key);
  const out = new Uint8Array(65);
  out.set(signature, 0);
  out[64] = 27 + recid;
  return hexlify(out);
}

/** The checksummed address that signed `digest`, under the contracts' rules. Throws {@link SignatureError}. */
export function recoverAddress(digest: BytesLike, signature: BytesLike): string {
  const d = bytes32(digest, "digest");
  let sig: Uint8Array;
  try {
    sig = getBytes(signature);
  } catch {
    throw new SignatureError("signature", "the signature is not hex bytes");
  }
  if (sig.length !== 65) throw new SignatureError("signature", `a signature is 65 bytes, got ${sig.length}`);
  const v = sig[64];
  if (v !== 27 && v !== 28) throw new SignatureError("v", `v must be 27 or 28, got ${v}`);
  const r = toBig(sig.subarray(0, 32));
  const s = toBig(sig.subarray(32, 64));
  if (r === 0n || r >= N) throw new SignatureError("r", "r is not in [1, n)");
  if (s === 0n || s > HALF_N)
    throw new SignatureError("s", "s is not in [1, n/2] (a malleable or invalid s)");
  let pub: Uint8Array;
  try {
    pub = secp.ecdsaRecover(sig.subarray(0, 64), v - 27, d, false);
  } catch {
    throw new SignatureError("signature", "no public key recovers from this signature");
  }
  return getAddress("0x" + keccak256(pub.subarray(1)).slice(-40));
}

/** The uncompressed public key (65 bytes, `0x04…`) of `privateKey`. */
export function publicKeyOf(privateKey: BytesLike): Uint8Array {
  const key = bytes32(privateKey, "privateKey");
  if (!secp.privateKeyVerify(key))
    throw new SignatureError("privateKey", "not a valid secp256k1 private key");
  return secp.publicKeyCreate(key, false);
}

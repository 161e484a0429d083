/**
 * Assignments: the EIP-712 typed data a scheduler unit signs for each (process, slot), with ethers v6.
 *
 * This file is the single source of the `Assignment` type: `contracts/libraries/AssignmentLib.sol`
 * hard-codes its type string, and `test/registry/AssignmentLib.test.ts` checks that the Solidity type
 * hash is `keccak256(ASSIGNMENT_TYPE_STRING)` and that the on-chain digest equals {assignmentHash}.
 *
 * The domain is `{ name: "Holoproof", version: "1", chainId, verifyingContract }` with the
 * ProcessRegistry's address, so a signature is valid on one chain and one registry only; the process
 * id inside the struct binds it to one process.
 */
import { TypedDataEncoder, concat, getBytes, keccak256, toBigInt, toUtf8Bytes } from "ethers";
import type { BigNumberish, BytesLike, Signer, TypedDataDomain, TypedDataField } from "ethers";

import { recoverAddress, signDigest } from "./secp256k1";

/** One message placed at one slot of a process (see `IAssignments.Assignment`). */
export interface Assignment {
  /** The on-chain process id (bytes32 hex). */
  process: string;
  /** Position in the process's log, from 0 (AO's `Nonce`). */
  slot: BigNumberish;
  /** The message's Arweave data-item id, 32 raw bytes as hex. */
  messageId: string;
  /** keccak256 of the message's canonical encoding (docs/process-abi.md). */
  messageHash: string;
  /** Length in bytes of the canonical encoding whose keccak256 is `messageHash` (a uint32). */
  messageLength: BigNumberish;
  /** Milliseconds since the epoch. */
  timestamp: BigNumberish;
  /** Arweave block height. */
  blockHeight: BigNumberish;
  /** The assignment hash of the previous slot; zero for slot 0. */
  prevAssignmentHash: string;
}

/** The EIP-712 name and version of Holoproof's domain. */
export const DOMAIN_NAME = "Holoproof";
export const DOMAIN_VERSION = "1";

/** The `Assignment` type, in ethers' typed-data form: the one definition. */
export const ASSIGNMENT_TYPES: Record<string, TypedDataField[]> = {
  Assignment: [
    { name: "process", type: "bytes32" },
    { name: "slot", type: "uint64" },
    { name: "messageId", type: "bytes32" },
    { name: "messageHash", type: "bytes32" },
    { name: "messageLength", type: "uint32" },
    { name: "timestamp", type: "uint64" },
    { name: "blockHeight", type: "uint64" },
    { name: "prevAssignmentHash", type: "bytes32" },
  ],
};

/** `Assignment(bytes32 process,uint64 slot,…)`, derived from {ASSIGNMENT_TYPES}. */
export const ASSIGNMENT_TYPE_STRING: string =
  TypedDataEncoder.from(ASSIGNMENT_TYPES).encodeType("Assignment");

/** keccak256 of {ASSIGNMENT_TYPE_STRING}; equals `AssignmentLib.ASSIGNMENT_TYPEHASH`. */
export const ASSIGNMENT_TYPEHASH: string = keccak256(toUtf8Bytes(ASSIGNMENT_TYPE_STRING));

/** The assignment hash of slot 0's predecessor. */
export const GENESIS_ASSIGNMENT_HASH = "0x" + "00".repeat(32);

/** The EIP-712 domain of the ProcessRegistry at `verifyingContract` on `chainId`. */
export function assignmentDomain(chainId: BigNumberish, verifyingContract: string): TypedDataDomain {
  return { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId, verifyingContract };
}

/** Domain separators by domain: a compute unit hashes one domain per process, once per slot. */
const separators = new Map<string, Uint8Array>();

function domainSeparator(domain: TypedDataDomain): Uint8Array {
  const keys = Object.keys(domain).sort().join(",");
  const cacheable =
    keys === "chainId,name,verifyingContract,version" &&
    typeof domain.verifyingContract === "string" &&
    domain.chainId !== null &&
    domain.chainId !== undefined;
  const key = cacheable
    ? `${domain.name}\u0000${domain.version}\u0000${toBigInt(domain.chainId!)}\u0000${domain.verifyingContract!.toLowerCase()}`
    : undefined;
  const known = key === undefined ? undefined : separators.get(key);
  if (known !== undefined) return known;
  const hash = getBytes(TypedDataEncoder.hashDomain(domain));
  if (key !== undefined && separators.size < 1024) separators.set(key, hash);
  return hash;
}

const TYPEHASH_BYTES = getBytes(ASSIGNMENT_TYPEHASH);
const MAX_UINT32 = (1n << 32n) - 1n;
const MAX_UINT64 = (1n << 64n) - 1n;

function word32(value: BytesLike, field: string): Uint8Array {
  let b: Uint8Array;
  try {
    b = getBytes(value);
  } catch {
    throw new TypeError(`Assignment.${field} must be 32 bytes of hex, got ${String(value)}`);
  }
  if (b.length !== 32) throw new TypeError(`Assignment.${field} must be 32 bytes, got ${b.length}`);
  return b;
}

function uintWord(value: BigNumberish, field: string, bits: 32 | 64): Uint8Array {
  let n: bigint;
  try {
    n = toBigInt(value);
  } catch {
    throw new TypeError(`Assignment.${field} must be an integer, got ${String(value)}`);
  }
  const max = bits === 32 ? MAX_UINT32 : MAX_UINT64;
  if (n < 0n || n > max) throw new RangeError(`Assignment.${field} ${n} is not a uint${bits}`);
  const out = new Uint8Array(32);
  for (let i = 31; n > 0n; i--, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

/**
 * The EIP-712 `hashStruct` of `a` (domain-free). Encoded by hand, field by field in {ASSIGNMENT_TYPES}'s order,
 * because ethers' generic encoder costs more than the signature on every slot; test/sdk/assignments.test.ts
 * checks it equals `TypedDataEncoder.hashStruct` for random assignments and refuses what ethers refuses.
 */
export function assignmentStructHash(a: Assignment): string {
  return keccak256(
    concat([
      TYPEHASH_BYTES,
      word32(a.process, "process"),
      uintWord(a.slot, "slot", 64),
      word32(a.messageId, "messageId"),
      word32(a.messageHash, "messageHash"),
      uintWord(a.messageLength, "messageLength", 32),
      uintWord(a.timestamp, "timestamp", 64),
      uintWord(a.blockHeight, "blockHeight", 64),
      word32(a.prevAssignmentHash, "prevAssignmentHash"),
    ]),
  );
}

/**
 * The assignment hash of `a`: the EIP-712 digest the scheduler signs. The next slot's assignment
 * names it as `prevAssignmentHash`; a commitment names the last one as `lastAssignmentHash`.
 */
export function assignmentHash(domain: TypedDataDomain, a: Assignment): string {
  return keccak256(concat(["0x1901", domainSeparator(domain), assignmentStructHash(a)]));
}

/** Signs `a` with `signer` (the process's scheduler) under `domain`; returns the 65-byte signature. */
export async function signAssignment(
  signer: Signer,
  domain: TypedDataDomain,
  a: Assignment,
): Promise<string> {
  return signer.signTypedData(domain, ASSIGNMENT_TYPES, a);
}

/**
 * Signs `a` under `domain` with a raw private key (libsecp256k1, see ./secp256k1.ts): the scheduler unit's
 * per-slot path. Returns the same 65 bytes as {signAssignment} with a wallet of that key.
 */
export function signAssignmentWithKey(privateKey: BytesLike, domain: TypedDataDomain, a: Assignment): string {
  return signDigest(privateKey, assignmentHash(domain, a));
}

/**
 * The address that signed `signature` over `a` under `domain`. Throws on a malformed signature, and on one
 * the contracts refuse (not 65 bytes, `v` not 27/28, a high `s`): see ./secp256k1.ts.
 */
export function recoverAssignmentSigner(
  domain: TypedDataDomain,
  a: Assignment,
  signature: BytesLike,
): string {
  return recoverAddress(assignmentHash(domain, a), signature);
}

/**
 * Checks that `assignments` (sorted by slot) form an unbroken hash chain: consecutive slots, and each
 * `prevAssignmentHash` equal to the previous assignment's hash (`prev` for the first one). Returns the
 * index of the first assignment that breaks the chain, or -1. A break is not an equivocation by
 * itself (docs/registries.md: what a watcher does instead).
 */
export function findChainBreak(
  domain: TypedDataDomain,
  assignments: readonly Assignment[],
  prev: { slot: bigint; hash: string } | null = null,
): number {
  let expectedSlot = prev === null ? 0n : prev.slot + 1n;
  let expectedPrev = prev === null ? GENESIS_ASSIGNMENT_HASH : prev.hash;
  for (const [i, a] of assignments.entries()) {
    if (
      BigInt(a.slot) !== expectedSlot ||
      a.prevAssignmentHash.toLowerCase() !== expectedPrev.toLowerCase()
    ) {
      return i;
    }
    expectedSlot += 1n;
    expectedPrev = assignmentHash(domain, a);
  }
  return -1;
}

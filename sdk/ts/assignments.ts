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
import { TypedDataEncoder, keccak256, toUtf8Bytes, verifyTypedData } from "ethers";
import type { BigNumberish, SignatureLike, Signer, TypedDataDomain, TypedDataField } from "ethers";

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

/** The EIP-712 `hashStruct` of `a` (domain-free). */
export function assignmentStructHash(a: Assignment): string {
  return TypedDataEncoder.hashStruct("Assignment", ASSIGNMENT_TYPES, a);
}

/**
 * The assignment hash of `a`: the EIP-712 digest the scheduler signs. The next slot's assignment
 * names it as `prevAssignmentHash`; a commitment names the last one as `lastAssignmentHash`.
 */
export function assignmentHash(domain: TypedDataDomain, a: Assignment): string {
  return TypedDataEncoder.hash(domain, ASSIGNMENT_TYPES, a);
}

/** Signs `a` with `signer` (the process's scheduler) under `domain`; returns the 65-byte signature. */
export async function signAssignment(
  signer: Signer,
  domain: TypedDataDomain,
  a: Assignment,
): Promise<string> {
  return signer.signTypedData(domain, ASSIGNMENT_TYPES, a);
}

/** The address that signed `signature` over `a` under `domain`. Throws on a malformed signature. */
export function recoverAssignmentSigner(
  domain: TypedDataDomain,
  a: Assignment,
  signature: SignatureLike,
): string {
  return verifyTypedData(domain, ASSIGNMENT_TYPES, a, signature);
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

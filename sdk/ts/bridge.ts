/**
 * The integrator side of `contracts/examples/TokenBridge.sol`: builds the arguments of
 * `TokenBridge.release(slot, items, item, proof)` from what a compute unit publishes (the slot's whole
 * result and the result hashes of its commitment) and the finalized commitment's content (from the
 * ResultRegistry's `CommitmentPosted` event). docs/integrators.md walks through it.
 *
 * ```ts
 * const args = buildBridgeRelease({ bridge, commitment, resultHashes, slot, result });
 * await bridgeContract.release(args.slot, args.items, args.item, args.proof);
 * ```
 */
import { AbiCoder, getAddress, hexlify, keccak256, zeroPadValue } from "ethers";

import { decodeOutbound } from "../host/outbound";
import type { MessageResult } from "../../machine/process/result";
import { resultHash } from "../../machine/process/result";
import { buildResultsTree, type Commitment } from "./results";

/** `TokenBridge.ResultItem`. */
export interface BridgeResultItem {
  kind: number;
  data: string;
}

/** The arguments of `TokenBridge.release`. */
export interface BridgeRelease {
  slot: bigint;
  items: BridgeResultItem[];
  item: number;
  proof: { commitment: Commitment; siblings: string[] };
  /** What the release pays, as the bridge will read it (for display and checks before sending). */
  recipient: string;
  quantity: bigint;
}

/** A release that cannot be built, naming what is wrong. */
export class BridgeReleaseError extends Error {
  override name = "BridgeReleaseError";
}

export interface BridgeReleaseInput {
  /** The TokenBridge contract's address. */
  bridge: string;
  /** The finalized commitment that covers `slot`. */
  commitment: Commitment;
  /** The result hashes of the commitment's slots, `firstSlot` first (published by the compute unit). */
  resultHashes: readonly string[];
  slot: bigint;
  /** The slot's whole result (published by the compute unit); its hash must be the slot's result hash. */
  result: MessageResult;
  /** Which item to release; by default the first `Credit-Notice` to the bridge. */
  item?: number;
}

const KIND_MESSAGE = 1;

/** Finds the `Credit-Notice` to `bridge` in `result` and builds the release with its proof. */
export function buildBridgeRelease(input: BridgeReleaseInput): BridgeRelease {
  const { commitment: c, slot, result } = input;
  if (slot < c.firstSlot || slot > c.lastSlot) {
    throw new BridgeReleaseError(
      `slot ${slot} is not in the commitment's range [${c.firstSlot}, ${c.lastSlot}]`,
    );
  }
  const count = Number(c.lastSlot - c.firstSlot) + 1;
  if (input.resultHashes.length !== count) {
    throw new BridgeReleaseError(
      `${input.resultHashes.length} result hashes for a commitment of ${count} slots`,
    );
  }
  if (!result.ok) throw new BridgeReleaseError(`slot ${slot}'s result is an error (${result.errorName})`);
  const index = Number(slot - c.firstSlot);
  const hash = hexlify(resultHash(result));
  if (hash !== input.resultHashes[index]) {
    throw new BridgeReleaseError(
      `the result given hashes to ${hash}, not slot ${slot}'s ${input.resultHashes[index]}`,
    );
  }
  const tree = buildResultsTree(c.process, c.firstSlot, input.resultHashes);
  if (tree.root !== c.resultsRoot) {
    throw new BridgeReleaseError(
      `the result hashes build the root ${tree.root}, not the commitment's ${c.resultsRoot}`,
    );
  }
  const target = zeroPadValue(getAddress(input.bridge), 32).toLowerCase();
  const notices = result.items
    .map((it, i) => ({ it, i }))
    .filter(({ it }) => it.kind === KIND_MESSAGE)
    .map(({ it, i }) => ({ i, m: decodeOutbound(it.bytes) }))
    .filter(({ m }) => hexlify(m.target) === target);
  const chosen =
    input.item === undefined
      ? notices.find(({ m }) => tag(m.tags, "Action") === "Credit-Notice")
      : notices.find(({ i }) => i === input.item);
  if (!chosen) {
    throw new BridgeReleaseError(
      input.item === undefined
        ? `slot ${slot}'s result has no Credit-Notice to the bridge ${input.bridge}`
        : `item ${input.item} of slot ${slot}'s result is not a message to the bridge ${input.bridge}`,
    );
  }
  const quantity = tag(chosen.m.tags, "Quantity");
  const recipient = tag(chosen.m.tags, "X-Recipient");
  if (quantity === undefined || !/^[1-9][0-9]{0,38}$/.test(quantity)) {
    throw new BridgeReleaseError(
      `the notice's Quantity ${JSON.stringify(quantity)} is not a positive decimal`,
    );
  }
  if (recipient === undefined || !/^0[xX][0-9a-fA-F]{40}$/.test(recipient)) {
    throw new BridgeReleaseError(
      `the notice's X-Recipient ${JSON.stringify(recipient)} is not an EVM address`,
    );
  }
  return {
    slot,
    items: result.items.map((it) => ({ kind: it.kind, data: hexlify(it.bytes) })),
    item: chosen.i,
    proof: { commitment: c, siblings: tree.proof(slot) },
    recipient: getAddress(recipient.toLowerCase()),
    quantity: BigInt(quantity),
  };
}

function tag(tags: readonly { name: string; value: string }[], name: string): string | undefined {
  return tags.find((t) => t.name === name)?.value;
}

/** The key `TokenBridge.released` uses for (slot, item). */
export function releaseKey(slot: bigint, item: number): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["uint64", "uint256"], [slot, item]));
}

/**
 * ethers' `keccak256` on the machine's WebAssembly keccak (machine/hash/keccak.ts), for an agent's process.
 *
 * An agent hashes a dozen short inputs per slot through ethers (the canonical message, the EIP-712 struct and
 * digest, EIP-191 item signatures, checksummed addresses). ethers' JavaScript keccak costs about 14 µs for
 * 48 bytes on the bench machine; the WebAssembly one about 1 µs, with the same digests
 * (test/agents/common/hashing.test.ts). ethers lets a process register its keccak once; {@link useFastKeccak}
 * does that from the agents' entry point (agents/common/main.ts), so library code keeps calling ethers.
 */
import { keccak256 } from "ethers";

import { keccak256 as wasmKeccak256 } from "../../machine/hash/keccak";

let registered = false;

/** Registers the WebAssembly keccak with ethers in this process (idempotent). */
export function useFastKeccak(): void {
  if (registered) return;
  keccak256.register((data: Uint8Array) => wasmKeccak256(data));
  registered = true;
}

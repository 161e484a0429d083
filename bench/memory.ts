/**
 * Memory Merkle tree and keccak benchmarks.
 *
 *   npx ts-node --transpile-only bench/memory.ts [--reps N]
 *
 * Prints and merges into bench/results/machine.json (read-modify-write, other keys kept):
 *   memRoot16MiBSec        median seconds to hash a 16 MiB memory of random bytes from scratch (goal < 1.5)
 *   incrementalRootMs      median ms to recompute the root of a 16 MiB memory after a message-like burst
 *                          of writes: 128 writes of 32 bytes at random unaligned addresses (4 KiB in all,
 *                          touching ~250 leaf pairs) (goal < 5)
 *   keccak64HashesPerSec   median keccak256(64 bytes) per second through the public one-shot API
 *   keccak64BatchHashesPerSec  the same through hashTaggedItems (how the tree hashes), 81-byte node preimages
 *   hashWasmKeccak64HashesPerSec  hash-wasm's init/update/digest on 64 bytes, for comparison
 *   memoryBench            { date, node, repetitions, notes }
 */
import fs from "node:fs";
import path from "node:path";

import { createKeccak } from "hash-wasm";

import { hashTaggedItems, keccak256 } from "../machine/hash";
import { MEMORY_NODE_TAG, MemoryTree } from "../machine/memory";

const RESULTS = path.join(__dirname, "results", "machine.json");
const MIB = 1024 * 1024;

function argReps(): number {
  const i = process.argv.indexOf("--reps");
  const n = i >= 0 ? Number(process.argv[i + 1]) : 7;
  if (!Number.isInteger(n) || n < 1) throw new Error("--reps must be a positive integer");
  return n;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function now(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

/** xorshift32 bytes: reproducible "random" contents. */
function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  const words = new Uint32Array(out.buffer, 0, length >>> 2);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x;
  }
  return out;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

async function main(): Promise<void> {
  const reps = argReps();
  const hashReps = Math.max(reps, 5);
  const incrementalReps = Math.max(4 * reps, 21);

  // keccak, one-shot API
  const data64 = randomBytes(64, 1);
  const N = 500_000;
  const oneShot: number[] = [];
  for (let r = 0; r < hashReps + 1; r++) {
    const t = now();
    for (let i = 0; i < N; i++) keccak256(data64);
    if (r > 0) oneShot.push(N / (now() - t)); // first round: warm-up (wasm tier-up)
  }

  // keccak, batch API (the tree's path)
  const items = 65_536;
  const src = randomBytes(64 * items, 2);
  const dst = new Uint8Array(32 * items);
  const batch: number[] = [];
  for (let r = 0; r < hashReps + 1; r++) {
    const t = now();
    hashTaggedItems(MEMORY_NODE_TAG, src, 0, 64, items, dst, 0);
    if (r > 0) batch.push(items / (now() - t));
  }

  // hash-wasm, for comparison
  const hw = await createKeccak(256);
  const hashWasm: number[] = [];
  for (let r = 0; r < hashReps + 1; r++) {
    const t = now();
    for (let i = 0; i < N; i++) {
      hw.init();
      hw.update(data64);
      hw.digest("binary");
    }
    if (r > 0) hashWasm.push(N / (now() - t));
  }

  // 16 MiB from scratch
  const memory = randomBytes(16 * MIB, 3);
  const fromScratch: number[] = [];
  let tree = MemoryTree.fromBytes(memory); // warm-up
  for (let r = 0; r < reps; r++) {
    const t = now();
    tree = MemoryTree.fromBytes(memory);
    tree.root();
    fromScratch.push(now() - t);
  }
  const check = tree.root();

  // incremental: a message writes 4 KiB scattered over the 16 MiB memory
  const writes = 128;
  const chunk = 32;
  const incremental: number[] = [];
  const addresses = new Uint32Array(randomBytes(4 * writes * (incrementalReps + 3), 4).buffer);
  const payload = randomBytes(writes * chunk, 5);
  let w = 0;
  for (let r = 0; r < incrementalReps + 3; r++) {
    for (let i = 0; i < writes; i++) {
      const address = addresses[w++]! % (tree.size - chunk);
      payload[i * chunk] = r; // every burst writes new contents
      tree.writeBytes(address, payload.subarray(i * chunk, (i + 1) * chunk));
    }
    const t = now();
    tree.root();
    if (r >= 3) incremental.push((now() - t) * 1000); // first rounds: warm-up
  }
  const rebuilt = MemoryTree.fromBytes(tree.unsafeView()).root();
  if (Buffer.compare(Buffer.from(rebuilt), Buffer.from(tree.root())) !== 0 || check.length !== 32) {
    throw new Error("incremental root differs from the from-scratch root");
  }

  const results = {
    memRoot16MiBSec: round(median(fromScratch), 3),
    incrementalRootMs: round(median(incremental), 3),
    keccak64HashesPerSec: Math.round(median(oneShot)),
    keccak64BatchHashesPerSec: Math.round(median(batch)),
    hashWasmKeccak64HashesPerSec: Math.round(median(hashWasm)),
    memoryBench: {
      date: new Date().toISOString(),
      node: process.version,
      repetitions: {
        memRoot16MiBSec: reps,
        incrementalRootMs: incrementalReps,
        keccak64HashesPerSec: hashReps,
        keccak64BatchHashesPerSec: hashReps,
        hashWasmKeccak64HashesPerSec: hashReps,
      },
      notes:
        "medians; incremental = 128 writes of 32 B at random unaligned addresses in a 16 MiB random memory, " +
        "then root(); keccak64 one-shot allocates its 32-byte result; batch = hashTaggedItems over 81-byte " +
        "node preimages",
    },
  };

  let existing: Record<string, unknown> = {};
  if (fs.existsSync(RESULTS))
    existing = JSON.parse(fs.readFileSync(RESULTS, "utf8")) as Record<string, unknown>;
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, JSON.stringify({ ...existing, ...results }, null, 2) + "\n");
  console.log(JSON.stringify(results, null, 2));
  console.log(`merged into ${path.relative(process.cwd(), RESULTS)}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});

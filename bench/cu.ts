/**
 * The compute unit's evaluation cost per slot (issue 7), merged into bench/results/cu.json.
 *
 *   npx hardhat run bench/cu.ts          (npm run bench:cu)
 *
 * `ComputeUnit.evaluate` over CU_SLOTS counter messages (pages of 100, the SQLite transaction per page and its
 * fsync included), in two placements of the process-state hash, interleaved CU_ROUNDS times on fresh stores:
 * - `everySlot`: `commitEverySlots: 1`, which makes every slot a commitment end, so every slot is hashed (what
 *   the CU did before it hashed only where needed);
 * - `sparse`: `commitEverySlots: 100` (as bench:e2e runs the CU): hashed at page ends, checkpoints and
 *   commitment ends only.
 * Reports the median ms per slot of each and their ratio. The machine is shared: compare the two sides of one
 * run, not runs with each other.
 */
import fs from "node:fs";
import path from "node:path";

import { CuFixture, sourceOf } from "../test/agents/compute/helpers";
import { assignMessages, deployGameSystem } from "../test/helpers/game";

const SLOTS = Number(process.env.CU_SLOTS ?? 300);
const ROUNDS = Number(process.env.CU_ROUNDS ?? 3);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  if (!Number.isInteger(SLOTS) || SLOTS < 100)
    throw new Error(`CU_SLOTS must be an integer ≥ 100, got ${SLOTS}`);
  if (!Number.isInteger(ROUNDS) || ROUNDS < 1)
    throw new Error(`CU_ROUNDS must be a positive integer, got ${ROUNDS}`);
  const sys = await deployGameSystem("counter");
  const specs = Array.from({ length: SLOTS }, (_, i) => ({
    tags: { Action: i % 4 === 3 ? "Get" : "Increment" },
    data: `bench ${i}`,
  }));
  const log = await assignMessages(sys, 0n, specs);
  const fx = new CuFixture();
  await fx.start();
  const perSlot: Record<"everySlot" | "sparse", number[]> = { everySlot: [], sparse: [] };
  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, commitEverySlots] of [
        ["everySlot", 1],
        ["sparse", 100],
      ] as const) {
        const { cu } = await fx.makeCu(sys, fx.file(`${name}-${r}.sqlite`), sourceOf(sys, log), {
          commitEverySlots,
          pageSize: 100,
        });
        const t = performance.now();
        const n = await cu.evaluate(sys.process);
        const ms = performance.now() - t;
        if (n !== SLOTS) throw new Error(`${name}: evaluated ${n} of ${SLOTS} slots`);
        perSlot[name].push(ms / SLOTS);
        fx.closeAll();
      }
    }
  } finally {
    await fx.stop();
  }
  const every = median(perSlot.everySlot);
  const sparse = median(perSlot.sparse);
  const result = {
    cuEvalMsPerSlotEverySlotHashed: Number(every.toFixed(3)),
    cuEvalMsPerSlotSparseHashes: Number(sparse.toFixed(3)),
    cuEvalSparseSpeedup: Number((every / sparse).toFixed(2)),
    cuBench: {
      date: new Date().toISOString(),
      node: process.version,
      slots: SLOTS,
      rounds: ROUNDS,
      loadAverage: fs.readFileSync("/proc/loadavg", "utf8").split(" ")[0],
      samplesMsPerSlot: perSlot,
      notes:
        "ComputeUnit.evaluate over counter messages, pages of 100, fresh SQLite stores, interleaved; everySlot = " +
        "commitEverySlots 1 (every slot hashed), sparse = commitEverySlots 100 (page ends, checkpoints, commitment ends)",
    },
  };
  console.log(JSON.stringify(result, null, 2));
  const out = path.join(__dirname, "results", "cu.json");
  fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

/**
 * The process-state hash only where it is needed (issue 7, docs/benchmarks.md): the CU hashes the state after
 * a page's last slot, at checkpoints and where a `commitEverySlots` commitment ends; every other slot's
 * `evaluations.state_hash` is NULL and computed from the nearest checkpoint when something needs it (a
 * commitment end, a game's parent, evaluation(), a restart), then stored. Store migration 4 makes the column
 * nullable.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { hexlify } from "ethers";

import { openStore, type Store } from "../../../agents/common/store";
import { ComputeError } from "../../../agents/compute/domain/errors";
import { COMPUTE_MIGRATIONS, openComputeStore } from "../../../agents/compute/domain/store";
import { FastProcess } from "../../../machine/fast";
import { resultsDepth } from "../../../sdk/ts/dispute/game";
import { ResultsChain, type SlotInput } from "../../../sdk/ts/dispute/trace";
import { assignMessages, deployGameSystem, type GameSystem } from "../../helpers/game";
import { capturingLogger, CuFixture, sourceOf } from "./helpers";

const SLOTS = 20;
const SPECS = Array.from({ length: SLOTS }, (_, i) => ({
  tags: { Action: i % 3 === 2 ? "Get" : "Increment" },
  data: `message ${i}`,
}));
/** Pages of 6 slots end at 5, 11, 17 and 19; checkpoints after 6 and 13; commitments of 4 end at 3, 7… */
const OPTIONS = { pageSize: 6, checkpointEverySlots: 7, commitEverySlots: 4 };
const HASHED = [3, 5, 6, 7, 11, 13, 15, 17, 19];

async function system() {
  const sys = await deployGameSystem("counter");
  const log = await assignMessages(sys, 0n, SPECS);
  return { sys, log };
}

/** The stored slots whose state hash was taken. */
function hashedSlots(store: Store): number[] {
  return (
    store.db.prepare("SELECT slot FROM evaluations WHERE state_hash IS NOT NULL ORDER BY slot").all() as {
      slot: number;
    }[]
  ).map((r) => r.slot);
}

function storedHash(store: Store, slot: number): string | null {
  return (
    store.db.prepare("SELECT state_hash FROM evaluations WHERE slot = ?").get(slot) as {
      state_hash: string | null;
    }
  ).state_hash;
}

describe("agents/compute: the process-state hash only where needed", function () {
  this.timeout(180_000);

  const fx = new CuFixture();
  let sys: GameSystem;
  let log: SlotInput[];
  /** A fresh FastProcess replay of the log with the hash after every slot. */
  let replay: { result: string; state: string }[];

  before(async function () {
    await fx.start();
  });

  beforeEach(async function () {
    ({ sys, log } = await loadFixture(system));
    const fast = FastProcess.create(sys.wasm, { memoryLimitPages: Number(sys.P.memoryPages) });
    replay = log.map((s) => {
      const out = fast.evaluate(s.message, Number(sys.P.stepLimit));
      return { result: hexlify(out.resultHash), state: hexlify(fast.processStateHash()) };
    });
  });

  afterEach(function () {
    fx.closeAll();
  });

  after(async function () {
    await fx.stop();
  });

  /** What a CU hashing every slot would post for slots [first, last]: state, results root, assignment. */
  function expected(first: number, last: number, assignmentHashOf: (slot: number) => string) {
    const n = last - first + 1;
    const chain = new ResultsChain(
      sys.process,
      BigInt(first),
      resultsDepth(n),
      replay.slice(first, last + 1).map((r) => r.result),
    );
    return {
      firstSlot: BigInt(first),
      lastSlot: BigInt(last),
      stateHash: replay[last].state,
      resultsRoot: chain.roots[n],
      lastAssignmentHash: assignmentHashOf(last),
    };
  }

  it("hashes exactly the page ends, checkpoints and commitment ends; commitments equal a hash-every-slot replay", async function () {
    const { logger, lines } = capturingLogger();
    const { cu, store } = await fx.makeCu(sys, fx.file("a.sqlite"), sourceOf(sys, log), {
      ...OPTIONS,
      logger,
    });
    expect(await cu.evaluate(sys.process)).to.equal(SLOTS);
    expect(hashedSlots(store)).to.deep.equal(HASHED);
    for (const s of HASHED) expect(storedHash(store, s), `slot ${s}`).to.equal(replay[s].state);
    expect(cu.state(sys.process)).to.deep.include({ slot: 19n, stateHash: replay[19].state });
    const cursor = store.db.prepare("SELECT state_hash FROM cursors").get() as { state_hash: string };
    expect(cursor.state_hash).to.equal(replay[19].state);
    expect(cu.checkpoints(sys.process).map((c) => [c.slot, c.stateHash])).to.deep.equal([
      [6n, replay[6].state],
      [13n, replay[13].state],
    ]);
    // The API's reads leave the untaken hashes alone.
    expect(cu.evaluations(sys.process, 0n, 4n, 10).map((e) => e.stateHash)).to.deep.equal([
      null,
      null,
      null,
      replay[3].state,
      null,
    ]);

    expect(await cu.commit(sys.process)).to.have.length(5);
    const ah = (slot: number) => cu.evaluations(sys.process, BigInt(slot), BigInt(slot), 1)[0].assignmentHash;
    const posted = cu.commitments(sys.process).map((r) => {
      const c = r.commitment;
      return {
        firstSlot: c.firstSlot,
        lastSlot: c.lastSlot,
        stateHash: c.stateHash,
        resultsRoot: c.resultsRoot,
        lastAssignmentHash: c.lastAssignmentHash,
      };
    });
    expect(posted).to.deep.equal([
      expected(0, 3, ah),
      expected(4, 7, ah),
      expected(8, 11, ah),
      expected(12, 15, ah),
      expected(16, 19, ah),
    ]);
    // Every commitment ended on a hashed slot: nothing was rebuilt.
    expect(lines.filter((l) => l.event === "cu.state.rebuilt")).to.deep.equal([]);
    expect(hashedSlots(store)).to.deep.equal(HASHED);
  });

  it("the time rule commits up to the last evaluated slot (a page end) and the next ranges end hashed", async function () {
    let t = 1_000;
    const { logger, lines } = capturingLogger();
    const source = sourceOf(sys, log.slice(0, 10));
    const { cu, store } = await fx.makeCu(sys, fx.file("b.sqlite"), source, {
      ...OPTIONS,
      commitEveryMs: 1_000,
      now: () => t,
      logger,
    });
    expect(await cu.evaluate(sys.process)).to.equal(10);
    expect(await cu.commit(sys.process)).to.have.length(2); // [0, 3], [4, 7]; [8, 9] is not old yet
    t += 1_000;
    expect(await cu.commit(sys.process)).to.have.length(1); // [8, 9]
    source.append(sys.process, log.slice(10));
    expect(await cu.evaluate(sys.process)).to.equal(10);
    // Commitments now end at 13 and 17 (from 10 on, not 11 and 15): those are hashed.
    expect(hashedSlots(store)).to.deep.equal([3, 5, 6, 7, 9, 13, 15, 17, 19]);
    t += 1_000;
    expect(await cu.commit(sys.process)).to.have.length(2); // [10, 13], [14, 17]
    t += 1_000;
    expect(await cu.commit(sys.process)).to.have.length(1); // [18, 19]
    const ah = (slot: number) => cu.evaluations(sys.process, BigInt(slot), BigInt(slot), 1)[0].assignmentHash;
    const ranges = [
      [0, 3],
      [4, 7],
      [8, 9],
      [10, 13],
      [14, 17],
      [18, 19],
    ];
    expect(
      cu.commitments(sys.process).map((r) => ({
        firstSlot: r.commitment.firstSlot,
        lastSlot: r.commitment.lastSlot,
        stateHash: r.commitment.stateHash,
        resultsRoot: r.commitment.resultsRoot,
        lastAssignmentHash: r.commitment.lastAssignmentHash,
      })),
    ).to.deep.equal(ranges.map(([a, b]) => expected(a, b, ah)));
    expect(lines.filter((l) => l.event === "cu.state.rebuilt")).to.deep.equal([]);
  });

  it("computes (once) and stores the hash of an unhashed commitment end, game parent and evaluation()", async function () {
    const { logger, lines } = capturingLogger();
    const { cu, store } = await fx.makeCu(sys, fx.file("c.sqlite"), sourceOf(sys, log), {
      ...OPTIONS,
      logger,
    });
    await cu.evaluate(sys.process);
    const rebuilt = () => lines.filter((l) => l.event === "cu.state.rebuilt").map((l) => Number(l.slot));

    // A commitment end left unhashed (as after a rebase): computed from checkpoint 6, stored.
    store.db.prepare("UPDATE evaluations SET state_hash = NULL WHERE slot = 7").run();
    expect(await cu.commit(sys.process)).to.have.length(5);
    const c1 = cu.commitments(sys.process)[1].commitment;
    expect([c1.lastSlot, c1.stateHash]).to.deep.equal([7n, replay[7].state]);
    expect(storedHash(store, 7)).to.equal(replay[7].state);
    expect(rebuilt()).to.deep.equal([7]);

    // Another poster's commitment of [9, 11]: its parent state (slot 8) is computed from checkpoint 6.
    const c2 = cu.commitments(sys.process)[2].commitment;
    expect(storedHash(store, 8)).to.equal(null);
    const other = { ...c2, firstSlot: 9n, poster: sys.watcher.address };
    const trace = await cu.gameTrace(other);
    expect(trace.claim().stateHash).to.equal(replay[11].state);
    expect(storedHash(store, 8)).to.equal(replay[8].state);

    // evaluation() of an unhashed slot computes it once; stored, the second read rebuilds nothing.
    expect(storedHash(store, 16)).to.equal(null);
    expect(cu.evaluation(sys.process, 16n)!.stateHash).to.equal(replay[16].state);
    expect(cu.stateHashAt(sys.process, 16n)).to.equal(replay[16].state);
    expect(storedHash(store, 16)).to.equal(replay[16].state);
    expect(rebuilt()).to.deep.equal([7, 16]);
    expect(cu.stateHashAt(sys.process, -1n)).to.equal(
      hexlify(
        FastProcess.create(sys.wasm, { memoryLimitPages: Number(sys.P.memoryPages) }).processStateHash(),
      ),
    );
    const err = (() => {
      try {
        return cu.stateHashAt(sys.process, 20n);
      } catch (e) {
        return e;
      }
    })();
    expect((err as ComputeError).code).to.equal("NotEvaluated");

    // A stored result that re-evaluation does not give is still refused on the way.
    store.db.prepare("UPDATE evaluations SET result_hash = ? WHERE slot = 9").run(replay[0].result);
    const err2 = (() => {
      try {
        return cu.stateHashAt(sys.process, 10n);
      } catch (e) {
        return e;
      }
    })();
    expect(err2).to.be.instanceOf(ComputeError);
    expect((err2 as ComputeError).code).to.equal("ResultsChanged");
  });

  it("restarts from a store whose last row is unhashed (the cursor has the hash)", async function () {
    const file = fx.file("d.sqlite");
    const source = sourceOf(sys, log.slice(0, 10));
    const first = await fx.makeCu(sys, file, source, OPTIONS);
    expect(await first.cu.evaluate(sys.process)).to.equal(10);
    first.store.db.prepare("UPDATE evaluations SET state_hash = NULL WHERE slot = 9").run();
    fx.closeAll();

    const second = await fx.makeCu(sys, file, source, OPTIONS);
    expect(second.cu.state(sys.process)).to.deep.include({ slot: 9n, stateHash: replay[9].state });
    expect(storedHash(second.store, 9)).to.equal(replay[9].state);
    source.append(sys.process, log.slice(10));
    expect(await second.cu.evaluate(sys.process)).to.equal(10);
    expect(second.cu.state(sys.process).stateHash).to.equal(replay[19].state);

    // A cursor that disagrees with the re-evaluated state is refused.
    second.store.db.prepare("UPDATE evaluations SET state_hash = NULL WHERE slot = 19").run();
    second.store.db.prepare("UPDATE cursors SET state_hash = ?").run(replay[18].state);
    fx.closeAll();
    const err = await fx.makeCu(sys, file, source, OPTIONS).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ComputeError);
    expect((err as ComputeError).code).to.equal("ResultsChanged");
  });
});

describe("agents/compute: store migration 4 (evaluations.state_hash nullable)", function () {
  it("keeps a v3 store's rows and index; a state hash may then be NULL", function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "holo-cu-m4-"));
    try {
      const file = path.join(dir, "cu.sqlite");
      const v3 = openStore(file, COMPUTE_MIGRATIONS.slice(0, 3));
      const insert = `INSERT INTO evaluations (process, slot, message_id, message, assignment_hash, result, result_hash, state_hash, steps, signed)
        VALUES ('0xp', ?, ?, ?, '0xa', '{"ok":true,"items":[]}', '0xr', ?, 7, ?)`;
      v3.db.prepare(insert).run(0, "0xm0", Buffer.from([1, 2]), "0xs0", null);
      v3.db.prepare(insert).run(1, "0xm1", Buffer.from([3]), "0xs1", '{"slot":"1"}');
      expect(() => v3.db.prepare(insert).run(2, "0xm2", Buffer.from([4]), null, null)).to.throw(/NOT NULL/);
      v3.close();

      const v4 = openComputeStore(file);
      try {
        expect(v4.version).to.equal(4);
        const row = (
          slot: number,
          id: string,
          message: number[],
          sh: string | null,
          signed: string | null,
        ) => ({
          process: "0xp",
          slot,
          message_id: id,
          message: Buffer.from(message),
          assignment_hash: "0xa",
          result: '{"ok":true,"items":[]}',
          result_hash: "0xr",
          state_hash: sh,
          steps: 7,
          signed,
        });
        expect(v4.db.prepare("SELECT * FROM evaluations ORDER BY slot").all()).to.deep.equal([
          row(0, "0xm0", [1, 2], "0xs0", null),
          row(1, "0xm1", [3], "0xs1", '{"slot":"1"}'),
        ]);
        v4.db.prepare(insert).run(2, "0xm2", Buffer.from([4]), null, null);
        expect(v4.db.prepare("SELECT state_hash FROM evaluations WHERE slot = 2").get()).to.deep.equal({
          state_hash: null,
        });
        expect(() => v4.db.prepare(insert).run(2, "0xm2", Buffer.from([4]), null, null)).to.throw(/UNIQUE/);
        const indexes = v4.db
          .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'evaluations' ORDER BY name",
          )
          .all() as { name: string }[];
        expect(indexes.map((i) => i.name)).to.deep.equal([
          "evaluations_message",
          "sqlite_autoindex_evaluations_1", // the primary key (renamed with the table)
        ]);
        expect(
          v4.db.prepare("EXPLAIN QUERY PLAN SELECT * FROM evaluations WHERE message_id = '0xm1'").all(),
        ).to.satisfy((plan: { detail: string }[]) =>
          plan.some((p) => p.detail.includes("evaluations_message")),
        );
      } finally {
        v4.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

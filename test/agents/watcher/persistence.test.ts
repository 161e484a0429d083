/**
 * The watcher's re-executed slots and checkpoints live in its SQLite store, not in memory (issue 8,
 * reliability finding 5): a restart resumes from the latest checkpoint and reads the log only past the
 * stored end; verdicts and game traces read the stored slots; a stored slot that no longer re-executes to its
 * stored hashes stops the restart with a named error.
 */
import fs from "node:fs";
import path from "node:path";

import { expect } from "chai";
import hre from "hardhat";

import { commitmentToJson } from "../../../agents/common/games";
import { createLogger } from "../../../agents/common/log";
import { openStore } from "../../../agents/common/store";
import { ListLogSource, type LogSource } from "../../../agents/compute/domain/log-source";
import { WATCHER_MIGRATIONS } from "../../../agents/watcher/domain/store";
import { startWatcher, type RunningWatcher } from "../../../agents/watcher/main";
import { startJsonRpcServer, type RunningJsonRpcServer } from "../../../cli/lib/jsonrpc";
import { FastProcess } from "../../../machine/fast";
import { Process } from "../../../machine/process";
import { liarTrace, type SlotInput } from "../../../sdk/ts/dispute";
import type { Commitment } from "../../../sdk/ts/results";
import {
  assignMessages,
  deployGameSystem,
  increaseTime,
  NO_PARENT,
  postClaim,
  traceOf,
  type GameSystem,
} from "../../helpers/game";
import { tempDir } from "../scheduler/helpers";
import { CountingSource, gameWatcherConfig } from "./helpers";

const silent = createLogger({ agent: "watcher-test", level: "silent" });
const SLOTS = 25;
const EVERY = 10;

describe("agents/watcher: slots and checkpoints in the store", function () {
  this.timeout(180_000);

  let sys: GameSystem;
  let log: SlotInput[];
  let rpc: RunningJsonRpcServer;
  let dir: string;
  let wasmFile: string;
  const running: RunningWatcher[] = [];

  before(async function () {
    sys = await deployGameSystem("counter");
    const specs = Array.from({ length: SLOTS }, (_, i) => ({
      tags: { Action: i % 4 === 3 ? "Get" : "Increment" },
      data: `persist ${i}`,
    }));
    log = await assignMessages(sys, 0n, specs);
    rpc = await startJsonRpcServer(hre, "127.0.0.1", 0);
    dir = tempDir("holo-watcher-persist-");
    wasmFile = path.join(dir, "counter.wasm");
    fs.writeFileSync(wasmFile, sys.wasm);
  });

  afterEach(async function () {
    while (running.length > 0) await running.pop()!.stop();
  });

  after(async function () {
    await rpc.close(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start(storePath: string, source: LogSource): Promise<RunningWatcher> {
    const config = gameWatcherConfig(
      sys,
      { rpcUrl: `http://127.0.0.1:${rpc.port}`, wasm: wasmFile, storePath },
      { checkpointEverySlots: EVERY },
    );
    const w = await startWatcher(config, silent, { source, loop: false });
    running.push(w);
    return w;
  }

  async function stop(w: RunningWatcher): Promise<void> {
    running.splice(running.indexOf(w), 1);
    await w.stop();
  }

  /** The state hash after `slot` from a fresh fast-mode replay of the whole log. */
  function replayHash(slot: number): string {
    const fast = FastProcess.create(sys.wasm, { memoryLimitPages: sys.P.memoryPages });
    for (const s of log.slice(0, slot + 1)) fast.evaluate(s.message, sys.P.stepLimit);
    return hre.ethers.hexlify(fast.processStateHash());
  }

  function fullSource(): ListLogSource {
    const source = new ListLogSource();
    source.append(sys.process, log);
    return source;
  }

  it("test_reexecute_storesEverySlotAndCheckpoints_stateHashesSparse_succeeds", async function () {
    const storePath = path.join(dir, "store-a.sqlite");
    const w = await start(storePath, fullSource());
    await w.tick();
    expect(w.watcher.state(sys.process)).to.deep.equal({
      slot: BigInt(SLOTS - 1),
      stateHash: replayHash(SLOTS - 1),
    });
    await stop(w);

    const db = openStore(storePath, WATCHER_MIGRATIONS).db;
    try {
      const slots = db
        .prepare("SELECT slot, state_hash FROM slots WHERE process = ? ORDER BY slot")
        .all(sys.process) as { slot: number; state_hash: string | null }[];
      expect(slots.map((r) => r.slot)).to.deep.equal([...Array(SLOTS).keys()]);
      const checkpoints = db
        .prepare("SELECT slot, state_hash FROM checkpoints WHERE process = ? ORDER BY slot")
        .all(sys.process) as { slot: number; state_hash: string }[];
      expect(checkpoints).to.deep.equal([
        { slot: 9, state_hash: replayHash(9) },
        { slot: 19, state_hash: replayHash(19) },
      ]);
      // Hashed only at checkpoints and the page's end; every other slot's hash is rebuilt when needed.
      const hashed = slots.filter((r) => r.state_hash !== null).map((r) => r.slot);
      expect(hashed).to.deep.equal([9, 19, SLOTS - 1]);
    } finally {
      db.close();
    }
  });

  it("test_restart_resumesFromTheStore_readsTheLogOnlyPastItsEnd_sameStateAndTraces_succeeds", async function () {
    const storePath = path.join(dir, "store-b.sqlite");
    const first = await start(storePath, fullSource());
    await first.tick();
    const c = { process: sys.process, firstSlot: 13n, lastSlot: 22n } as Commitment;
    const traceBefore = (await first.watcher.traceFor(c)).claim();
    await stop(first);

    const counting = new CountingSource(fullSource());
    const second = await start(storePath, counting);
    expect(second.watcher.state(sys.process)).to.deep.equal({
      slot: BigInt(SLOTS - 1),
      stateHash: replayHash(SLOTS - 1),
    });
    await second.tick();
    expect(counting.reads.length).to.be.greaterThan(0);
    expect(counting.reads.every((from) => from === BigInt(SLOTS))).to.equal(
      true,
      `reads from ${counting.reads.join(",")}`,
    );
    // A slot whose hash was not taken (13 − 1 = 12) is rebuilt from checkpoint 9; the trace equals the one
    // before the restart and a step-mode trace of the same slots.
    expect(second.watcher.stateHashAt(sys.process, 12n)).to.equal(replayHash(12));
    const traceAfter = (await second.watcher.traceFor(c)).claim();
    expect(traceAfter).to.deep.equal(traceBefore);
    const parentEnd = traceOf(sys, log.slice(0, 13)).claim();
    expect(traceAfter.firstSlot).to.equal(13n);
    expect(parentEnd.stateHash).to.equal(replayHash(12));
    expect(traceAfter.stateHash).to.equal(replayHash(22));
  });

  it("test_verdicts_fromStoredSlots_agreeAndDisagreeWithCommitmentsEndingBetweenHashes_succeeds", async function () {
    const storePath = path.join(dir, "store-c.sqlite");
    const w = await start(storePath, fullSource());
    await w.tick(); // re-executes all slots before any commitment is known: slots 0..12 unhashed but 9
    const good = await postClaim(sys, sys.cu, traceOf(sys, log.slice(0, 13)));
    const liar = liarTrace(traceOf(sys, log.slice(0, 13)), { fromPosition: 12n << 32n, salt: "persist" });
    const wrong = await postClaim(sys, sys.rest[0], liar);
    await w.tick();
    expect(w.watcher.check(good.id)?.verdict).to.equal("agree");
    const bad = w.watcher.check(wrong.id);
    expect(bad?.verdict).to.equal("disagree");
    expect(bad?.detail).to.contain(`stateHash ${liar.claim().stateHash} is not ${replayHash(12)}`);
  });

  it("test_restart_storedSlotNoLongerReexecutesToItsHash_refusedWithResultsChanged_storeKept", async function () {
    const storePath = path.join(dir, "store-d.sqlite");
    const w = await start(storePath, fullSource());
    await w.tick();
    await stop(w);
    const db = openStore(storePath, WATCHER_MIGRATIONS).db;
    db.prepare("UPDATE slots SET result_hash = ? WHERE process = ? AND slot = 21").run(
      hre.ethers.id("x"),
      sys.process,
    );
    db.close();
    let error: unknown;
    try {
      await start(storePath, fullSource());
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.match(/ResultsChanged: process 0x[0-9a-f]{64} slot 21: re-evaluation differs/);
    const after = openStore(storePath, WATCHER_MIGRATIONS).db;
    try {
      expect((after.prepare("SELECT COUNT(*) AS n FROM slots").get() as { n: number }).n).to.equal(SLOTS);
    } finally {
      after.close();
    }
  });

  it("test_migration_fromVersion1_keepsVerdicts_reexecutesFromSlotZeroOnce_succeeds", async function () {
    const storePath = path.join(dir, "store-e.sqlite");
    const v1 = openStore(storePath, WATCHER_MIGRATIONS.slice(0, 1));
    v1.db
      .prepare(
        `INSERT INTO checks (id, process, first_slot, last_slot, content, block, posted_at, deadline, verdict)
         VALUES ('0x01', ?, 0, 0, ?, 1, 1, 2, 'agree')`,
      )
      .run(sys.process, commitmentToJson({ ...NO_PARENT, process: sys.process }));
    v1.db.close();
    const counting = new CountingSource(fullSource());
    const w = await start(storePath, counting);
    await w.tick();
    expect(counting.reads[0]).to.equal(0n);
    expect(w.watcher.state(sys.process).stateHash).to.equal(replayHash(SLOTS - 1));
    expect(w.watcher.check("0x01")?.verdict).to.equal("agree");
  });

  it("test_pruneCheckpoints_finalizedTipPastTwoCheckpoints_keepsTheLatestAtOrBeforeIt_statesStillRebuilt", async function () {
    const storePath = path.join(dir, "store-f.sqlite");
    const w = await start(storePath, fullSource());
    await w.tick();
    const poster = sys.rest[1];
    const a = await postClaim(sys, poster, traceOf(sys, log.slice(0, 13)));
    const parentEnd = traceOf(sys, log.slice(0, 13)).claim();
    const proc = Process.fromWasm(sys.wasm, { memoryLimitPages: sys.P.memoryPages });
    for (const s of log.slice(0, 13)) proc.handleMessage(s.message, { stepLimit: Number(sys.P.stepLimit) });
    const bTrace = traceOf(sys, log.slice(13, 23), 13n, {
      process: proc,
      prevAssignmentHash: parentEnd.lastAssignmentHash,
      stateHash: parentEnd.stateHash,
    });
    const b = await postClaim(sys, poster, bTrace, a.id);
    await increaseTime(sys.P.challengeWindow + 1n);
    await (await sys.results.finalize(a.commitment)).wait();
    await (await sys.results.finalize(b.commitment)).wait();
    await w.tick(); // judges both (agree), then reads the finalized tip (slot 22) and prunes
    expect(w.watcher.check(b.id)?.verdict).to.equal("agree");
    const db = openStore(storePath, WATCHER_MIGRATIONS).db;
    try {
      const slots = db
        .prepare("SELECT slot FROM checkpoints WHERE process = ? ORDER BY slot")
        .all(sys.process);
      expect(slots).to.deep.equal([{ slot: 19 }]);
    } finally {
      db.close();
    }
    // Before the kept checkpoint a state is rebuilt from slot 0: the stored messages stay.
    expect(w.watcher.stateHashAt(sys.process, 12n)).to.equal(replayHash(12));
  });
});

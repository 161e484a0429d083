/**
 * The compute unit's state checkpoints (restart and dry-run from the latest one, ResultsChanged still
 * checked after it) and refused commitments (marked `refused`, paged, committing stopped until the
 * operator's retryRefused).
 */
import { expect } from "chai";
import { hexlify } from "ethers";
import { ethers } from "hardhat";

import { createMetrics } from "../../../agents/common/metrics";
import { ComputeError } from "../../../agents/compute/domain/errors";
import { Process } from "../../../machine/process";
import type { SlotInput } from "../../../sdk/ts/dispute/trace";
import { assignMessages, deployGameSystem, increaseTime, traceOf, type GameSystem } from "../../helpers/game";
import { capturingLogger, CuFixture, sourceOf } from "./helpers";

const SPECS = Array.from({ length: 8 }, (_, i) => ({
  tags: { Action: i % 3 === 2 ? "Get" : "Increment" },
  data: `message ${i}`,
}));

describe("agents/compute: checkpoints and refused commitments", function () {
  this.timeout(180_000);

  const fx = new CuFixture();
  let sys: GameSystem;
  let log: SlotInput[];

  before(async function () {
    await fx.start();
  });

  beforeEach(async function () {
    sys = await deployGameSystem("counter");
    log = await assignMessages(sys, 0n, SPECS);
  });

  afterEach(function () {
    fx.closeAll();
  });

  after(async function () {
    await fx.stop();
  });

  /** Step mode's result and state hashes of the whole log. */
  function stepHashes() {
    const step = Process.fromWasm(sys.wasm, { memoryLimitPages: sys.P.memoryPages });
    return log.map((s) => {
      const out = step.handleMessage(s.message, { stepLimit: Number(sys.P.stepLimit) });
      return { result: hexlify(out.resultHash), state: hexlify(out.processHash) };
    });
  }

  it("stores a checkpoint every checkpointEverySlots slots and resumes from the latest one", async function () {
    const file = fx.file("ck-a.sqlite");
    const metrics = createMetrics({ agent: "cu", defaultMetrics: false });
    const first = await fx.makeCu(sys, file, sourceOf(sys, log.slice(0, 5)), {
      checkpointEverySlots: 2,
      metrics,
    });
    expect(await first.cu.evaluate(sys.process)).to.equal(5);
    const cks = first.cu.checkpoints(sys.process);
    expect(cks.map((c) => c.slot)).to.deep.equal([1n, 3n]);
    const step = stepHashes();
    expect(cks.map((c) => c.stateHash)).to.deep.equal([step[1].state, step[3].state]);
    expect(cks.every((c) => c.itemId === null)).to.equal(true); // no Arweave configured
    expect(await metrics.text()).to.match(/holo_cu_checkpoints_total 2/);
    // A stored result before the latest checkpoint is not re-evaluated at start: changing it goes unseen...
    first.store.db.prepare("UPDATE evaluations SET result_hash = ? WHERE slot = 2").run(ethers.id("before"));
    fx.closeAll();

    const source = sourceOf(sys, log.slice(0, 7));
    const second = await fx.makeCu(sys, file, source, { checkpointEverySlots: 2 });
    expect(second.cu.state(sys.process)).to.deep.include({ slot: 4n, stateHash: step[4].state });
    // ...and the state restored from it goes on exactly as step mode.
    expect(await second.cu.evaluate(sys.process)).to.equal(2);
    for (let i = 5; i < 7; i++) {
      const ev = second.cu.evaluation(sys.process, BigInt(i))!;
      expect([ev.resultHash, ev.stateHash]).to.deep.equal([step[i].result, step[i].state]);
    }
    expect(second.cu.checkpoints(sys.process).map((c) => c.slot)).to.deep.equal([1n, 3n, 5n]);
    // A result after the latest checkpoint is re-evaluated and checked.
    second.store.db.prepare("UPDATE evaluations SET result_hash = ? WHERE slot = 6").run(ethers.id("after"));
    fx.closeAll();
    const err = await fx.makeCu(sys, file, source, { checkpointEverySlots: 2 }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ComputeError);
    expect((err as ComputeError).code).to.equal("ResultsChanged");
  });

  it("falls back to re-evaluating from slot 0 when the latest checkpoint is unusable", async function () {
    const file = fx.file("ck-b.sqlite");
    const first = await fx.makeCu(sys, file, sourceOf(sys, log.slice(0, 5)), { checkpointEverySlots: 2 });
    await first.cu.evaluate(sys.process);
    // A corrupted checkpoint (one state byte flipped).
    const row = first.store.db.prepare("SELECT state FROM checkpoints WHERE slot = 3").get() as {
      state: Buffer;
    };
    const bad = Buffer.from(row.state);
    bad[bad.length - 1] ^= 0xff;
    first.store.db.prepare("UPDATE checkpoints SET state = ? WHERE slot = 3").run(bad);
    fx.closeAll();

    const { logger, lines } = capturingLogger();
    const second = await fx.makeCu(sys, file, sourceOf(sys, log), { checkpointEverySlots: 2, logger });
    // The unusable checkpoint is logged and skipped: the state is rebuilt from slot 0.
    expect(lines.filter((l) => l.event === "cu.checkpoint.bad")).to.have.length(1);
    expect(second.cu.state(sys.process).stateHash).to.equal(stepHashes()[4].state);
    await second.cu.evaluate(sys.process);
    expect(second.cu.state(sys.process).stateHash).to.equal(stepHashes()[7].state);
  });

  it("dry-runs from a checkpoint of the live state, after a restart too", async function () {
    const file = fx.file("ck-c.sqlite");
    const first = await fx.makeCu(sys, file, sourceOf(sys, log.slice(0, 7)), { checkpointEverySlots: 3 });
    await first.cu.evaluate(sys.process);
    const want = stepHashes()[7].result;
    expect(first.cu.dryRun(sys.process, log[7].message).resultHash).to.equal(want);
    fx.closeAll();
    const second = await fx.makeCu(sys, file, sourceOf(sys, log.slice(0, 7)), { checkpointEverySlots: 3 });
    const before = second.cu.state(sys.process);
    expect(second.cu.dryRun(sys.process, log[7].message).resultHash).to.equal(want);
    expect(second.cu.dryRun(sys.process, log[7].message).resultHash).to.equal(want);
    expect(second.cu.state(sys.process)).to.deep.equal(before);
  });

  it("marks a commitment the registry refuses as refused, pages once, and stops committing until the operator acts", async function () {
    const file = fx.file("refused.sqlite");
    const { logger, lines } = capturingLogger();
    const metrics = createMetrics({ agent: "cu", defaultMetrics: false });
    const source = sourceOf(sys, log.slice(0, 6));
    const { cu } = await fx.makeCu(sys, file, source, { logger, metrics });
    await cu.evaluate(sys.process);
    // The registry now asks more stake per commitment than the CU has bonded: every post reverts.
    await (await sys.results.connect(sys.admin).setCommitmentStake(1_000n * 10n ** 18n)).wait();
    expect(await cu.commit(sys.process)).to.deep.equal([]);
    const rows = cu.commitments(sys.process);
    expect(rows.map((r) => r.status)).to.deep.equal(["refused"]);
    expect(rows[0].refused).to.equal("ResultRegistryInsufficientStake");
    expect(await sys.results.statusOf(rows[0].commitment)).to.equal(0n);
    const pages = lines.filter((l) => l.event === "page.livenessAtRisk");
    expect(pages).to.have.length(1);
    expect(pages[0]).to.deep.include({
      id: rows[0].id,
      revert: rows[0].refused,
      firstSlot: "0",
      lastSlot: "2",
    });
    expect(await metrics.text()).to.match(/holo_cu_commitments_refused_total 1/);

    // Not retried, no new range committed, no new page.
    const blocks = await ethers.provider.getBlockNumber();
    expect(await cu.commit(sys.process)).to.deep.equal([]);
    expect(await cu.commit(sys.process)).to.deep.equal([]);
    expect(await ethers.provider.getBlockNumber()).to.equal(blocks);
    expect(cu.commitments(sys.process)).to.have.length(1);
    expect(lines.filter((l) => l.event === "page.livenessAtRisk")).to.have.length(1);

    // Across a restart too.
    fx.closeAll();
    const again = await fx.makeCu(sys, file, source);
    expect(await again.cu.commit(sys.process)).to.deep.equal([]);
    expect(again.cu.refusedCommitment(sys.process)?.id).to.equal(rows[0].id);

    // The operator fixes the cause and clears the refusal: both ranges are posted.
    await (await sys.results.connect(sys.admin).setCommitmentStake(sys.P.commitmentStake)).wait();
    expect(again.cu.retryRefused(sys.process)).to.equal(1);
    const ids = await again.cu.commit(sys.process);
    expect(ids).to.have.length(2);
    const posted = again.cu.commitments(sys.process);
    expect(posted.map((r) => r.status)).to.deep.equal(["posted", "posted"]);
    expect(posted[0].commitment.stateHash).to.equal(traceOf(sys, log.slice(0, 3)).claim().stateHash);
  });

  it("deletes the checkpoints the finalized chain made useless (all but the latest at or before its tip), metered; states before them still rebuild", async function () {
    const file = fx.file("ck-prune.sqlite");
    const metrics = createMetrics({ agent: "cu", defaultMetrics: false });
    const { cu } = await fx.makeCu(sys, file, sourceOf(sys, log), {
      checkpointEverySlots: 2,
      commitEverySlots: 6,
      metrics,
    });
    expect(await cu.evaluate(sys.process)).to.equal(8);
    expect(cu.checkpoints(sys.process).map((c) => c.slot)).to.deep.equal([1n, 3n, 5n, 7n]);
    expect(await cu.commit(sys.process)).to.have.length(1); // [0, 5]
    await increaseTime(sys.P.challengeWindow + 1n);
    expect(await cu.finalize(sys.process)).to.have.length(1);
    // The finalized tip ends at slot 5: checkpoint 5 stays (the state there), 1 and 3 go, 7 is after the tip.
    expect(cu.checkpoints(sys.process).map((c) => c.slot)).to.deep.equal([5n, 7n]);
    expect(await metrics.text()).to.match(/holo_checkpoints_pruned_total 2/);
    // A state before the kept checkpoint is rebuilt from slot 0 (the messages stay): slower, never wrong.
    const step = stepHashes();
    expect(cu.stateHashAt(sys.process, 2n)).to.equal(step[2].state);
    // Finalizing again changes nothing.
    expect(await cu.finalize(sys.process)).to.deep.equal([]);
    expect(cu.checkpoints(sys.process).map((c) => c.slot)).to.deep.equal([5n, 7n]);
  });

  it("keeps every checkpoint with pruneCheckpoints false", async function () {
    const { cu } = await fx.makeCu(sys, fx.file("ck-keep.sqlite"), sourceOf(sys, log), {
      checkpointEverySlots: 2,
      commitEverySlots: 6,
      pruneCheckpoints: false,
    });
    expect(await cu.evaluate(sys.process)).to.equal(8);
    expect(await cu.commit(sys.process)).to.have.length(1);
    await increaseTime(sys.P.challengeWindow + 1n);
    expect(await cu.finalize(sys.process)).to.have.length(1);
    expect(cu.checkpoints(sys.process).map((c) => c.slot)).to.deep.equal([1n, 3n, 5n, 7n]);
  });
});

/**
 * Several compute units following one process (soak finding 3): the first chain to finalize wins; every
 * other CU prunes its superseded commitments (stake back in its reservation), continues the finalized tip
 * once its own evaluation agrees with it, and stops (paged) when it does not.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import { ChainError } from "../../../agents/common/chain";
import { loadConfig } from "../../../agents/common/config";
import { createMetrics, type AgentMetrics } from "../../../agents/common/metrics";
import type { ComputeUnit } from "../../../agents/compute/domain/compute";
import { ComputeSettings } from "../../../agents/compute/config";
import { ComputeError } from "../../../agents/compute/domain/errors";
import { COMPUTE_MIGRATIONS } from "../../../agents/compute/domain/store";
import { startCompute } from "../../../agents/compute/main";
import { openStore, type Store } from "../../../agents/common/store";
import { assignMessages, deployGameSystem, increaseTime, type GameSystem } from "../../helpers/game";
import { assignmentHash } from "../../../sdk/ts/assignments";
import { accountKey } from "../scheduler/helpers";
import { capturingLogger, CuFixture, silent, sourceOf } from "./helpers";

const SLOTS = 20;
const SPECS = Array.from({ length: SLOTS }, (_, i) => ({
  tags: { Action: i % 3 === 2 ? "Get" : "Increment" },
  data: `message ${i}`,
}));
/** The winner is deployGameSystem's `cu` (account 3); the loser another bonded account. */
const LOSER = 6;
const REJECTED = 3n;
const FINALIZED = 2n;

async function system() {
  const sys = await deployGameSystem("counter");
  const log = await assignMessages(sys, 0n, SPECS);
  return { sys, log };
}

async function prunedCount(m: AgentMetrics, reason: string): Promise<number> {
  const metric = m.registry.getSingleMetric("holo_cu_commitments_pruned_total");
  const values = (await metric!.get()).values;
  return values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

function ranges(cu: ComputeUnit, process: string) {
  return cu
    .commitments(process)
    .map((r) => [r.commitment.firstSlot, r.commitment.lastSlot, r.status, r.pruned] as const);
}

function finalizeOps(store: Store): string[] {
  return (
    store.db.prepare("SELECT opId FROM chain_ops WHERE opId LIKE 'finalize:%' ORDER BY rowid").all() as {
      opId: string;
    }[]
  ).map((r) => r.opId.slice("finalize:".length));
}

describe("agents/compute: several CUs on one process", function () {
  this.timeout(180_000);

  const fx = new CuFixture();
  let sys: GameSystem;
  let log: Awaited<ReturnType<typeof system>>["log"];
  let loserAddress: string;
  let t: number;
  const now = () => t;

  before(async function () {
    await fx.start();
  });

  beforeEach(async function () {
    ({ sys, log } = await loadFixture(system));
    loserAddress = sys.signers[LOSER].address;
    t = 1_000;
  });

  afterEach(function () {
    fx.closeAll();
  });

  after(async function () {
    await fx.stop();
  });

  /** The winner (15 slots per commitment) and the loser (10), both evaluated to the end; each posts. */
  async function race(name: string, metrics?: AgentMetrics) {
    const source = sourceOf(sys, log);
    const w = await fx.makeCu(sys, fx.file(`${name}-w.sqlite`), source, { commitEverySlots: 15, now });
    const l = await fx.makeCu(sys, fx.file(`${name}-l.sqlite`), source, {
      commitEverySlots: 10,
      now,
      account: LOSER,
      metrics,
    });
    expect(await w.cu.evaluate(sys.process)).to.equal(SLOTS);
    expect(await l.cu.evaluate(sys.process)).to.equal(SLOTS);
    expect(await w.cu.commit(sys.process)).to.have.length(1); // [0, 14]
    expect(await l.cu.commit(sys.process)).to.have.length(2); // [0, 9], [10, 19]
    return { w, l, source };
  }

  it("the loser prunes its superseded chain, gets its stake back, rebases on the tip, and every slot ends finalized", async function () {
    const metrics = createMetrics({ agent: "cu", defaultMetrics: false });
    const { w, l } = await race("a", metrics);
    const stake = await sys.results.commitmentStake();
    const before = await sys.results.reservationOf(loserAddress);
    expect(before.pending).to.equal(2n * stake);

    await increaseTime(sys.P.challengeWindow + 1n);
    const [w0] = await w.cu.finalize(sys.process);
    expect(w0).to.be.a("string");

    // The loser's chain cannot finalize: nothing is sent for it (no ParentNotTip revert every poll).
    const blocks = await ethers.provider.getBlockNumber();
    expect(await l.cu.finalize(sys.process)).to.deep.equal([]);
    expect(await ethers.provider.getBlockNumber()).to.equal(blocks);

    const pruned = await l.cu.prune(sys.process);
    expect(pruned).to.have.length(2);
    expect(ranges(l.cu, sys.process)).to.deep.equal([
      [0n, 9n, "pruned", "SiblingFinalized"],
      [10n, 19n, "pruned", "ParentRejected"],
    ]);
    for (const r of l.cu.commitments(sys.process)) {
      expect(await sys.results.statusOf(r.commitment)).to.equal(REJECTED);
    }
    const after = await sys.results.reservationOf(loserAddress);
    expect(after.pending).to.equal(0n);
    expect(after.reserved).to.equal(before.reserved); // the stake is back in the free part
    expect(await prunedCount(metrics, "SiblingFinalized")).to.equal(1);
    expect(await prunedCount(metrics, "ParentRejected")).to.equal(1);

    // Once: a second pass sends nothing.
    const blocks2 = await ethers.provider.getBlockNumber();
    expect(await l.cu.prune(sys.process)).to.deep.equal([]);
    expect(await l.cu.finalize(sys.process)).to.deep.equal([]);
    expect(await ethers.provider.getBlockNumber()).to.equal(blocks2);

    // The loser posts [15, 19] on the tip at once (slots uncommitted again by a rebase are due); the
    // winner posts its own [15, 19] once its last 5 slots are commitEveryMs old.
    // The loser hashed its own page and commitment ends, not slot 14: the rebase check computes it (once).
    const ownHash = () =>
      (
        l.store.db.prepare("SELECT state_hash FROM evaluations WHERE slot = 14").get() as {
          state_hash: string | null;
        }
      ).state_hash;
    expect(ownHash()).to.equal(null);
    const [l15] = await l.cu.commit(sys.process);
    expect(ownHash()).to.equal(w.cu.commitments(sys.process)[0].commitment.stateHash);
    expect(await w.cu.commit(sys.process)).to.deep.equal([]);
    t += 60_000;
    const [w15] = await w.cu.commit(sys.process);
    const lRow = l.cu.commitments(sys.process).find((r) => r.id === l15)!;
    expect([lRow.commitment.parent, lRow.commitment.firstSlot, lRow.commitment.lastSlot]).to.deep.equal([
      w0,
      15n,
      19n,
    ]);
    expect(lRow.status).to.equal("posted");

    // The loser's commitment on the tip finalizes; the winner's sibling is now the superseded one.
    await increaseTime(sys.P.challengeWindow + 1n);
    expect(await l.cu.finalize(sys.process)).to.deep.equal([l15]);
    expect(await w.cu.finalize(sys.process)).to.deep.equal([]);
    expect(await w.cu.prune(sys.process)).to.deep.equal([w15]);
    expect(ranges(w.cu, sys.process)).to.deep.equal([
      [0n, 14n, "finalized", null],
      [15n, 19n, "pruned", "SiblingFinalized"],
    ]);

    // Every slot is covered by the finalized chain: [0, 14] (winner) then [15, 19] (loser).
    const [tip, finalizedSlots] = await sys.results.latestFinalized(sys.process);
    expect([tip, finalizedSlots]).to.deep.equal([l15, BigInt(SLOTS)]);
    expect(await sys.results.statusOf(w.cu.commitments(sys.process)[0].commitment)).to.equal(FINALIZED);
    expect((await sys.results.reservationOf(loserAddress)).pending).to.equal(0n);
    expect((await sys.results.reservationOf(sys.cu.address)).pending).to.equal(0n);

    // No finalize was ever attempted on a pruned row.
    expect(finalizeOps(l.store)).to.deep.equal([l15]);
    expect(finalizeOps(w.store)).to.deep.equal([w0]);
  });

  it("a restart in the middle neither prunes twice nor loses the rebase", async function () {
    const { w, l, source } = await race("b");
    await increaseTime(sys.P.challengeWindow + 1n);
    const [w0] = await w.cu.finalize(sys.process);
    expect(await l.cu.prune(sys.process)).to.have.length(2);
    const second = l.cu.commitments(sys.process)[1];
    // kill -9 after the second prune was mined, before its row was marked.
    l.store.db.prepare("UPDATE commitments SET status = 'posted', pruned = NULL WHERE id = ?").run(second.id);
    l.chain.close();
    l.store.close();

    const metrics = createMetrics({ agent: "cu", defaultMetrics: false });
    const file = fx.file("b-l.sqlite");
    const l2 = await fx.makeCu(sys, file, source, { commitEverySlots: 10, now, account: LOSER, metrics });
    const blocks = await ethers.provider.getBlockNumber();
    expect(await l2.cu.prune(sys.process)).to.deep.equal([]); // nothing sent again
    expect(await ethers.provider.getBlockNumber()).to.equal(blocks);
    expect(ranges(l2.cu, sys.process)).to.deep.equal([
      [0n, 9n, "pruned", "SiblingFinalized"],
      [10n, 19n, "pruned", "ParentRejected"],
    ]);
    expect(
      (
        l2.store.db.prepare("SELECT COUNT(*) AS n FROM chain_ops WHERE opId LIKE 'prune:%'").get() as {
          n: number;
        }
      ).n,
    ).to.equal(2);

    const [l15] = await l2.cu.commit(sys.process);
    expect(l15).to.be.a("string");
    // Another restart: the rebased commitment is kept, not posted again.
    l2.chain.close();
    l2.store.close();
    const l3 = await fx.makeCu(sys, file, source, { commitEverySlots: 10, now, account: LOSER });
    expect(await l3.cu.commit(sys.process)).to.deep.equal([]);
    const rows = l3.cu.commitments(sys.process);
    expect(rows.map((r) => [r.commitment.firstSlot, r.status])).to.deep.equal([
      [0n, "pruned"],
      [10n, "pruned"],
      [15n, "posted"],
    ]);
    expect(rows[2].commitment.parent).to.equal(w0);
    await increaseTime(sys.P.challengeWindow + 1n);
    expect(await l3.cu.finalize(sys.process)).to.deep.equal([l15]);
  });

  it("a commitment recorded but not posted before its parent was pruned is dropped, and the range rebased", async function () {
    const source = sourceOf(sys, log.slice(0, 10));
    const w = await fx.makeCu(sys, fx.file("e-w.sqlite"), sourceOf(sys, log), { commitEverySlots: 15, now });
    const l = await fx.makeCu(sys, fx.file("e-l.sqlite"), source, {
      commitEverySlots: 10,
      now,
      account: LOSER,
    });
    await w.cu.evaluate(sys.process);
    await w.cu.commit(sys.process); // [0, 14]
    await l.cu.evaluate(sys.process);
    expect(await l.cu.commit(sys.process)).to.have.length(1); // [0, 9]
    source.append(sys.process, log.slice(10));
    await l.cu.evaluate(sys.process);
    // The post of [10, 19] dies after its row was recorded (an RPC outage, a kill -9 right after the transaction).
    const send = l.chain.send.bind(l.chain);
    l.chain.send = (op, options) =>
      op.opId.startsWith("post:")
        ? Promise.reject(new ChainError("transient", "killed before the post", { opId: op.opId }))
        : send(op, options);
    expect(await l.cu.commit(sys.process).catch((e: unknown) => e)).to.be.instanceOf(ChainError);
    l.chain.send = send;
    expect(ranges(l.cu, sys.process).map((r) => r[2])).to.deep.equal(["posted", "posting"]);

    await increaseTime(sys.P.challengeWindow + 1n);
    const [w0] = await w.cu.finalize(sys.process);
    expect(await l.cu.prune(sys.process)).to.have.length(1);
    const [l15] = await l.cu.commit(sys.process);
    expect(ranges(l.cu, sys.process)).to.deep.equal([
      [0n, 9n, "pruned", "SiblingFinalized"],
      [10n, 19n, "pruned", "ParentRejected"],
      [15n, 19n, "posted", null],
    ]);
    const rows = l.cu.commitments(sys.process);
    expect(await sys.results.statusOf(rows[1].commitment)).to.equal(0n); // never on chain
    expect(rows[2].id).to.equal(l15);
    expect(rows[2].commitment.parent).to.equal(w0);
  });

  it("waits while behind the finalized tip; a tip it disagrees with pages once and nothing is posted", async function () {
    // The winner lies about the state from slot 0 on; no one challenges it, so its lie finalizes.
    const w = await fx.makeCu(sys, fx.file("c-w.sqlite"), sourceOf(sys, log), {
      commitEverySlots: 15,
      now,
      fault: { kind: "state", fromSlot: 0n },
    });
    await w.cu.evaluate(sys.process);
    await w.cu.commit(sys.process);
    await increaseTime(sys.P.challengeWindow + 1n);
    const [tip] = await w.cu.finalize(sys.process);
    expect(tip).to.be.a("string");

    const { logger, lines } = capturingLogger();
    const source = sourceOf(sys, log.slice(0, 10));
    const l = await fx.makeCu(sys, fx.file("c-l.sqlite"), source, {
      commitEverySlots: 10,
      now,
      account: LOSER,
      logger,
    });
    expect(await l.cu.evaluate(sys.process)).to.equal(10);
    const blocks = await ethers.provider.getBlockNumber();
    // Evaluated to slot 9, the tip ends at 14: wait, post nothing (not even [0, 9]).
    expect(await l.cu.commit(sys.process)).to.deep.equal([]);
    expect(l.cu.commitments(sys.process)).to.deep.equal([]);

    source.append(sys.process, log.slice(10));
    expect(await l.cu.evaluate(sys.process)).to.equal(10);
    t += 60_000;
    expect(await l.cu.commit(sys.process)).to.deep.equal([]);
    expect(await l.cu.commit(sys.process)).to.deep.equal([]);
    expect(l.cu.commitments(sys.process)).to.deep.equal([]);
    expect(await ethers.provider.getBlockNumber()).to.equal(blocks);
    const pages = lines.filter((x) => x.event === "page.moneyAtRisk");
    expect(pages).to.have.length(1);
    expect(pages[0]).to.include({
      tip,
      slot: "14",
      ownStateHash: l.cu.evaluation(sys.process, 14n)!.stateHash,
    });
  });

  it("startCompute's rounds prune, rebase and finalize: two CUs settle every slot (commit sizes 5 and 10)", async function () {
    const more = await assignMessages(
      sys,
      BigInt(SLOTS),
      SPECS.slice(0, 10),
      assignmentHash(sys.domain, log[SLOTS - 1].assignment),
    );
    const source = sourceOf(sys, log);
    const wasmFile = fx.file("f-counter.wasm");
    fs.writeFileSync(wasmFile, sys.wasm);
    const start = async (name: string, account: number, commitEverySlots: number) =>
      startCompute(
        loadConfig(ComputeSettings, {
          env: {},
          flags: {
            rpcUrl: fx.rpcUrl,
            privateKey: accountKey(account),
            resultRegistry: await sys.results.getAddress(),
            processRegistry: await sys.processes.getAddress(),
            suUrl: "http://127.0.0.1:1",
            storePath: fx.file(`f-${name}.sqlite`),
            port: 0,
            processes: [{ id: sys.process, wasm: wasmFile }],
            commitEverySlots,
            pollMs: "1h",
          },
        }),
        silent,
        { source, loop: false },
      );
    const w = await start("w", 3, 5);
    const l = await start("l", LOSER, 10);
    try {
      await w.tick(); // [0, 4] … [15, 19]
      await l.tick(); // [0, 9], [10, 19]
      await increaseTime(sys.P.challengeWindow + 1n);
      await w.tick(); // finalizes its four
      await l.tick(); // prunes both; nothing left to commit
      expect(l.cu.commitments(sys.process).map((r) => [r.status, r.pruned])).to.deep.equal([
        ["pruned", "SiblingFinalized"],
        ["pruned", "ParentRejected"],
      ]);
      source.append(sys.process, more);
      await l.tick(); // [20, 29] on the tip
      await w.tick(); // [20, 24], [25, 29]
      await increaseTime(sys.P.challengeWindow + 1n);
      await l.tick(); // finalizes [20, 29]
      await w.tick(); // prunes [20, 24] (SiblingFinalized), [25, 29] (ParentRejected)
      const [, finalizedSlots] = await sys.results.latestFinalized(sys.process);
      expect(finalizedSlots).to.equal(BigInt(SLOTS + 10));
      expect(w.cu.commitments(sys.process).map((r) => r.status)).to.deep.equal([
        "finalized",
        "finalized",
        "finalized",
        "finalized",
        "pruned",
        "pruned",
      ]);
      expect(l.cu.commitments(sys.process).map((r) => r.status)).to.deep.equal([
        "pruned",
        "pruned",
        "finalized",
      ]);
      for (const address of [sys.cu.address, loserAddress]) {
        expect((await sys.results.reservationOf(address)).pending).to.equal(0n);
      }
      for (const r of [w, l]) {
        const metrics = await (await fetch(`${r.url}/metrics`)).text();
        expect(metrics).to.match(/holo_cu_commitments_pruned_total\{[^}]*reason="SiblingFinalized"[^}]*\} 1/);
        expect(metrics).to.match(/holo_cu_commitments_pruned_total\{[^}]*reason="ParentRejected"[^}]*\} 1/);
      }
      // Nothing more to do: a further round sends nothing.
      const blocks = await ethers.provider.getBlockNumber();
      await w.tick();
      await l.tick();
      expect(await ethers.provider.getBlockNumber()).to.equal(blocks);
    } finally {
      await w.stop();
      await l.stop();
    }
  });

  it("names an unknown process (UnknownProcess) for prune", async function () {
    const { cu } = await fx.makeCu(sys, fx.file("d.sqlite"), sourceOf(sys, log));
    const err = await cu.prune(ethers.id("no such process")).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ComputeError);
    expect((err as ComputeError).code).to.equal("UnknownProcess");
    // Nothing posted: nothing to prune.
    expect(await cu.prune(sys.process)).to.deep.equal([]);
  });
});

describe("agents/compute: store migration 3 (commitments rebuilt for pruned ranges)", function () {
  it("keeps a v2 store's rows; a range's first slot is unique among the live rows only", function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "holo-cu-m3-"));
    try {
      const file = path.join(dir, "cu.sqlite");
      const v2 = openStore(file, COMPUTE_MIGRATIONS.slice(0, 2));
      const insert = `INSERT INTO commitments (id, process, parent, first_slot, last_slot, content, status, deadline, refused)
        VALUES (?, '0xp', '0x0', ?, ?, '{}', ?, ?, ?)`;
      v2.db.prepare(insert).run("0xa", 0, 9, "posted", 123, null);
      v2.db.prepare(insert).run("0xb", 10, 19, "refused", null, "ResultRegistryInsufficientStake");
      v2.close();

      const v3 = openStore(file, COMPUTE_MIGRATIONS.slice(0, 3));
      try {
        expect(v3.version).to.equal(3);
        expect(v3.db.prepare("SELECT * FROM commitments ORDER BY first_slot").all()).to.deep.equal([
          {
            id: "0xa",
            process: "0xp",
            parent: "0x0",
            first_slot: 0,
            last_slot: 9,
            content: "{}",
            status: "posted",
            deadline: 123,
            refused: null,
            pruned: null,
          },
          {
            id: "0xb",
            process: "0xp",
            parent: "0x0",
            first_slot: 10,
            last_slot: 19,
            content: "{}",
            status: "refused",
            deadline: null,
            refused: "ResultRegistryInsufficientStake",
            pruned: null,
          },
        ]);
        const add = v3.db.prepare(
          "INSERT INTO commitments (id, process, parent, first_slot, last_slot, content, status) VALUES (?, '0xp', '0x0', 0, 4, '{}', ?)",
        );
        expect(() => add.run("0xc", "posting")).to.throw(/UNIQUE/);
        v3.db
          .prepare("UPDATE commitments SET status = 'pruned', pruned = 'SiblingFinalized' WHERE id = '0xa'")
          .run();
        add.run("0xc", "posting");
        expect(() => add.run("0xd", "pruned")).to.not.throw();
      } finally {
        v3.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

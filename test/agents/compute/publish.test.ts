/**
 * The compute unit's Arweave items against ArLocal: a signed Holo-Results item per commitment, posted before
 * the commitment, whose id is its arweaveRef; Holo-Checkpoint items that restore the state; and crash safety
 * (the stored item is re-posted with the same id after a crash before the post, not posted again after a
 * crash right after it), and the zero arweaveRef without Arweave.
 */
import fs from "node:fs";

import ArLocal from "arlocal";
import { expect } from "chai";
import { ethers } from "hardhat";

import { ArweaveClient, WalletFunding, type PostedBundle, type Tag } from "../../../agents/common/arweave";
import { createMetrics } from "../../../agents/common/metrics";
import { idToRef, refToId, RESULTS_FORMAT } from "../../../agents/compute/domain/items";
import type { PublishTarget } from "../../../agents/scheduler/domain/publisher";
import { FastProcess } from "../../../machine/fast";
import { buildResultsTree } from "../../../sdk/ts/results";
import type { SlotInput } from "../../../sdk/ts/dispute/trace";
import { assignMessages, deployGameSystem, traceOf, type GameSystem } from "../../helpers/game";
import { arweaveWallet, tempDir } from "../scheduler/helpers";
import { capturingLogger, CuFixture, freePort, silent, sourceOf } from "./helpers";

const SPECS = Array.from({ length: 6 }, (_, i) => ({
  tags: { Action: i % 2 === 0 ? "Increment" : "Get" },
  data: `message ${i}`,
}));

const tag = (tags: readonly Tag[], name: string) => tags.find((t) => t.name === name)?.value;

/** A PublishTarget over `client` that can fail its next post before or after sending it (a crash). */
class FlakyTarget implements PublishTarget {
  posts = 0;
  fail: "before" | "after" | undefined;
  constructor(private readonly client: ArweaveClient) {}
  async postDataItems(items: readonly Uint8Array[]): Promise<PostedBundle> {
    const mode = this.fail;
    this.fail = undefined;
    if (mode === "before") throw new Error("killed before the post");
    const out = await this.client.postDataItems(items);
    this.posts++;
    if (mode === "after") throw new Error("killed after the post");
    return out;
  }
  getInfo(id: string) {
    return this.client.getInfo(id);
  }
}

describe("agents/compute: results and checkpoints on Arweave", function () {
  this.timeout(180_000);

  const fx = new CuFixture();
  let arlocal: ArLocal;
  let arDir: string;
  let client: ArweaveClient;
  let sys: GameSystem;
  let log: SlotInput[];

  before(async function () {
    await fx.start();
    const port = await freePort();
    arDir = tempDir("holo-cu-arlocal-");
    arlocal = new ArLocal(port, false, arDir);
    await arlocal.start();
    const wallet = await arweaveWallet();
    client = new ArweaveClient({
      url: `http://127.0.0.1:${port}`,
      wallet,
      local: true,
      logger: silent,
      retry: { baseMs: 20, maxMs: 100 },
    });
    await new WalletFunding(client).fund(wallet, 10n ** 15n);
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
    await arlocal.stop();
    fs.rmSync(arDir, { recursive: true, force: true });
  });

  async function resultsItemsOnArweave(first: bigint) {
    const out = [];
    for await (const info of client.queryAllByTags({
      tags: [
        { name: "Type", values: ["Holo-Results"] },
        { name: "Holo-Process", values: [sys.process] },
        { name: "Holo-First-Slot", values: [first.toString()] },
      ],
    })) {
      out.push(info);
    }
    return out;
  }

  it("publishes each commitment's results item first (arweaveRef = its id) and checkpoints that restore", async function () {
    const metrics = createMetrics({ agent: "cu", defaultMetrics: false });
    const target = new FlakyTarget(client);
    const wallet = await arweaveWallet();
    const { cu } = await fx.makeCu(sys, fx.file("pub-a.sqlite"), sourceOf(sys, log), {
      arweave: { target, wallet },
      checkpointEverySlots: 2,
      metrics,
    });
    await cu.evaluate(sys.process);
    const ids = await cu.commit(sys.process);
    expect(ids).to.have.length(2);
    const rows = cu.commitments(sys.process);
    for (const [k, row] of rows.entries()) {
      const c = row.commitment;
      const itemId = refToId(c.arweaveRef)!;
      expect(itemId).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(idToRef(itemId)).to.equal(c.arweaveRef);
      expect(await sys.results.statusOf(c)).to.equal(1n);
      const stored = cu.dataItem(itemId)!;
      expect(stored).to.deep.include({ kind: "results", status: "posted" });
      const item = await client.getDataItem(itemId, stored.bundleId!);
      expect(item.ownerAddress).to.equal(await client.address());
      const t = item.tags;
      expect([tag(t, "Data-Protocol"), tag(t, "Type"), tag(t, "Holo-Process")]).to.deep.equal([
        "ao",
        "Holo-Results",
        sys.process,
      ]);
      expect([tag(t, "Holo-First-Slot"), tag(t, "Holo-Last-Slot")]).to.deep.equal([
        c.firstSlot.toString(),
        c.lastSlot.toString(),
      ]);
      expect([tag(t, "Holo-Results-Root"), tag(t, "Holo-State-Hash")]).to.deep.equal([
        c.resultsRoot,
        c.stateHash,
      ]);
      const body = JSON.parse(Buffer.from(item.data).toString("utf8")) as {
        format: string;
        results: { slot: string; messageId: string; resultHash: string; ok: boolean }[];
      };
      expect(body.format).to.equal(RESULTS_FORMAT);
      expect(body.results.map((r) => r.slot)).to.deep.equal(
        ["0", "1", "2"].map((s) => String(Number(s) + 3 * k)),
      );
      for (const r of body.results) {
        const ev = cu.evaluation(sys.process, BigInt(r.slot))!;
        expect([r.messageId, r.resultHash, r.ok]).to.deep.equal([ev.messageId, ev.resultHash, ev.result.ok]);
      }
      // The item's result hashes rebuild the committed results root.
      const tree = buildResultsTree(
        sys.process,
        c.firstSlot,
        body.results.map((r) => r.resultHash),
      );
      expect(tree.root).to.equal(c.resultsRoot);
    }
    expect(rows[0].commitment.resultsRoot).to.equal(traceOf(sys, log.slice(0, 3)).claim().resultsRoot);
    expect(target.posts).to.equal(2);

    // Checkpoints: made and posted by publish(), each restores the stored state.
    const posted = await cu.publish(sys.process);
    expect(posted).to.have.length(3);
    expect(await cu.publish(sys.process)).to.deep.equal([]);
    for (const ck of cu.checkpoints(sys.process)) {
      expect(ck.itemId).to.be.a("string");
      const stored = cu.dataItem(ck.itemId!)!;
      const item = await client.getDataItem(ck.itemId!, stored.bundleId!);
      expect(tag(item.tags, "Type")).to.equal("Holo-Checkpoint");
      expect([tag(item.tags, "Holo-Slot"), tag(item.tags, "Holo-State-Hash")]).to.deep.equal([
        ck.slot.toString(),
        ck.stateHash,
      ]);
      const p = FastProcess.restore(sys.wasm, { memoryLimitPages: sys.P.memoryPages }, item.data);
      expect(ethers.hexlify(p.processStateHash())).to.equal(ck.stateHash);
    }
    const text = await metrics.text();
    expect(text).to.match(/holo_cu_arweave_items_posted_total\{kind="results"\} 2/);
    expect(text).to.match(/holo_cu_arweave_items_posted_total\{kind="checkpoint"\} 3/);
  });

  it("after a crash before the item's post, posts the same stored item (same id) and then the commitment", async function () {
    const file = fx.file("pub-b.sqlite");
    const target = new FlakyTarget(client);
    const wallet = await arweaveWallet();
    const first = await fx.makeCu(sys, file, sourceOf(sys, log.slice(0, 3)), { arweave: { target, wallet } });
    await first.cu.evaluate(sys.process);
    target.fail = "before";
    await first.cu.commit(sys.process).then(
      () => expect.fail("the post should have failed"),
      (e: Error) => expect(e.message).to.match(/killed before/),
    );
    const [row] = first.cu.commitments(sys.process);
    expect(row.status).to.equal("posting");
    const ref = row.commitment.arweaveRef;
    expect(first.cu.dataItem(refToId(ref)!)).to.deep.include({ status: "pending" });
    expect(await sys.results.statusOf(row.commitment)).to.equal(0n); // nothing on chain before Arweave
    fx.closeAll();

    const second = await fx.makeCu(sys, file, sourceOf(sys, log.slice(0, 3)), {
      arweave: { target, wallet },
    });
    expect(await second.cu.commit(sys.process)).to.deep.equal([row.id]);
    const after = second.cu.commitments(sys.process);
    expect(after.map((r) => [r.id, r.status, r.commitment.arweaveRef])).to.deep.equal([
      [row.id, "posted", ref],
    ]);
    expect(target.posts).to.equal(1);
    const found = await resultsItemsOnArweave(0n);
    expect(found.map((i) => i.id)).to.deep.equal([refToId(ref)]);
  });

  it("after a crash right after the item's post, does not post it again", async function () {
    const file = fx.file("pub-c.sqlite");
    const target = new FlakyTarget(client);
    const wallet = await arweaveWallet();
    const first = await fx.makeCu(sys, file, sourceOf(sys, log.slice(0, 3)), { arweave: { target, wallet } });
    await first.cu.evaluate(sys.process);
    target.fail = "after";
    await first.cu.commit(sys.process).catch(() => undefined);
    expect(target.posts).to.equal(1);
    const [row] = first.cu.commitments(sys.process);
    fx.closeAll();

    const { logger, lines } = capturingLogger();
    const second = await fx.makeCu(sys, file, sourceOf(sys, log.slice(0, 3)), {
      arweave: { target, wallet },
      logger,
    });
    expect(await second.cu.commit(sys.process)).to.deep.equal([row.id]);
    expect(target.posts).to.equal(1);
    expect(lines.filter((l) => l.event === "cu.arweave.posted" && l.recovered === true)).to.have.length(1);
    expect(await resultsItemsOnArweave(0n)).to.have.length(1);
  });

  it("without Arweave: arweaveRef stays zero and that is logged once", async function () {
    const { logger, lines } = capturingLogger();
    const { cu } = await fx.makeCu(sys, fx.file("pub-d.sqlite"), sourceOf(sys, log), {
      logger,
      checkpointEverySlots: 2,
    });
    await cu.evaluate(sys.process);
    expect(await cu.commit(sys.process)).to.have.length(2);
    expect(cu.commitments(sys.process).map((r) => r.commitment.arweaveRef)).to.deep.equal([
      ethers.ZeroHash,
      ethers.ZeroHash,
    ]);
    expect(await cu.publish(sys.process)).to.deep.equal([]);
    expect(cu.checkpoints(sys.process).map((c) => c.itemId)).to.deep.equal([null, null, null]);
    const off = lines.filter((l) => l.event === "cu.arweave.off");
    expect(off).to.have.length(1);
    expect(off[0].level).to.equal("warn");
  });
});

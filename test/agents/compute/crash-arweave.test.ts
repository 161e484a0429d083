/**
 * kill -9 of the compute unit with Arweave publishing and checkpoints on: the CU runs as a child process (its
 * bin launcher) against the in-process Hardhat chain over JSON-RPC and ArLocal, with an SU child feeding it;
 * it is killed at seeded random moments and restarted from its SQLite file. Afterwards: commitments
 * contiguous and posted once with the right claims; each commitment's arweaveRef names the one Holo-Results
 * item of its range on Arweave (no second item id for any range: the stored item survived every crash), whose
 * tags are the commitment's; one Holo-Checkpoint item id per checkpoint slot; the CU's results equal a fresh
 * evaluation; nothing paged.
 */
import path from "node:path";

import Database from "better-sqlite3";
import { expect } from "chai";
import { ZeroHash } from "ethers";

import { ArweaveClient } from "../../../agents/common/arweave";
import { refToId } from "../../../agents/compute/domain/items";
import { FastProcess } from "../../../machine/fast";
import {
  AgentProcess,
  Driver,
  checkCommitments,
  checkResults,
  freePort,
  freshEvaluation,
  makeAgents,
  postedCommitments,
  quiet,
  rng,
  signMessages,
  sleep,
  startDevnet,
  stopDevnet,
  waitSettled,
  type Devnet,
} from "../reliability-helpers";

const SEED = Number(process.env.HOLO_CRASH_SEED ?? 20261124);
const KILLS = 8;
const CHECKPOINT_EVERY = 7;

describe("agents/compute: kill -9 with Arweave publishing and checkpoints", function () {
  this.timeout(360_000);

  let d: Devnet | undefined;
  let su: AgentProcess | undefined;
  let cu: AgentProcess | undefined;

  after(async function () {
    await su?.stop().catch(() => undefined);
    await cu?.stop().catch(() => undefined);
    await stopDevnet(d);
  });

  it(`survives ${KILLS} seeded kill -9s of the CU: each range's one results item, each checkpoint's one item`, async function () {
    d = await startDevnet("holo-cu-crash-");
    const suStore = path.join(d.dir, "su.sqlite");
    const cuStore = path.join(d.dir, "cu.sqlite");
    const cuPort = await freePort();
    const suPort = await freePort();
    su = makeAgents(d, {
      suPort,
      cuPort,
      suStore,
      cuStore,
      publishEvery: "150ms",
    }).su;
    cu = new AgentProcess(
      "cu",
      [
        "--rpc-url",
        d.rpcUrl,
        "--result-registry",
        d.sys.results.target as string,
        "--process-registry",
        d.sys.domain.verifyingContract as string,
        "--su-url",
        `http://127.0.0.1:${suPort}`,
        "--store-path",
        cuStore,
        "--port",
        String(cuPort),
        "--processes",
        JSON.stringify([{ id: d.sys.process, wasm: d.wasmFile }]),
        "--commit-every-slots",
        "5",
        "--commit-every-ms",
        "500ms",
        "--poll-ms",
        "100ms",
        "--arweave-url",
        d.gateway,
        "--arweave-wallet",
        d.walletFile,
        "--checkpoint-every-slots",
        String(CHECKPOINT_EVERY),
      ],
      { HOLO_PRIVATE_KEY: d.cuKey },
    );
    await su.start();
    await cu.start();

    const msgs = await signMessages(d, 120, "cu-crash");
    const random = rng(SEED);
    const driver = new Driver(() => su!.url);
    let sending = true;
    let next = 0;
    const sender = async () => {
      while (sending && next < msgs.length) {
        await driver.send(msgs[next++]);
        await sleep(40 + Math.floor(random() * 80));
      }
    };
    const senders = sender();
    for (let k = 0; k < KILLS; k++) {
      await sleep(300 + Math.floor(random() * 900));
      await cu.kill9();
      await cu.start();
    }
    await senders;
    sending = false;
    expect(cu.starts).to.equal(KILLS + 1);
    const n = driver.slots.size;
    expect(n).to.equal(msgs.length);
    await waitSettled(d, cu.url, suStore, n, 120_000);

    const fresh = await freshEvaluation(d, su.url);
    const posted = await postedCommitments(d);
    expect(checkCommitments(posted, fresh, d.sys.cu.address)).to.deep.equal([]);
    expect(await checkResults(d, cu.url, fresh)).to.deep.equal([]);
    expect(cu.events(/^page\./).map((l) => l.event)).to.deep.equal([]);

    // Results items: per committed range exactly one item id on Arweave, the commitment's arweaveRef.
    const client = new ArweaveClient({ url: d.gateway, wallet: d.wallet, local: true, logger: quiet });
    const results = new Map<string, Set<string>>();
    const tagsOf = new Map<string, Map<string, string>>();
    for await (const info of client.queryAllByTags({
      tags: [
        { name: "Type", values: ["Holo-Results"] },
        { name: "Holo-Process", values: [d.sys.process] },
      ],
      first: 100,
    })) {
      const t = new Map(info.tags.map((x) => [x.name, x.value]));
      const range = `${t.get("Holo-First-Slot")}-${t.get("Holo-Last-Slot")}`;
      results.set(range, (results.get(range) ?? new Set()).add(info.id));
      tagsOf.set(info.id, t);
    }
    for (const p of posted) {
      expect(p.c.arweaveRef).to.not.equal(ZeroHash);
      const id = refToId(p.c.arweaveRef)!;
      const range = `${p.c.firstSlot}-${p.c.lastSlot}`;
      expect([...(results.get(range) ?? [])], `range ${range}`).to.deep.equal([id]);
      const t = tagsOf.get(id)!;
      expect([t.get("Holo-Results-Root"), t.get("Holo-State-Hash")]).to.deep.equal([
        p.c.resultsRoot,
        p.c.stateHash,
      ]);
    }
    expect(results.size).to.equal(posted.length); // no item for a range that was not committed

    // Checkpoints: one item id per checkpoint slot; the latest restores the CU's stored state.
    await cu.stop();
    const db = new Database(cuStore, { readonly: true, fileMustExist: true });
    let stored: { slot: number; state_hash: string; item_id: string | null; bundle_id: string | null }[];
    try {
      stored = db
        .prepare(
          "SELECT c.slot, c.state_hash, c.item_id, p.bundle_id FROM checkpoints c LEFT JOIN publications p ON p.item_id = c.item_id ORDER BY c.slot",
        )
        .all() as typeof stored;
    } finally {
      db.close();
    }
    const slots = Array.from(
      { length: Math.floor(n / CHECKPOINT_EVERY) },
      (_, i) => (i + 1) * CHECKPOINT_EVERY - 1,
    );
    expect(stored.map((s) => s.slot)).to.deep.equal(slots);
    const checkpoints = new Map<string, Set<string>>();
    for await (const info of client.queryAllByTags({
      tags: [
        { name: "Type", values: ["Holo-Checkpoint"] },
        { name: "Holo-Process", values: [d.sys.process] },
      ],
      first: 100,
    })) {
      const slot = info.tags.find((x) => x.name === "Holo-Slot")!.value;
      checkpoints.set(slot, (checkpoints.get(slot) ?? new Set()).add(info.id));
    }
    for (const s of stored) {
      expect([...(checkpoints.get(String(s.slot)) ?? [])], `checkpoint ${s.slot}`).to.deep.equal([s.item_id]);
      expect(s.state_hash).to.equal(fresh[s.slot].stateHash);
    }
    const last = stored[stored.length - 1];
    if (last.bundle_id !== null) {
      const item = await client.getDataItem(last.item_id!, last.bundle_id);
      const p = FastProcess.restore(d.sys.wasm, { memoryLimitPages: Number(d.sys.P.memoryPages) }, item.data);
      expect(Buffer.from(p.processStateHash()).toString("hex")).to.equal(last.state_hash.slice(2));
    }
    console.log(
      `      cu crash: seed ${SEED}, ${KILLS} kills, ${n} slots, ${posted.length} commitments, ${stored.length} checkpoints`,
    );
  });
});

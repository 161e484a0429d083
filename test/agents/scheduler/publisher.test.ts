/**
 * The publishing loop (agents/scheduler/domain/publisher.ts) against ArLocal on an ephemeral port: messages and
 * their Assignment items reach Arweave with AO's tags, each once; a crash between recording a publication and
 * its post is resumed without posting twice; the Scheduler-Location item.
 */
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

import ArLocal from "arlocal";
import { expect } from "chai";

import { ArweaveClient, WalletFunding } from "../../../agents/common/arweave";
import { Publisher } from "../../../agents/scheduler/domain/publisher";
import { processTarget } from "../../../agents/scheduler/domain/scheduler";
import { findChainBreak, recoverAssignmentSigner, type Assignment } from "../../../sdk/ts/assignments";
import {
  arweaveWallet,
  chainSetup,
  makeScheduler,
  message,
  silent,
  tempDir,
  type ChainSetup,
} from "./helpers";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const tag = (tags: { name: string; value: string }[], name: string) =>
  tags.find((t) => t.name === name)?.value;

describe("agents/scheduler/domain/publisher", function () {
  let arlocal: ArLocal;
  let dbPath: string;
  let client: ArweaveClient;
  let chain: ChainSetup;

  before(async function () {
    const port = await freePort();
    dbPath = tempDir("holo-su-arlocal-");
    arlocal = new ArLocal(port, false, dbPath);
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
    chain = await chainSetup();
  });

  after(async function () {
    await arlocal.stop();
    fs.rmSync(dbPath, { recursive: true, force: true });
  });

  async function assignmentsOnArweave(processId: string) {
    const all = [];
    for await (const info of client.queryAllByTags({
      tags: [
        { name: "Type", values: ["Assignment"] },
        { name: "Process", values: [processTarget(processId)] },
      ],
    })) {
      all.push(info);
    }
    return all;
  }

  it("puts messages and signed assignments on Arweave, each once", async function () {
    const su = await makeScheduler(chain, path.join(tempDir("holo-su-pub-"), "su.sqlite"));
    const publisher = new Publisher({
      store: su.store,
      arweave: client,
      wallet: await arweaveWallet(),
      scheduler: su.scheduler.address,
      batch: 3,
      logger: silent,
      metrics: su.metrics,
    });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await su.scheduler.accept(await message(chain.reg.process, `pub${i}`))).id);
    expect(publisher.lag()).to.equal(5);

    const out = await publisher.publishAll();
    expect(out.map((o) => o.slots)).to.deep.equal([3, 2]);
    expect(out.map((o) => o.items)).to.deep.equal([6, 4]);
    expect(publisher.lag()).to.equal(0);
    expect(await su.metrics.text()).to.match(/holo_su_publish_lag_slots 0\b/);
    expect(await publisher.publishAll()).to.deep.equal([]);

    const found = await assignmentsOnArweave(chain.reg.process);
    expect(found).to.have.length(5);
    const rebuilt: (Assignment & { signature: string })[] = [];
    for (const info of found) {
      const t = info.tags;
      expect(tag(t, "Data-Protocol")).to.equal("ao");
      expect(tag(t, "Epoch")).to.equal("0");
      const bundle = out.find((o) => o.bundleId !== null)!.bundleId!;
      expect(bundle).to.be.a("string");
      rebuilt.push({
        process: tag(t, "Holo-Process")!,
        slot: BigInt(tag(t, "Nonce")!),
        messageId: "0x" + Buffer.from(tag(t, "Message")!, "base64url").toString("hex"),
        messageHash: tag(t, "Holo-Message-Hash")!,
        timestamp: BigInt(tag(t, "Timestamp")!),
        blockHeight: BigInt(tag(t, "Block-Height")!),
        prevAssignmentHash: tag(t, "Holo-Prev-Assignment-Hash")!,
        signature: tag(t, "Holo-Signature")!,
      });
    }
    rebuilt.sort((a, b) => Number(BigInt(a.slot) - BigInt(b.slot)));
    expect(rebuilt.map((a) => Number(a.slot))).to.deep.equal([0, 1, 2, 3, 4]);
    expect(findChainBreak(chain.reg.domain, rebuilt)).to.equal(-1);
    for (const a of rebuilt) {
      expect(recoverAssignmentSigner(chain.reg.domain, a, a.signature)).to.equal(chain.reg.scheduler.address);
    }
    // the messages themselves, verified against their ids, in the first bundle for slots 0..2
    for (const [i, id] of ids.entries()) {
      const item = await client.getDataItem(id, out[i < 3 ? 0 : 1].bundleId!);
      expect(item.id).to.equal(id);
      expect(Buffer.from(item.data).toString()).to.equal(`pub${i}`);
    }
    su.store.close();
  });

  it("resumes a publication recorded before a crash without posting it twice", async function () {
    const file = path.join(tempDir("holo-su-crash-"), "su.sqlite");
    const other = await makeScheduler(chain, file, { register: false });
    // a second process, so this test's assignments are counted on their own
    const { processes, moduleId, stranger, scheduler } = chain.reg;
    const arweaveId = "0x" + "ab".repeat(32);
    await processes.connect(stranger).spawn(moduleId, scheduler.address, "0x" + "cd".repeat(32), arweaveId);
    const processId = await processes.computeProcessId(
      moduleId,
      scheduler.address,
      "0x" + "cd".repeat(32),
      arweaveId,
      stranger.address,
    );
    await other.scheduler.registerProcess(processId);
    for (let i = 0; i < 2; i++) await other.scheduler.accept(await message(processId, `crash${i}`));

    // the first run posts, then "crashes" before marking the publication posted
    let posts = 0;
    const crashing = new Publisher({
      store: other.store,
      arweave: {
        getInfo: (id) => client.getInfo(id),
        postDataItems: async (items) => {
          posts += 1;
          await client.postDataItems(items);
          throw new Error("crash after the post");
        },
      },
      wallet: await arweaveWallet(),
      scheduler: other.scheduler.address,
      batch: 10,
      logger: silent,
    });
    await crashing.publishOnce().then(
      () => expect.fail("expected the crash"),
      (e: Error) => expect(e.message).to.match(/crash/),
    );
    expect(posts).to.equal(1);
    other.store.close();

    const again = await makeScheduler(chain, file, { register: false });
    let reposts = 0;
    const resumed = new Publisher({
      store: again.store,
      arweave: {
        getInfo: (id) => client.getInfo(id),
        postDataItems: async (items) => {
          reposts += 1;
          return client.postDataItems(items);
        },
      },
      wallet: await arweaveWallet(),
      scheduler: again.scheduler.address,
      batch: 10,
      logger: silent,
    });
    expect(resumed.lag()).to.equal(2);
    const out = await resumed.publishAll();
    expect(out).to.have.length(1);
    expect(reposts).to.equal(0);
    expect(resumed.lag()).to.equal(0);
    expect(await assignmentsOnArweave(processId)).to.have.length(2);

    // a publication recorded but never posted is posted on resume
    await again.scheduler.accept(await message(processId, "late"));
    const failing = new Publisher({
      store: again.store,
      arweave: {
        getInfo: (id) => client.getInfo(id),
        postDataItems: async () => {
          throw new Error("gateway down");
        },
      },
      wallet: await arweaveWallet(),
      scheduler: again.scheduler.address,
      batch: 10,
      logger: silent,
    });
    await failing.publishOnce().catch(() => undefined);
    expect(resumed.lag()).to.equal(1);
    await resumed.publishAll();
    expect(reposts).to.equal(1);
    expect(await assignmentsOnArweave(processId)).to.have.length(3);
    again.store.close();
  });

  it("publishes a Scheduler-Location item and runs as a loop", async function () {
    const su = await makeScheduler(chain, path.join(tempDir("holo-su-loc-"), "su.sqlite"));
    const publisher = new Publisher({
      store: su.store,
      arweave: client,
      wallet: await arweaveWallet(),
      scheduler: su.scheduler.address,
      batch: 10,
      logger: silent,
    });
    const id = await publisher.publishLocation("http://su.example:8070", 86_400_000);
    const info = await client.getInfo(id);
    expect(tag(info.tags, "Type")).to.equal("Scheduler-Location");
    expect(tag(info.tags, "Url")).to.equal("http://su.example:8070");
    expect(tag(info.tags, "Time-To-Live")).to.equal("86400000");

    await su.scheduler.accept(await message(chain.reg.process, "looped"));
    publisher.start(20);
    const deadline = Date.now() + 20_000;
    while (publisher.lag() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await publisher.stop();
    expect(publisher.lag()).to.equal(0);
    su.store.close();
  });
});

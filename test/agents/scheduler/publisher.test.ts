/**
 * The publishing loop (agents/scheduler/domain/publisher.ts) against ArLocal on an ephemeral port: messages and
 * their Assignment items reach Arweave with AO's tags, each once; a crash between recording a publication and
 * its post is resumed without posting twice; the Scheduler-Location item.
 */
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { Writable } from "node:stream";

import ArLocal from "arlocal";
import { expect } from "chai";
import { Wallet, computeAddress } from "ethers";

import {
  ArweaveClient,
  ArweaveError,
  EthereumItemSigner,
  WalletFunding,
} from "../../../agents/common/arweave";
import { createLogger } from "../../../agents/common/log";
import { Publisher, type BundleTarget, type PublishTarget } from "../../../agents/scheduler/domain/publisher";
import { processTarget } from "../../../agents/scheduler/domain/scheduler";
import { findChainBreak, recoverAssignmentSigner, type Assignment } from "../../../sdk/ts/assignments";
import {
  arweaveWallet,
  chainSetup,
  makeScheduler,
  message,
  spawnAnotherProcess,
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

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const tag = (tags: { name: string; value: string }[], name: string) =>
  tags.find((t) => t.name === name)?.value;

/** A logger whose lines are kept (parsed) in `lines`. */
function capturing() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n")) if (line.trim() !== "") lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ agent: "su-test", level: "debug", destination }) };
}

/**
 * An HTTP proxy to ArLocal that records the ids of the transaction headers posted (`POST /tx`), can answer the
 * next `failMines` `GET /mine` with ArLocal's 404, and can cut (reset) the next `cutChunks` `POST /chunk`s.
 */
class GatewayProxy {
  readonly txPosts: string[] = [];
  failMines = 0;
  cutChunks = 0;
  private server: http.Server | undefined;
  port = 0;

  constructor(private readonly target: number) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const body: Buffer[] = [];
      req.on("data", (b: Buffer) => body.push(b));
      req.on("end", () => {
        const raw = Buffer.concat(body);
        if (req.method === "GET" && req.url === "/mine" && this.failMines > 0) {
          this.failMines -= 1;
          res.writeHead(404).end("Not Found");
          return;
        }
        if (req.method === "POST" && req.url === "/chunk" && this.cutChunks > 0) {
          this.cutChunks -= 1;
          req.socket.destroy();
          return;
        }
        if (req.method === "POST" && req.url === "/tx") {
          this.txPosts.push(String((JSON.parse(raw.toString()) as { id: string }).id));
        }
        const out = http.request(
          { host: "127.0.0.1", port: this.target, method: req.method, path: req.url, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        out.on("error", () => res.destroy());
        out.end(raw);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server!.address() as net.AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

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
        messageLength: Number(tag(t, "Holo-Message-Length")!),
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

  it("signs Assignment items with the scheduler's EVM key (ANS-104 type 3) when given one; refuses another key", async function () {
    const su = await makeScheduler(chain, path.join(tempDir("holo-su-eth-"), "su.sqlite"), {
      register: false,
    });
    const processId = await spawnAnotherProcess(chain, "e7");
    await su.scheduler.registerProcess(processId);
    for (let i = 0; i < 3; i++) await su.scheduler.accept(await message(processId, `eth${i}`));
    const options = {
      store: su.store,
      arweave: client,
      wallet: await arweaveWallet(),
      scheduler: su.scheduler.address,
      batch: 10,
      logger: silent,
    };
    expect(
      () =>
        new Publisher({ ...options, itemSigner: new EthereumItemSigner(Wallet.createRandom().privateKey) }),
    ).to.throw(RangeError, /itemSigner is the key of 0x[0-9a-fA-F]{40}, not of the scheduler/);
    const signer = new EthereumItemSigner(chain.key);
    const [out] = await new Publisher({ ...options, itemSigner: signer }).publishAll();
    expect(out.slots).to.equal(3);
    const found = await assignmentsOnArweave(processId);
    expect(found).to.have.length(3);
    for (const info of found) {
      const item = await client.getDataItem(info.id, out.bundleId!);
      expect(item.signatureType).to.equal(3);
      expect(computeAddress("0x" + Buffer.from(item.owner, "base64url").toString("hex"))).to.equal(
        su.scheduler.address,
      );
      expect(tag(item.tags, "Holo-Scheduler")).to.equal(su.scheduler.address);
    }
    su.store.close();
  });

  it("stops after the bundle in progress, leaving a backlog to the next run", async function () {
    const su = await makeScheduler(chain, path.join(tempDir("holo-su-stop-"), "su.sqlite"), {
      register: false,
    });
    const processId = await spawnAnotherProcess(chain, "5a");
    await su.scheduler.registerProcess(processId);
    for (let i = 0; i < 12; i++) await su.scheduler.accept(await message(processId, `stop${i}`));
    let posts = 0;
    let stopping: Promise<void> | undefined;
    const options = {
      store: su.store,
      wallet: await arweaveWallet(),
      scheduler: su.scheduler.address,
      batch: 2,
      logger: silent,
    };
    const publisher: Publisher = new Publisher({
      ...options,
      arweave: {
        getInfo: (id) => client.getInfo(id),
        signBundle: (items) => client.signBundle(items),
        sendBundle: async (tx, items) => {
          posts += 1;
          // the stop arrives while the first bundle is being posted
          if (posts === 1) stopping = publisher.stop();
          return client.sendBundle(tx, items);
        },
      },
    });
    publisher.start(0);
    await waitUntil(() => stopping !== undefined);
    await stopping;
    expect(posts).to.equal(1);
    expect(publisher.lag()).to.equal(10);
    // the next run publishes the rest, each slot once
    const next = new Publisher({ ...options, arweave: client });
    expect((await next.publishAll()).map((o) => o.slots)).to.deep.equal([2, 2, 2, 2, 2]);
    expect(next.lag()).to.equal(0);
    expect(await assignmentsOnArweave(processId)).to.have.length(12);
    su.store.close();
  });

  it("resumes a publication recorded before a crash without posting it twice", async function () {
    const file = path.join(tempDir("holo-su-crash-"), "su.sqlite");
    const other = await makeScheduler(chain, file, { register: false });
    // a second process, so this test's assignments are counted on their own
    const processId = await spawnAnotherProcess(chain, "ab");
    await other.scheduler.registerProcess(processId);
    for (let i = 0; i < 2; i++) await other.scheduler.accept(await message(processId, `crash${i}`));

    // the first run posts, then "crashes" before marking the publication posted
    let posts = 0;
    const crashing = new Publisher({
      store: other.store,
      arweave: {
        getInfo: (id) => client.getInfo(id),
        signBundle: (items) => client.signBundle(items),
        sendBundle: async (tx, items) => {
          posts += 1;
          await client.sendBundle(tx, items);
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
    let signs = 0;
    const resumed = new Publisher({
      store: again.store,
      arweave: {
        getInfo: (id) => client.getInfo(id),
        signBundle: (items) => {
          signs += 1;
          return client.signBundle(items);
        },
        sendBundle: async (tx, items) => {
          reposts += 1;
          return client.sendBundle(tx, items);
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
        signBundle: (items) => client.signBundle(items),
        sendBundle: async () => {
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
    const stored = again.store.db
      .prepare("SELECT bundle_id FROM publications WHERE status = 'pending'")
      .get() as { bundle_id: string };
    expect(stored.bundle_id).to.be.a("string");
    const [late] = await resumed.publishAll();
    expect(reposts).to.equal(1);
    // the transaction signed and stored before the failed post is the one sent: no second bundle
    expect(signs).to.equal(0);
    expect(late.bundleId).to.equal(stored.bundle_id);
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

  it("re-sends the same bundle transaction after a cut upload or a failed mine, never a new bundle", async function () {
    const proxy = new GatewayProxy(Number(new URL(client.url).port));
    await proxy.start();
    try {
      const { lines, logger } = capturing();
      const via = new ArweaveClient({
        url: `http://127.0.0.1:${proxy.port}`,
        wallet: await arweaveWallet(),
        local: true,
        chunked: true,
        logger,
        timeoutMs: 5_000,
        retry: { attempts: 2, baseMs: 20, maxMs: 50 },
      });
      const su = await makeScheduler(chain, path.join(tempDir("holo-su-resend-"), "su.sqlite"), {
        register: false,
      });
      const { processes, moduleId, stranger, scheduler } = chain.reg;
      const arweaveId = "0x" + "ef".repeat(32);
      const nonce = "0x" + "12".repeat(32);
      await processes.connect(stranger).spawn(moduleId, scheduler.address, nonce, arweaveId);
      const processId = await processes.computeProcessId(
        moduleId,
        scheduler.address,
        nonce,
        arweaveId,
        stranger.address,
      );
      await su.scheduler.registerProcess(processId);
      // eight messages of 40 kB: a bundle of two 256 KiB chunks (posted header first, then chunk by chunk)
      const ids: string[] = [];
      for (let i = 0; i < 8; i++) {
        const data = Buffer.alloc(40_000, 97 + i);
        ids.push((await su.scheduler.accept(await message(processId, data))).id);
      }
      const publisher = new Publisher({
        store: su.store,
        arweave: via,
        wallet: await arweaveWallet(),
        scheduler: su.scheduler.address,
        batch: 10,
        logger,
      });

      // round 1: the upload is cut after the header went through (every chunk post of both attempts is reset)
      proxy.cutChunks = 2;
      await publisher.publishAll().then(
        () => expect.fail("expected the cut upload to fail the round"),
        (e: unknown) => expect((e as ArweaveError).kind).to.equal("transient"),
      );
      const pending = su.store.db.prepare("SELECT status, bundle_id FROM publications").get() as {
        status: string;
        bundle_id: string | null;
      };
      expect(pending.status).to.equal("pending");
      expect(pending.bundle_id).to.be.a("string");
      expect(proxy.txPosts).to.deep.equal([pending.bundle_id]);

      // round 2: the chunks go through, but ArLocal's mine fails: the post stands, the mine is owed
      proxy.failMines = 1;
      const [out] = await publisher.publishAll();
      expect(out.bundleId).to.equal(pending.bundle_id);
      expect(publisher.lag()).to.equal(0);
      expect(lines.filter((l) => l.event === "arweave.mine.retry")).to.have.length(1);

      // round 3 (nothing to publish) mines; the items are on the gateway, whole, in that one bundle
      await publisher.publishAll();
      expect(new Set(proxy.txPosts)).to.deep.equal(new Set([pending.bundle_id]));
      // ArLocal indexes a chunked bundle's items in the background once its last chunk is in
      const until = Date.now() + 20_000;
      while ((await assignmentsOnArweave(processId)).length < 8 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await assignmentsOnArweave(processId)).to.have.length(8);
      for (const [i, id] of ids.entries()) {
        const item = await client.getDataItem(id, pending.bundle_id!);
        expect(Buffer.from(item.data).equals(Buffer.alloc(40_000, 97 + i))).to.equal(true);
      }
      su.store.close();
    } finally {
      await proxy.stop();
    }
  });

  /** A target that answers both the old (postDataItems) and the new (sign/send) publisher. */
  function target(
    post: (items: readonly Uint8Array[]) => Promise<void>,
    sent: string[] = [],
  ): BundleTarget & PublishTarget {
    return {
      getInfo: (id) => client.getInfo(id),
      signBundle: (items) => client.signBundle(items),
      sendBundle: async (tx, items) => {
        sent.push(tx);
        await post(items);
        return { bundleId: "", itemIds: [] };
      },
      postDataItems: async (items) => {
        await post(items);
        return { bundleId: "", itemIds: [] };
      },
    };
  }

  it("marks a refused post posted when the gateway has its items, without a page", async function () {
    const su = await makeScheduler(chain, path.join(tempDir("holo-su-refused-"), "su.sqlite"));
    await su.scheduler.accept(await message(chain.reg.process, "refused but there"));
    const { lines, logger } = capturing();
    let posts = 0;
    const publisher = new Publisher({
      store: su.store,
      // what ArLocal does to a re-post after a kill: the items went through, the answer is a 404
      arweave: target(async (items) => {
        posts += 1;
        await client.postDataItems(items);
        throw new ArweaveError("notFound", "POST /tx: 404 Not Found", { status: 404 });
      }),
      wallet: await arweaveWallet(),
      scheduler: su.scheduler.address,
      batch: 10,
      logger,
    });
    publisher.start(20);
    const deadline = Date.now() + 20_000;
    while (publisher.lag() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await publisher.stop();
    expect(publisher.lag()).to.equal(0);
    expect(posts).to.equal(1);
    expect(lines.filter((l) => String(l.event).startsWith("page."))).to.deep.equal([]);
    expect(lines.filter((l) => l.event === "su.publish.recovered")).to.have.length(1);
    su.store.close();
  });

  it("pages livenessAtRisk only after K failed rounds in a row", async function () {
    const su = await makeScheduler(chain, path.join(tempDir("holo-su-refusing-"), "su.sqlite"));
    await su.scheduler.accept(await message(chain.reg.process, "never posted"));
    const { lines, logger } = capturing();
    let posts = 0;
    const sent: string[] = [];
    const publisher = new Publisher({
      store: su.store,
      arweave: target(async () => {
        posts += 1;
        throw new ArweaveError("invalid", "POST /tx: 400 Bad Request", { status: 400 });
      }, sent),
      wallet: await arweaveWallet(),
      scheduler: su.scheduler.address,
      batch: 10,
      logger,
      pageAfterFailedRounds: 3,
    });
    publisher.start(10);
    const deadline = Date.now() + 20_000;
    while (posts < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await publisher.stop();
    const failures = lines.filter((l) => l.event === "su.publish.retry" || l.event === "page.livenessAtRisk");
    expect(failures.length).to.be.greaterThanOrEqual(5);
    expect(failures.slice(0, 5).map((l) => l.event)).to.deep.equal([
      "su.publish.retry",
      "su.publish.retry",
      "page.livenessAtRisk",
      "page.livenessAtRisk",
      "page.livenessAtRisk",
    ]);
    expect(failures[2].failedRounds).to.equal(3);
    expect(publisher.lag()).to.equal(1);
    // a transaction the gateway calls invalid (400) was never accepted: each round signs a new one
    expect(new Set(sent).size).to.equal(sent.length);
    expect(lines.filter((l) => l.event === "su.publish.resign").length).to.equal(sent.length);
    su.store.close();
  });
});

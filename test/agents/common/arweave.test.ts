/**
 * The Arweave client (agents/common/arweave.ts) against ArLocal on an ephemeral port: funding, AO-tagged
 * signed messages, bundles of data items posted and mined, reads by id, GraphQL queries by tag with
 * pagination, data item verification, and the error kinds (notFound, invalid, transient).
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

import { DataItem, EthereumSigner, createData, type JWKInterface } from "@dha-team/arbundles";
import ArLocal from "arlocal";
import Arweave from "arweave";
import { expect } from "chai";
import { Wallet } from "ethers";

import {
  AO_DATA_PROTOCOL,
  ArweaveClient,
  ArweaveError,
  EthereumItemSigner,
  WalletFunding,
  createSignedMessage,
  verifyDataItem,
  type PostedBundle,
} from "../../../agents/common/arweave";
import { createLogger } from "../../../agents/common/log";

const silent = createLogger({ agent: "test", level: "silent" });

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

async function expectArweaveError(promise: Promise<unknown>): Promise<ArweaveError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(ArweaveError);
    return error as ArweaveError;
  }
  expect.fail("expected an ArweaveError");
}

/** A copy of `bytes` with byte `at` (negative: from the end) flipped. */
function flipped(bytes: Uint8Array, at: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  const i = at < 0 ? copy.length + at : at;
  copy[i] ^= 0x01;
  return copy;
}

describe("agents/common/arweave", function () {
  let arlocal: ArLocal;
  let stopped = false;
  let url: string;
  let dbPath: string;
  let wallet: JWKInterface;
  let client: ArweaveClient;
  const run = `run-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const processId = Buffer.alloc(32, 7).toString("base64url");

  before(async function () {
    const port = await freePort();
    dbPath = fs.mkdtempSync(path.join(os.tmpdir(), "holo-arlocal-"));
    arlocal = new ArLocal(port, false, dbPath);
    await arlocal.start();
    url = `http://127.0.0.1:${port}`;
    wallet = (await Arweave.init({}).wallets.generate()) as JWKInterface;
    client = new ArweaveClient({
      url,
      wallet,
      local: true,
      logger: silent,
      retry: { baseMs: 20, maxMs: 100 },
    });
  });

  after(async function () {
    if (!stopped) await arlocal.stop();
    fs.rmSync(dbPath, { recursive: true, force: true });
  });

  it("funds a wallet on ArLocal, and only there", async function () {
    const funding = new WalletFunding(client);
    const address = await funding.fund(wallet, 10n ** 15n);
    expect(address).to.equal(await client.address());
    expect(await funding.balance(address)).to.equal(10n ** 15n);
    expect(await funding.mint(address, 5n)).to.equal(10n ** 15n + 5n);

    const remote = new ArweaveClient({ url, logger: silent });
    expect(() => new WalletFunding(remote)).to.throw(ArweaveError, /ArLocal only/);
    expect((await expectArweaveError(funding.mint("not-an-address", 1n))).kind).to.equal("invalid");
  });

  it("creates signed AO messages with AO's tags", async function () {
    const item = await createSignedMessage(wallet, {
      target: processId,
      tags: [{ name: "Action", value: "Eval" }],
      data: "return 1",
    });
    const verified = await verifyDataItem(item.getRaw(), item.id);
    expect(verified.tags).to.deep.equal([
      AO_DATA_PROTOCOL,
      { name: "Variant", value: "ao.TN.1" },
      { name: "Type", value: "Message" },
      { name: "Action", value: "Eval" },
    ]);
    expect(verified.target).to.equal(processId);
    expect(Buffer.from(verified.data).toString()).to.equal("return 1");
    expect(verified.ownerAddress).to.equal(await client.address());
    expect(verified.signatureType).to.equal(1);

    const proc = await createSignedMessage(wallet, {
      type: "Process",
      tags: [{ name: "Variant", value: "ao.TN.2" }],
    });
    expect(proc.tags.slice(0, 3).map((t) => t.value)).to.deep.equal(["ao", "ao.TN.2", "Process"]);
    expect(proc.target).to.equal("");

    const reserved = await expectArweaveError(
      createSignedMessage(wallet, { target: processId, tags: [{ name: "type", value: "Process" }] }),
    );
    expect(reserved.kind).to.equal("invalid");
    expect((await expectArweaveError(createSignedMessage(wallet, { target: "short" }))).kind).to.equal(
      "invalid",
    );
    expect(
      (await expectArweaveError(createSignedMessage(wallet, { type: "Bogus" as "Message" }))).kind,
    ).to.equal("invalid");
  });

  it("signs type-3 (Ethereum) items with EthereumItemSigner: the bytes arbundles' EthereumSigner makes, verified", async function () {
    const key = Wallet.createRandom().privateKey;
    const ours = new EthereumItemSigner(key);
    const reference = new EthereumSigner(key);
    expect(ours.publicKey.equals(reference.publicKey)).to.equal(true);
    expect(ours.address).to.equal(new Wallet(key).address);
    const item = await createSignedMessage(ours, { target: processId, type: "Assignment", data: "x" });
    const same = createData("x", reference, { target: processId, tags: item.tags });
    await same.sign(reference);
    expect(item.id).to.equal(same.id);
    expect(Buffer.from(item.getRaw()).equals(Buffer.from(same.getRaw()))).to.equal(true);
    const verified = await verifyDataItem(item.getRaw(), item.id);
    expect(verified.signatureType).to.equal(3);
    expect(await DataItem.verify(item.getRaw())).to.equal(true);
    // a flipped signature byte is refused
    const raw = Buffer.from(item.getRaw());
    raw[2 + 10] ^= 1;
    expect((await expectArweaveError(verifyDataItem(raw))).message).to.match(
      /signature does not verify|malformed/,
    );
    expect(() => new EthereumItemSigner("0x" + "00".repeat(32))).to.throw(
      /not a valid secp256k1 private key/,
    );
  });

  describe("a posted bundle", function () {
    const count = 5;
    let items: DataItem[];
    let posted: PostedBundle;

    before(async function () {
      items = [];
      for (let i = 0; i < count; i++) {
        items.push(
          await createSignedMessage(wallet, {
            target: processId,
            tags: [
              { name: "Test-Run", value: run },
              { name: "Index", value: String(i) },
            ],
            // Text and binary data (every byte value) alike.
            data:
              i % 2 === 0
                ? `message ${i}`
                : Uint8Array.from({ length: 300 + i }, (_, j) => (j * 7 + i) % 256),
          }),
        );
      }
      // Posting mixes DataItems and raw bytes.
      posted = await client.postDataItems(
        items.map((item, i) => (i === 0 ? new Uint8Array(item.getRaw()) : item)),
        { tags: [{ name: "App-Name", value: "holoproof-test" }] },
      );
    });

    it("posts one bundle transaction holding every item, mined", async function () {
      expect(posted.itemIds).to.deep.equal(items.map((i) => i.id));
      expect(await client.has(posted.bundleId)).to.equal(true);
      const info = await client.getInfo(posted.bundleId);
      expect(info.tags).to.deep.include.members([
        { name: "Bundle-Format", value: "binary" },
        { name: "Bundle-Version", value: "2.0.0" },
        { name: "App-Name", value: "holoproof-test" },
      ]);
      expect(info.ownerAddress).to.equal(await client.address());
      expect(info.blockHeight).to.be.a("number"); // mined
    });

    it("signs a bundle once and sends that same transaction again without posting it twice", async function () {
      const fresh = [
        await createSignedMessage(wallet, { target: processId, data: "resend 1" }),
        await createSignedMessage(wallet, { target: processId, data: "resend 2" }),
      ];
      const signed = await client.signBundle(fresh);
      expect(signed.itemIds).to.deep.equal(fresh.map((i) => i.id));
      expect(await client.has(signed.bundleId)).to.equal(false); // signed, not posted
      const first = await client.sendBundle(signed.transaction, fresh);
      expect(first.bundleId).to.equal(signed.bundleId);
      // again (a resume after a lost answer): the gateway has it, nothing is posted, the same id comes back
      const again = await client.sendBundle(signed.transaction, fresh);
      expect(again).to.deep.equal(first);
      const bundles = await client.queryByTags({
        tags: [{ name: "Bundle-Format", values: ["binary"] }],
        first: 100,
      });
      expect(bundles.items.filter((b) => b.id === signed.bundleId)).to.have.length(1);
      expect((await client.getDataItem(fresh[1].id, signed.bundleId)).id).to.equal(fresh[1].id);
      // other items are not that transaction's data
      const other = await createSignedMessage(wallet, { target: processId, data: "not in it" });
      const mismatch = await expectArweaveError(client.sendBundle(signed.transaction, [fresh[0], other]));
      expect(mismatch.kind).to.equal("invalid");
      expect(mismatch.message).to.match(/not the data of bundle/);
    });

    it("reads each item back by id: the same bytes and the same tags", async function () {
      for (const item of items) {
        const data = await client.getData(item.id);
        expect(Buffer.from(data).equals(item.rawData)).to.equal(true, `data of ${item.id}`);
        const info = await client.getInfo(item.id);
        expect(info.tags).to.deep.equal(item.tags);
        expect(info.ownerAddress).to.equal(await client.address());
        expect(info.recipient).to.equal(processId);
      }
    });

    it("reads each signed item from its bundle, verified against its id", async function () {
      for (const item of items) {
        const verified = await client.getDataItem(item.id, posted.bundleId);
        expect(verified.id).to.equal(item.id);
        expect(Buffer.from(verified.raw).equals(item.getRaw())).to.equal(true);
        expect(verified.tags).to.deep.equal(item.tags);
      }
      // ArLocal's GraphQL does not index `bundledIn`, so without the bundle id the item cannot be located.
      const unlocated = await expectArweaveError(client.getDataItem(items[0].id));
      expect(unlocated.kind).to.equal("notFound");
      const notThere = await expectArweaveError(
        client.getDataItem(Buffer.alloc(32, 9).toString("base64url"), posted.bundleId),
      );
      expect(notThere.kind).to.equal("notFound");
      // An id that is not a bundle is not read as one.
      expect((await expectArweaveError(client.getDataItem(items[1].id, items[0].id))).kind).to.equal(
        "notFound",
      );
    });

    it("queries by tags, page by page", async function () {
      const tags = [{ name: "Test-Run", values: [run] }];
      const seen: string[] = [];
      const pageSizes: number[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await client.queryByTags({ tags, first: 2, after });
        pageSizes.push(page.items.length);
        seen.push(...page.items.map((i) => i.id));
        for (const item of page.items) expect(item.tags).to.deep.include({ name: "Test-Run", value: run });
        if (!page.hasNextPage) break;
        after = page.cursor!;
      }
      expect(pageSizes).to.deep.equal([2, 2, 1]);
      expect(new Set(seen).size).to.equal(count);
      expect([...seen].sort()).to.deep.equal(items.map((i) => i.id).sort());

      const all: string[] = [];
      for await (const item of client.queryAllByTags({ tags, first: 3 })) all.push(item.id);
      expect(all.sort()).to.deep.equal([...seen].sort());

      // Filters combine: one index only; a value nobody has gives an empty page.
      const one = await client.queryByTags({
        tags: [...tags, { name: "Index", values: ["3"] }],
      });
      expect(one.items.map((i) => i.id)).to.deep.equal([items[3].id]);
      const none = await client.queryByTags({ tags: [{ name: "Test-Run", values: ["nobody"] }] });
      expect(none).to.deep.equal({ items: [], hasNextPage: false, cursor: null });
      expect((await expectArweaveError(client.queryByTags({ tags, first: 101 }))).kind).to.equal("invalid");
      expect((await expectArweaveError(client.queryByTags({ tags: [] }))).kind).to.equal("invalid");
    });
  });

  it("verifies a good data item and rejects tampered ones", async function () {
    const item = await createSignedMessage(wallet, {
      target: processId,
      tags: [{ name: "Action", value: "Transfer" }],
      data: "some data to protect",
    });
    const raw = new Uint8Array(item.getRaw());
    const good = await verifyDataItem(raw);
    expect(good.id).to.equal(item.id);
    expect((await client.verifyDataItem(raw, item.id)).id).to.equal(item.id);

    const cases: [string, Uint8Array][] = [
      ["a data byte", flipped(raw, -1)],
      ["a signature byte", flipped(raw, 10)],
      ["an owner byte", flipped(raw, 2 + 512 + 10)],
      ["a tag byte", flipped(raw, raw.length - Buffer.byteLength("some data to protect") - 3)],
      ["truncated", raw.subarray(0, 60)],
      ["an unknown signature type", Uint8Array.from([0xff, 0xff, ...raw.subarray(2)])],
    ];
    for (const [what, bytes] of cases) {
      const error = await expectArweaveError(verifyDataItem(bytes));
      expect(error.kind, what).to.equal("invalid");
    }
    const wrongId = await expectArweaveError(verifyDataItem(raw, Buffer.alloc(32).toString("base64url")));
    expect(wrongId.kind).to.equal("invalid");
    expect(wrongId.message).to.include(`its id is ${item.id}`);

    // A tampered item is refused before anything is posted.
    const refused = await expectArweaveError(client.postDataItems([raw, flipped(raw, -1)]));
    expect(refused.kind).to.equal("invalid");
    expect((await expectArweaveError(client.postDataItems([raw, raw]))).message).to.match(/given twice/);
    expect(await client.has(item.id)).to.equal(false);
  });

  it("calls a cut or garbled item malformed, and a well laid out one with a bad signature a bad signature", async function () {
    const item = await createSignedMessage(wallet, {
      target: processId,
      tags: [{ name: "Action", value: "Transfer" }],
      data: "some data to protect",
    });
    const raw = new Uint8Array(item.getRaw());
    const dataStart = raw.length - Buffer.byteLength("some data to protect");
    const tagsHeader = dataStart - item.rawTags.byteLength - 16;
    // a tag size pointing past the item's end
    const hugeTags = new Uint8Array(raw);
    hugeTags.set([0xff, 0x0f], tagsHeader + 8);
    // a target flag that is neither 0 nor 1
    const badFlag = new Uint8Array(raw);
    badFlag[2 + 512 + 512] = 7;
    const malformed: [string, Uint8Array][] = [
      ["cut in the owner (700 bytes)", raw.subarray(0, 700)],
      ["cut in the target", raw.subarray(0, 2 + 512 + 512 + 10)],
      ["cut in the tags", raw.subarray(0, dataStart - 3)],
      ["a tag size past the end", hugeTags],
      ["a target flag of 7", badFlag],
      ["tags that do not decode", flipped(raw, tagsHeader + 16)],
    ];
    for (const [what, bytes] of malformed) {
      const error = await expectArweaveError(verifyDataItem(bytes));
      expect(error.kind, what).to.equal("invalid");
      expect(error.message, what).to.match(/: malformed/);
      expect(error.message, what).not.to.match(/signature does not verify/);
    }
    const badSignature: [string, Uint8Array][] = [
      ["a data byte", flipped(raw, -1)],
      ["a signature byte", flipped(raw, 10)],
      ["cut in the data", raw.subarray(0, raw.length - 5)],
    ];
    for (const [what, bytes] of badSignature) {
      const error = await expectArweaveError(verifyDataItem(bytes));
      expect(error.message, what).to.match(/signature does not verify$/);
    }
  });

  it("answers notFound for an unknown id, at once, and invalid for a malformed one", async function () {
    const unknown = Buffer.alloc(32, 1).toString("base64url");
    const error = await expectArweaveError(client.getData(unknown));
    expect(error.kind).to.equal("notFound");
    expect(error.id).to.equal(unknown);
    expect(error.url).to.equal(`${url}/${unknown}`);
    expect(error.status).to.equal(404);
    expect(error.attempts).to.equal(1);
    expect((await expectArweaveError(client.getInfo(unknown))).kind).to.equal("notFound");
    expect((await expectArweaveError(client.getData("../etc/passwd"))).kind).to.equal("invalid");
    expect(() => new ArweaveClient({ url: "http://u:p@127.0.0.1:1" })).to.throw(ArweaveError, /credentials/);
    expect(() => new ArweaveClient({ url: "http://127.0.0.1:1/path" })).to.throw(ArweaveError, /no path/);
    const noWallet = new ArweaveClient({ url, logger: silent });
    expect((await expectArweaveError(noWallet.postDataItems([new Uint8Array(100)]))).kind).to.equal(
      "invalid",
    );
  });

  // Last: it stops ArLocal.
  describe("with ArLocal stopped", function () {
    it("answers transient after its retries once ArLocal is stopped", async function () {
      const item = await createSignedMessage(wallet, { target: processId, data: "x" });
      await arlocal.stop();
      stopped = true;
      await new Promise((r) => setTimeout(r, 200));
      const down = new ArweaveClient({
        url,
        wallet,
        local: true,
        logger: silent,
        retry: { attempts: 3, baseMs: 10 },
      });
      const started = Date.now();
      const error = await expectArweaveError(down.getData(item.id));
      expect(error.kind).to.equal("transient");
      expect(error.attempts).to.equal(3);
      expect(error.url).to.equal(`${url}/${item.id}`);
      expect(Date.now() - started).to.be.lessThan(5_000);
      const query = await expectArweaveError(
        down.queryByTags({ tags: [{ name: "Test-Run", values: [run] }] }),
      );
      expect(query.kind).to.equal("transient");
      const post = await expectArweaveError(down.postDataItems([item]));
      expect(post.kind).to.equal("transient");
    });
  });
});

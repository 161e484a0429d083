/**
 * The scheduler's HTTP API (agents/scheduler/api/routes.ts) through fastify's inject, over a real
 * ProcessRegistry: POST / answers AO's {id, timestamp} plus the slot and the signed assignment; refusals are
 * 4xx with named errors and store nothing; GET /, /timestamp, the paged log and one message.
 */
import path from "node:path";

import { expect } from "chai";
import { ethers } from "hardhat";

import { createSignedMessage } from "../../../agents/common/arweave";
import { createSchedulerApi } from "../../../agents/scheduler/api/routes";
import type { HttpServer } from "../../../agents/common/http";
import { findChainBreak, recoverAssignmentSigner } from "../../../sdk/ts/assignments";
import { INITIAL_STATE } from "../../helpers/registry";
import {
  arweaveWallet,
  chainSetup,
  counts,
  makeScheduler,
  message,
  processItem,
  silent,
  tempDir,
  type ChainSetup,
} from "./helpers";

interface AssignmentJson {
  process: string;
  slot: number;
  messageId: string;
  messageHash: string;
  messageLength: number;
  timestamp: number;
  blockHeight: number;
  prevAssignmentHash: string;
  hash: string;
  signature: string;
}

describe("agents/scheduler/api", function () {
  let chain: ChainSetup;
  let app: HttpServer;
  let su: Awaited<ReturnType<typeof makeScheduler>>;

  before(async function () {
    chain = await chainSetup();
    await arweaveWallet();
  });

  beforeEach(async function () {
    su = await makeScheduler(chain, path.join(tempDir("holo-su-api-"), "su.sqlite"));
    su.scheduler.setBlockHeight(42);
    app = createSchedulerApi({
      scheduler: su.scheduler,
      logger: silent,
      metrics: su.metrics,
      bodyLimit: 72 * 1024,
    });
  });

  afterEach(async function () {
    await app.close();
    su.store.close();
  });

  const post = (body: Uint8Array | string, contentType = "application/octet-stream") =>
    app.inject({
      method: "POST",
      url: "/",
      headers: { "content-type": contentType },
      payload: Buffer.from(body),
    });

  it("POST / assigns a slot and answers the signed assignment", async function () {
    const bytes = await message(chain.reg.process, "hello");
    const res = await post(bytes);
    expect(res.statusCode).to.equal(200);
    const body = res.json<{ id: string; timestamp: number; slot: number; assignment: AssignmentJson }>();
    expect(body.slot).to.equal(0);
    expect(body.assignment.blockHeight).to.equal(42);
    expect(body.assignment.timestamp).to.equal(body.timestamp);
    expect(recoverAssignmentSigner(chain.reg.domain, body.assignment, body.assignment.signature)).to.equal(
      chain.reg.scheduler.address,
    );
    // again: the same answer, no new slot
    const again = await post(bytes);
    expect(again.json<{ slot: number }>().slot).to.equal(0);
    expect(counts(su.store).assignments).to.equal(1);
    const text = await su.metrics.text();
    expect(text).to.match(/holo_su_slots_assigned_total 1\b/);
  });

  it("assigns 50 parallel POSTs without a gap or a duplicate", async function () {
    const items = await Promise.all(
      Array.from({ length: 50 }, (_, i) => message(chain.reg.process, `par${i}`)),
    );
    const answers = await Promise.all(items.map((b) => post(b)));
    answers.forEach((r) => expect(r.statusCode).to.equal(200));
    const slots = answers.map((r) => r.json<{ slot: number }>().slot).sort((a, b) => a - b);
    expect(slots).to.deep.equal(Array.from({ length: 50 }, (_, i) => i));
    const log = su.scheduler.log(chain.reg.process, { limit: 100 }).entries.map((e) => e.assignment);
    expect(findChainBreak(chain.reg.domain, log)).to.equal(-1);
  });

  it("answers bad input with named 4xx errors and stores nothing", async function () {
    const good = await message(chain.reg.process, "good");
    const badSig = new Uint8Array(good);
    badSig[100] ^= 1;
    const noTarget = await createSignedMessage(await arweaveWallet(), { data: "x" });
    const cases: [Uint8Array, number, string][] = [
      [new Uint8Array([0, 1, 2]), 400, "MalformedDataItem"],
      [badSig, 400, "InvalidSignature"],
      [await message(ethers.id("unknown"), "x"), 404, "UnknownProcess"],
      [new Uint8Array(noTarget.getRaw()), 400, "WrongTarget"],
      [await message(chain.reg.process, new Uint8Array(65_536)), 413, "MessageTooLarge"],
      [await message(chain.reg.process, new Uint8Array(80 * 1024)), 413, "PayloadTooLarge"],
    ];
    for (const [bytes, status, name] of cases) {
      const res = await post(bytes);
      expect(res.statusCode, name).to.equal(status);
      expect(res.json<{ error: string }>().error).to.equal(name);
    }
    const json = await post(JSON.stringify({ a: 1 }), "application/json");
    expect(json.statusCode).to.equal(415);
    expect(counts(su.store).messages).to.equal(0);
  });

  it("GET /, /timestamp, the paged log and one message", async function () {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await post(await message(chain.reg.process, `l${i}`))).json<{ id: string }>().id);

    const info = (await app.inject({ url: "/" })).json<{ Unit: string; Processes: string[] }>();
    expect(info.Unit).to.equal("Scheduler");
    expect(info.Processes).to.deep.equal([chain.reg.process.toLowerCase()]);
    const ts = (await app.inject({ url: "/timestamp" })).json<{ timestamp: number; block_height: number }>();
    expect(ts.block_height).to.equal(42);

    type Page = {
      page_info: { has_next_page: boolean };
      edges: { cursor: string; node: { message: { id: string; raw: string }; assignment: AssignmentJson } }[];
    };
    const seen: AssignmentJson[] = [];
    let from = 0;
    for (;;) {
      const res = await app.inject({ url: `/${chain.reg.process}?from=${from}&limit=2` });
      expect(res.statusCode).to.equal(200);
      const page = res.json<Page>();
      seen.push(...page.edges.map((e) => e.node.assignment));
      page.edges.forEach((e) => expect(e.cursor).to.equal(String(e.node.assignment.slot)));
      if (!page.page_info.has_next_page) break;
      from = Number(page.edges[page.edges.length - 1].cursor) + 1;
    }
    expect(seen.map((a) => a.slot)).to.deep.equal([0, 1, 2, 3, 4]);
    expect(findChainBreak(chain.reg.domain, seen)).to.equal(-1);

    // the base64url form of the process id works too
    const b64 = Buffer.from(ethers.getBytes(chain.reg.process)).toString("base64url");
    const ranged = (await app.inject({ url: `/${b64}?from=1&to=3` })).json<Page>();
    expect(ranged.edges.map((e) => e.node.assignment.slot)).to.deep.equal([1, 2, 3]);
    expect(ranged.page_info.has_next_page).to.equal(false);

    const one = await app.inject({ url: `/${ids[3]}?process-id=${chain.reg.process}` });
    expect(one.statusCode).to.equal(200);
    const node = one.json<{ message: { id: string; raw: string }; assignment: AssignmentJson }>();
    expect(node.message.id).to.equal(ids[3]);
    expect(node.assignment.slot).to.equal(3);

    const bad = await app.inject({ url: `/${chain.reg.process}?from=4&to=2` });
    expect(bad.statusCode).to.equal(400);
    expect(bad.json<{ error: string }>().error).to.equal("BadRange");
    const notNumber = await app.inject({ url: `/${chain.reg.process}?from=abc` });
    expect(notNumber.statusCode).to.equal(400);
    const unknown = await app.inject({ url: `/${ethers.id("nope")}` });
    expect(unknown.json<{ error: string }>().error).to.equal("UnknownProcess");
    const missing = await app.inject({ url: `/${"A".repeat(43)}?process-id=${chain.reg.process}` });
    expect(missing.statusCode).to.equal(404);
    expect(missing.json<{ error: string }>().error).to.equal("NotFound");
  });

  it("answers AO's fields: processId (base64url) and the assignment's tags (Nonce); finds a message by its 0x id", async function () {
    const bytes = await message(chain.reg.process, "hello");
    const body = (await post(bytes)).json<{
      id: string;
      timestamp: number;
      slot: number;
      process: string;
      processId: string;
      assignment: AssignmentJson & { tags: { name: string; value: string }[] };
    }>();
    const target = Buffer.from(ethers.getBytes(chain.reg.process)).toString("base64url");
    expect(body).to.deep.include({ slot: 0, process: chain.reg.process.toLowerCase(), processId: target });
    expect(body.assignment.tags).to.deep.equal([
      { name: "Process", value: target },
      { name: "Nonce", value: "0" },
      { name: "Epoch", value: "0" },
      { name: "Timestamp", value: String(body.timestamp) },
      { name: "Block-Height", value: "42" },
      { name: "Message", value: body.id },
    ]);
    const hexId = ethers.hexlify(Buffer.from(body.id, "base64url"));
    const one = await app.inject({ url: `/${hexId}?process-id=${target}` });
    expect(one.statusCode).to.equal(200);
    expect(one.json<{ message: { id: string } }>().message.id).to.equal(body.id);
  });

  it("holds a Process item not spawned yet: 202 with processId, GET /pending/:id, slot 0 once spawned", async function () {
    const owner = chain.reg.stranger;
    const item = await processItem(chain, owner.address, [{ name: "Name", value: "api" }]);
    const res = await post(new Uint8Array(item.getRaw()));
    expect(res.statusCode).to.equal(202);
    type Held = {
      id: string;
      process: string;
      processId: string;
      pending: boolean;
      spawn: { moduleId: string; scheduler: string; initialState: string; arweaveId: string; owner: string };
    };
    const held = res.json<Held>();
    const arweaveId = ethers.hexlify(Buffer.from(item.id, "base64url"));
    expect(held).to.deep.include({ id: item.id, pending: true });
    expect(held.spawn).to.deep.equal({
      moduleId: chain.reg.moduleId.toLowerCase(),
      scheduler: chain.reg.scheduler.address,
      initialState: INITIAL_STATE.toLowerCase(),
      arweaveId,
      owner: owner.address,
    });
    expect(Buffer.from(held.processId, "base64url").toString("hex")).to.equal(held.process.slice(2));
    const again = await post(new Uint8Array(item.getRaw()));
    expect(again.statusCode).to.equal(202);
    expect(again.json<Held>()).to.deep.equal(held);

    const pending = await app.inject({ url: `/pending/${held.processId}` });
    expect(pending.json<Held & { status: string }>()).to.deep.include({ status: "pending", id: item.id });
    const log = await app.inject({ url: `/${held.process}` });
    expect(log.statusCode).to.equal(409);
    expect(log.json<{ error: string }>().error).to.equal("ProcessPending");
    const early = await post(await message(held.process, "early"));
    expect(early.statusCode).to.equal(409);
    expect(early.json<{ error: string; field: string }>()).to.deep.include({
      error: "ProcessPending",
      field: "target",
    });
    expect((await app.inject({ url: "/" })).json<{ Pending: string[] }>().Pending).to.deep.equal([
      held.process,
    ]);

    await chain.reg.processes
      .connect(owner)
      .spawn(held.spawn.moduleId, held.spawn.scheduler, held.spawn.initialState, held.spawn.arweaveId);
    // reading the log checks the registry first
    const spawned = await app.inject({ url: `/${held.processId}` });
    expect(spawned.statusCode).to.equal(200);
    const edges = spawned.json<{
      edges: { node: { message: { id: string }; assignment: AssignmentJson } }[];
    }>().edges;
    expect(edges.map((e) => [e.node.assignment.slot, e.node.message.id])).to.deep.equal([[0, item.id]]);
    const done = await app.inject({ url: `/pending/${held.process}` });
    expect(done.json()).to.deep.equal({
      status: "spawned",
      process: held.process,
      processId: held.processId,
      id: item.id,
    });
    const reposted = await post(new Uint8Array(item.getRaw()));
    expect(reposted.statusCode).to.equal(200);
    expect(reposted.json<{ slot: number; processId: string }>()).to.deep.include({
      slot: 0,
      processId: held.processId,
    });
  });

  it("GET /pending/:id refuses a malformed id (MalformedId) and answers an unknown one UnknownProcess", async function () {
    for (const id of ["nope", "0x12", "A".repeat(42), "A".repeat(42) + "B"]) {
      const res = await app.inject({ url: `/pending/${id}` });
      expect(res.statusCode, id).to.equal(400);
      expect(res.json<{ error: string; field: string }>(), id).to.deep.include({
        error: "MalformedId",
        field: "params.id",
      });
    }
    const unknown = await app.inject({ url: `/pending/${ethers.id("nope")}` });
    expect(unknown.statusCode).to.equal(404);
    expect(unknown.json<{ error: string }>().error).to.equal("UnknownProcess");
  });
});

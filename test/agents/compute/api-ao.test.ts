/**
 * The compute unit's HTTP API in the forms @permaweb/aoconnect uses (agents/compute/api/routes.ts), over a
 * recording stand-in of the ComputeUnit: process ids as 0x hex or base64url, message ids as base64url or 0x
 * hex, outgoing items decoded into AO's {Target, Anchor, Tags, Data} (with Raw), and JSON dry runs turned
 * into the canonical message of the next slot. The end-to-end run with aoconnect is test/agents/aoconnect.test.ts.
 */
import { createHash } from "node:crypto";

import { expect } from "chai";
import { hexlify } from "ethers";

import type { HttpServer } from "../../../agents/common/http";
import { aoOutbound, aoResult, createComputeApi, parseId32 } from "../../../agents/compute/api/routes";
import type { ComputeUnit, Evaluation } from "../../../agents/compute/domain/compute";
import { ComputeError } from "../../../agents/compute/domain/errors";
import { RESULT_KIND, decodeMessage, type MessageResult } from "../../../machine/process";
import { encodeOutbound, outbound } from "../../../sdk/host/outbound";
import { createMetrics } from "../../../agents/common/metrics";
import { silent } from "./helpers";

const PROCESS = `0x${"ab".repeat(32)}`;
const TARGET = Buffer.from(PROCESS.slice(2), "hex").toString("base64url");
const MESSAGE = `0x${"cd".repeat(32)}`;
const MESSAGE_ID = Buffer.from(MESSAGE.slice(2), "hex").toString("base64url");
const ARWEAVE_ADDRESS = Buffer.alloc(32, 7).toString("base64url");
const ETH = "0x00000000000000000000000000000000000000aa";

const reply = encodeOutbound(outbound(ARWEAVE_ADDRESS, { Action: "Reply", Reference: "1" }, "héllo"));
const spawn = encodeOutbound({
  target: new Uint8Array(32).fill(9),
  tags: [{ name: "Name", value: "child" }],
  data: new Uint8Array([0xff, 0x00]),
});
const RESULT: MessageResult = {
  ok: true,
  items: [
    { kind: RESULT_KIND.output, bytes: new TextEncoder().encode("out") },
    { kind: RESULT_KIND.message, bytes: reply },
    { kind: RESULT_KIND.spawn, bytes: spawn },
  ],
};

/** A ComputeUnit stand-in following PROCESS at slot 4, recording dry-run messages. */
function fakeCu(dryRuns: Uint8Array[]): ComputeUnit {
  const evaluation: Evaluation = {
    process: PROCESS,
    slot: 3n,
    messageId: MESSAGE,
    assignmentHash: `0x${"01".repeat(32)}`,
    result: RESULT,
    resultHash: `0x${"02".repeat(32)}`,
    stateHash: `0x${"03".repeat(32)}`,
    steps: 10,
  };
  const fake = {
    processes: [PROCESS],
    state: (p: string) => {
      if (p !== PROCESS) throw new ComputeError("UnknownProcess", p);
      return { process: PROCESS, slot: 4n, stateHash: evaluation.stateHash };
    },
    evaluationOf: (p: string, id: string) => (p === PROCESS && id === MESSAGE ? evaluation : undefined),
    evaluations: (p: string) => (p === PROCESS ? [evaluation] : []),
    dryRun: (_p: string, message: Uint8Array) => {
      dryRuns.push(message);
      return { result: RESULT, resultHash: evaluation.resultHash, steps: 5 };
    },
  };
  return fake as unknown as ComputeUnit;
}

describe("agents/compute/api: aoconnect's forms", function () {
  let app: HttpServer;
  let dryRuns: Uint8Array[];
  const NOW = 1_700_000_000_123;

  beforeEach(function () {
    dryRuns = [];
    app = createComputeApi({
      cu: fakeCu(dryRuns),
      logger: silent,
      metrics: createMetrics({ agent: "cu", defaultMetrics: false }),
      now: () => NOW,
    });
  });

  afterEach(async function () {
    await app.close();
  });

  const get = async (url: string) => {
    const r = await app.inject({ method: "GET", url });
    return { status: r.statusCode, body: r.json<Record<string, unknown>>() };
  };
  const dry = async (body: unknown, process = TARGET, contentType = "application/json") => {
    const r = await app.inject({
      method: "POST",
      url: `/dry-run?process-id=${process}`,
      headers: { "content-type": contentType },
      payload: typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });
    return { status: r.statusCode, body: r.json<Record<string, unknown>>() };
  };

  it("parses 32-byte ids as 0x hex or canonical base64url only", function () {
    expect(parseId32(PROCESS)).to.equal(PROCESS);
    expect(parseId32(PROCESS.toUpperCase().replace("0X", "0x"))).to.equal(PROCESS);
    expect(parseId32(TARGET)).to.equal(PROCESS);
    expect(parseId32(TARGET.slice(1))).to.equal(undefined);
    expect(parseId32("A".repeat(42) + "B")).to.equal(undefined); // bits past 32 bytes
    expect(parseId32(`${TARGET}=`)).to.equal(undefined);
    expect(parseId32("0x12")).to.equal(undefined);
  });

  it("decodes outgoing messages and spawns into AO's shape, keeping the raw bytes", function () {
    expect(aoOutbound(reply, RESULT_KIND.message)).to.deep.equal({
      Target: ARWEAVE_ADDRESS,
      Anchor: "",
      Tags: [
        { name: "Action", value: "Reply" },
        { name: "Reference", value: "1" },
      ],
      Data: "héllo",
      Raw: hexlify(reply),
    });
    const eth = encodeOutbound(outbound(ETH, [], ""));
    expect(aoOutbound(eth, RESULT_KIND.message)).to.deep.include({ Target: ETH, Data: "" });
    // data that is not UTF-8 is given as 0x hex; a spawn's target is its module id
    expect(aoOutbound(spawn, RESULT_KIND.spawn)).to.deep.include({
      Target: Buffer.alloc(32, 9).toString("base64url"),
      Module: `0x${"09".repeat(32)}`,
      Data: "0xff00",
    });
    const truncated = reply.slice(0, 40);
    expect(aoOutbound(truncated, RESULT_KIND.message)).to.deep.equal({
      Raw: hexlify(truncated),
      Error: "MalformedOutbound: truncated outbound item",
    });
    const r = aoResult(RESULT);
    expect(r.Output).to.equal("out");
    expect(r.Messages).to.have.lengthOf(1);
    expect(r.Spawns).to.have.lengthOf(1);
    expect(aoResult({ ok: false, error: 3, errorName: "Trap" })).to.deep.equal({
      Output: "",
      Messages: [],
      Spawns: [],
      Error: "Trap",
    });
  });

  it("serves /result, /results and /state by the base64url process id and the base64url message id", async function () {
    for (const [process, message] of [
      [TARGET, MESSAGE_ID],
      [PROCESS, MESSAGE],
      [TARGET, MESSAGE.toUpperCase().replace("0X", "0x")],
    ]) {
      const one = await get(`/result/${message}?process-id=${process}`);
      expect(one.status, `${process} ${message}`).to.equal(200);
      expect(one.body).to.deep.include({ Slot: 3, MessageId: MESSAGE });
      expect((one.body.Messages as { Target: string }[])[0].Target).to.equal(ARWEAVE_ADDRESS);
    }
    expect((await get(`/results/${TARGET}`)).body.edges).to.have.lengthOf(1);
    expect((await get(`/state/${TARGET}`)).body).to.deep.include({ process: PROCESS, slot: 4 });

    const badProcess = await get(`/state/${TARGET.slice(0, 42)}!`);
    expect(badProcess).to.deep.include({ status: 400 });
    expect(badProcess.body).to.deep.include({ error: "ValidationError", field: "params.process" });
    const badQuery = await get(`/result/${MESSAGE_ID}?process-id=${"A".repeat(42)}B`);
    expect(badQuery.body).to.deep.include({ error: "ValidationError", field: "query.process-id" });
    const badMessage = await get(`/result/${MESSAGE_ID.slice(1)}?process-id=${TARGET}`);
    expect(badMessage.status).to.equal(400);
    expect(badMessage.body).to.deep.include({ error: "ValidationError", field: "params.messageId" });
    const unknown = await get(`/result/${"A".repeat(43)}?process-id=${TARGET}`);
    expect(unknown).to.deep.include({ status: 404 });
    expect(unknown.body.error).to.equal("UnknownMessage");
  });

  it("dry-runs aoconnect's JSON as the canonical message of the next slot", async function () {
    const tags = [
      { name: "Action", value: "Info" },
      { name: "Data-Protocol", value: "ao" },
    ];
    const r = await dry({
      Id: MESSAGE_ID,
      Target: TARGET,
      Owner: ARWEAVE_ADDRESS,
      Anchor: "0",
      Data: "hi",
      Tags: tags,
    });
    expect(r.status).to.equal(200);
    expect(r.body).to.deep.include({ Output: "out", Steps: 5 });
    expect((r.body.Messages as { Data: string }[])[0].Data).to.equal("héllo");
    const m = decodeMessage(dryRuns[0]);
    expect(hexlify(m.id)).to.equal(MESSAGE);
    expect(Buffer.from(m.from).toString("base64url")).to.equal(ARWEAVE_ADDRESS);
    expect(hexlify(m.target)).to.equal(PROCESS);
    expect(m.slot).to.equal(5n); // the CU is at slot 4
    expect(m.timestamp).to.equal(BigInt(NOW));
    expect(m.blockHeight).to.equal(0n);
    expect(m.tags).to.deep.equal(tags);
    expect(new TextDecoder().decode(m.data)).to.equal("hi");

    // aoconnect's placeholders ("1234") are zero; an Ethereum Owner is left-padded; an RSA key is hashed
    await dry({ Id: "1234", Target: PROCESS, Owner: "1234", Tags: [] });
    await dry({ Id: "1234", Target: TARGET, Owner: ETH, Tags: [] });
    const key = Buffer.alloc(512, 3);
    await dry({ Id: "1234", Target: TARGET, Owner: key.toString("base64url"), Tags: [] });
    const [zero, eth, rsa] = dryRuns.slice(1).map(decodeMessage);
    expect(hexlify(zero.id)).to.equal(`0x${"00".repeat(32)}`);
    expect(hexlify(zero.from)).to.equal(`0x${"00".repeat(32)}`);
    expect(zero.data).to.have.lengthOf(0);
    expect(hexlify(eth.from)).to.equal(`0x${"00".repeat(12)}${ETH.slice(2)}`);
    expect(Buffer.from(rsa.from)).to.deep.equal(createHash("sha256").update(key).digest());

    // the octet-stream form is kept
    const raw = await dry(Buffer.from(dryRuns[0]), TARGET, "application/octet-stream");
    expect(raw.status).to.equal(200);
    expect(dryRuns[4]).to.deep.equal(dryRuns[0]);
  });

  it("refuses JSON dry runs with missing or malformed fields, another Target, or bad media types", async function () {
    const full = { Id: "1234", Target: TARGET, Owner: "1234", Data: "", Tags: [] as unknown[] };
    const without = (key: string) => Object.fromEntries(Object.entries(full).filter(([k]) => k !== key));
    for (const key of ["Id", "Target", "Owner", "Tags"]) {
      const r = await dry(without(key));
      expect(r.status, key).to.equal(400);
      expect(r.body, key).to.deep.include({ error: "MalformedDryRun", field: `body.${key}` });
    }
    for (const body of [
      { ...full, Tags: [{ name: "Action" }] },
      { ...full, Data: 12 },
      { ...full, Tags: [{ name: "x".repeat(70_000), value: "" }] },
      null,
      [1, 2],
    ]) {
      const r = await dry(body);
      expect(r.status, JSON.stringify(body).slice(0, 60)).to.equal(400);
      expect(r.body.error).to.equal("MalformedDryRun");
    }
    const other = await dry({ ...full, Target: `0x${"11".repeat(32)}` });
    expect(other.status).to.equal(400);
    expect(other.body).to.deep.include({ error: "TargetMismatch", field: "body.Target" });
    expect((await dry("{", TARGET)).body.error).to.equal("MalformedJson");
    const text = await dry("x", TARGET, "text/plain");
    expect(text).to.deep.include({ status: 415 });
    expect(text.body.error).to.equal("UnsupportedMediaType");
    expect((await dry(full, `0x${"ee".repeat(32)}`)).body.error).to.equal("UnknownProcess");
    expect(dryRuns).to.have.lengthOf(0);
  });
});

/**
 * HTTP bad-input suite (docs/agents.md §7 "malformed or hostile HTTP input"): the SU and the CU, wired by
 * their public entry points (startScheduler, startCompute) and served over real HTTP against the devnet
 * (Hardhat over JSON-RPC, ArLocal). Every row of the tables sends one bad request and asserts the 4xx
 * status and the error's name in the JSON body; afterwards each agent still serves a valid request and its
 * state is unchanged (same log, same slot counter, same results).
 */
import path from "node:path";

import { ArweaveSigner, createData } from "@dha-team/arbundles";
import { expect } from "chai";
import { ethers } from "hardhat";

import { createSignedMessage } from "../../agents/common/arweave";
import { loadConfig } from "../../agents/common/config";
import { ComputeSettings } from "../../agents/compute/config";
import { startCompute, type RunningCompute } from "../../agents/compute/main";
import { SchedulerSettings } from "../../agents/scheduler/config";
import { processTarget } from "../../agents/scheduler/domain/scheduler";
import { startScheduler, type RunningScheduler } from "../../agents/scheduler/main";
import {
  getJson,
  postItem,
  quiet,
  readSuLog,
  signMessages,
  startDevnet,
  stopDevnet,
  waitFor,
  type Devnet,
} from "./reliability-helpers";

interface Row {
  name: string;
  method?: "GET" | "POST";
  /** Path and query, relative to the agent's URL. */
  url: string | (() => string);
  contentType?: string;
  body?: Uint8Array | string | (() => Promise<Uint8Array>);
  status: number;
  error: string;
}

async function send(base: string, row: Row): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = typeof row.url === "function" ? row.url() : row.url;
  const body = typeof row.body === "function" ? await row.body() : row.body;
  const headers: Record<string, string> = {};
  if (row.contentType !== undefined) headers["content-type"] = row.contentType;
  const res = await fetch(`${base}${url}`, {
    method: row.method ?? "GET",
    headers,
    body,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { unparsable: text.slice(0, 200) };
  }
  return { status: res.status, body: parsed };
}

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const out = new Uint8Array(bytes);
  out[at] ^= 0xff;
  return out;
}

describe("agents: HTTP bad input (SU and CU)", function () {
  this.timeout(180_000);

  let d: Devnet;
  let su: RunningScheduler;
  let cu: RunningCompute;
  let p: string;
  let accepted: { id: string; messageId: string }[];

  before(async function () {
    d = await startDevnet("holo-http-");
    p = d.sys.process;
    su = await startScheduler(
      loadConfig(SchedulerSettings, {
        env: {},
        flags: {
          rpcUrl: d.rpcUrl,
          privateKey: d.suKey,
          processRegistry: d.sys.domain.verifyingContract as string,
          chainId: "31337",
          arweaveUrl: d.gateway,
          arweaveWallet: d.walletFile,
          storePath: path.join(d.dir, "su.sqlite"),
          processes: p,
          port: "0",
          publishEvery: "100ms",
        },
      }),
      quiet,
    );
    cu = await startCompute(
      loadConfig(ComputeSettings, {
        env: {},
        flags: {
          rpcUrl: d.rpcUrl,
          privateKey: d.cuKey,
          resultRegistry: d.sys.results.target as string,
          processRegistry: d.sys.domain.verifyingContract as string,
          suUrl: su.url,
          storePath: path.join(d.dir, "cu.sqlite"),
          port: 0,
          processes: [{ id: p, wasm: d.wasmFile }],
          commitEverySlots: 3,
          commitEveryMs: "1h",
          pollMs: "100ms",
        },
      }),
      quiet,
    );
    accepted = [];
    for (const m of await signMessages(d, 4, "http")) {
      const r = await postItem(su.url, m.bytes);
      expect(r.status).to.equal(200);
      accepted.push({ id: m.id, messageId: (r.body.assignment as { messageId: string }).messageId });
    }
    await waitFor(
      "the CU to evaluate 4 slots",
      async () => (await getJson(`${cu.url}/state/${p}`)).body.slot === 3,
    );
  });

  after(async function () {
    await cu?.stop().catch(() => undefined);
    await su?.stop().catch(() => undefined);
    await stopDevnet(d);
  });

  const unknownProcess = ethers.id("no such process");

  async function item(options: { target?: string; tags?: { name: string; value: string }[]; data?: string }) {
    const signer = new ArweaveSigner(d.wallet);
    const di = createData(options.data ?? "x", signer, { target: options.target, tags: options.tags });
    await di.sign(signer);
    return new Uint8Array(di.getRaw());
  }

  async function message(data: string | Uint8Array = "fine", target = processTarget(p)) {
    const di = await createSignedMessage(d.wallet, {
      target,
      tags: [{ name: "Action", value: "Get" }],
      data,
    });
    return new Uint8Array(di.getRaw());
  }

  const octet = "application/octet-stream";
  const suRows: Row[] = [
    // POST /: malformed items
    {
      name: "garbage bytes",
      method: "POST",
      url: "/",
      contentType: octet,
      body: new Uint8Array([1, 2, 3]),
      status: 400,
      error: "MalformedDataItem",
    },
    {
      name: "an empty body",
      method: "POST",
      url: "/",
      contentType: octet,
      body: new Uint8Array(0),
      status: 400,
      error: "MalformedDataItem",
    },
    {
      name: "an unknown signature type",
      method: "POST",
      url: "/",
      contentType: octet,
      body: async () => {
        const b = await message();
        b[0] = 0x7f;
        b[1] = 0x7f;
        return b;
      },
      status: 400,
      error: "MalformedDataItem",
    },
    {
      name: "no Data-Protocol tag",
      method: "POST",
      url: "/",
      contentType: octet,
      body: () => item({ target: processTarget(p), tags: [{ name: "Type", value: "Message" }] }),
      status: 400,
      error: "MalformedDataItem",
    },
    {
      name: "Type: Assignment",
      method: "POST",
      url: "/",
      contentType: octet,
      body: () =>
        item({
          target: processTarget(p),
          tags: [
            { name: "Data-Protocol", value: "ao" },
            { name: "Type", value: "Assignment" },
          ],
        }),
      status: 400,
      error: "MalformedDataItem",
    },
    {
      name: "a Process item without its Holo tags",
      method: "POST",
      url: "/",
      contentType: octet,
      body: () =>
        item({
          tags: [
            { name: "Data-Protocol", value: "ao" },
            { name: "Type", value: "Process" },
          ],
        }),
      status: 400,
      error: "MalformedDataItem",
    },
    // bad signatures
    {
      name: "a flipped signature byte",
      method: "POST",
      url: "/",
      contentType: octet,
      body: async () => flip(await message(), 40),
      status: 400,
      error: "InvalidSignature",
    },
    {
      name: "a flipped data byte",
      method: "POST",
      url: "/",
      contentType: octet,
      body: async () => {
        const b = await message("signed data");
        return flip(b, b.length - 1);
      },
      status: 400,
      error: "InvalidSignature",
    },
    // targets
    {
      name: "a Message without a target",
      method: "POST",
      url: "/",
      contentType: octet,
      body: () =>
        item({
          tags: [
            { name: "Data-Protocol", value: "ao" },
            { name: "Type", value: "Message" },
          ],
        }),
      status: 400,
      error: "WrongTarget",
    },
    {
      name: "a target that is no process",
      method: "POST",
      url: "/",
      contentType: octet,
      body: () => message("x", processTarget(unknownProcess)),
      status: 404,
      error: "UnknownProcess",
    },
    {
      name: "a Process item with a target",
      method: "POST",
      url: "/",
      contentType: octet,
      body: () =>
        item({
          target: processTarget(p),
          tags: [
            { name: "Data-Protocol", value: "ao" },
            { name: "Type", value: "Process" },
          ],
        }),
      status: 400,
      error: "WrongTarget",
    },
    // sizes
    {
      name: "a message over the process's 64 KiB limit",
      method: "POST",
      url: "/",
      contentType: octet,
      body: () => message(new Uint8Array(70_000).fill(7)),
      status: 413,
      error: "MessageTooLarge",
    },
    {
      name: "a body over bodyLimit (72 KiB)",
      method: "POST",
      url: "/",
      contentType: octet,
      body: new Uint8Array(100 * 1024).fill(1),
      status: 413,
      error: "PayloadTooLarge",
    },
    {
      name: "a 5 MiB body",
      method: "POST",
      url: "/",
      contentType: octet,
      body: new Uint8Array(5 * 1024 * 1024),
      status: 413,
      error: "PayloadTooLarge",
    },
    // content types
    {
      name: "an item as text/plain",
      method: "POST",
      url: "/",
      contentType: "text/plain",
      body: "hello",
      status: 415,
      error: "UnsupportedMediaType",
    },
    {
      name: "an item as application/json",
      method: "POST",
      url: "/",
      contentType: "application/json",
      body: '{"id":"x"}',
      status: 415,
      error: "UnsupportedMediaType",
    },
    {
      name: "an item as multipart/form-data",
      method: "POST",
      url: "/",
      contentType: "multipart/form-data; boundary=x",
      body: "--x--",
      status: 415,
      error: "UnsupportedMediaType",
    },
    // GET /:process
    { name: "from not a number", url: () => `/${p}?from=abc`, status: 400, error: "ValidationError" },
    { name: "from negative", url: () => `/${p}?from=-1`, status: 400, error: "ValidationError" },
    { name: "from in exponent form", url: () => `/${p}?from=1e3`, status: 400, error: "ValidationError" },
    {
      name: "to beyond 15 digits",
      url: () => `/${p}?to=9999999999999999`,
      status: 400,
      error: "ValidationError",
    },
    { name: "from after to", url: () => `/${p}?from=5&to=2`, status: 400, error: "BadRange" },
    { name: "limit 0", url: () => `/${p}?limit=0`, status: 400, error: "BadRange" },
    { name: "limit 1001", url: () => `/${p}?limit=1001`, status: 400, error: "BadRange" },
    { name: "limit not a number", url: () => `/${p}?limit=ten`, status: 400, error: "ValidationError" },
    { name: "an unknown process", url: `/${unknownProcess}`, status: 404, error: "UnknownProcess" },
    { name: "a process id that is no id", url: "/not-a-process", status: 404, error: "UnknownProcess" },
    // GET /:message?process-id=
    {
      name: "a message the SU never assigned",
      url: () => `/${"A".repeat(43)}?process-id=${p}`,
      status: 404,
      error: "NotFound",
    },
    {
      name: "a message of another process",
      url: () => `/${accepted[0].id}?process-id=${unknownProcess}`,
      status: 404,
      error: "NotFound",
    },
    {
      name: "process-id not an id",
      url: () => `/${accepted[0].id}?process-id=zzz`,
      status: 404,
      error: "UnknownProcess",
    },
    {
      name: "process-id empty",
      url: () => `/${accepted[0].id}?process-id=`,
      status: 400,
      error: "ValidationError",
    },
    // /timestamp
    {
      name: "POST /timestamp",
      method: "POST",
      url: "/timestamp",
      contentType: octet,
      body: new Uint8Array([1]),
      status: 404,
      error: "NotFound",
    },
  ];

  it(`SU: ${suRows.length} bad requests, each a named 4xx; the log and the slot counter unchanged`, async function () {
    const before = await readSuLog(su.url, p);
    expect(before).to.have.length(4);
    const failures: string[] = [];
    for (const row of suRows) {
      const r = await send(su.url, row);
      if (r.status !== row.status || r.body.error !== row.error) {
        failures.push(`${row.name}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      } else if (typeof r.body.message !== "string" || r.body.message.length === 0) {
        failures.push(`${row.name}: no message`);
      }
    }
    expect(failures).to.deep.equal([]);
    expect(await readSuLog(su.url, p)).to.deep.equal(before);
    expect(su.scheduler.nextSlot(p)).to.equal(4);
    // still serving: /timestamp, the message lookup, and a valid message takes slot 4
    const ts = await getJson(`${su.url}/timestamp`);
    expect(ts.status).to.equal(200);
    expect(ts.body.timestamp).to.be.a("number");
    const one = await getJson(`${su.url}/${accepted[1].id}?process-id=${p}`);
    expect((one.body.assignment as { slot: number }).slot).to.equal(1);
    const ok = await postItem(su.url, await message("after the bad ones"));
    expect(ok.status).to.equal(200);
    expect(ok.body.slot).to.equal(4);
    await waitFor(
      "the CU to evaluate slot 4",
      async () => (await getJson(`${cu.url}/state/${p}`)).body.slot === 4,
    );
  });

  const cuRows: Row[] = [
    {
      name: "/result without process-id",
      url: () => `/result/${accepted[0].messageId}`,
      status: 400,
      error: "ValidationError",
    },
    {
      name: "/result with a short process-id",
      url: () => `/result/${accepted[0].messageId}?process-id=0x12`,
      status: 400,
      error: "ValidationError",
    },
    {
      name: "/result of an unknown process",
      url: () => `/result/${accepted[0].messageId}?process-id=${unknownProcess}`,
      status: 404,
      error: "UnknownProcess",
    },
    {
      name: "/result of an unknown message",
      url: () => `/result/${ethers.id("nope")}?process-id=${p}`,
      status: 404,
      error: "UnknownMessage",
    },
    {
      name: "/results from not a number",
      url: () => `/results/${p}?from=abc`,
      status: 400,
      error: "ValidationError",
    },
    {
      name: "/results from negative",
      url: () => `/results/${p}?from=-1`,
      status: 400,
      error: "ValidationError",
    },
    {
      name: "/results to before from",
      url: () => `/results/${p}?from=3&to=1`,
      status: 400,
      error: "BadRange",
    },
    { name: "/results limit 0", url: () => `/results/${p}?limit=0`, status: 400, error: "BadRange" },
    {
      name: "/results limit 1.5",
      url: () => `/results/${p}?limit=1.5`,
      status: 400,
      error: "ValidationError",
    },
    {
      name: "/results of an unknown process",
      url: `/results/${unknownProcess}`,
      status: 404,
      error: "UnknownProcess",
    },
    {
      name: "/results of a malformed process id",
      url: "/results/0xnothex",
      status: 400,
      error: "ValidationError",
    },
    { name: "/state of a malformed process id", url: "/state/0x12", status: 400, error: "ValidationError" },
    {
      name: "/state of an unknown process",
      url: `/state/${unknownProcess}`,
      status: 404,
      error: "UnknownProcess",
    },
    {
      name: "/dry-run without process-id",
      method: "POST",
      url: "/dry-run",
      contentType: octet,
      body: new Uint8Array([1]),
      status: 400,
      error: "ValidationError",
    },
    {
      name: "/dry-run of an unknown process",
      method: "POST",
      url: `/dry-run?process-id=${unknownProcess}`,
      contentType: octet,
      body: new Uint8Array([1]),
      status: 404,
      error: "UnknownProcess",
    },
    {
      name: "/dry-run as text/plain",
      method: "POST",
      url: () => `/dry-run?process-id=${p}`,
      contentType: "text/plain",
      body: "x",
      status: 415,
      error: "UnsupportedMediaType",
    },
    {
      // the CU also takes AO's JSON dry run ({Id, Target, Owner, Tags, Data}); this one lacks its fields
      name: "/dry-run as JSON without AO's fields",
      method: "POST",
      url: () => `/dry-run?process-id=${p}`,
      contentType: "application/json",
      body: '{"a":1}',
      status: 400,
      error: "MalformedDryRun",
    },
    {
      name: "/dry-run with malformed JSON",
      method: "POST",
      url: () => `/dry-run?process-id=${p}`,
      contentType: "application/json",
      body: "{",
      status: 400,
      error: "MalformedJson",
    },
    {
      name: "/dry-run over the 1 MiB body limit",
      method: "POST",
      url: () => `/dry-run?process-id=${p}`,
      contentType: octet,
      body: new Uint8Array(2 * 1024 * 1024),
      status: 413,
      error: "PayloadTooLarge",
    },
    { name: "GET /dry-run", url: () => `/dry-run?process-id=${p}`, status: 404, error: "NotFound" },
  ];

  it(`CU: ${cuRows.length} bad requests, each a named 4xx; state and results unchanged`, async function () {
    const state = await getJson(`${cu.url}/state/${p}`);
    const results = await getJson(`${cu.url}/results/${p}`);
    expect(state.status).to.equal(200);
    const failures: string[] = [];
    for (const row of cuRows) {
      const r = await send(cu.url, row);
      if (r.status !== row.status || r.body.error !== row.error) {
        failures.push(`${row.name}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      }
    }
    expect(failures).to.deep.equal([]);
    expect(await getJson(`${cu.url}/state/${p}`)).to.deep.equal(state);
    expect(await getJson(`${cu.url}/results/${p}`)).to.deep.equal(results);
    const one = await getJson(`${cu.url}/result/${accepted[2].messageId}?process-id=${p}`);
    expect(one.status).to.equal(200);
    expect(one.body.Slot).to.equal(2);
  });

  // Two bugs this suite found (fixed): a truncated item was answered InvalidSignature, and the CU evaluated a
  // dry-run body that was no canonical message.
  it("a truncated item is MalformedDataItem (SU); a non-canonical dry-run body is 400 MalformedMessage (CU)", async function () {
    const rows: [string, Row][] = [
      [
        su.url,
        {
          name: "SU: a truncated item",
          method: "POST",
          url: "/",
          contentType: octet,
          body: async () => (await message()).slice(0, 700),
          status: 400,
          error: "MalformedDataItem",
        },
      ],
      [
        cu.url,
        {
          name: "CU: /dry-run of bytes that are no canonical message",
          method: "POST",
          url: () => `/dry-run?process-id=${p}`,
          contentType: octet,
          body: new Uint8Array([1, 2, 3]),
          status: 400,
          error: "MalformedMessage",
        },
      ],
    ];
    const failures: string[] = [];
    for (const [base, row] of rows) {
      const r = await send(base, row);
      if (r.status !== row.status || r.body.error !== row.error) {
        failures.push(`${row.name}: ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`);
      }
    }
    expect(failures).to.deep.equal([]);
  });
});

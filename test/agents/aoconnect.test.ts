/**
 * AO compatibility with the real @permaweb/aoconnect (0.0.98, legacy mode):
 * `connect({ MU_URL: <our SU>, CU_URL: <our CU>, GATEWAY_URL: <ArLocal> })` with `createDataItemSigner(jwk)`
 * spawns, messages, and reads `result`, `results` and `dryrun` of a Holoproof token process.
 *
 * - spawn: aoconnect signs and posts the Process item to the SU in one call; the SU holds it pending (its id
 *   is the on-chain `arweaveId`) and answers `processId`, the process id it will have (base64url, the AO
 *   target form). `GET /pending/:processId` gives the spawn's arguments; once `ProcessRegistry.spawn` is
 *   mined the SU assigns slot 0 to the Process item (on its timer, or on the next request). Messages to a
 *   pending process are refused (`ProcessPending`).
 * - message: the SU's answer has `id`, `timestamp`, `slot`, `processId`; `GET /:messageId?process-id=`
 *   gives the assignment's AO tags (`Nonce`). With `returnAssignmentSlot`, aoconnect finds the SU with
 *   ao-scheduler-utils' `locate` (its gateway from GRAPHQL_URL, see loadAoconnect) and reads that Nonce: the SU is
 *   located once with the scheduler's wallet as `schedulerHint` (its Scheduler-Location record on ArLocal), which
 *   skips the testnet SU router and the gateway lookup of the process, and caches the SU's Url for the process.
 * - result / results / dryrun take the process id as base64url or 0x hex, a message id as aoconnect returns
 *   it (base64url) or 0x hex; a result's `Messages` are AO's `{Target, Anchor, Tags, Data}` (and `Raw`).
 * - dryrun posts JSON `{Id, Target, Owner, Anchor, Data, Tags}`; the CU builds the canonical message of the
 *   next slot from it.
 */
import path from "node:path";

import { expect } from "chai";
import hre from "hardhat";

import type { RunningCompute } from "../../agents/compute/main";
import { TOKEN_WASM } from "../../cli/devnet/system";
import { arweaveIdHex } from "../../cli/lib/ao";
import { eventually, processTags, startCu, startStack, type Stack } from "../e2e/stack";
import { holo, isolateChainEnv } from "../cli/helpers";

type AoConnect = {
  connect(options: Record<string, string>): {
    spawn(a: Record<string, unknown>): Promise<string>;
    message<T = string>(a: Record<string, unknown>): Promise<T>;
    result(a: Record<string, unknown>): Promise<Record<string, unknown>>;
    results(
      a: Record<string, unknown>,
    ): Promise<{ edges: { cursor: string; node: Record<string, unknown> }[] }>;
    dryrun(a: Record<string, unknown>): Promise<Record<string, unknown>>;
  };
  createDataItemSigner(jwk: unknown): unknown;
};
/** The ao-scheduler-utils instance aoconnect itself loads (its `locate` and the cache behind it). */
type SchedulerUtils = {
  locate(process: string, schedulerHint?: string): Promise<{ url: string; address: string }>;
};
let aoconnect: AoConnect;
let schedulerUtils: SchedulerUtils;

/**
 * Loads aoconnect, and the @permaweb/ao-scheduler-utils it resolves, with `GRAPHQL_URL` set to `graphqlUrl`.
 * aoconnect's legacy `message({returnAssignmentSlot})` finds the SU with ao-scheduler-utils' top-level `locate`,
 * which reads its gateway from the GRAPHQL_URL environment variable once, when the package is loaded (connect's
 * GATEWAY_URL does not reach it): so both are loaded here, once ArLocal's address is known.
 */
function loadAoconnect(graphqlUrl: string): void {
  const saved = process.env.GRAPHQL_URL;
  process.env.GRAPHQL_URL = graphqlUrl;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    aoconnect = require("@permaweb/aoconnect") as AoConnect;
    const from = path.dirname(require.resolve("@permaweb/aoconnect"));
    const utils = require.resolve("@permaweb/ao-scheduler-utils", { paths: [from] });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    schedulerUtils = require(utils) as SchedulerUtils;
  } finally {
    if (saved === undefined) delete process.env.GRAPHQL_URL;
    else process.env.GRAPHQL_URL = saved;
  }
}

describe("AO compatibility: @permaweb/aoconnect against the Holoproof SU and CU", function () {
  const env = isolateChainEnv();
  let stack: Stack;
  let moduleId: string;
  let moduleItemId: string;
  let cu: RunningCompute | undefined;
  let processHex: string;
  let processTarget: string;
  let messageId: string;
  let spawnArgsOnChain: readonly [string, string, string, string];

  before(async function () {
    env.clear();
    stack = await startStack("holo-aoconnect-");
    loadAoconnect(`${stack.arlocal.url}/graphql`);
    const published = await holo(
      "module",
      "publish",
      TOKEN_WASM,
      "--gateway",
      stack.arlocal.url,
      "--wallet",
      stack.walletFile,
      ...stack.connection,
      "--key",
      stack.accounts[0].privateKey,
      "--json",
    );
    expect(published.code, published.stderr).to.equal(0);
    ({ moduleId, arweaveItemId: moduleItemId } = published.json() as unknown as {
      moduleId: string;
      arweaveItemId: string;
    });
  });

  after(async function () {
    await cu?.stop();
    await stack?.stop();
    env.restore();
  });

  const ao = (mu: string) =>
    aoconnect.connect({
      MU_URL: mu,
      CU_URL: cu?.url ?? "http://127.0.0.1:1",
      GATEWAY_URL: stack.arlocal.url,
    });
  const signer = () => aoconnect.createDataItemSigner(stack.jwk);
  const spawnArgs = async () => ({
    module: moduleItemId,
    scheduler: stack.arweaveAddress,
    signer: signer(),
    tags: (await processTags(moduleId, moduleItemId, stack.accounts[0].address)).tags,
  });

  it("spawn: aoconnect posts the Process item to the SU, which holds it pending and answers the process id", async function () {
    const id = await ao(stack.su.url).spawn(await spawnArgs());
    expect(id).to.match(/^[A-Za-z0-9_-]{43}$/);
    processTarget = id;
    processHex = `0x${Buffer.from(id, "base64url").toString("hex")}`;
    const registry = stack.devnet.contracts.processRegistry;
    expect(await registry.processExists(processHex)).to.equal(false);
    const held = (await (await fetch(`${stack.su.url}/pending/${processTarget}`)).json()) as {
      status: string;
      id: string;
      process: string;
      processId: string;
      spawn: { moduleId: string; scheduler: string; initialState: string; arweaveId: string; owner: string };
    };
    expect(held).to.deep.include({ status: "pending", process: processHex, processId: processTarget });
    expect(held.spawn).to.deep.include({
      moduleId: moduleId.toLowerCase(),
      scheduler: stack.scheduler.address,
      arweaveId: arweaveIdHex(held.id),
      owner: stack.accounts[0].address,
    });
    // the process id is the registry's, for these arguments
    const { spawn } = held;
    const args = [spawn.moduleId, spawn.scheduler, spawn.initialState, spawn.arweaveId] as const;
    expect((await registry.computeProcessId(...args, spawn.owner)).toLowerCase()).to.equal(processHex);
    spawnArgsOnChain = args;
    // the SU's root lists it as pending, not as a scheduled process
    const root = (await (await fetch(stack.su.url)).json()) as { Pending: string[]; Processes: string[] };
    expect(root.Pending).to.deep.equal([processHex]);
    expect(root.Processes).to.not.include(processHex);
  });

  it("message: a message to a process not spawned on chain yet is refused (ProcessPending), nothing stored", async function () {
    let error: Error | undefined;
    try {
      await ao(stack.su.url).message({ process: processTarget, signer: signer(), tags: [], data: "early" });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message)
      .to.match(/409/)
      .and.to.match(/ProcessPending/);
    const log = await fetch(`${stack.su.url}/${processHex}`);
    expect(log.status).to.equal(409);
    expect(((await log.json()) as { error: string }).error).to.equal("ProcessPending");
  });

  it("spawn: once ProcessRegistry.spawn is mined, the SU assigns slot 0 to the held Process item", async function () {
    const owner = await hre.ethers.getSigner(stack.accounts[0].address);
    const registry = stack.devnet.contracts.processRegistry.connect(owner);
    await (await registry.spawn(...spawnArgsOnChain)).wait();
    expect((await registry.getProcess(processHex)).scheduler).to.equal(stack.scheduler.address);
    // the SU's timer (pendingCheckEvery) registers it without any request naming the process
    await eventually("the SU to register the spawned process", async () => {
      const root = (await (await fetch(stack.su.url)).json()) as { Pending: string[]; Processes: string[] };
      return root.Processes.includes(processHex) && root.Pending.length === 0 ? true : undefined;
    });
    const log = (await (await fetch(`${stack.su.url}/${processTarget}`)).json()) as {
      edges: { node: { message: { type: string }; assignment: { slot: number } } }[];
    };
    expect(log.edges.map((e) => [e.node.assignment.slot, e.node.message.type])).to.deep.equal([
      [0, "Process"],
    ]);
    const done = (await (await fetch(`${stack.su.url}/pending/${processHex}`)).json()) as Record<
      string,
      unknown
    >;
    expect(done).to.deep.include({ status: "spawned", process: processHex, processId: processTarget });
    cu = await startCu(stack, processHex);
  });

  it("message: aoconnect posts a signed message to the SU (MU_URL) with the process as target", async function () {
    messageId = await ao(stack.su.url).message({
      process: processTarget,
      signer: signer(),
      tags: [{ name: "Action", value: "Balance" }],
      data: "",
    });
    expect(messageId).to.match(/^[A-Za-z0-9_-]{43}$/);
    const entry = (await (
      await fetch(`${stack.su.url}/${messageId}?process-id=${processTarget}`)
    ).json()) as {
      assignment: { slot: number; process: string; tags: { name: string; value: string }[] };
    };
    expect(entry.assignment).to.deep.include({ slot: 1, process: processHex });
    expect(entry.assignment.tags).to.deep.include({ name: "Nonce", value: "1" });
    expect(entry.assignment.tags).to.deep.include({ name: "Process", value: processTarget });
    // the 0x form of the message id finds it too
    const byHex = await fetch(`${stack.su.url}/${arweaveIdHex(messageId)}?process-id=${processHex}`);
    expect(((await byHex.json()) as { assignment: { slot: number } }).assignment.slot).to.equal(1);
  });

  it("result: aoconnect reads the CU's result with the ids it returned (base64url), decoded AO messages", async function () {
    const r = await eventually("the CU's result", async () => {
      const x = await ao(stack.su.url).result({ process: processTarget, message: messageId });
      return x.error === undefined ? x : undefined;
    });
    expect(r.Slot).to.equal(1);
    expect(r.Error).to.equal(undefined);
    expect(r.ResultHash).to.match(/^0x[0-9a-f]{64}$/);
    const [reply] = r.Messages as {
      Target: string;
      Anchor: string;
      Tags: { name: string; value: string }[];
      Data: string;
      Raw: string;
    }[];
    expect(r.Messages).to.have.lengthOf(1);
    expect(reply.Target).to.equal(stack.arweaveAddress); // the reply goes to the sender
    expect(reply.Anchor).to.equal("");
    // the Process item's signer (the JWK) holds the initial supply
    expect(reply.Tags).to.deep.include({ name: "Balance", value: "10000000000000000" });
    expect(reply.Tags).to.deep.include({ name: "Account", value: stack.arweaveAddress });
    expect(reply.Data).to.equal("10000000000000000");
    expect(reply.Raw).to.match(/^0x[0-9a-f]+$/);
    // the same result with the 0x forms of both ids
    const hex = await ao(stack.su.url).result({ process: processHex, message: arweaveIdHex(messageId) });
    expect(hex).to.deep.equal(r);
  });

  it("result: malformed and unknown ids are named errors", async function () {
    const badProcess = await ao(stack.su.url).result({ process: processTarget.slice(1), message: messageId });
    expect(badProcess).to.deep.include({ error: "ValidationError", field: "query.process-id" });
    const badMessage = await ao(stack.su.url).result({ process: processTarget, message: "not-an-id" });
    expect(badMessage).to.deep.include({ error: "ValidationError", field: "params.messageId" });
    // 43 characters whose last one carries bits beyond 32 bytes: not canonical base64url
    const nonCanonical = messageId.slice(0, 42) + (messageId[42] === "B" ? "C" : "B");
    const r = await ao(stack.su.url).result({ process: processTarget, message: nonCanonical });
    expect(r).to.deep.include({ error: "ValidationError", field: "params.messageId" });
    const unknown = await ao(stack.su.url).result({ process: processTarget, message: "A".repeat(43) });
    expect(unknown).to.deep.include({ error: "UnknownMessage" });
  });

  it("results: aoconnect pages the CU's results of the process in slot order (either id form)", async function () {
    for (const process of [processTarget, processHex]) {
      const r = await ao(stack.su.url).results({ process, limit: 10 });
      expect(r.edges.map((e) => e.cursor)).to.deep.equal(["0", "1"]);
      expect(r.edges[1].node).to.have.property("Messages").that.is.an("array").with.lengthOf(1);
    }
    const state = (await (await fetch(`${cu!.url}/state/${processTarget}`)).json()) as Record<
      string,
      unknown
    >;
    expect(state).to.deep.include({ process: processHex, slot: 1 });
  });

  it("dryrun: aoconnect posts JSON, the CU evaluates it as the next message without storing it", async function () {
    const info = await ao(stack.su.url).dryrun({
      process: processTarget,
      tags: [{ name: "Action", value: "Info" }],
      data: "",
    });
    expect(info.Error).to.equal(undefined);
    const [reply] = info.Messages as { Target: string; Tags: { name: string; value: string }[] }[];
    expect(reply.Tags).to.deep.include({ name: "Ticker", value: "PNTS" });
    expect(reply.Tags.map((t) => t.name)).to.include.members(["Name", "Ticker", "Denomination"]);
    // aoconnect's placeholder Owner ("1234") is the zero sender
    expect(reply.Target).to.equal(`0x${"0".repeat(40)}`);
    // with an Owner (an Ethereum address), the balance is read for that sender
    const owner = stack.accounts[0].address;
    const bal = await ao(stack.su.url).dryrun({
      process: processHex,
      Owner: owner,
      tags: [{ name: "Action", value: "Balance" }],
    });
    const [b] = bal.Messages as { Target: string; Tags: { name: string; value: string }[] }[];
    expect(b.Target).to.equal(owner.toLowerCase());
    expect(b.Tags).to.deep.include({ name: "Account", value: owner.toLowerCase() });
    // nothing was stored: the CU is still at slot 1
    const state = (await (await fetch(`${cu!.url}/state/${processHex}`)).json()) as { slot: number };
    expect(state.slot).to.equal(1);
  });

  it("dryrun: JSON without required fields or for another process is refused with a named 400", async function () {
    const post = async (body: unknown, process = processTarget) => {
      const r = await fetch(`${cu!.url}/dry-run?process-id=${process}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return { status: r.status, body: (await r.json()) as { error: string; field?: string } };
    };
    const full = { Id: "1234", Target: processTarget, Owner: "1234", Data: "", Tags: [] };
    const without = (key: string) => Object.fromEntries(Object.entries(full).filter(([k]) => k !== key));
    const noTags = without("Tags");
    expect(await post(noTags)).to.deep.include({ status: 400 });
    expect((await post(noTags)).body).to.deep.include({ error: "MalformedDryRun", field: "body.Tags" });
    const noTarget = without("Target");
    expect((await post(noTarget)).body).to.deep.include({ error: "MalformedDryRun", field: "body.Target" });
    expect((await post({ ...full, Tags: [{ name: "Action" }] })).body).to.deep.include({
      error: "MalformedDryRun",
    });
    expect((await post(null)).body.error).to.equal("MalformedDryRun");
    const other = `0x${"11".repeat(32)}`;
    expect(await post({ ...full, Target: other })).to.deep.include({ status: 400 });
    expect((await post({ ...full, Target: other })).body).to.deep.include({ error: "TargetMismatch" });
    const bad = await post(full, processTarget.slice(2));
    expect(bad.body).to.deep.include({ error: "ValidationError", field: "query.process-id" });
  });

  it("spawn: a Process item with bad Holo tags is refused by the SU (MalformedDataItem), nothing held", async function () {
    const args = await spawnArgs();
    let error: Error | undefined;
    try {
      await ao(stack.su.url).spawn({
        ...args,
        tags: args.tags.map((t) => (t.name === "Holo-Owner" ? { ...t, value: "nobody" } : t)),
      });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message)
      .to.match(/400/)
      .and.to.match(/MalformedDataItem/)
      .and.to.match(/Holo-Owner/);
    const root = (await (await fetch(stack.su.url)).json()) as { Pending: string[] };
    expect(root.Pending).to.deep.equal([]);
    const malformed = await fetch(`${stack.su.url}/pending/not-a-process`);
    expect(malformed.status).to.equal(400);
    expect(((await malformed.json()) as { error: string }).error).to.equal("MalformedId");
  });

  it("message: with returnAssignmentSlot, aoconnect locates the SU by its Scheduler-Location and returns the slot it assigned", async function () {
    // aoconnect calls locate(process), which asks https://su-router.ao-testnet.xyz first (unreachable offline,
    // and it does not know this process) and then the gateway for the process's Scheduler tag. Given the
    // scheduler's wallet as schedulerHint, locate reads only that wallet's Scheduler-Location record (here, on
    // ArLocal) and caches the SU's Url for the process for its Time-To-Live: aoconnect's locate finds it there.
    const located = await schedulerUtils.locate(processTarget, stack.arweaveAddress);
    expect(located).to.deep.equal({ url: stack.su.url, address: stack.arweaveAddress });
    const slot = await ao(stack.su.url).message({
      process: processTarget,
      signer: signer(),
      tags: [{ name: "Action", value: "Balance" }],
      data: "",
      returnAssignmentSlot: true,
    });
    expect(slot).to.equal("2");
    // the slot is the SU's: its log has this process's newest message at slot 2
    const log = (await (await fetch(`${stack.su.url}/${processTarget}?from=2`)).json()) as {
      edges: {
        node: {
          message: { id: string };
          assignment: { slot: number; tags: { name: string; value: string }[] };
        };
      }[];
    };
    expect(log.edges.map((e) => e.node.assignment.slot)).to.deep.equal([2]);
    expect(log.edges[0].node.assignment.tags).to.deep.include({ name: "Nonce", value: slot });
    const entry = (await (
      await fetch(`${stack.su.url}/${log.edges[0].node.message.id}?process-id=${processTarget}`)
    ).json()) as { assignment: { slot: number } };
    expect(entry.assignment.slot).to.equal(2);
  });

  it("message: with returnAssignmentSlot and returnMessageId, aoconnect returns {slot, id}: the next slot, the SU's entry for that id", async function () {
    const r = await ao(stack.su.url).message<{ slot: string; id: string }>({
      process: processTarget,
      signer: signer(),
      tags: [{ name: "Action", value: "Info" }],
      data: "",
      returnAssignmentSlot: true,
      returnMessageId: true,
    });
    expect(r).to.have.all.keys("slot", "id");
    expect(r.slot).to.equal("3");
    expect(r.id).to.match(/^[A-Za-z0-9_-]{43}$/);
    const entry = (await (await fetch(`${stack.su.url}/${r.id}?process-id=${processTarget}`)).json()) as {
      message: { id: string };
      assignment: { slot: number; process: string; tags: { name: string; value: string }[] };
    };
    expect(entry.message.id).to.equal(r.id);
    expect(entry.assignment).to.deep.include({ slot: 3, process: processHex });
    expect(entry.assignment.tags).to.deep.include({ name: "Nonce", value: "3" });
    expect(entry.assignment.tags).to.deep.include({ name: "Message", value: r.id });
    const root = (await (await fetch(stack.su.url)).json()) as { Processes: string[] };
    expect(root.Processes).to.include(processHex);
  });

  it("message: GET /:messageId names bad input: unknown message (NotFound), malformed ids, missing process-id", async function () {
    const get = async (url: string) => {
      const r = await fetch(`${stack.su.url}${url}`);
      return {
        status: r.status,
        body: (await r.json()) as { error: string; field?: string; message: string },
      };
    };
    const unknown = await get(`/${"A".repeat(43)}?process-id=${processTarget}`);
    expect(unknown).to.deep.include({ status: 404 });
    expect(unknown.body).to.deep.include({ error: "NotFound", field: "params.id" });
    // a message of this process asked of another (well-formed) process id
    const elsewhere = await get(`/${messageId}?process-id=0x${"11".repeat(32)}`);
    expect(elsewhere).to.deep.include({ status: 404 });
    expect(elsewhere.body.error).to.equal("NotFound");
    const badMessage = await get(`/not-a-message-id?process-id=${processTarget}`);
    expect(badMessage).to.deep.include({ status: 400 });
    expect(badMessage.body).to.deep.include({ error: "MalformedId", field: "params.id" });
    const badProcess = await get(`/${messageId}?process-id=${processTarget.slice(1)}`);
    expect(badProcess).to.deep.include({ status: 404 });
    expect(badProcess.body).to.deep.include({ error: "UnknownProcess", field: "query.process-id" });
    const empty = await get(`/${messageId}?process-id=`);
    expect(empty).to.deep.include({ status: 400 });
    expect(empty.body).to.deep.include({ error: "ValidationError", field: "query.process-id" });
    // without process-id, GET /:id reads a process's log: a message id is told so, with its process
    for (const id of [messageId, arweaveIdHex(messageId)]) {
      const missing = await get(`/${id}`);
      expect(missing).to.deep.include({ status: 400 });
      expect(missing.body).to.deep.include({ error: "MissingProcessId", field: "query.process-id" });
      expect(missing.body.message).to.include(`?process-id=${processTarget}`);
    }
    // an id that is neither a process here nor a message here stays UnknownProcess
    const neither = await get(`/${"A".repeat(43)}`);
    expect(neither).to.deep.include({ status: 404 });
    expect(neither.body.error).to.equal("UnknownProcess");
  });
});

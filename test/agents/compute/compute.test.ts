/** The compute unit's domain against a real chain (Hardhat over JSON-RPC) and a signed log. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import { hexlify } from "ethers";
import hre, { ethers } from "hardhat";

import { ChainClient } from "../../../agents/common/chain";
import { createLogger } from "../../../agents/common/log";
import type { Store } from "../../../agents/common/store";
import { createComputeApi } from "../../../agents/compute/api/routes";
import { ComputeSettings } from "../../../agents/compute/config";
import { ComputeUnit } from "../../../agents/compute/domain/compute";
import { startCompute } from "../../../agents/compute/main";
import { loadConfig } from "../../../agents/common/config";
import { createMetrics } from "../../../agents/common/metrics";
import { ComputeError } from "../../../agents/compute/domain/errors";
import { ListLogSource } from "../../../agents/compute/domain/log-source";
import { openComputeStore } from "../../../agents/compute/domain/store";
import { startJsonRpcServer, type RunningJsonRpcServer } from "../../../cli/lib/jsonrpc";
import { Process } from "../../../machine/process";
import type { SlotInput } from "../../../sdk/ts/dispute/trace";
import { assignMessages, deployGameSystem, traceOf, type GameSystem } from "../../helpers/game";
import { signAssignment } from "../../../sdk/ts/assignments";
import { accountKey } from "../scheduler/helpers";

const silent = createLogger({ agent: "cu-test", level: "silent" });

const SPECS = Array.from({ length: 6 }, (_, i) => ({
  tags: { Action: i % 2 === 0 ? "Increment" : "Get" },
  data: `message ${i}`,
}));

describe("agents/compute: ComputeUnit", function () {
  this.timeout(120_000);

  let server: RunningJsonRpcServer;
  let rpcUrl: string;
  let tmp: string;
  let sys: GameSystem;
  let log: SlotInput[];
  const open: { store: Store; chain: ChainClient }[] = [];

  before(async function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "holo-cu-"));
    server = await startJsonRpcServer(hre, "127.0.0.1", 0);
    rpcUrl = `http://127.0.0.1:${server.port}`;
  });

  beforeEach(async function () {
    sys = await deployGameSystem("counter");
    log = await assignMessages(sys, 0n, SPECS);
  });

  afterEach(function () {
    for (const o of open.splice(0)) {
      o.chain.close();
      o.store.close();
    }
  });

  after(async function () {
    await server.close(0);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function makeCu(
    file: string,
    source: ListLogSource,
    commitEverySlots = 3,
    now?: () => number,
    maxStepLimit?: bigint,
  ) {
    const store = openComputeStore(file);
    const chain = await ChainClient.connect({
      rpcUrl,
      wallet: accountKey(3), // deployGameSystem's cu
      db: store.db,
      chainId: 31337,
      confirmations: 0,
      pollMs: 25,
      retry: { windowMs: 5_000, baseMs: 50, maxMs: 400 },
      logger: silent,
    });
    open.push({ store, chain });
    const cu = await ComputeUnit.open({
      store,
      chain,
      resultRegistry: await sys.results.getAddress(),
      processRegistry: await sys.processes.getAddress(),
      source,
      processes: [{ id: sys.process, wasm: sys.wasm }],
      commitEverySlots,
      commitEveryMs: 60_000,
      logger: silent,
      pageSize: 4,
      now,
      maxStepLimit,
    });
    return { cu, store, chain };
  }

  function sourceOf(entries: readonly SlotInput[]): ListLogSource {
    const s = new ListLogSource();
    s.append(sys.process, entries);
    return s;
  }

  it("refuses to follow a process whose step limit is above maxStepLimit (StepLimitTooLarge), follows it at the bound", async function () {
    const limit = BigInt(sys.P.stepLimit);
    let caught: unknown;
    try {
      await makeCu(path.join(tmp, "steplimit.sqlite"), sourceOf(log), 3, undefined, limit - 1n);
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(ComputeError);
    expect((caught as ComputeError).code).to.equal("StepLimitTooLarge");
    expect((caught as ComputeError).message).to.include(String(limit));
    const { cu } = await makeCu(path.join(tmp, "steplimit-ok.sqlite"), sourceOf(log), 3, undefined, limit);
    expect(cu.processes).to.deep.equal([sys.process.toLowerCase()]);
  });

  it("evaluates the log as step mode does and posts commitments equal to CommitmentTrace.claim()", async function () {
    const { cu } = await makeCu(path.join(tmp, "a.sqlite"), sourceOf(log));
    expect(await cu.evaluate(sys.process)).to.equal(6);

    const step = Process.fromWasm(sys.wasm, { memoryLimitPages: sys.P.memoryPages });
    for (const [i, s] of log.entries()) {
      const out = step.handleMessage(s.message, { stepLimit: Number(sys.P.stepLimit) });
      const ev = cu.evaluation(sys.process, BigInt(i))!;
      expect(ev.resultHash).to.equal(hexlify(out.resultHash));
      expect(ev.stateHash).to.equal(hexlify(out.processHash));
      expect(ev.steps).to.equal(out.steps);
      expect(ev.result).to.deep.equal(out.result);
    }
    expect(cu.state(sys.process).slot).to.equal(5n);

    const ids = await cu.commit(sys.process);
    expect(ids).to.have.length(2);
    const rows = cu.commitments(sys.process);
    const claimA = traceOf(sys, log.slice(0, 3)).claim();
    const c0 = rows[0].commitment;
    expect([c0.firstSlot, c0.lastSlot, c0.stateHash, c0.resultsRoot, c0.lastAssignmentHash]).to.deep.equal([
      claimA.firstSlot,
      claimA.lastSlot,
      claimA.stateHash,
      claimA.resultsRoot,
      claimA.lastAssignmentHash,
    ]);
    expect(c0.parent).to.equal(ethers.ZeroHash);
    expect(rows[1].commitment.parent).to.equal(rows[0].id);
    expect(await sys.results.statusOf(c0)).to.equal(1n);
    expect(await sys.results.statusOf(rows[1].commitment)).to.equal(1n);

    // Finalization waits for the window, then goes in order.
    expect(await cu.finalize(sys.process)).to.deep.equal([]);
    await ethers.provider.send("evm_increaseTime", [Number(sys.P.challengeWindow) + 1]);
    await ethers.provider.send("evm_mine", []);
    expect(await cu.finalize(sys.process)).to.deep.equal(ids);
    expect(await sys.results.statusOf(c0)).to.equal(2n);
  });

  it("never posts the same range twice across a restart and keeps results", async function () {
    const file = path.join(tmp, "b.sqlite");
    const source = sourceOf(log.slice(0, 4));
    const first = await makeCu(file, source);
    await first.cu.evaluate(sys.process);
    const [id] = await first.cu.commit(sys.process);
    const before = first.cu.evaluations(sys.process, 0n, 10n, 100);
    first.chain.close();
    first.store.close();
    open.splice(0);

    source.append(sys.process, log.slice(4));
    const second = await makeCu(file, source);
    expect(second.cu.state(sys.process).slot).to.equal(3n);
    expect(second.cu.evaluations(sys.process, 0n, 3n, 100)).to.deep.equal(before);
    expect(await second.cu.commit(sys.process)).to.deep.equal([]);
    expect(await second.cu.evaluate(sys.process)).to.equal(2);
    const ids = await second.cu.commit(sys.process);
    expect(ids).to.have.length(1);
    const rows = second.cu.commitments(sys.process);
    expect(rows.map((r) => [r.commitment.firstSlot, r.commitment.lastSlot])).to.deep.equal([
      [0n, 2n],
      [3n, 5n],
    ]);
    expect(rows[0].id).to.equal(id);
    const claim = traceOf(sys, log).claim();
    expect(rows[1].commitment.stateHash).to.equal(claim.stateHash);
    expect(rows[1].commitment.lastAssignmentHash).to.equal(claim.lastAssignmentHash);
  });

  it("refuses to start when re-evaluation would change a stored result", async function () {
    const file = path.join(tmp, "h.sqlite");
    const first = await makeCu(file, sourceOf(log.slice(0, 2)));
    await first.cu.evaluate(sys.process);
    first.store.db.prepare("UPDATE evaluations SET result_hash = ? WHERE slot = 1").run(ethers.id("other"));
    first.chain.close();
    first.store.close();
    open.splice(0);
    const err = await makeCu(file, sourceOf(log)).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ComputeError);
    expect((err as ComputeError).code).to.equal("ResultsChanged");
  });

  it("re-sends a commitment recorded but not marked posted before a crash, under the same opId", async function () {
    const file = path.join(tmp, "c.sqlite");
    const first = await makeCu(file, sourceOf(log.slice(0, 3)));
    await first.cu.evaluate(sys.process);
    const [id] = await first.cu.commit(sys.process);
    // A crash after the transaction, before the row was marked: the row is still "posting".
    first.store.db.prepare("UPDATE commitments SET status = 'posting', deadline = NULL").run();
    first.chain.close();
    first.store.close();
    open.splice(0);

    const blocks = await ethers.provider.getBlockNumber();
    const second = await makeCu(file, sourceOf(log.slice(0, 3)));
    expect(await second.cu.commit(sys.process)).to.deep.equal([id]);
    expect(await ethers.provider.getBlockNumber()).to.equal(blocks); // nothing sent again
    expect(second.cu.commitments(sys.process).map((r) => r.status)).to.deep.equal(["posted"]);
    expect(await second.cu.commit(sys.process)).to.deep.equal([]);
  });

  it("commits a partial range once commitEveryMs has passed", async function () {
    let t = 1_000;
    const { cu } = await makeCu(path.join(tmp, "d.sqlite"), sourceOf(log.slice(0, 2)), 10, () => t);
    await cu.evaluate(sys.process);
    expect(await cu.commit(sys.process)).to.deep.equal([]);
    t += 60_000;
    expect(await cu.commit(sys.process)).to.have.length(1);
    const c = cu.commitments(sys.process)[0].commitment;
    expect(c.resultsRoot).to.equal(traceOf(sys, log.slice(0, 2)).claim().resultsRoot);
  });

  it("stops on a tampered message, a broken chain or a forged signature, without committing", async function () {
    const tampered = log.map((s) => ({ ...s }));
    tampered[2] = { ...tampered[2], message: new Uint8Array([...tampered[2].message.slice(0, -1), 0x21]) };
    const a = await makeCu(path.join(tmp, "e1.sqlite"), sourceOf(tampered));
    const err = await a.cu.evaluate(sys.process).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ComputeError);
    expect((err as ComputeError).code).to.equal("HashMismatch");
    expect(a.cu.state(sys.process).slot).to.equal(1n);
    expect(await a.cu.evaluate(sys.process).catch((e: ComputeError) => e.code)).to.equal("HashMismatch");
    expect(await a.cu.commit(sys.process)).to.deep.equal([]);

    const broken = [...log.slice(0, 2), ...log.slice(3)];
    const b = await makeCu(path.join(tmp, "e2.sqlite"), sourceOf(broken));
    expect(await b.cu.evaluate(sys.process).catch((e: ComputeError) => e.code)).to.equal("SlotGap");

    const rechained = await assignMessages(sys, 2n, SPECS.slice(2), ethers.id("not the previous"));
    const c = await makeCu(path.join(tmp, "e3.sqlite"), sourceOf([...log.slice(0, 2), ...rechained]));
    expect(await c.cu.evaluate(sys.process).catch((e: ComputeError) => e.code)).to.equal("ChainBroken");

    const forged = await assignMessages(sys, 0n, SPECS, ethers.ZeroHash, sys.watcher);
    const d = await makeCu(path.join(tmp, "e4.sqlite"), sourceOf(forged));
    expect(await d.cu.evaluate(sys.process).catch((e: ComputeError) => e.code)).to.equal("BadSignature");
    expect(d.cu.state(sys.process).slot).to.equal(-1n);
  });

  it("test_evaluate_signedLengthNotTheMessages_refusedAsLengthMismatch_nothingEvaluatedOrCommitted", async function () {
    // The scheduler signs slot 2 with the message's true hash but another length (one byte more, one
    // less, 2 MB): a broken log, like a hash mismatch. Slots 0 and 1 are evaluated, nothing from slot 2 on.
    const bytes = log[2].message.length;
    for (const [i, messageLength] of [bytes + 1, bytes - 1, 2 * 1024 * 1024].entries()) {
      const assignment = { ...log[2].assignment, messageLength };
      const lying = {
        ...log[2],
        assignment,
        signature: await signAssignment(sys.scheduler, sys.domain, assignment),
      };
      const a = await makeCu(path.join(tmp, `len${i}.sqlite`), sourceOf([...log.slice(0, 2), lying]));
      const err = await a.cu.evaluate(sys.process).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ComputeError);
      expect((err as ComputeError).code).to.equal("LengthMismatch");
      expect((err as ComputeError).message).to.contain(`not the assignment's messageLength ${messageLength}`);
      expect(a.cu.state(sys.process).slot).to.equal(1n);
      expect(await a.cu.evaluate(sys.process).catch((e: ComputeError) => e.code)).to.equal("LengthMismatch");
      expect(await a.cu.commit(sys.process)).to.deep.equal([]);
    }
  });

  it("dry-runs a message on a copy of the state", async function () {
    const { cu } = await makeCu(path.join(tmp, "f.sqlite"), sourceOf(log.slice(0, 5)));
    await cu.evaluate(sys.process);
    const state = cu.state(sys.process);
    const dry = cu.dryRun(sys.process, log[5].message);
    expect(cu.state(sys.process)).to.deep.equal(state);
    const step = Process.fromWasm(sys.wasm, { memoryLimitPages: sys.P.memoryPages });
    let last;
    for (const s of log) last = step.handleMessage(s.message, { stepLimit: Number(sys.P.stepLimit) });
    expect(dry.resultHash).to.equal(hexlify(last!.resultHash));
  });

  it("serves results, state and dry runs in AO's shape, with named 4xx errors", async function () {
    const { cu } = await makeCu(path.join(tmp, "g.sqlite"), sourceOf(log.slice(0, 5)));
    await cu.evaluate(sys.process);
    const app = createComputeApi({
      cu,
      logger: silent,
      metrics: createMetrics({ agent: "cu", defaultMetrics: false }),
    });
    const p = sys.process;
    const get = async (url: string) => {
      const r = await app.inject({ method: "GET", url });
      return { status: r.statusCode, body: r.json<Record<string, unknown>>() };
    };
    const one = await get(`/result/${log[2].assignment.messageId}?process-id=${p}`);
    expect(one.status).to.equal(200);
    expect(one.body.Slot).to.equal(2);
    expect(one.body.ResultHash).to.equal(cu.evaluation(p, 2n)!.resultHash);
    expect(one.body).to.include.keys("Output", "Messages", "Spawns");

    const page = await get(`/results/${p}?from=1&to=3&limit=2`);
    expect(page.status).to.equal(200);
    const edges = page.body.edges as { cursor: string }[];
    expect(edges.map((e) => e.cursor)).to.deep.equal(["1", "2"]);
    expect((page.body.page_info as { has_next_page: boolean }).has_next_page).to.equal(true);

    const state = await get(`/state/${p}`);
    expect(state.body).to.deep.include({ slot: 4, stateHash: cu.state(p).stateHash });

    const dry = await app.inject({
      method: "POST",
      url: `/dry-run?process-id=${p}`,
      headers: { "content-type": "application/octet-stream" },
      payload: Buffer.from(log[5].message),
    });
    expect(dry.statusCode).to.equal(200);
    expect(cu.state(p).slot).to.equal(4n);

    const unknown = ethers.id("no such process");
    expect((await get(`/state/${unknown}`)).body.error).to.equal("UnknownProcess");
    expect((await get(`/state/${unknown}`)).status).to.equal(404);
    expect((await get(`/result/${ethers.id("nope")}?process-id=${p}`)).body.error).to.equal("UnknownMessage");
    expect((await get(`/result/x`)).status).to.equal(400);
    expect((await get(`/results/${p}?from=3&to=1`)).body.error).to.equal("BadRange");
    expect((await get(`/results/${p}?from=-1`)).status).to.equal(400);
    expect((await get(`/state/0x12`)).status).to.equal(400);
    await app.close();
  });

  it("runs from its settings: evaluates, commits, serves /state and holo_cu_* metrics, stops", async function () {
    const wasmFile = path.join(tmp, "counter.wasm");
    fs.writeFileSync(wasmFile, sys.wasm);
    const config = loadConfig(ComputeSettings, {
      env: {},
      flags: {
        rpcUrl,
        privateKey: accountKey(3),
        resultRegistry: await sys.results.getAddress(),
        processRegistry: await sys.processes.getAddress(),
        suUrl: "http://127.0.0.1:1",
        storePath: path.join(tmp, "main.sqlite"),
        port: 0,
        processes: [{ id: sys.process, wasm: wasmFile }],
        commitEverySlots: 3,
        pollMs: "1h",
      },
    });
    const running = await startCompute(config, silent, { source: sourceOf(log) });
    try {
      await running.tick();
      expect(running.cu.commitments(sys.process)).to.have.length(2);
      const state = (await (await fetch(`${running.url}/state/${sys.process}`)).json()) as { slot: number };
      expect(state.slot).to.equal(5);
      const metrics = await (await fetch(`${running.url}/metrics`)).text();
      expect(metrics).to.match(/holo_cu_slots_evaluated_total 6/);
      expect(metrics).to.match(/holo_cu_commitments_posted_total 2/);
    } finally {
      await running.stop();
    }
  });
});

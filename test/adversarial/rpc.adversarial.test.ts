/**
 * Threat-model row 40 (docs/threat-model.md): an RPC returning **well-formed false values**. A JSON-RPC proxy
 * in front of the Hardhat node rewrites chosen answers (a commitment's status from `eth_call`, the latest
 * block's number, a game's state) while staying a perfectly valid JSON-RPC server. The watcher uses the
 * proxy as its RPC and the honest node as its cross-check RPC (`crossCheckRpcUrls`): it does not act on the
 * lie, pages `rpcDisagreement` and counts `holo_chain_rpc_disagreements_total`; once the lie stops it acts.
 * With the lying RPC alone (no cross-check) the documented limit is shown: the watcher believes the lie. The
 * compute unit gets the same defence (its prune/rebase reads of the finalized tip).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import type { Result } from "ethers";
import hre, { ethers } from "hardhat";

import { RpcDisagreementError } from "../../agents/common/chain";
import { createMetrics } from "../../agents/common/metrics";
import { GAME_STATUS } from "../../agents/common/games";
import { ListLogSource } from "../../agents/compute/domain/log-source";
import { startWatcher, type RunningWatcher } from "../../agents/watcher/main";
import { startJsonRpcServer, type RunningJsonRpcServer } from "../../cli/lib/jsonrpc";
import { liarTrace } from "../../sdk/ts/dispute";
import { commitmentId, type Commitment } from "../../sdk/ts/results";
import {
  assignMessages,
  deployGameSystem,
  increaseTime,
  postClaim,
  traceOf,
  type GameSystem,
} from "../helpers/game";
import { CuFixture } from "../agents/compute/helpers";
import { gameWatcherConfig } from "../agents/watcher/helpers";
import {
  capturingLogger,
  jsonAnswer,
  rpcMethods,
  startTamperingProxy,
  type ProxiedRequest,
  type ProxiedResponse,
  type TamperingProxy,
} from "./agent-helpers";

const SPECS = [
  { tags: { Action: "Increment" }, data: "a" },
  { tags: { Action: "Get" }, data: "b" },
  { tags: { Action: "Increment" }, data: "c" },
];

/** The JSON-RPC request of a proxied request (single requests only). */
function single(req: ProxiedRequest): { id: unknown; method: string; params: unknown[] } | undefined {
  if (rpcMethods(req).length !== 1) return undefined;
  return JSON.parse(req.body.toString("utf8")) as { id: unknown; method: string; params: unknown[] };
}

/** An `eth_call` answer rewritten when the call's selector is `selector`. */
function lieAboutCall(selector: string, rewrite: (result: string) => string) {
  return (req: ProxiedRequest, res: ProxiedResponse | undefined) => {
    const r = single(req);
    if (res === undefined || r?.method !== "eth_call") return undefined;
    const data = String((r.params[0] as { data?: string; input?: string }).data ?? "");
    if (!data.startsWith(selector)) return undefined;
    const body = JSON.parse(res.body.toString("utf8")) as { result?: string };
    if (typeof body.result !== "string") return undefined;
    return jsonAnswer({ jsonrpc: "2.0", id: r.id, result: rewrite(body.result) });
  };
}

describe("adversarial: an RPC returning well-formed false values (threat model row 40)", function () {
  this.timeout(180_000);

  let rpc: RunningJsonRpcServer;
  let rpcUrl: string;
  let tmp: string;

  before(async function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "holo-adv-rpc-"));
    rpc = await startJsonRpcServer(hre, "127.0.0.1", 0);
    rpcUrl = `http://127.0.0.1:${rpc.port}`;
  });

  after(async function () {
    await rpc?.close(0);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** A fresh system with a wrong commitment over slots 0..2 posted by the CU account. */
  async function wrongCommitment(): Promise<{ sys: GameSystem; source: ListLogSource; wrong: Commitment }> {
    const sys = await deployGameSystem("counter");
    const log = await assignMessages(sys, 0n, SPECS);
    const source = new ListLogSource();
    source.append(sys.process, log);
    const liar = liarTrace(traceOf(sys, log), { fromPosition: (1n << 32n) + 5n, salt: "rpc lie" });
    const { commitment } = await postClaim(sys, sys.cu, liar);
    return { sys, source, wrong: commitment };
  }

  async function watcherOn(
    sys: GameSystem,
    source: ListLogSource,
    name: string,
    primary: string,
    crossCheck: string[],
  ): Promise<{ w: RunningWatcher; lines: Record<string, unknown>[] }> {
    const wasmFile = path.join(tmp, `${name}.wasm`);
    fs.writeFileSync(wasmFile, sys.wasm);
    const config = gameWatcherConfig(
      sys,
      { rpcUrl: primary, wasm: wasmFile, storePath: path.join(tmp, `${name}.sqlite`) },
      { crossCheckRpcUrls: crossCheck },
    );
    const { logger, lines } = capturingLogger("watcher");
    const w = await startWatcher(config, logger, { source, loop: false });
    return { w, lines };
  }

  async function gamesAgainst(sys: GameSystem, id: string): Promise<number> {
    return (await sys.game.queryFilter(sys.game.filters.GameOpened(undefined, id), 0, "latest")).length;
  }

  async function disagreements(w: RunningWatcher, method: string): Promise<number> {
    const text = await (await fetch(`${w.url}/metrics`)).text();
    const m = new RegExp(`^holo_chain_rpc_disagreements_total\\{method="${method}"\\} (\\d+)`, "m").exec(
      text,
    );
    return m === null ? 0 : Number(m[1]);
  }

  const pages = (lines: Record<string, unknown>[]) => lines.filter((l) => l.event === "page.rpcDisagreement");

  let proxy: TamperingProxy;
  beforeEach(async function () {
    proxy = await startTamperingProxy(rpcUrl);
  });
  afterEach(async function () {
    await proxy.close();
  });

  it("test_rpcLie_commitmentStatusRejected_crossChecked_watcherPagesAndDoesNotAct_thenChallengesOnce_succeeds", async function () {
    const { sys, source, wrong } = await wrongCommitment();
    const id = commitmentId(wrong);
    const { w, lines } = await watcherOn(sys, source, "w-status", proxy.url, [rpcUrl]);
    try {
      // statusOf(c) answers Rejected (3) through the primary: a watcher believing it would never challenge.
      const selector = sys.results.interface.getFunction("statusOf")!.selector;
      proxy.tamper = lieAboutCall(selector, () => ethers.zeroPadValue("0x03", 32));
      for (let round = 0; round < 3; round++) await w.tick();
      expect(proxy.tampered).to.be.greaterThan(0);
      const check = w.watcher.check(id)!;
      expect(check.verdict).to.equal("disagree");
      expect(check.gameId).to.equal(null); // not given up (`''`), not challenged: retried
      expect(await gamesAgainst(sys, id)).to.equal(0);
      expect(lines.some((l) => l.event === "watcher.commitment.rejected")).to.equal(false);
      const paged = pages(lines);
      expect(paged).to.have.length(1); // once a minute per method, however many rounds
      expect(paged[0].level).to.equal("error");
      expect(paged[0].method).to.equal("eth_call");
      expect(await disagreements(w, "eth_call")).to.be.greaterThanOrEqual(3);

      // The lie stops: the same watcher challenges, once.
      proxy.tamper = undefined;
      await w.tick();
      await w.tick();
      const after = w.watcher.check(id)!;
      expect(after.gameId).to.match(/^0x[0-9a-f]{64}$/);
      expect(Number((await sys.game.game(after.gameId!)).status)).to.equal(GAME_STATUS.Active);
      expect(await gamesAgainst(sys, id)).to.equal(1);
    } finally {
      await w.stop();
    }
  });

  it("test_rpcLie_fakeHeadBlockNumber_crossChecked_noCommitmentScannedPastTheLie_thenProceeds_succeeds", async function () {
    const { sys, source, wrong } = await wrongCommitment();
    const id = commitmentId(wrong);
    const { w, lines } = await watcherOn(sys, source, "w-head", proxy.url, [rpcUrl]);
    try {
      // The latest block and the block number are a million blocks ahead: a watcher believing it would move
      // its event cursor past every block still to come, and miss every later commitment.
      const bump = (hex: string) => ethers.toQuantity(BigInt(hex) + 1_000_000n);
      proxy.tamper = (req, res) => {
        const r = single(req);
        if (res === undefined || r === undefined) return undefined;
        const body = JSON.parse(res.body.toString("utf8")) as { result?: unknown };
        if (r.method === "eth_blockNumber" && typeof body.result === "string") {
          return jsonAnswer({ jsonrpc: "2.0", id: r.id, result: bump(body.result) });
        }
        if (r.method === "eth_getBlockByNumber" && r.params[0] === "latest" && body.result !== null) {
          const block = body.result as { number: string };
          return jsonAnswer({ jsonrpc: "2.0", id: r.id, result: { ...block, number: bump(block.number) } });
        }
        return undefined;
      };
      await w.tick();
      await w.tick();
      expect(proxy.tampered).to.be.greaterThan(0);
      expect(w.watcher.checks()).to.deep.equal([]); // nothing scanned, the cursor did not move
      const paged = pages(lines);
      expect(paged.length).to.be.greaterThan(0);
      expect(paged[0].method).to.equal("head");
      expect(await disagreements(w, "head")).to.be.greaterThan(0);

      proxy.tamper = undefined;
      await w.tick();
      await w.tick();
      expect(w.watcher.check(id)?.verdict).to.equal("disagree");
      expect(w.watcher.check(id)?.gameId).to.match(/^0x[0-9a-f]{64}$/);
      expect(await gamesAgainst(sys, id)).to.equal(1);
    } finally {
      await w.stop();
    }
  });

  it("test_rpcLie_gameStateNotOurTurn_crossChecked_playerPagesInsteadOfWaiting_thenMoves_succeeds", async function () {
    const { sys, source, wrong } = await wrongCommitment();
    const { w, lines } = await watcherOn(sys, source, "w-game", proxy.url, [rpcUrl]);
    try {
      // Once the game is open, its state says it is the asserter's turn: a player believing it would wait
      // for a move that never comes, and lose on time.
      const fn = sys.game.interface.getFunction("game")!;
      const names = fn.outputs[0].components!.map((c) => c.name);
      proxy.tamper = lieAboutCall(fn.selector, (result) => {
        const values = (ethers.AbiCoder.defaultAbiCoder().decode(fn.outputs, result)[0] as Result).toArray();
        if (Number(values[names.indexOf("status")]) !== GAME_STATUS.Active) return result;
        values[names.indexOf("turn")] = 0n;
        return ethers.AbiCoder.defaultAbiCoder().encode(fn.outputs, [values]);
      });
      await w.tick(); // challenges (the game does not exist yet: no lie), then plays
      await w.tick();
      expect(proxy.tampered).to.be.greaterThan(0);
      const gameId = w.watcher.check(commitmentId(wrong))!.gameId!;
      expect(gameId).to.match(/^0x[0-9a-f]{64}$/);
      const before = await sys.game.game(gameId);
      expect(Number(before.turn)).to.equal(1); // in truth the challenger's turn: ours
      expect(await sys.game.queryFilter(sys.game.filters.Bisected(gameId))).to.have.length(0); // no move on the lie
      expect(pages(lines).some((l) => l.method === "eth_call")).to.equal(true);
      expect(w.player.gameRecord(gameId)!.moves).to.equal(0);

      proxy.tamper = undefined;
      await w.tick();
      const after = await sys.game.game(gameId);
      expect(after.segmentHash).to.not.equal(before.segmentHash);
      expect(Number(after.turn)).to.equal(0);
      expect(w.player.gameRecord(gameId)!.moves).to.equal(1);
    } finally {
      await w.stop();
    }
  });

  it("test_rpcLie_latestFinalizedFakeTip_crossChecked_cuNeitherPrunesNorFinalizes_thenFinalizes_succeeds", async function () {
    // The CU's prune and rebase act on `latestFinalized` (a sibling's finalized tip supersedes its chain). A
    // primary RPC inventing a tip over the CU's slots would make it prune its own good commitment.
    const sys = await deployGameSystem("counter");
    const log = await assignMessages(sys, 0n, SPECS);
    const source = new ListLogSource();
    source.append(sys.process, log);
    const metrics = createMetrics({ agent: "cu", defaultMetrics: false });
    const { logger, lines } = capturingLogger("cu");
    const fx = new CuFixture();
    fx.rpcUrl = rpcUrl;
    fx.tmp = tmp;
    const { cu, store } = await fx.makeCu(sys, path.join(tmp, "cu-tip.sqlite"), source, {
      commitEverySlots: SPECS.length,
      metrics,
      via: { rpcUrl: proxy.url, crossCheckRpcUrls: [rpcUrl], logger },
    });
    try {
      expect(await cu.evaluate(sys.process)).to.equal(SPECS.length);
      const [id] = await cu.commit(sys.process);
      expect(id).to.match(/^0x[0-9a-f]{64}$/);
      await increaseTime(sys.P.challengeWindow + 1n);

      const selector = sys.results.interface.getFunction("latestFinalized")!.selector;
      const fakeTip = ethers.id("a tip that was never posted");
      proxy.tamper = lieAboutCall(selector, () =>
        ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "uint64"], [fakeTip, SPECS.length]),
      );
      const refused = async (step: Promise<unknown>) => {
        const error = await step.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, "acted on the lie").to.be.instanceOf(RpcDisagreementError);
      };
      for (let round = 0; round < 3; round++) {
        await refused(cu.prune(sys.process));
        await refused(cu.finalize(sys.process));
      }
      expect(proxy.tampered).to.be.greaterThan(0);
      const ops = store.db.prepare("SELECT opId FROM chain_ops").all() as { opId: string }[];
      expect(ops.filter((o) => !o.opId.startsWith("post:")).map((o) => o.opId)).to.deep.equal([]);
      expect(cu.commitments(sys.process).map((r) => r.status)).to.deep.equal(["posted"]);
      expect(Number(await sys.results.statusOf(cu.commitments(sys.process)[0].commitment))).to.equal(1);
      const paged = pages(lines);
      expect(paged).to.have.length(1);
      expect(paged[0].method).to.equal("eth_call");
      const counted = (await metrics.registry.getSingleMetric("holo_chain_rpc_disagreements_total")!.get())
        .values;
      expect(counted.find((v) => v.labels.method === "eth_call")?.value ?? 0).to.be.greaterThanOrEqual(3);

      // The lie stops: nothing to prune, and the commitment finalizes.
      proxy.tamper = undefined;
      expect(await cu.prune(sys.process)).to.deep.equal([]);
      expect(await cu.finalize(sys.process)).to.deep.equal([id]);
      expect(cu.commitments(sys.process).map((r) => r.status)).to.deep.equal(["finalized"]);
    } finally {
      fx.closeAll();
    }
  });

  it("test_rpcLie_singleLyingRpc_noCrossCheck_watcherBelievesTheLie_documentedLimit", async function () {
    const { sys, source, wrong } = await wrongCommitment();
    const id = commitmentId(wrong);
    const { w, lines } = await watcherOn(sys, source, "w-alone", proxy.url, []);
    try {
      const selector = sys.results.interface.getFunction("statusOf")!.selector;
      proxy.tamper = lieAboutCall(selector, () => ethers.zeroPadValue("0x03", 32));
      await w.tick();
      await w.tick();
      // The limit (docs/threat-model.md row 40): with one RPC a well-formed lie is believed. The wrong
      // commitment is taken as already rejected and never challenged, and nothing pages rpcDisagreement.
      expect(proxy.tampered).to.be.greaterThan(0);
      expect(lines.some((l) => l.event === "watcher.commitment.rejected")).to.equal(true);
      expect(w.watcher.check(id)).to.include({ verdict: "disagree", gameId: null });
      expect(await gamesAgainst(sys, id)).to.equal(0);
      expect(pages(lines)).to.have.length(0);
      expect(await sys.results.statusOf(wrong)).to.equal(1n); // still Pending on chain: it can finalize
      proxy.tamper = undefined;
      await w.tick();
      expect(await gamesAgainst(sys, id)).to.equal(0); // and the watcher does not come back to it
    } finally {
      await w.stop();
    }
  });
});

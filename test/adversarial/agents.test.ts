/**
 * Agent-side attacks (issue 8, docs/threat-model.md): each describe is one attack on the real agents,
 * against the Hardhat chain over JSON-RPC, ArLocal and a real scheduler unit. Nothing under attack is
 * mocked: the attacker is an HTTP server or a proxy in front of a real component.
 *
 * - "attack: malicious CU API" — a CU's HTTP API serving wrong results changes no verdict of the watcher.
 * - "attack: malicious gateway" — a proxy in front of ArLocal tampering with data, order, items and tags.
 * - "attack: tampering SU proxy" — the CU's SU client refuses a log changed on the way.
 * - "attack: reorg after a commitment post" — the CU notices its commitment is gone and posts it again;
 *   the GamePlayer makes a reorganised-away move again (both: same opId, once).
 * - "attack: lying RPC (errors and garbage)" / "attack: lying RPC (watcher)" — errors and garbage from the
 *   RPC: the CU and the watcher retry, nothing is done twice or on garbage, the verdicts are the honest ones.
 * - "attack: clock skew" — a chain whose time is far ahead of the agents' clocks, or a wall clock a day
 *   behind: moves and timeouts by chain time.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import ArLocal from "arlocal";
import { expect } from "chai";
import hre, { ethers } from "hardhat";

import {
  ArweaveClient,
  createSignedMessage,
  verifyDataItem,
  WalletFunding,
} from "../../agents/common/arweave";
import { ChainClient } from "../../agents/common/chain";
import { loadConfig } from "../../agents/common/config";
import { GamePlayer, GAME_STATUS } from "../../agents/common/games";
import { openStore, type Store } from "../../agents/common/store";
import { ComputeUnit } from "../../agents/compute/domain/compute";
import { ComputeError } from "../../agents/compute/domain/errors";
import { ListLogSource, type LogSource } from "../../agents/compute/domain/log-source";
import { openComputeStore } from "../../agents/compute/domain/store";
import { SuLogSource } from "../../agents/compute/domain/su-client";
import { SchedulerSettings } from "../../agents/scheduler/config";
import { assignmentTags } from "../../agents/scheduler/domain/publisher";
import { canonicalEncoding } from "../../agents/scheduler/domain/scheduler";
import { startScheduler, type RunningScheduler } from "../../agents/scheduler/main";
import { ArweaveLogSource } from "../../agents/watcher/domain/arweave-log";
import { startWatcher } from "../../agents/watcher/main";
import { startJsonRpcServer, type RunningJsonRpcServer } from "../../cli/lib/jsonrpc";
import { Process } from "../../machine/process";
import { assignmentHash, signAssignment } from "../../sdk/ts/assignments";
import { liarTrace, type GameTrace, type SlotInput } from "../../sdk/ts/dispute";
import { commitmentId, type Commitment } from "../../sdk/ts/results";
import {
  assignMessages,
  deployGameSystem,
  increaseTime,
  postClaim,
  stakeSolvent,
  traceOf,
  type GameSystem,
} from "../helpers/game";
import { accountKey, arweaveWallet, message } from "../agents/scheduler/helpers";
import { gameWatcherConfig } from "../agents/watcher/helpers";
import {
  capturingLogger,
  freePort,
  jsonAnswer,
  rpcMethods,
  startTamperingProxy,
  type ProxiedResponse,
  type TamperingProxy,
} from "./agent-helpers";

const silent = capturingLogger("adversarial").logger;

const SPECS = Array.from({ length: 9 }, (_, i) => ({
  tags: { Action: i % 2 === 0 ? "Increment" : "Get" },
  data: `message ${i}`,
}));

describe("adversarial: agents", function () {
  this.timeout(120_000);

  let rpc: RunningJsonRpcServer;
  let rpcUrl: string;
  let tmp: string;
  const open: { store: Store; chain: ChainClient }[] = [];

  before(async function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "holo-adv-"));
    rpc = await startJsonRpcServer(hre, "127.0.0.1", 0);
    rpcUrl = `http://127.0.0.1:${rpc.port}`;
  });

  afterEach(function () {
    for (const o of open.splice(0)) {
      o.chain.close();
      o.store.close();
    }
  });

  after(async function () {
    await rpc?.close(0);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function chainFor(store: Store, account: number, url = rpcUrl): Promise<ChainClient> {
    const chain = await ChainClient.connect({
      rpcUrl: url,
      wallet: accountKey(account),
      db: store.db,
      chainId: 31337,
      confirmations: 0,
      pollMs: 25,
      retry: { windowMs: 3_000, baseMs: 20, maxMs: 200 },
      waitTimeoutMs: 10_000,
      logger: silent,
    });
    open.push({ store, chain });
    return chain;
  }

  async function makeCu(sys: GameSystem, name: string, source: LogSource, url = rpcUrl) {
    const store = openComputeStore(path.join(tmp, `${name}.sqlite`));
    const chain = await chainFor(store, 3, url);
    const cu = await ComputeUnit.open({
      store,
      chain,
      resultRegistry: await sys.results.getAddress(),
      processRegistry: await sys.processes.getAddress(),
      source,
      processes: [{ id: sys.process, wasm: sys.wasm }],
      commitEverySlots: 3,
      commitEveryMs: 3_600_000,
      logger: silent,
      pageSize: 4,
    });
    return { cu, store, chain };
  }

  async function makePlayer(sys: GameSystem, name: string, account: number, trace: GameTrace) {
    const { logger, lines } = capturingLogger(name);
    const store = openStore(path.join(tmp, `${name}.sqlite`), []);
    const chain = await chainFor(store, account);
    const player = await GamePlayer.open({
      store,
      chain,
      disputeGame: await sys.game.getAddress(),
      resultRegistry: await sys.results.getAddress(),
      stakeManager: await sys.stake.getAddress(),
      traceFor: () => Promise.resolve(trace),
      logger,
      marginSec: 60,
    });
    return { player, lines };
  }

  /** CommitmentPosted events of `sys` for commitment `id`. */
  async function postedEvents(sys: GameSystem, id: string): Promise<number> {
    const events = await sys.results.queryFilter(sys.results.filters.CommitmentPosted(), 0, "latest");
    return events.filter((e) => (e.args as unknown as { id: string }).id === id).length;
  }

  describe("attack: reorg after a commitment post", function () {
    it("the CU notices its mined commitment is gone after a reorg and posts it again, once", async function () {
      const sys = await deployGameSystem("counter");
      const log = await assignMessages(sys, 0n, SPECS);
      const source = new ListLogSource();
      const { cu } = await makeCu(sys, "cu-reorg", source);

      source.append(sys.process, log.slice(0, 3));
      await cu.evaluate(sys.process);
      const [first] = await cu.commit(sys.process);
      expect(first).to.match(/^0x[0-9a-f]{64}$/);

      const snapshot = (await ethers.provider.send("evm_snapshot", [])) as string;
      source.append(sys.process, log.slice(3, 6));
      await cu.evaluate(sys.process);
      const [second] = await cu.commit(sys.process);
      const c2 = cu.commitments(sys.process).find((r) => r.id === second)!.commitment;
      expect(await sys.results.statusOf(c2)).to.equal(1n); // Pending

      // The block with the second post is reorganised away.
      expect(await ethers.provider.send("evm_revert", [snapshot])).to.equal(true);
      expect(await sys.results.statusOf(c2)).to.equal(0n); // gone

      // The next round notices and posts it again (same opId); then the third commitment chains onto it.
      source.append(sys.process, log.slice(6, 9));
      await cu.evaluate(sys.process);
      const posted = await cu.commit(sys.process);
      expect(await sys.results.statusOf(c2)).to.equal(1n);
      expect(posted).to.include(second);
      const rows = cu.commitments(sys.process);
      expect(rows.map((r) => r.status)).to.deep.equal(["posted", "posted", "posted"]);
      expect(rows[2].commitment.parent).to.equal(second);
      for (const r of rows) {
        expect(await sys.results.statusOf(r.commitment)).to.equal(1n);
        expect(await postedEvents(sys, r.id), r.id).to.equal(1); // no duplicate, no loss
      }
      // A further round sends nothing.
      const nonce = await ethers.provider.getTransactionCount(sys.cu.address);
      expect(await cu.commit(sys.process)).to.deep.equal([]);
      expect(await ethers.provider.getTransactionCount(sys.cu.address)).to.equal(nonce);
    });

    it("a game move reorganised away is made again by the GamePlayer", async function () {
      const sys = await deployGameSystem("counter");
      const log = await assignMessages(sys, 0n, SPECS.slice(0, 3));
      const honest = traceOf(sys, log);
      const liar = liarTrace(honest, { fromPosition: (1n << 32n) + 3n, salt: "reorg" });
      const { commitment } = await postClaim(sys, sys.cu, liar);
      const w = await makePlayer(sys, "w-reorg", 4, honest);
      const gameId = await w.player.challenge(commitment);

      const snapshot = (await ethers.provider.send("evm_snapshot", [])) as string;
      expect(Number((await sys.game.game(gameId)).turn)).to.equal(1); // the challenger moves first
      await w.player.tick();
      const moved = await sys.game.game(gameId);
      expect(Number(moved.turn)).to.equal(0); // the challenger bisected
      expect(await ethers.provider.send("evm_revert", [snapshot])).to.equal(true);
      expect(Number((await sys.game.game(gameId)).turn)).to.equal(1); // the move is gone

      await w.player.tick();
      const again = await sys.game.game(gameId);
      expect(Number(again.turn)).to.equal(0);
      expect(again.segmentHash).to.equal(moved.segmentHash); // the same move, made once more
      expect(Number(again.status)).to.equal(GAME_STATUS.Active);
    });
  });

  describe("attack: lying RPC (errors and garbage)", function () {
    it("the CU retries through RPC errors and malformed answers, posts each commitment once, and never acts on garbage", async function () {
      const sys = await deployGameSystem("counter");
      const log = await assignMessages(sys, 0n, SPECS.slice(0, 6));
      const proxy = await startTamperingProxy(rpcUrl);
      try {
        const { cu } = await makeCu(sys, "cu-rpc", new ListLogSource(), proxy.url);
        (cu as unknown as { o: { source: ListLogSource } }).o.source.append(sys.process, log);
        const nonceBefore = await ethers.provider.getTransactionCount(sys.cu.address);
        const lies: ((id: unknown) => ProxiedResponse)[] = [
          () => ({ status: 503, contentType: "text/plain", body: Buffer.from("overloaded") }),
          (id) => jsonAnswer({ jsonrpc: "2.0", id, error: { code: -32000, message: "header not found" } }),
          () => ({ status: 200, contentType: "application/json", body: Buffer.from("{not json") }),
          (id) => jsonAnswer({ jsonrpc: "2.0", id, result: "0xnothex" }),
          (id) => jsonAnswer({ jsonrpc: "2.0", id }),
        ];
        const attacked = new Set([
          "eth_call",
          "eth_estimateGas",
          "eth_getTransactionReceipt",
          "eth_getTransactionCount",
          "eth_sendRawTransaction",
          "eth_getBlockByNumber",
          "eth_blockNumber",
          "eth_getTransactionByHash",
          "eth_feeHistory",
          "eth_gasPrice",
          "eth_maxPriorityFeePerGas",
        ]);
        let n = 0;
        let lied = 0;
        proxy.tamper = (req, res) => {
          if (res !== undefined) return undefined;
          const methods = rpcMethods(req);
          if (methods.length !== 1 || !attacked.has(methods[0])) return undefined;
          n += 1;
          // Every third call lies, for the first 30 lies (the agent must get through them, not around them).
          if (n % 3 !== 0 || lied >= 30) return undefined;
          lied += 1;
          const { id } = JSON.parse(req.body.toString("utf8")) as { id: unknown };
          return lies[lied % lies.length](id);
        };
        const errors: string[] = [];
        const posted = () => cu.commitments(sys.process).filter((r) => r.status === "posted").length;
        for (let round = 0; round < 80 && posted() < 2; round++) {
          try {
            await cu.evaluate(sys.process);
            await cu.commit(sys.process);
          } catch (error) {
            errors.push((error as Error).message);
          }
        }
        proxy.tamper = undefined;
        console.log(`      rpc lies: ${lied}, rounds failed: ${errors.length}`);
        // Every failed round failed on the lie itself, named; none acted on it.
        expect(errors.length).to.be.greaterThan(0);
        expect(lied, "the proxy lied").to.be.greaterThan(5);
        const rows = cu.commitments(sys.process);
        expect(rows.map((r) => r.status)).to.deep.equal(["posted", "posted"]);
        const honest = traceOf(sys, log.slice(0, 3)).claim();
        expect(rows[0].commitment.stateHash).to.equal(honest.stateHash);
        for (const r of rows) expect(await postedEvents(sys, r.id)).to.equal(1);
        expect(await ethers.provider.getTransactionCount(sys.cu.address)).to.equal(nonceBefore + 2);
      } finally {
        await proxy.close();
      }
    });
  });

  describe("attack: clock skew", function () {
    it("players move by chain time when the chain is far ahead of their clocks, before their clocks run out", async function () {
      const sys = await deployGameSystem("counter");
      const log = await assignMessages(sys, 0n, SPECS.slice(0, 3));
      const honest = traceOf(sys, log);
      const liar = liarTrace(honest, { fromPosition: (1n << 32n) + 3n, salt: "skew" });
      const { commitment } = await postClaim(sys, sys.cu, liar);
      const w = await makePlayer(sys, "w-skew", 4, honest);
      const poster = await makePlayer(sys, "p-skew", 3, liar);
      const gameId = await w.player.challenge(commitment);

      // The chain runs almost a whole clock ahead of the agents' wall clock before each turn.
      for (let turn = 0; turn < 4; turn++) {
        const g = await sys.game.game(gameId);
        expect(Number(g.status)).to.equal(GAME_STATUS.Active);
        const mover = Number(g.turn) === 0 ? poster : w;
        const left = Number(g.turn) === 0 ? g.asserterLeft : g.challengerLeft;
        await increaseTime(left - 100n);
        const before = await ethers.provider.getBlock("latest");
        expect(before!.timestamp * 1000 - Date.now()).to.be.greaterThan(3_000_000);
        await mover.player.tick();
        const after = await sys.game.game(gameId);
        expect(after.segmentHash, `turn ${turn}`).to.not.equal(g.segmentHash);
        expect(Number(after.turn)).to.not.equal(Number(g.turn));
        // Our clock was under twice the margin: paged, by chain time.
        expect(mover.lines.some((l) => l.event === "page.clockLow")).to.equal(true);
      }
      expect(Number((await sys.game.game(gameId)).status)).to.equal(GAME_STATUS.Active);
      expect(await stakeSolvent(sys)).to.equal(true);
    });

    it("a player whose wall clock is a day behind times the opponent out by chain time, as soon as its clock has run out", async function () {
      const sys = await deployGameSystem("counter");
      const log = await assignMessages(sys, 0n, SPECS.slice(0, 3));
      const honest = traceOf(sys, log);
      const liar = liarTrace(honest, { fromPosition: (1n << 32n) + 3n, salt: "skew behind" });
      const { commitment } = await postClaim(sys, sys.cu, liar);
      const w = await makePlayer(sys, "w-behind", 4, honest);
      const gameId = await w.player.challenge(commitment);
      const realNow = Date.now;
      const behind = () => realNow() - 86_400_000;
      try {
        Date.now = behind;
        await w.player.tick(); // the challenger's first move
        const g = await sys.game.game(gameId);
        expect(Number(g.turn)).to.equal(0); // the poster's turn; it never answers
        // One second before the poster's clock runs out (chain time): no timeout yet.
        await increaseTime(g.asserterLeft - 2n);
        await w.player.tick();
        expect(Number((await sys.game.game(gameId)).status)).to.equal(GAME_STATUS.Active);
        // Past it: timed out at once, although by the player's own clock a day is still to go.
        await increaseTime(3n);
        await w.player.tick();
        await w.player.tick();
      } finally {
        Date.now = realNow;
      }
      expect(Number((await sys.game.game(gameId)).status)).to.equal(GAME_STATUS.ChallengerWon);
      expect(w.player.gameRecord(gameId)!.status).to.equal("won");
    });
  });

  describe("with ArLocal and a scheduler unit", function () {
    let arlocal: ArLocal;
    let arlocalDir: string;
    let gateway: string;
    let sys: GameSystem;
    let su: RunningScheduler;
    let wasmFile: string;

    before(async function () {
      const port = await freePort();
      arlocalDir = fs.mkdtempSync(path.join(os.tmpdir(), "holo-adv-arlocal-"));
      arlocal = new ArLocal(port, false, arlocalDir);
      await arlocal.start();
      gateway = `http://127.0.0.1:${port}`;
      const wallet = await arweaveWallet();
      const client = new ArweaveClient({ url: gateway, wallet, local: true, logger: silent });
      await new WalletFunding(client).fund(wallet, 10n ** 15n);
      const walletFile = path.join(tmp, "wallet.json");
      fs.writeFileSync(walletFile, JSON.stringify(wallet));
      sys = await deployGameSystem("counter");
      wasmFile = path.join(tmp, "counter.wasm");
      fs.writeFileSync(wasmFile, sys.wasm);
      const { chainId } = await ethers.provider.getNetwork();
      su = await startScheduler(
        loadConfig(SchedulerSettings, {
          env: {},
          flags: {
            rpcUrl,
            privateKey: accountKey(2),
            processRegistry: await sys.processes.getAddress(),
            chainId: String(chainId),
            arweaveUrl: gateway,
            arweaveWallet: walletFile,
            storePath: path.join(tmp, "su.sqlite"),
            processes: sys.process,
            port: "0",
            publishEvery: "50ms",
          },
        }),
        silent,
        { provider: ethers.provider },
      );
      for (const d of ["a", "b", "c", "d", "e", "f"]) {
        await su.scheduler.accept(await message(sys.process, d, [{ name: "Action", value: "Increment" }]));
      }
      const deadline = Date.now() + 20_000;
      while (su.publisher.lag() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(su.publisher.lag()).to.equal(0);
    });

    after(async function () {
      await su?.stop();
      await arlocal?.stop();
      fs.rmSync(arlocalDir, { recursive: true, force: true });
    });

    /** The SU's own log as trace inputs (what a correct CU evaluates). */
    async function slotsOf(from: number, to: number): Promise<SlotInput[]> {
      const out: SlotInput[] = [];
      for (const e of su.scheduler.log(sys.process, { from, to }).entries) {
        const item = await verifyDataItem(
          new Uint8Array(Buffer.from(e.message.raw, "base64url")),
          e.message.id,
        );
        const a = e.assignment;
        out.push({
          assignment: { ...a },
          signature: a.signature,
          message: canonicalEncoding(
            item,
            sys.process,
            BigInt(a.slot),
            BigInt(a.timestamp),
            BigInt(a.blockHeight),
          ),
        });
      }
      return out;
    }

    function watcherConfig(arweaveUrl: string, store: string, account = 4) {
      return gameWatcherConfig(
        sys,
        { rpcUrl, wasm: wasmFile, storePath: path.join(tmp, store) },
        { arweaveUrl, privateKey: accountKey(account) },
      );
    }

    /** Posts a commitment over slots [first, last] as the CU account, its state hash replaced if `lie`. */
    async function postOver(first: number, last: number, parent: string, lie?: string): Promise<Commitment> {
      const slots = await slotsOf(first, last);
      let claim;
      if (first === 0) {
        claim = traceOf(sys, slots).claim();
      } else {
        const before = await slotsOf(0, first - 1);
        const parentClaim = traceOf(sys, before).claim();
        const p = Process.fromWasm(sys.wasm, { memoryLimitPages: sys.P.memoryPages });
        for (const s of before) p.handleMessage(s.message, { stepLimit: sys.P.stepLimit });
        claim = traceOf(sys, slots, BigInt(first), {
          process: p,
          prevAssignmentHash: parentClaim.lastAssignmentHash,
          stateHash: parentClaim.stateHash,
        }).claim();
      }
      const c = {
        process: sys.process,
        parent,
        firstSlot: claim.firstSlot,
        lastSlot: claim.lastSlot,
        lastAssignmentHash: claim.lastAssignmentHash,
        stateHash: lie ?? claim.stateHash,
        resultsRoot: claim.resultsRoot,
        arweaveRef: ethers.id(`ref ${first} ${lie ?? ""}`),
      };
      await (
        await sys.results
          .connect(sys.cu)
          .postCommitment(
            c.process,
            c.parent,
            c.firstSlot,
            c.lastSlot,
            c.lastAssignmentHash,
            c.stateHash,
            c.resultsRoot,
            c.arweaveRef,
          )
      ).wait();
      return { ...c, poster: sys.cu.address, stake: await sys.results.commitmentStake() };
    }

    describe("attack: malicious CU API", function () {
      it("a CU API serving wrong results changes no verdict: the correct commitment agrees, the wrong one is challenged", async function () {
        // A "CU" whose API answers every result, state and dry-run with lies.
        const liarApi = await startTamperingProxy("http://127.0.0.1:9");
        liarApi.tamper = () =>
          jsonAnswer({
            process: sys.process,
            slot: 99,
            stateHash: ethers.id("the CU's lie"),
            Output: "lies",
            Messages: [],
            Spawns: [],
            ResultHash: ethers.id("lie"),
          });
        const good = await postOver(0, 2, ethers.ZeroHash);
        const goodId = commitmentId(good);
        const wrong = await postOver(3, 5, goodId, ethers.id("wrong state"));
        const w = await startWatcher(watcherConfig(gateway, "w-cuapi.sqlite"), silent, { loop: false });
        try {
          // The lying API is up and answers anyone who asks...
          const lie = (await (await fetch(`${liarApi.url}/state/${sys.process}`)).json()) as {
            stateHash: string;
          };
          expect(lie.stateHash).to.equal(ethers.id("the CU's lie"));
          liarApi.seen.length = 0;
          await w.tick();
          // ...but the watcher never asks it, and its verdicts come from Arweave and re-execution only.
          expect(liarApi.seen).to.have.length(0);
          expect(w.watcher.check(goodId)).to.include({ verdict: "agree", gameId: null });
          const check = w.watcher.check(commitmentId(wrong))!;
          expect(check.verdict).to.equal("disagree");
          expect(check.gameId).to.match(/^0x[0-9a-f]{64}$/);
          expect(Number((await sys.game.game(check.gameId!)).status)).to.equal(GAME_STATUS.Active);
        } finally {
          await w.stop();
          await liarApi.close();
        }
      });
    });

    describe("attack: lying RPC (watcher)", function () {
      it("a watcher behind an RPC returning errors and garbage reaches the honest verdicts and challenges once", async function () {
        // (after "malicious CU API": a correct commitment over slots 0..2 and a wrong one over 3..5 are posted)
        const honest = startWatcher(watcherConfig(gateway, "w-rpc-honest.sqlite", 7), silent, {
          loop: false,
        });
        const h = await honest;
        let expected: Record<string, string>;
        try {
          await h.tick();
          expected = Object.fromEntries(h.watcher.checks().map((c) => [c.id, c.verdict]));
        } finally {
          await h.stop();
        }
        expect(Object.values(expected)).to.include.members(["agree", "disagree"]);

        const proxy = await startTamperingProxy(rpcUrl);
        const config = { ...watcherConfig(gateway, "w-rpc.sqlite", 8), rpcUrl: proxy.url };
        const w = await startWatcher(config, silent, { loop: false });
        let n = 0;
        let lied = 0;
        proxy.tamper = (req, res) => {
          if (res !== undefined) return undefined;
          const methods = rpcMethods(req);
          if (methods.length !== 1 || methods[0] === "eth_chainId") return undefined;
          n += 1;
          if (n % 4 !== 0 || lied >= 25) return undefined;
          lied += 1;
          const { id } = JSON.parse(req.body.toString("utf8")) as { id: unknown };
          if (lied % 3 === 0)
            return { status: 502, contentType: "text/html", body: Buffer.from("<html>bad gateway") };
          if (lied % 3 === 1) return jsonAnswer({ jsonrpc: "2.0", id, result: "0x" + "zz".repeat(33) });
          return jsonAnswer({ jsonrpc: "2.0", id, error: { code: -32603, message: "internal error" } });
        };
        const failures: string[] = [];
        try {
          const settled = () => {
            const got = Object.fromEntries(w.watcher.checks().map((c) => [c.id, c.verdict]));
            return Object.keys(expected).every((id) => got[id] === expected[id]) && lied >= 25;
          };
          for (let round = 0; round < 60 && !settled(); round++) {
            await w.tick().catch((e: unknown) => failures.push(String(e)));
          }
          for (let round = 0; round < 3; round++)
            await w.tick().catch((e: unknown) => failures.push(String(e)));
          proxy.tamper = undefined;
          await w.tick();
          console.log(`      rpc lies: ${lied}, rounds failed: ${failures.length}`);
          expect(lied).to.equal(25);
          const got = Object.fromEntries(w.watcher.checks().map((c) => [c.id, c.verdict]));
          for (const [id, verdict] of Object.entries(expected)) expect(got[id], id).to.equal(verdict);
          // One game per wrong commitment, none against a correct one, no duplicate opening.
          const mine = await sys.game.queryFilter(
            sys.game.filters.GameOpened(undefined, undefined, new ethers.Wallet(accountKey(8)).address),
            0,
            "latest",
          );
          const wrongIds = Object.entries(expected)
            .filter(([, v]) => v === "disagree")
            .map(([id]) => id);
          expect(mine.map((e) => e.args.commitmentId).sort()).to.deep.equal([...wrongIds].sort());
          expect(w.player.games()).to.have.length(wrongIds.length);
        } finally {
          await w.stop();
          await proxy.close();
        }
      });
    });

    describe("attack: malicious gateway (tampering proxy before ArLocal)", function () {
      let proxy: TamperingProxy;
      beforeEach(async function () {
        proxy = await startTamperingProxy(gateway);
      });
      afterEach(async function () {
        await proxy.close();
      });

      function source(logger = silent) {
        return new ArweaveLogSource({
          arweave: new ArweaveClient({ url: proxy.url, logger: silent }),
          domain: sys.domain,
          schedulerOf: () => sys.scheduler.address,
          logger,
          pageSize: 10,
        });
      }

      /** Rewrites the GraphQL answers' edges. */
      function graphql(
        edit: (edges: { node: { id: string; tags: { name: string; value: string }[] } }[]) => unknown[],
      ) {
        return (req: { url: string }, res: ProxiedResponse | undefined) => {
          if (res === undefined || !req.url.startsWith("/graphql")) return undefined;
          const body = JSON.parse(res.body.toString("utf8")) as {
            data: {
              transactions: { edges: { node: { id: string; tags: { name: string; value: string }[] } }[] };
            };
          };
          const edges = body.data?.transactions?.edges;
          if (!Array.isArray(edges) || edges.length === 0) return undefined;
          body.data.transactions.edges = edit(edges) as typeof edges;
          return jsonAnswer(body);
        };
      }

      const isType = (e: { node: { tags: { name: string; value: string }[] } }, t: string) =>
        e.node.tags.some((x) => x.name === "Type" && x.value === t);

      it("refuses changed message bytes (HashMismatch), never yielding a wrong entry", async function () {
        const honest = await source().read(sys.process, 0n, 10);
        expect(honest).to.have.length(6);
        const messageIds = new Set(
          honest.map((e) => Buffer.from(ethers.getBytes(e.assignment.messageId)).toString("base64url")),
        );
        proxy.tamper = (req, res) => {
          if (res === undefined || req.method !== "GET" || res.status !== 200) return undefined;
          const id = req.url
            .split("?")[0]
            .split("/")
            .filter((x) => x !== "")[0];
          if (!messageIds.has(id) || req.url.includes("/tx/") || req.url.startsWith("/graphql"))
            return undefined;
          const body = Buffer.from(res.body);
          if (body.length === 0) return undefined;
          body[0] ^= 0x01;
          return { ...res, body };
        };
        let err: unknown;
        try {
          await source().read(sys.process, 0n, 10);
        } catch (e) {
          err = e;
        }
        expect(proxy.tampered).to.be.greaterThan(0);
        expect(String(err)).to.match(/HashMismatch/);
      });

      it("drops, reorders, forges and re-tags assignment items: only the true log comes out", async function () {
        const honest = await source().read(sys.process, 0n, 10);
        const sigs = honest.map((e) => e.signature);

        // Dropped items: the log ends before the gap (never a slot out of order).
        proxy.tamper = graphql((edges) =>
          edges.filter(
            (e) =>
              !(isType(e, "Assignment") && e.node.tags.some((t) => t.name === "Nonce" && t.value === "3")),
          ),
        );
        const dropped = await source().read(sys.process, 0n, 10);
        expect(dropped.map((e) => e.signature)).to.deep.equal(sigs.slice(0, 3));

        // Reordered items: the same log.
        proxy.tamper = graphql((edges) => [...edges].reverse());
        expect((await source().read(sys.process, 0n, 10)).map((e) => e.signature)).to.deep.equal(sigs);

        // Wrong tags (message hash, prev hash, signature): refused, logged as refused input.
        const { logger, lines } = capturingLogger("watcher");
        proxy.tamper = graphql((edges) =>
          edges.map((e) => {
            const nonce = e.node.tags.find((t) => t.name === "Nonce")?.value;
            if (!isType(e, "Assignment") || nonce !== "2") return e;
            return {
              node: {
                ...e.node,
                tags: e.node.tags.map((t) =>
                  t.name === "Holo-Message-Hash" ? { name: t.name, value: ethers.id("other message") } : t,
                ),
              },
            };
          }),
        );
        const retagged = await source(logger).read(sys.process, 0n, 10);
        expect(retagged.map((e) => e.signature)).to.deep.equal(sigs.slice(0, 2));
        expect(lines.some((l) => l.event === "watcher.arweave.refused" && l.level === "warn")).to.equal(true);

        // A forged Assignment item (signed by another key) injected before the real one: skipped.
        const real = honest[1].assignment;
        const forged = { ...real, timestamp: BigInt(real.timestamp) + 7n };
        const item = await createSignedMessage(await arweaveWallet(), {
          type: "Assignment",
          tags: assignmentTags({
            process: sys.process,
            slot: 1,
            message_id: Buffer.from(ethers.getBytes(forged.messageId)).toString("base64url"),
            timestamp: Number(forged.timestamp),
            block_height: Number(forged.blockHeight),
            hash: assignmentHash(sys.domain, forged),
            signature: await signAssignment(sys.watcher, sys.domain, forged),
            message_hash: forged.messageHash,
            message_length: Number(forged.messageLength),
            prev_hash: forged.prevAssignmentHash,
            scheduler: sys.scheduler.address,
          }),
        });
        const forgedEdge = {
          cursor: "forged",
          node: {
            id: item.id,
            owner: { address: "x".repeat(43) },
            tags: item.tags,
            bundledIn: null,
            block: null,
            data: { size: "0" },
          },
        };
        proxy.tamper = graphql((edges) =>
          edges.some((e) => isType(e, "Assignment")) ? [forgedEdge, ...edges] : edges,
        );
        const withForgery = await source().read(sys.process, 0n, 10);
        expect(withForgery.map((e) => e.signature)).to.deep.equal(sigs);
      });

      it("the watcher behind a tampering gateway makes no false challenge against a correct commitment", async function () {
        const good = await postOver(0, 5, ethers.ZeroHash);
        const goodId = commitmentId(good);
        const { logger, lines } = capturingLogger("watcher");
        // Every message's data is changed on the way; assignments dropped from slot 4 on.
        proxy.tamper = (req, res) => {
          if (res === undefined) return undefined;
          if (req.url.startsWith("/graphql")) {
            return graphql((edges) =>
              edges.filter(
                (e) =>
                  !(
                    isType(e, "Assignment") && Number(e.node.tags.find((t) => t.name === "Nonce")?.value) >= 4
                  ),
              ),
            )(req, res);
          }
          if (
            req.method === "GET" &&
            res.status === 200 &&
            !req.url.startsWith("/tx") &&
            res.body.length > 0
          ) {
            const body = Buffer.from(res.body);
            body[body.length - 1] ^= 0x20;
            return { ...res, body };
          }
          return undefined;
        };
        const w = await startWatcher(watcherConfig(proxy.url, "w-gateway.sqlite", 6), logger, {
          loop: false,
        });
        try {
          await w.tick().catch(() => undefined);
          await w.tick().catch(() => undefined);
          expect(proxy.tampered).to.be.greaterThan(0);
          const check = w.watcher.check(goodId);
          expect(check?.verdict ?? "pending").to.equal("pending"); // no verdict on tampered data
          expect(w.player.games()).to.deep.equal([]);
          const opened = await sys.game.queryFilter(
            sys.game.filters.GameOpened(undefined, goodId),
            0,
            "latest",
          );
          expect(opened).to.have.length(0);
          // The refused data is logged at warn (named), retried every round...
          const refused = lines.filter((l) => l.event === "watcher.log.retry");
          expect(refused.length).to.be.greaterThan(0);
          expect(refused.every((l) => l.level === "warn" && /HashMismatch/.test(String(l.err)))).to.equal(
            true,
          );
          // ...and once half of the challenge window is gone without usable data, it pages dataMissing.
          await increaseTime(sys.P.challengeWindow / 2n + 1n);
          await w.tick().catch(() => undefined);
          const pages = lines.filter((l) => l.event === "page.dataMissing");
          expect(pages.length).to.be.greaterThan(0);
          expect(pages[0].level).to.equal("error");
          expect(w.player.games()).to.deep.equal([]);
          // Once the gateway is honest again, the same watcher agrees (a lying gateway blinds it only while it lies).
          proxy.tamper = undefined;
          await w.tick();
          expect(w.watcher.check(goodId)).to.include({ verdict: "agree", gameId: null });
        } finally {
          await w.stop();
        }
        // Through an honest gateway the same commitment is agreed with.
        const honest = await startWatcher(watcherConfig(gateway, "w-gateway-honest.sqlite", 6), silent, {
          loop: false,
        });
        try {
          await honest.tick();
          expect(honest.watcher.check(goodId)).to.include({ verdict: "agree", gameId: null });
        } finally {
          await honest.stop();
        }
      });
    });

    describe("attack: tampering SU proxy (the CU's SU client)", function () {
      const cases: {
        name: string;
        error: RegExp;
        edit: (node: Record<string, Record<string, unknown>>) => void;
      }[] = [
        {
          name: "message bytes changed",
          error: /id|signature|verify|HashMismatch/i,
          edit: (n) => {
            const raw = Buffer.from(String(n.message.raw), "base64url");
            raw[raw.length - 1] ^= 0x01;
            n.message.raw = raw.toString("base64url");
          },
        },
        {
          name: "messageHash changed",
          error: /HashMismatch/,
          edit: (n) => {
            n.assignment.messageHash = ethers.id("x");
          },
        },
        {
          name: "prevAssignmentHash changed",
          error: /ChainBroken/,
          edit: (n) => {
            n.assignment.prevAssignmentHash = ethers.id("y");
          },
        },
        {
          name: "signature from another key",
          error: /BadSignature/,
          edit: (n) => {
            const s = String(n.assignment.signature);
            n.assignment.signature = `${s.slice(0, 10)}${s[10] === "a" ? "b" : "a"}${s.slice(11)}`;
          },
        },
        {
          name: "timestamp changed",
          error: /BadSignature|HashMismatch/,
          edit: (n) => {
            n.assignment.timestamp = Number(n.assignment.timestamp) + 1;
          },
        },
      ];
      for (const k of cases) {
        it(`refuses a log with ${k.name}, evaluating nothing from the tampered slot on`, async function () {
          const proxy = await startTamperingProxy(su.url);
          try {
            proxy.tamper = (req, res) => {
              if (res === undefined || res.status !== 200 || !req.url.startsWith(`/${sys.process}`))
                return undefined;
              const page = JSON.parse(res.body.toString("utf8")) as {
                edges: { node: Record<string, Record<string, unknown>> }[];
              };
              const target = page.edges.find((e) => Number(e.node.assignment.slot) === 2);
              if (target === undefined) return undefined;
              k.edit(target.node);
              return jsonAnswer(page);
            };
            const { cu } = await makeCu(
              sys,
              `cu-su-${k.name.replace(/\W/g, "")}`,
              new SuLogSource(proxy.url),
            );
            let err: unknown;
            try {
              await cu.evaluate(sys.process);
            } catch (e) {
              err = e;
            }
            expect(proxy.tampered).to.be.greaterThan(0);
            expect(String(err), String(err)).to.match(k.error);
            // Nothing of the tampered slot or after it is evaluated (a page whose item fails to verify is
            // refused whole), and nothing is committed.
            expect(cu.state(sys.process).slot < 2n).to.equal(true);
            expect(await cu.commit(sys.process)).to.deep.equal([]);
            if (err instanceof ComputeError) {
              // A scheduler-signed log that does not verify halts the process (docs/agents.md §6).
              expect(cu.state(sys.process).halted).to.match(k.error);
            } else {
              // A data item that does not match its id is the transport's fault: once it is honest again the
              // CU carries on with the true log.
              proxy.tamper = undefined;
              await cu.evaluate(sys.process);
              expect(cu.state(sys.process).slot).to.equal(5n);
            }
          } finally {
            await proxy.close();
          }
        });
      }
    });
  });
});

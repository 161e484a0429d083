/**
 * The shared game player (agents/common/games.ts) on the Hardhat chain over JSON-RPC: a watcher with the
 * honest trace challenges a compute unit that posted a liar's claim, both play through GamePlayer, the honest
 * side wins and claims its payout; a restart from the SQLite file continues without a second move.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";

import { expect } from "chai";
import hre, { ethers } from "hardhat";

import { ChainClient } from "../../../agents/common/chain";
import { GameError, GamePlayer, GAME_STATUS, segmentHash } from "../../../agents/common/games";
import { createLogger, type Logger } from "../../../agents/common/log";
import { createMetrics } from "../../../agents/common/metrics";
import { openStore, type Store } from "../../../agents/common/store";
import { startJsonRpcServer, type RunningJsonRpcServer } from "../../../cli/lib/jsonrpc";
import { liarTrace, type GameTrace } from "../../../sdk/ts/dispute";
import type { Commitment } from "../../../sdk/ts/results";
import {
  assignMessages,
  deployGameSystem,
  increaseTime,
  postClaim,
  traceOf,
  type GameSystem,
} from "../../helpers/game";
import { accountKey } from "../scheduler/helpers";

const silent = createLogger({ agent: "games-test", level: "silent" });

const SPECS = Array.from({ length: 3 }, (_, i) => ({
  tags: { Action: i % 2 === 0 ? "Increment" : "Get" },
  data: `message ${i}`,
}));

describe("agents/common/games: GamePlayer", function () {
  this.timeout(120_000);

  let server: RunningJsonRpcServer;
  let rpcUrl: string;
  let tmp: string;
  let sys: GameSystem;
  const open: { store: Store; chain: ChainClient }[] = [];

  before(async function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "holo-games-"));
    server = await startJsonRpcServer(hre, "127.0.0.1", 0);
    rpcUrl = `http://127.0.0.1:${server.port}`;
    sys = await deployGameSystem("counter");
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

  async function makePlayer(
    file: string,
    account: number,
    trace: GameTrace,
    metrics = false,
    extra: { logger?: Logger; marginSec?: number } = {},
  ) {
    const store = openStore(file, []);
    const chain = await ChainClient.connect({
      rpcUrl,
      wallet: accountKey(account),
      db: store.db,
      chainId: 31337,
      confirmations: 0,
      pollMs: 25,
      retry: { windowMs: 5_000, baseMs: 50, maxMs: 400 },
      logger: silent,
    });
    open.push({ store, chain });
    const m = metrics ? createMetrics({ agent: "watcher", defaultMetrics: false }) : undefined;
    const player = await GamePlayer.open({
      store,
      chain,
      disputeGame: await sys.game.getAddress(),
      resultRegistry: await sys.results.getAddress(),
      stakeManager: await sys.stake.getAddress(),
      traceFor: () => Promise.resolve(trace),
      logger: extra.logger ?? silent,
      metrics: m,
      marginSec: extra.marginSec,
    });
    return { player, store, chain, metrics: m };
  }

  function close(o: { store: Store; chain: ChainClient }) {
    o.chain.close();
    o.store.close();
    open.splice(open.indexOf(o), 1);
  }

  it("plays a full game: the honest challenger beats a lying poster, survives a restart, and is paid", async function () {
    const log = await assignMessages(sys, 0n, SPECS);
    const honest = traceOf(sys, log);
    const liar = liarTrace(honest, { fromPosition: (1n << 32n) + 3n, salt: "games test" });
    const { commitment } = await postClaim(sys, sys.cu, liar);

    const watcherFile = path.join(tmp, "watcher.sqlite");
    let w = await makePlayer(watcherFile, 4, honest, true);
    const cu = await makePlayer(path.join(tmp, "cu.sqlite"), 3, liar);

    const gameId = await w.player.challenge(commitment);
    expect(await w.player.challenge(commitment)).to.equal(gameId); // idempotent: nothing sent again
    expect(w.player.gameRecord(gameId)).to.include({ role: "challenger", side: 1, status: "active" });
    expect((await sys.game.game(gameId)).status).to.equal(BigInt(GAME_STATUS.Active));

    // The challenger moves first; the poster discovers the game from its events.
    expect((await w.player.tick()).moves).to.deep.equal([gameId]);
    const d = await cu.player.tick();
    expect(d.discovered).to.deep.equal([gameId]);
    expect(cu.player.gameRecord(gameId)).to.include({ role: "defender", side: 0 });
    expect(d.moves).to.deep.equal([gameId]);
    expect((await w.player.tick()).moves).to.deep.equal([gameId]);

    // Restart the watcher from its file, as after a crash that lost the segment update (stale row).
    w.store.db
      .prepare("UPDATE games SET seg_start = '0', seg_length = ?, seg_points = ? WHERE id = ?")
      .run(honest.length.toString(), JSON.stringify([honest.pointAt(0n), liar.claim().endPoint]), gameId);
    close(w);
    w = await makePlayer(watcherFile, 4, honest, true);
    const nonce = await ethers.provider.getTransactionCount(sys.watcher.address);
    expect((await w.player.tick()).moves).to.deep.equal([]); // the poster's turn: nothing to send
    expect(await ethers.provider.getTransactionCount(sys.watcher.address)).to.equal(nonce);

    // Play on until the game ends; when nobody can move, let the side to move run out of time.
    let ended = false;
    for (let round = 0; round < 60 && !ended; round++) {
      const a = await cu.player.tick();
      const b = await w.player.tick();
      const state = await sys.game.game(gameId);
      const status = Number(state.status);
      if (status >= GAME_STATUS.AsserterWon) {
        ended = true;
        break;
      }
      if (a.moves.length + b.moves.length + b.timeouts.length + b.resolved.length === 0) {
        const left = Number(state.turn) === 0 ? state.asserterLeft : state.challengerLeft;
        expect(Number(state.turn), "only the liar may get stuck").to.equal(status === 2 ? 1 : 0);
        await increaseTime(status === GAME_STATUS.StartProven ? sys.P.startGrace : left);
      }
    }
    expect(ended).to.equal(true);
    expect((await sys.game.game(gameId)).status).to.equal(BigInt(GAME_STATUS.ChallengerWon));
    await w.player.tick();
    await cu.player.tick();
    expect(w.player.gameRecord(gameId)!.status).to.equal("won");
    expect(cu.player.gameRecord(gameId)!.status).to.equal("lost");
    expect(await sys.results.statusOf(commitment)).to.equal(3n); // Rejected

    // No move of the watcher was sent twice: each move opId names a distinct segment.
    const ops = w.store.db.prepare("SELECT opId FROM chain_ops WHERE opId LIKE 'move:%'").all() as {
      opId: string;
    }[];
    expect(new Set(ops.map((o) => o.opId)).size).to.equal(ops.length);
    expect(w.player.gameRecord(gameId)!.segment.points.length).to.be.greaterThan(1);

    const metrics = await w.metrics!.text();
    expect(metrics).to.match(/holo_watcher_games_open 0\b/);

    // The poster was slashed its commitment stake; the watcher's share is its payout.
    const payout = await sys.stake.payoutOf(sys.watcher.address);
    expect(payout).to.equal((commitment.stake * sys.P.slashRewardBps) / 10_000n);
    const before = await sys.token.balanceOf(sys.watcher.address);
    expect(await w.player.claimPayouts()).to.equal(payout);
    expect(await sys.token.balanceOf(sys.watcher.address)).to.equal(before + payout);
    expect(await w.player.claimPayouts()).to.equal(0n);
  });

  it("defends a correct commitment against a lying challenger: the poster wins the bond share; low clocks page", async function () {
    const log = await assignMessages(sys, 0n, SPECS.slice(0, 2), ethers.ZeroHash);
    // The first two slots again, committed a second time (another arweaveRef: another commitment).
    const honest = traceOf(sys, log);
    const liar = liarTrace(honest, { fromPosition: 7n, salt: "lying challenger" });
    const { commitment, id } = await postClaim(sys, sys.cu, honest, ethers.ZeroHash, ethers.id("defend"));

    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      agent: "cu",
      level: "info",
      destination: new Writable({
        write(chunk: Buffer, _enc, done) {
          for (const l of chunk.toString().split("\n"))
            if (l.trim() !== "") lines.push(JSON.parse(l) as never);
          done();
        },
      }),
    });
    // The expected answer time is set above half the clock, so every move of the defender pages clockLow.
    const cu = await makePlayer(path.join(tmp, "cu-defend.sqlite"), 3, honest, false, {
      logger,
      marginSec: 2_000,
    });
    const challenger = await makePlayer(path.join(tmp, "liar-challenger.sqlite"), 6, liar);
    const gameId = await challenger.player.challenge(commitment);
    expect(challenger.player.gameRecord(gameId)!.commitmentId).to.equal(id);

    const challengerStake = await sys.stake.bondedOf(sys.rest[0].address);
    let status = 1;
    for (let round = 0; round < 60 && status < 3; round++) {
      const a = await challenger.player.tick();
      const b = await cu.player.tick();
      const state = await sys.game.game(gameId);
      status = Number(state.status);
      if (status < 3 && a.moves.length + b.moves.length + b.timeouts.length + b.resolved.length === 0) {
        if (status === GAME_STATUS.StartProven) {
          expect(Number(state.turn), "the honest side proved").to.equal(0);
          await increaseTime(sys.P.startGrace);
        } else {
          expect(Number(state.turn), "only the liar may get stuck").to.equal(1);
          await increaseTime(state.challengerLeft);
        }
      }
    }
    expect(status).to.equal(GAME_STATUS.AsserterWon);
    await cu.player.tick();
    expect(cu.player.gameRecord(gameId)).to.include({ role: "defender", side: 0, status: "won" });
    expect(await sys.stake.bondedOf(sys.rest[0].address)).to.equal(challengerStake - sys.P.challengeBond);
    const payout = await sys.stake.payoutOf(sys.cu.address);
    expect(payout).to.equal((sys.P.challengeBond * sys.P.slashRewardBps) / 10_000n);
    expect(await cu.player.claimPayouts()).to.equal(payout);
    expect(await sys.results.statusOf(commitment)).to.equal(1n); // still Pending: it may finalize

    const pages = lines.filter((l) => l.event === "page.clockLow");
    // One page per position we had to answer (each honest move), not one per tick.
    expect(pages.length).to.be.greaterThan(0);
    expect(pages.length).to.equal(cu.player.gameRecord(gameId)!.moves);
    expect(pages.every((l) => l.level === "error" && l.gameId === gameId)).to.equal(true);
  });

  it("pages once, without sending, when its trace has no answer (challenging a commitment it agrees with)", async function () {
    const log = await assignMessages(sys, 0n, SPECS.slice(0, 1));
    const honest = traceOf(sys, log);
    const { commitment } = await postClaim(sys, sys.cu, honest, ethers.ZeroHash, ethers.id("agreed"));
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      agent: "watcher",
      destination: new Writable({
        write(chunk: Buffer, _enc, done) {
          for (const l of chunk.toString().split("\n"))
            if (l.trim() !== "") lines.push(JSON.parse(l) as never);
          done();
        },
      }),
    });
    const p = await makePlayer(path.join(tmp, "agreeing.sqlite"), 7, honest, false, { logger });
    const gameId = await p.player.challenge(commitment);
    const nonce = await ethers.provider.getTransactionCount(sys.rest[1].address);
    expect((await p.player.tick()).moves).to.deep.equal([]);
    expect((await p.player.tick()).moves).to.deep.equal([]);
    expect(await ethers.provider.getTransactionCount(sys.rest[1].address)).to.equal(nonce);
    expect(p.player.gameRecord(gameId)!.lastError).to.match(/NoDisagreement/);
    const pages = lines.filter((l) => l.event === "page.moneyAtRisk");
    expect(pages).to.have.length(1);
    expect(pages[0]).to.include({ gameId, code: "NoDisagreement" });
  });

  it("refuses bad options and a malformed commitment with named errors", async function () {
    const store = openStore(path.join(tmp, "bad.sqlite"), []);
    const chain = await ChainClient.connect({ rpcUrl, wallet: accountKey(4), db: store.db, logger: silent });
    open.push({ store, chain });
    const base = {
      store,
      chain,
      disputeGame: await sys.game.getAddress(),
      resultRegistry: await sys.results.getAddress(),
      stakeManager: await sys.stake.getAddress(),
      traceFor: () => Promise.reject(new Error("unused")),
      logger: silent,
    };
    const e1 = await GamePlayer.open({ ...base, disputeGame: "0x12" }).catch((e: unknown) => e);
    expect(e1).to.be.instanceOf(GameError);
    expect((e1 as GameError).code).to.equal("BadOption");
    expect((e1 as GameError).message).to.match(/disputeGame/);
    const e2 = await GamePlayer.open({ ...base, marginSec: -1 }).catch((e: unknown) => e);
    expect((e2 as GameError).code).to.equal("BadOption");

    const player = await GamePlayer.open(base);
    const bad = { process: "0x1234" } as unknown as Commitment;
    const e3 = await player.challenge(bad).catch((e: unknown) => e);
    expect(e3).to.be.instanceOf(GameError);
    expect((e3 as GameError).code).to.equal("BadCommitment");
    expect(segmentHash({ start: 0n, length: 2n, points: [ethers.ZeroHash, ethers.ZeroHash] })).to.match(
      /^0x[0-9a-f]{64}$/,
    );
    expect(player.games()).to.deep.equal([]);
  });

  it("adds ended_block to a games table from before it, keeps its rows, and refuses a bad reorgDepthBlocks", async function () {
    const file = path.join(tmp, "old-games.sqlite");
    const old = openStore(file, []);
    // The games table as agents created it before `ended_block` (a reorg re-reads ended games by it).
    old.db.exec(`CREATE TABLE games (
      id TEXT PRIMARY KEY, commitment_id TEXT NOT NULL, commitment TEXT NOT NULL, challenger TEXT NOT NULL,
      bond TEXT NOT NULL, role TEXT NOT NULL, side INTEGER NOT NULL, seg_start TEXT NOT NULL,
      seg_length TEXT NOT NULL, seg_points TEXT NOT NULL, seg_block INTEGER NOT NULL, status TEXT NOT NULL,
      turn INTEGER, asserter_left INTEGER, challenger_left INTEGER, last_move_at INTEGER, deadline INTEGER,
      moves INTEGER NOT NULL DEFAULT 0, last_error TEXT, updated_at INTEGER NOT NULL)`);
    old.db
      .prepare(
        `INSERT INTO games (id, commitment_id, commitment, challenger, bond, role, side, seg_start, seg_length,
           seg_points, seg_block, status, updated_at) VALUES ('0xold', '0xc', '{}', '0x0', '0', 'challenger', 1,
           '0', '2', '[]', 0, 'won', 0)`,
      )
      .run();
    old.close();
    const log = await assignMessages(sys, 0n, SPECS);
    const { player, store } = await makePlayer(file, 4, traceOf(sys, log));
    const columns = (store.db.prepare("PRAGMA table_info(games)").all() as { name: string }[]).map(
      (c) => c.name,
    );
    expect(columns).to.include("ended_block");
    expect(
      store.db.prepare("SELECT status, ended_block FROM games WHERE id = '0xold'").get() as object,
    ).to.deep.equal({ status: "won", ended_block: null });
    expect((await player.tick()).reorged).to.deep.equal([]); // an old ended game is not re-read
    const e = await GamePlayer.open({
      store,
      chain: open[open.length - 1].chain,
      disputeGame: await sys.game.getAddress(),
      resultRegistry: await sys.results.getAddress(),
      stakeManager: await sys.stake.getAddress(),
      traceFor: () => Promise.reject(new Error("unused")),
      logger: silent,
      reorgDepthBlocks: -1,
    }).catch((error: unknown) => error);
    expect(e).to.be.instanceOf(GameError);
    expect((e as GameError).message).to.match(/reorgDepthBlocks/);
    expect(player.clockExtension).to.equal(sys.P.clockExtension);
  });
});

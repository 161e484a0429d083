/**
 * The compute unit's game defence as wired by startCompute (`disputeGame` + `stakeManager` set): a
 * GamePlayer with `traceFor = (c) => cu.gameTrace(c)` plays every game against the CU's commitments in its
 * loop. An honest CU beats a lying challenger and claims its payout; a faulty CU (the devnet's fraud
 * scenario) plays its lie to the end against an honest watcher and loses.
 */
import fs from "node:fs";

import { expect } from "chai";

import { ChainClient } from "../../../agents/common/chain";
import { loadConfig } from "../../../agents/common/config";
import { GamePlayer, GAME_STATUS } from "../../../agents/common/games";
import { openStore, type Store } from "../../../agents/common/store";
import { ComputeSettings } from "../../../agents/compute/config";
import { startCompute, type RunningCompute } from "../../../agents/compute/main";
import { liarTrace, type GameTrace } from "../../../sdk/ts/dispute";
import type { SlotInput } from "../../../sdk/ts/dispute/trace";
import { assignMessages, deployGameSystem, increaseTime, traceOf, type GameSystem } from "../../helpers/game";
import { accountKey } from "../scheduler/helpers";
import { CuFixture, silent, sourceOf } from "./helpers";

const SPECS = Array.from({ length: 3 }, (_, i) => ({
  tags: { Action: i % 2 === 0 ? "Increment" : "Get" },
  data: `message ${i}`,
}));

describe("agents/compute: game defence (startCompute's GamePlayer)", function () {
  this.timeout(300_000);

  const fx = new CuFixture();
  let sys: GameSystem;
  let log: SlotInput[];
  const stops: (() => Promise<void> | void)[] = [];

  before(async function () {
    await fx.start();
  });

  beforeEach(async function () {
    sys = await deployGameSystem("counter");
    log = await assignMessages(sys, 0n, SPECS);
  });

  afterEach(async function () {
    for (const s of stops.splice(0).reverse()) await s();
  });

  after(async function () {
    await fx.stop();
  });

  async function runCu(name: string, fault?: { kind: "state" | "result"; fromSlot: number }) {
    const wasmFile = fx.file("counter.wasm");
    fs.writeFileSync(wasmFile, sys.wasm);
    const config = loadConfig(ComputeSettings, {
      env: {},
      flags: {
        rpcUrl: fx.rpcUrl,
        privateKey: accountKey(3),
        resultRegistry: await sys.results.getAddress(),
        processRegistry: await sys.processes.getAddress(),
        suUrl: "http://127.0.0.1:1",
        storePath: fx.file(`${name}.sqlite`),
        port: 0,
        processes: [{ id: sys.process, wasm: wasmFile }],
        commitEverySlots: 3,
        pollMs: "1h",
        disputeGame: await sys.game.getAddress(),
        stakeManager: await sys.stake.getAddress(),
        ...(fault === undefined ? {} : { fault: JSON.stringify(fault) }),
      },
    });
    const running = await startCompute(config, silent, { source: sourceOf(sys, log), loop: false });
    stops.push(() => running.stop());
    expect(running.player).to.be.instanceOf(GamePlayer);
    return running;
  }

  async function watcherPlayer(name: string, trace: GameTrace) {
    const store: Store = openStore(fx.file(`${name}.sqlite`), []);
    const chain = await ChainClient.connect({
      rpcUrl: fx.rpcUrl,
      wallet: accountKey(4), // deployGameSystem's watcher
      db: store.db,
      chainId: 31337,
      confirmations: 0,
      pollMs: 25,
      retry: { windowMs: 5_000, baseMs: 50, maxMs: 400 },
      logger: silent,
    });
    stops.push(() => {
      chain.close();
      store.close();
    });
    return GamePlayer.open({
      store,
      chain,
      disputeGame: await sys.game.getAddress(),
      resultRegistry: await sys.results.getAddress(),
      stakeManager: await sys.stake.getAddress(),
      traceFor: () => Promise.resolve(trace),
      logger: silent,
    });
  }

  /** Ticks both sides until the game ends; lets the side to move run out of time when nobody can. */
  async function playOut(cu: RunningCompute, w: GamePlayer, gameId: string): Promise<number> {
    for (let round = 0; round < 80; round++) {
      await cu.tick();
      const b = await w.tick();
      const state = await sys.game.game(gameId);
      const status = Number(state.status);
      if (status >= GAME_STATUS.AsserterWon) return status;
      if (b.moves.length + b.timeouts.length + b.resolved.length === 0) {
        const left = Number(state.turn) === 0 ? state.asserterLeft : state.challengerLeft;
        await increaseTime(status === GAME_STATUS.StartProven ? sys.P.startGrace : left + 1n);
      }
    }
    throw new Error("the game did not end");
  }

  it("an honest CU defends its commitment against a lying challenger, wins and claims its payout", async function () {
    const cu = await runCu("honest");
    await cu.tick();
    const [row] = cu.cu.commitments(sys.process);
    expect(row.status).to.equal("posted");
    const honest = traceOf(sys, log);
    const liar = liarTrace(honest, { fromPosition: (1n << 32n) + 5n, salt: "lying challenger" });
    const w = await watcherPlayer("liar-watcher", liar);
    const gameId = await w.challenge(row.commitment);
    const before = await sys.stake.bondedOf(sys.watcher.address);
    const balance = await sys.token.balanceOf(sys.cu.address);
    expect(await playOut(cu, w, gameId)).to.equal(GAME_STATUS.AsserterWon);
    await cu.tick();
    expect(cu.player!.gameRecord(gameId)).to.include({ role: "defender", status: "won" });
    expect(cu.player!.gameRecord(gameId)!.moves).to.be.greaterThan(0);
    expect(await sys.stake.bondedOf(sys.watcher.address)).to.equal(before - sys.P.challengeBond);
    // The CU's share of the slashed bond, claimed by its loop.
    expect(await sys.stake.payoutOf(sys.cu.address)).to.equal(0n);
    expect(await sys.token.balanceOf(sys.cu.address)).to.equal(
      balance + (sys.P.challengeBond * sys.P.slashRewardBps) / 10_000n,
    );
  });

  it("a faulty CU plays its lie to the end against an honest watcher and loses (the fraud scenario)", async function () {
    const cu = await runCu("faulty", { kind: "state", fromSlot: 1 });
    await cu.tick();
    const [row] = cu.cu.commitments(sys.process);
    const honest = traceOf(sys, log);
    expect(row.commitment.stateHash).to.not.equal(honest.claim().stateHash);
    const w = await watcherPlayer("honest-watcher", honest);
    const gameId = await w.challenge(row.commitment);
    expect(await playOut(cu, w, gameId)).to.equal(GAME_STATUS.ChallengerWon);
    await cu.tick();
    expect(cu.player!.gameRecord(gameId)).to.include({ role: "defender", status: "lost" });
    expect(cu.player!.gameRecord(gameId)!.moves).to.be.greaterThan(0); // it did defend its lie
    expect(await sys.results.statusOf(row.commitment)).to.equal(3n); // Rejected
    // Its row becomes `rejected` (ChallengeLost) once looked at, and is never finalized nor pruned.
    await increaseTime(sys.P.challengeWindow + 1n);
    await cu.tick();
    const lost = cu.cu.commitments(sys.process).find((r) => r.id === row.id)!;
    expect([lost.status, lost.pruned]).to.deep.equal(["rejected", "ChallengeLost"]);
  });
});

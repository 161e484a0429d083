/**
 * Reorgs of the watcher's and the GamePlayer's own operations (threat model row 40, issue 8), simulated with
 * `evm_snapshot` / `evm_revert` as in test/adversarial/agents.test.ts: a challenge (the game's opening), a
 * timeout claim and a payout claim are each mined, seen by the agent, then reorganised away. Each is made
 * again exactly once (the same opId where the effect is the same), and nothing is done twice: the sender's
 * nonce on the surviving chain counts every transaction.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import hre, { ethers } from "hardhat";

import { ChainClient } from "../../agents/common/chain";
import { GamePlayer, GAME_STATUS } from "../../agents/common/games";
import { openStore, type Store } from "../../agents/common/store";
import { ListLogSource } from "../../agents/compute/domain/log-source";
import { startWatcher } from "../../agents/watcher/main";
import { startJsonRpcServer, type RunningJsonRpcServer } from "../../cli/lib/jsonrpc";
import { liarTrace, type GameTrace } from "../../sdk/ts/dispute";
import { commitmentId } from "../../sdk/ts/results";
import {
  assignMessages,
  deployGameSystem,
  increaseTime,
  postClaim,
  traceOf,
  type GameSystem,
} from "../helpers/game";
import { accountKey } from "../agents/scheduler/helpers";
import { gameWatcherConfig } from "../agents/watcher/helpers";
import { capturingLogger } from "./agent-helpers";

const SPECS = [
  { tags: { Action: "Increment" }, data: "a" },
  { tags: { Action: "Get" }, data: "b" },
  { tags: { Action: "Increment" }, data: "c" },
];

const snapshot = async () => (await ethers.provider.send("evm_snapshot", [])) as string;
const revert = async (id: string) => expect(await ethers.provider.send("evm_revert", [id])).to.equal(true);

describe("adversarial: reorgs of the watcher's and the GamePlayer's operations", function () {
  this.timeout(180_000);

  let rpc: RunningJsonRpcServer;
  let rpcUrl: string;
  let tmp: string;
  const open: { store: Store; chain: ChainClient }[] = [];

  before(async function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "holo-adv-reorg-"));
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

  async function makePlayer(sys: GameSystem, name: string, account: number, trace: GameTrace) {
    const { logger, lines } = capturingLogger(name);
    const store = openStore(path.join(tmp, `${name}.sqlite`), []);
    const chain = await ChainClient.connect({
      rpcUrl,
      wallet: accountKey(account),
      db: store.db,
      chainId: 31337,
      confirmations: 0,
      pollMs: 25,
      retry: { windowMs: 3_000, baseMs: 20, maxMs: 200 },
      waitTimeoutMs: 10_000,
      logger,
    });
    open.push({ store, chain });
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
    return { player, chain, lines };
  }

  /** A system with a wrong commitment over slots 0..2 posted by the CU account; the honest trace. */
  async function wrongCommitment(salt: string) {
    const sys = await deployGameSystem("counter");
    const log = await assignMessages(sys, 0n, SPECS);
    const honest = traceOf(sys, log);
    const liar = liarTrace(honest, { fromPosition: (1n << 32n) + 3n, salt });
    const { commitment } = await postClaim(sys, sys.cu, liar);
    return { sys, log, honest, commitment };
  }

  const nonceOf = (address: string) => ethers.provider.getTransactionCount(address, "latest");

  it("test_reorg_watcherChallengeReorganisedAway_reopenedOnceAndPlayed_succeeds", async function () {
    const { sys, log, commitment } = await wrongCommitment("reorg challenge");
    const id = commitmentId(commitment);
    const source = new ListLogSource();
    source.append(sys.process, log);
    const wasmFile = path.join(tmp, "counter.wasm");
    fs.writeFileSync(wasmFile, sys.wasm);
    const { logger, lines } = capturingLogger("watcher");
    const w = await startWatcher(
      gameWatcherConfig(sys, {
        rpcUrl,
        wasm: wasmFile,
        storePath: path.join(tmp, "w-reorg-challenge.sqlite"),
      }),
      logger,
      { source, loop: false },
    );
    try {
      const watcher = sys.watcher.address;
      const nonce0 = await nonceOf(watcher);
      const snap = await snapshot();
      await w.tick(); // judges, challenges, and makes the first move
      const gameId = w.watcher.check(id)!.gameId!;
      expect(gameId).to.match(/^0x[0-9a-f]{64}$/);
      const played = await sys.game.game(gameId);
      expect(Number(played.turn)).to.equal(0); // the challenger (us) bisected
      expect(await nonceOf(watcher)).to.equal(nonce0 + 2);

      await revert(snap); // the opening and the move are gone
      expect(Number((await sys.game.game(gameId)).status)).to.equal(GAME_STATUS.None);

      for (let round = 0; round < 4; round++) await w.tick();
      const again = await sys.game.game(gameId);
      expect(Number(again.status)).to.equal(GAME_STATUS.Active);
      expect(again.segmentHash).to.equal(played.segmentHash); // the same move, made once more
      expect(Number(again.turn)).to.equal(0);
      // Opened once and moved once on the surviving chain, and nothing more in further rounds.
      expect(
        await sys.game.queryFilter(sys.game.filters.GameOpened(undefined, id), 0, "latest"),
      ).to.have.length(1);
      expect(await nonceOf(watcher)).to.equal(nonce0 + 2);
      expect(w.watcher.check(id)!.gameId).to.equal(gameId);
      expect(lines.some((l) => l.event === "game.reorged")).to.equal(true);
    } finally {
      await w.stop();
    }
  });

  it("test_reorg_timeoutClaimReorganisedAway_afterTheGameWasRecordedWon_claimedAgainOnce_succeeds", async function () {
    const { sys, honest, commitment } = await wrongCommitment("reorg timeout");
    const w = await makePlayer(sys, "w-reorg-timeout", 4, honest);
    const gameId = await w.player.challenge(commitment);
    await w.player.tick(); // our first move; the asserter never answers
    const g = await sys.game.game(gameId);
    expect(Number(g.turn)).to.equal(0);
    await increaseTime(g.asserterLeft + 1n);

    const nonce0 = await nonceOf(w.chain.address);
    const snap = await snapshot();
    const first = await w.player.tick();
    expect(first.timeouts).to.deep.equal([gameId]);
    await w.player.tick(); // sees the end: recorded as won
    expect(w.player.gameRecord(gameId)!.status).to.equal("won");
    expect(Number((await sys.game.game(gameId)).status)).to.equal(GAME_STATUS.ChallengerWon);
    expect(await nonceOf(w.chain.address)).to.equal(nonce0 + 1);

    await revert(snap); // the timeout is gone: the game is active again on chain
    expect(Number((await sys.game.game(gameId)).status)).to.equal(GAME_STATUS.Active);

    const again = await w.player.tick();
    for (let round = 0; round < 3; round++) await w.player.tick();
    expect(Number((await sys.game.game(gameId)).status)).to.equal(GAME_STATUS.ChallengerWon);
    expect(again.timeouts).to.deep.equal([gameId]);
    expect(again.reorged).to.deep.equal([gameId]);
    expect(w.player.gameRecord(gameId)!.status).to.equal("won");
    expect(await nonceOf(w.chain.address)).to.equal(nonce0 + 1); // one timeout on the surviving chain
    expect(w.chain.operation(`timeout:${gameId}`)!.status).to.equal("done");
    expect(w.lines.some((l) => l.event === "chain.op.reorged" && l.opId === `timeout:${gameId}`)).to.equal(
      true,
    );
  });

  it("test_reorg_payoutClaimReorganisedAway_claimedAgainOnce_paidOnce_succeeds", async function () {
    const { sys, honest, commitment } = await wrongCommitment("reorg payout");
    const w = await makePlayer(sys, "w-reorg-payout", 4, honest);
    const gameId = await w.player.challenge(commitment);
    await w.player.tick();
    await increaseTime((await sys.game.game(gameId)).asserterLeft + 1n);
    await w.player.tick();
    await w.player.tick();
    expect(w.player.gameRecord(gameId)!.status).to.equal("won");
    const owed = await sys.stake.payoutOf(w.chain.address);
    expect(owed > 0n).to.equal(true);
    const balance0 = await sys.token.balanceOf(w.chain.address);
    const nonce0 = await nonceOf(w.chain.address);

    const snap = await snapshot();
    expect(await w.player.claimPayouts()).to.equal(owed);
    expect(await sys.stake.payoutOf(w.chain.address)).to.equal(0n);
    expect(await sys.token.balanceOf(w.chain.address)).to.equal(balance0 + owed);

    await revert(snap); // the claim is gone: owed again, not paid
    expect(await sys.stake.payoutOf(w.chain.address)).to.equal(owed);
    expect(await sys.token.balanceOf(w.chain.address)).to.equal(balance0);

    expect(await w.player.claimPayouts()).to.equal(owed);
    expect(await w.player.claimPayouts()).to.equal(0n); // nothing more to claim, nothing sent
    await w.player.tick();
    expect(await sys.stake.payoutOf(w.chain.address)).to.equal(0n);
    expect(await sys.token.balanceOf(w.chain.address)).to.equal(balance0 + owed); // paid once
    expect(await nonceOf(w.chain.address)).to.equal(nonce0 + 1); // one claim on the surviving chain
  });

  it("test_reorg_opponentMoveReplacedByAnotherInAnEarlierBlock_segmentRebuiltFromTheOpening_answered_succeeds", async function () {
    const { sys, honest, commitment } = await wrongCommitment("reorg replaced");
    // Two liars with the same claim who answer the first bisection differently.
    const liarA = liarTrace(honest, { fromPosition: (1n << 32n) + 3n, salt: "reorg replaced" });
    const liarB = liarTrace(honest, { fromPosition: 2n, salt: "reorg replaced" });
    expect(liarB.claim().stateHash).to.equal(commitment.stateHash);
    const w = await makePlayer(sys, "w-reorg-replaced", 4, honest);
    const gameId = await w.player.challenge(commitment);
    await w.player.tick(); // our bisection
    const snap = await snapshot();

    // Branch 1: blocks pass, the liar answers, we record its segment (from a late block) and answer.
    await hre.network.provider.request({ method: "hardhat_mine", params: ["0x5"] });
    const pA = await makePlayer(sys, "p-reorg-replaced-a", 3, liarA);
    await pA.player.tick();
    await w.player.tick();
    const branch1 = await sys.game.game(gameId);
    expect(Number(branch1.turn)).to.equal(0);
    expect(w.player.gameRecord(gameId)!.moves).to.equal(2);

    // The reorg: the liar's answer is replaced by another one, mined in an earlier block.
    await revert(snap);
    const pB = await makePlayer(sys, "p-reorg-replaced-b", 3, liarB);
    await pB.player.tick();
    const branch2 = await sys.game.game(gameId);
    expect(Number(branch2.turn)).to.equal(1);
    expect(branch2.segmentHash).to.not.equal(branch1.segmentHash);

    // We rebuild the segment from the game's opening and answer the move that survived, once.
    const report = await w.player.tick();
    expect(report.moves).to.deep.equal([gameId]);
    const answered = await sys.game.game(gameId);
    expect(Number(answered.turn)).to.equal(0);
    expect(answered.segmentHash).to.not.equal(branch2.segmentHash);
    expect(w.player.gameRecord(gameId)!.lastError).to.equal(null);
    expect((await w.player.tick()).moves).to.deep.equal([]); // the liar's turn: nothing more
  });
});

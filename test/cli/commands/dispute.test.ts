import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import { ethers } from "ethers";
import hre from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { startJsonRpcServer, type RunningJsonRpcServer } from "../../../cli/lib/jsonrpc";
import { deployDevnet, type DevnetDeployment } from "../../../deploy";
import { commitmentId, type Commitment } from "../../../sdk/ts/results";
import type { IDisputeGame } from "../../../typechain-types/contracts/dispute/DisputeGame";
import { NO_PARENT } from "../../helpers/game";
import { bondAndSpawn, holo, isolateChainEnv } from "../helpers";

/** A commitment over 3 slots: depth 2, a trace of 2^34 steps; messages 3 and beyond are padding. */
const STEPS = 2n ** 34n;

interface Clock {
  left: number;
  leftText: string;
  running: boolean;
  expired: boolean;
}
interface Shown {
  status: string;
  turn: string | null;
  clocks: { asserter: Clock; challenger: Clock };
  deadline: number | null;
  segment: { start: string; length: string; points: string[]; matchesStored: boolean };
  moves: Record<string, unknown>[];
  resolution: Record<string, unknown> | null;
  [key: string]: unknown;
}

describe("cli/commands/dispute (holo dispute)", function () {
  const env = isolateChainEnv();
  let tmp: string;
  let snapshot: string;
  let server: RunningJsonRpcServer;
  let devnet: DevnetDeployment;
  let connection: string[];
  let processId: string;
  let commitment: Commitment;
  let cu: HardhatEthersSigner;
  let watcher: HardhatEthersSigner;
  let second: HardhatEthersSigner;
  /** Game 1 (watcher, played down to a one-step proof) and game 2 (second, ended by a timeout). */
  let game1: Awaited<ReturnType<typeof open>>;
  let game2: Awaited<ReturnType<typeof open>>;
  /** Each game's segment as its last mover posted it. */
  type Segment = { start: bigint; length: bigint; points: string[] };
  let segment1: Segment;

  async function open(challenger: HardhatEthersSigner) {
    const game = devnet.contracts.disputeGame;
    const receipt = (await (await game.connect(challenger).openChallenge(commitment, NO_PARENT)).wait())!;
    const event = receipt.logs
      .map((log) => game.interface.parseLog(log))
      .find((e) => e?.name === "GameOpened")!;
    const block = (await hre.ethers.provider.getBlock(receipt.blockNumber))!;
    const ctx: IDisputeGame.GameContextStruct = {
      commitment,
      challenger: challenger.address,
      bond: await game.challengeBond(),
    };
    expect(await game.gameId(ctx)).to.equal(event.args.gameId);
    const opening: Segment = {
      start: 0n,
      length: event.args.steps as bigint,
      points: [event.args.startPoint as string, event.args.endPoint as string],
    };
    return { id: event.args.gameId as string, ctx, openedAt: block.timestamp, opening };
  }

  /** `mover` bisects the last part of `segment` of `game` with fresh points; returns the new segment. */
  async function bisectLast(
    game: { ctx: IDisputeGame.GameContextStruct },
    segment: Segment,
    mover: HardhatEthersSigner,
    label: string,
  ): Promise<Segment> {
    const parts = BigInt(segment.points.length - 1);
    const index = parts - 1n;
    const length = segment.length / parts;
    const start = segment.start + index * length;
    const count = Number(length < 16n ? length : 16n);
    const points = [segment.points[Number(index)]];
    for (let i = 1; i <= count; i++) points.push(ethers.id(`${label} point ${i}`));
    await (await devnet.contracts.disputeGame.connect(mover).bisect(game.ctx, segment, index, points)).wait();
    return { start, length, points };
  }

  const show = async (id: string, ...args: string[]) => {
    const run = await holo("dispute", "show", id, ...connection, ...args, "--json");
    expect(run.code, run.stderr).to.equal(0);
    return run.json() as unknown as Shown;
  };
  const now = async () => (await hre.ethers.provider.getBlock("latest"))!.timestamp;
  async function increaseTime(seconds: number): Promise<void> {
    await hre.network.provider.request({ method: "evm_increaseTime", params: [seconds] });
    await hre.network.provider.request({ method: "evm_mine" });
  }

  before(async function () {
    env.clear();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "holo-dispute-"));
    snapshot = (await hre.network.provider.request({ method: "evm_snapshot" })) as string;
    const signers = await hre.ethers.getSigners();
    const [, scheduler, owner] = signers;
    [cu, watcher, second] = signers.slice(3, 6);
    const operators = [scheduler, cu, watcher, second];
    devnet = await deployDevnet(hre, { fund: { accounts: operators.map((s) => s.address) } });
    const { resultRegistry } = devnet.contracts;
    processId = await bondAndSpawn(devnet, operators, owner, scheduler);
    const args = [
      processId,
      ethers.ZeroHash,
      0n,
      2n,
      ethers.id("last assignment"),
      ethers.id("state"),
      ethers.id("results"),
      ethers.ZeroHash,
    ] as const;
    await (await resultRegistry.connect(cu).postCommitment(...args)).wait();
    commitment = {
      process: processId,
      parent: ethers.ZeroHash,
      firstSlot: 0n,
      lastSlot: 2n,
      lastAssignmentHash: args[4],
      stateHash: args[5],
      resultsRoot: args[6],
      arweaveRef: args[7],
      poster: cu.address,
      stake: await resultRegistry.commitmentStake(),
    };

    server = await startJsonRpcServer(hre, "127.0.0.1", 0);
    const deployment = path.join(tmp, "deployed_addresses.json");
    fs.writeFileSync(deployment, JSON.stringify({ "Devnet#DisputeGame": devnet.addresses.disputeGame }));
    connection = ["--rpc", `http://127.0.0.1:${server.port}`, "--deployment", deployment];

    game1 = await open(watcher);
    game2 = await open(second);
    segment1 = game1.opening;
  });

  after(async function () {
    await server?.close();
    if (snapshot !== undefined)
      await hre.network.provider.request({ method: "evm_revert", params: [snapshot] });
    fs.rmSync(tmp, { recursive: true, force: true });
    env.restore();
  });

  it("lists the games just opened: active, the challenger to move, both clocks full", async function () {
    const { code, stderr, json } = await holo("dispute", "list", ...connection, "--json");
    expect(code, stderr).to.equal(0);
    const listed = json();
    const clockTime = Number(await devnet.contracts.disputeGame.clockTime());
    const t = await now();
    expect(listed).to.deep.include({
      event: "disputes",
      disputeGame: devnet.addresses.disputeGame,
      chainTime: t,
    });
    const games = listed.games as (Shown & { gameId: string })[];
    expect(games.map((g) => [g.gameId, g.challenger, g.commitmentId])).to.deep.equal([
      [game1.id, watcher.address, commitmentId(commitment)],
      [game2.id, second.address, commitmentId(commitment)],
    ]);
    for (const [g, opened] of [
      [games[0], game1],
      [games[1], game2],
    ] as const) {
      const left = clockTime - (t - opened.openedAt);
      expect(g).to.deep.include({
        status: "active",
        turn: "challenger",
        deadline: opened.openedAt + clockTime,
      });
      expect(g.clocks).to.deep.equal({
        asserter: { left: clockTime, leftText: "2 min", running: false, expired: false },
        challenger: { left, leftText: g.clocks.challenger.leftText, running: true, expired: false },
      });
    }

    const text = await holo("dispute", "list", ...connection);
    expect(text.stdout).to.include(`2 dispute games (DisputeGame ${devnet.addresses.disputeGame})`);
    expect(text.stdout).to.include(`  ${game1.id}  ACTIVE\n`);
    expect(text.stdout).to.match(/ {4}challenger to move, by \S+ \(in (2 min|1 min \d+ s)\)\n/);

    const other = await holo(
      "dispute",
      "list",
      "--commitment",
      ethers.id("another"),
      ...connection,
      "--json",
    );
    expect(other.json().games).to.deep.equal([]);
    const mine = await holo(
      "dispute",
      "list",
      "--commitment",
      commitmentId(commitment),
      "--open",
      ...connection,
      "--json",
    );
    expect((mine.json().games as unknown[]).length).to.equal(2);
  });

  it("shows a game: the sides, the running clock since the last move, the segment and the moves", async function () {
    await increaseTime(30);
    const opened = await show(game1.id);
    const clockTime = Number(await devnet.contracts.disputeGame.clockTime());
    const t = await now();
    expect(opened).to.deep.include({
      event: "dispute",
      gameId: game1.id,
      commitmentId: commitmentId(commitment),
      process: processId,
      slots: { first: "0", last: "2" },
      asserter: cu.address,
      challenger: watcher.address,
      steps: STEPS.toString(),
      status: "active",
      turn: "challenger",
      lastMoveAt: game1.openedAt,
      moves: [],
      resolution: null,
    });
    expect(opened.clocks.challenger).to.deep.include({
      left: clockTime - (t - game1.openedAt),
      running: true,
    });
    expect(opened.clocks.challenger.left).to.be.at.most(clockTime - 30);
    expect(opened.segment).to.deep.equal({
      start: "0",
      length: STEPS.toString(),
      points: game1.opening.points,
      matchesStored: true,
    });

    // The challenger bisects the whole trace: now the asserter's clock runs, and the challenger's is
    // what it had left.
    segment1 = await bisectLast(game1, segment1, watcher, "challenger 1");
    const moved = await show(game1.id);
    const g = await devnet.contracts.disputeGame.game(game1.id);
    expect(moved).to.deep.include({ turn: "asserter", lastMoveAt: Number(g.lastMoveAt) });
    expect(moved.clocks.challenger).to.deep.include({ left: Number(g.challengerLeft), running: false });
    expect(moved.clocks.asserter).to.deep.include({ left: clockTime, running: true });
    expect(moved.segment).to.deep.equal({
      start: "0",
      length: STEPS.toString(),
      points: segment1.points,
      matchesStored: true,
    });
    expect(segment1.points).to.have.lengthOf(17);
    expect(moved.moves).to.have.lengthOf(1);
    expect(moved.moves[0]).to.deep.include({
      n: 1,
      side: "challenger",
      action: "bisect",
      start: "0",
      length: STEPS.toString(),
      points: segment1.points,
      asserterLeft: clockTime,
      challengerLeft: Number(g.challengerLeft),
      block: await hre.ethers.provider.getBlockNumber(),
    });

    const text = await holo("dispute", "show", game1.id, ...connection);
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stdout).to.include(`Dispute game ${game1.id}  ACTIVE\n`);
    expect(text.stdout).to.include(`  asserter    ${cu.address}\n  challenger  ${watcher.address}\n`);
    expect(text.stdout).to.include("  clocks      asserter 2 min left (running); challenger ");
    expect(text.stdout).to.match(/ {2}asserter to move, by \S+ \(in 2 min\)\n/);
    expect(text.stdout).to.include(
      `  segment     [0, ${STEPS}] (${STEPS} steps), 17 points:\n      0  ${segment1.points[0]}\n`,
    );
    expect(text.stdout).to.match(
      new RegExp(` {4}1\\. challenger bisected to \\[0, ${STEPS}\\] at \\S+ \\(block \\d+\\)`),
    );
  });

  it("shows the moves down to a one-step proof and the resolution", async function () {
    // Bisections alternate, the asserter first, down to a segment of 4 padding steps.
    const movers = [cu, watcher];
    for (let i = 0; segment1.length > 4n; i++) {
      segment1 = await bisectLast(game1, segment1, movers[i % 2], `move ${i + 2}`);
    }
    expect(segment1.start).to.equal(STEPS - 4n);
    const last = await show(game1.id);
    expect(last.moves).to.have.lengthOf(9);
    expect(last.turn).to.equal("asserter");
    expect(last.segment).to.deep.equal({
      start: (STEPS - 4n).toString(),
      length: "4",
      points: segment1.points,
      matchesStored: true,
    });

    // The asserter proves the first step: a padding step changes nothing, but the challenger's next point does.
    await (await devnet.contracts.disputeGame.connect(cu).provePadding(game1.ctx, segment1, 0)).wait();
    const over = await show(game1.id);
    expect(over).to.deep.include({ status: "asserter-won", turn: null, deadline: null });
    expect(over.moves).to.have.lengthOf(10);
    expect(over.moves[9]).to.deep.include({
      n: 10,
      side: "asserter",
      action: "prove",
      position: (STEPS - 4n).toString(),
      kind: "padding",
      post: segment1.points[0],
    });
    expect(over.resolution).to.deep.include({ outcome: "asserter-won", slashed: game1.ctx.bond.toString() });
    expect(over.clocks.asserter.running).to.equal(false);

    const text = await holo("dispute", "show", game1.id, ...connection);
    expect(text.stdout).to.include(`    10. asserter proved the padding step at ${STEPS - 4n} at `);
    expect(text.stdout).to.include(`  resolved    asserter-won in block `);
    expect(text.stdout).to.include("  over: asserter-won\n");
  });

  it("shows a clock that ran out, and the game's end by timeout; --open leaves out finished games", async function () {
    const clockTime = Number(await devnet.contracts.disputeGame.clockTime());
    await bisectLast(game2, game2.opening, second, "game 2");
    await increaseTime(clockTime);
    const expired = await show(game2.id);
    expect(expired).to.deep.include({ status: "active", turn: "asserter" });
    expect(expired.clocks.asserter).to.deep.equal({ left: 0, leftText: "0 s", running: true, expired: true });
    expect(expired.moves).to.have.lengthOf(1);
    const text = await holo("dispute", "show", game2.id, ...connection);
    expect(text.stdout).to.include("  asserter's clock ran out at ");
    expect(text.stdout).to.include(": anyone may call timeout, and the other side wins\n");
    expect(text.stdout).to.include("asserter ran out (timeout can be called)");

    const open = await holo("dispute", "list", "--open", ...connection, "--json");
    expect((open.json().games as { gameId: string }[]).map((g) => g.gameId)).to.deep.equal([game2.id]);

    await (await devnet.contracts.disputeGame.connect(second).timeout(game2.ctx)).wait();
    const done = await show(game2.id);
    expect(done).to.deep.include({ status: "challenger-won", turn: null });
    expect(done.resolution).to.deep.include({
      outcome: "challenger-won",
      slashed: commitment.stake.toString(),
    });
    const none = await holo("dispute", "list", "--open", ...connection);
    expect(none.stdout).to.match(/^0 open dispute games \(DisputeGame 0x[0-9a-fA-F]{40}\)\n$/);
    const all = await holo("dispute", "list", ...connection, "--json");
    expect((all.json().games as Shown[]).map((g) => [g.status, g.turn])).to.deep.equal([
      ["asserter-won", null],
      ["challenger-won", null],
    ]);
  });

  describe("bad input", function () {
    it("names an unknown game (exit 1), and a game whose opening is before --from-block", async function () {
      const unknown = ethers.id("no such game");
      const none = await holo("dispute", "show", unknown, ...connection, "--json");
      expect(none.code).to.equal(1);
      expect(none.json().error).to.deep.equal({
        code: "E_NOT_FOUND",
        message: `no dispute game ${unknown} on the DisputeGame ${devnet.addresses.disputeGame}`,
      });
      const latest = await hre.ethers.provider.getBlockNumber();
      const late = await holo("dispute", "show", game1.id, "--from-block", String(latest), ...connection);
      expect(late.code).to.equal(1);
      expect(late.stderr).to.equal(
        `error: dispute game ${game1.id} exists, but its GameOpened event is not in the blocks searched: lower --from-block\n`,
      );
    });

    it("refuses malformed ids, extra arguments and unknown options (exit 2)", async function () {
      const cases: [string[], string][] = [
        [
          ["show", "0x1234"],
          `error: command-argument value '0x1234' is invalid for argument 'gameId'. "0x1234" is not a 32-byte hex value`,
        ],
        [["show"], "error: missing required argument 'gameId'"],
        [["show", game1.id, game2.id], "error: too many arguments for 'show'"],
        [["list", "--commitment", "abc"], `error: option '--commitment <id>' argument 'abc' is invalid.`],
        [["list", "--all"], "error: unknown option '--all'"],
        [["list", "--from-block", "-3"], "error: option '--from-block <n>' argument '-3' is invalid."],
      ];
      for (const [args, message] of cases) {
        const { code, stderr } = await holo("dispute", ...args, ...connection);
        expect(code, args.join(" ")).to.equal(2);
        expect(stderr, args.join(" ")).to.include(message);
      }
    });

    it("needs a deployment with a DisputeGame (exit 3)", async function () {
      const file = path.join(tmp, "registry-only.json");
      fs.writeFileSync(file, JSON.stringify({ resultRegistry: devnet.addresses.resultRegistry }));
      const { code, stderr } = await holo("dispute", "list", "--rpc", connection[1], "--deployment", file);
      expect(code).to.equal(3);
      expect(stderr).to.equal(
        `error: deployment file ${file} has no address for the DisputeGame (disputeGame)\n`,
      );
    });
  });
});

/**
 * The watcher (agents/watcher) against real components: the Hardhat chain over JSON-RPC, ArLocal, and a
 * real scheduler unit publishing messages and assignments to it. Commitments are posted from the compute
 * unit's account: a correct one (verdict agree, no game), a wrong one (the watcher challenges from the
 * Arweave log, wins, the poster is slashed, the watcher claims its payout) and one over slots not yet on
 * Arweave (pending, paged once half its window is gone).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { Writable } from "node:stream";

import ArLocal from "arlocal";
import { expect } from "chai";
import hre, { ethers } from "hardhat";

import {
  ArweaveClient,
  createSignedMessage,
  verifyDataItem,
  WalletFunding,
} from "../../../agents/common/arweave";
import { ChainClient } from "../../../agents/common/chain";
import { ConfigError, loadConfig } from "../../../agents/common/config";
import { GamePlayer } from "../../../agents/common/games";
import { createLogger } from "../../../agents/common/log";
import { openStore } from "../../../agents/common/store";
import { SchedulerSettings } from "../../../agents/scheduler/config";
import { assignmentTags } from "../../../agents/scheduler/domain/publisher";
import { canonicalEncoding } from "../../../agents/scheduler/domain/scheduler";
import { startScheduler, type RunningScheduler } from "../../../agents/scheduler/main";
import { WatcherSettings } from "../../../agents/watcher/config";
import { ArweaveLogSource, assignmentFromTags } from "../../../agents/watcher/domain/arweave-log";
import { WatcherError } from "../../../agents/watcher/domain/errors";
import { verifyEntry } from "../../../agents/watcher/domain/watcher";
import { main, startWatcher } from "../../../agents/watcher/main";
import { startJsonRpcServer, type RunningJsonRpcServer } from "../../../cli/lib/jsonrpc";
import { Process } from "../../../machine/process";
import { liarTrace, type SlotInput } from "../../../sdk/ts/dispute";
import {
  assignmentDomain,
  assignmentHash,
  signAssignment,
  signAssignmentWithKey,
} from "../../../sdk/ts/assignments";
import { commitmentId, type Commitment } from "../../../sdk/ts/results";
import {
  assignMessages,
  deployGameSystem,
  increaseTime,
  postClaim,
  traceOf,
  type GameSystem,
} from "../../helpers/game";
import { ListLogSource } from "../../../agents/compute/domain/log-source";
import { accountKey, arweaveWallet, message, tempDir } from "../scheduler/helpers";
import { gameWatcherConfig } from "./helpers";

const silent = createLogger({ agent: "watcher-test", level: "silent" });

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe("agents/watcher", function () {
  this.timeout(90_000);

  let arlocal: ArLocal;
  let arlocalDir: string;
  let gateway: string;
  let rpc: RunningJsonRpcServer;
  let rpcUrl: string;
  let dir: string;
  let sys: GameSystem;
  let su: RunningScheduler;
  let wasmFile: string;
  let walletFile: string;

  before(async function () {
    const port = await freePort();
    arlocalDir = tempDir("holo-watcher-arlocal-");
    arlocal = new ArLocal(port, false, arlocalDir);
    await arlocal.start();
    gateway = `http://127.0.0.1:${port}`;
    const wallet = await arweaveWallet();
    const client = new ArweaveClient({ url: gateway, wallet, local: true, logger: silent });
    await new WalletFunding(client).fund(wallet, 10n ** 15n);
    rpc = await startJsonRpcServer(hre, "127.0.0.1", 0);
    rpcUrl = `http://127.0.0.1:${rpc.port}`;
    dir = tempDir("holo-watcher-");
    walletFile = path.join(dir, "wallet.json");
    fs.writeFileSync(walletFile, JSON.stringify(wallet));
    await boot("a");
  });

  /** A fresh system (a new process) and a scheduler unit for it, publishing to ArLocal. */
  async function boot(name: string): Promise<void> {
    sys = await deployGameSystem("counter");
    wasmFile = path.join(dir, "counter.wasm");
    fs.writeFileSync(wasmFile, sys.wasm);
    const { chainId } = await ethers.provider.getNetwork();
    const suConfig = loadConfig(SchedulerSettings, {
      env: {},
      flags: {
        rpcUrl,
        privateKey: accountKey(2), // deployGameSystem's scheduler
        processRegistry: await sys.processes.getAddress(),
        chainId: String(chainId),
        arweaveUrl: gateway,
        arweaveWallet: walletFile,
        storePath: path.join(dir, `su-${name}.sqlite`),
        processes: sys.process,
        port: "0",
        publishEvery: "50ms",
      },
    });
    su = await startScheduler(suConfig, silent, { provider: ethers.provider });
  }

  after(async function () {
    await su?.stop();
    await rpc?.close(0);
    await arlocal?.stop();
    fs.rmSync(arlocalDir, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Sends messages to the SU and waits until they are on Arweave. */
  async function publish(data: string[]): Promise<void> {
    for (const d of data) {
      await su.scheduler.accept(await message(sys.process, d, [{ name: "Action", value: "Increment" }]));
    }
    const deadline = Date.now() + 20_000;
    while (su.publisher.lag() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(su.publisher.lag()).to.equal(0);
  }

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

  async function postRaw(c: Omit<Commitment, "poster" | "stake">): Promise<Commitment> {
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

  function config(extra: Record<string, unknown> = {}) {
    return gameWatcherConfig(
      sys,
      { rpcUrl, wasm: wasmFile, storePath: path.join(dir, "watcher.sqlite") },
      { arweaveUrl: gateway, ...extra },
    );
  }

  it("rebuilds the signed log from Arweave alone, as the SU has it", async function () {
    await publish(["a", "b", "c"]);
    const { chainId } = await ethers.provider.getNetwork();
    const source = new ArweaveLogSource({
      arweave: new ArweaveClient({ url: gateway, logger: silent }),
      domain: sys.domain,
      schedulerOf: () => sys.scheduler.address,
      pageSize: 2,
    });
    expect(chainId).to.equal(31337n);
    const fromArweave = await source.read(sys.process, 0n, 10);
    const fromSu = await slotsOf(0, 2);
    expect(fromArweave).to.have.length(3);
    for (const [i, e] of fromArweave.entries()) {
      expect(e.signature).to.equal(fromSu[i].signature);
      expect(ethers.hexlify(e.message)).to.equal(ethers.hexlify(fromSu[i].message));
      expect(e.assignment.messageHash).to.equal(fromSu[i].assignment.messageHash.toLowerCase());
      expect(BigInt(e.assignment.slot)).to.equal(BigInt(i));
    }
    expect(await source.read(sys.process, 2n, 5)).to.have.length(1);
    expect(await source.read(sys.process, 3n, 5)).to.deep.equal([]);

    // A restarted watcher resumes after its stored end: told slot 1's hash, a fresh source reads slot 2
    // without querying the log before it; told a wrong hash, no slot 2 chains to it.
    const resumedFrom = (lastHash: string) => {
      const client = new ArweaveClient({ url: gateway, logger: silent });
      const nonces: string[][] = [];
      const query = client.queryAllByTags.bind(client);
      client.queryAllByTags = (q) => {
        nonces.push([...(q.tags.find((t) => t.name === "Nonce")?.values ?? [])]);
        return query(q);
      };
      const s = new ArweaveLogSource({
        arweave: client,
        domain: sys.domain,
        schedulerOf: () => sys.scheduler.address,
        pageSize: 2,
      });
      s.resume(sys.process, 1n, lastHash);
      return { s, nonces };
    };
    const resumed = resumedFrom(assignmentHash(sys.domain, fromSu[1].assignment));
    const next = await resumed.s.read(sys.process, 2n, 5);
    expect(next.map((e) => e.signature)).to.deep.equal([fromSu[2].signature]);
    expect(
      resumed.nonces
        .flat()
        .map(Number)
        .every((n) => n >= 2),
    ).to.equal(true, `queried ${JSON.stringify(resumed.nonces)}`);
    const misled = resumedFrom(ethers.id("not slot 1"));
    expect(await misled.s.read(sys.process, 2n, 5)).to.deep.equal([]);

    // Anyone can post items with these tags: forged copies (signed by another key) are skipped, so a
    // forged slot 1 does not replace the real one and a forged slot 3 is no slot at all.
    const forge = async (slot: number, prev: string) => {
      const real = fromSu[Math.min(slot, 2)].assignment;
      const a = { ...real, slot: BigInt(slot), prevAssignmentHash: prev };
      const signature = await signAssignment(sys.watcher, sys.domain, a);
      return createSignedMessage(await arweaveWallet(), {
        type: "Assignment",
        tags: assignmentTags({
          process: sys.process,
          slot,
          message_id: Buffer.from(ethers.getBytes(a.messageId)).toString("base64url"),
          timestamp: Number(a.timestamp),
          block_height: Number(a.blockHeight),
          hash: assignmentHash(sys.domain, a),
          signature,
          message_hash: a.messageHash,
          message_length: Number(a.messageLength),
          prev_hash: a.prevAssignmentHash,
          scheduler: sys.scheduler.address,
        }),
      });
    };
    const client = new ArweaveClient({
      url: gateway,
      wallet: await arweaveWallet(),
      local: true,
      logger: silent,
    });
    await client.postDataItems([
      await forge(1, assignmentHash(sys.domain, fromSu[0].assignment)),
      await forge(3, assignmentHash(sys.domain, fromSu[2].assignment)),
    ]);
    const copies = await client.queryByTags({
      tags: [
        { name: "Type", values: ["Assignment"] },
        { name: "Holo-Process", values: [sys.process] },
        { name: "Nonce", values: ["1", "3"] },
      ],
      first: 10,
    });
    expect(copies.items).to.have.length(3); // the real slot 1, and the two forgeries
    const fresh = new ArweaveLogSource({
      arweave: new ArweaveClient({ url: gateway, logger: silent }),
      domain: sys.domain,
      schedulerOf: () => sys.scheduler.address,
    });
    const again = await fresh.read(sys.process, 0n, 10);
    expect(again.map((e) => e.signature)).to.deep.equal(fromSu.map((e) => e.signature));
    expect(await fresh.read(sys.process, 3n, 5)).to.deep.equal([]);
  });

  it("agrees with a correct commitment, challenges a wrong one, wins, is paid, and waits for missing data", async function () {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      agent: "watcher",
      level: "info",
      destination: new Writable({
        write(chunk: Buffer, _enc, done) {
          for (const l of chunk.toString().split("\n"))
            if (l.trim() !== "") lines.push(JSON.parse(l) as never);
          done();
        },
      }),
    });
    // A correct commitment over slots 0..2.
    const first = await slotsOf(0, 2);
    const good = await postClaim(sys, sys.cu, traceOf(sys, first));

    let w = await startWatcher(config(), logger, { loop: false });
    try {
      await w.tick();
      expect(w.watcher.check(good.id)).to.include({ verdict: "agree", gameId: null });
      expect(w.player.games()).to.deep.equal([]);

      // Three more slots; a wrong stateHash over them, and a commitment over a slot not published yet.
      await publish(["d", "e", "f"]);
      const next = await slotsOf(3, 5);
      const parentProcess = Process.fromWasm(sys.wasm, { memoryLimitPages: sys.P.memoryPages });
      for (const s of first) parentProcess.handleMessage(s.message, { stepLimit: sys.P.stepLimit });
      const claim = traceOf(sys, next, 3n, {
        process: parentProcess,
        prevAssignmentHash: good.commitment.lastAssignmentHash,
        stateHash: good.commitment.stateHash,
      }).claim();
      const wrong = await postRaw({
        process: sys.process,
        parent: good.id,
        firstSlot: 3n,
        lastSlot: 5n,
        lastAssignmentHash: claim.lastAssignmentHash,
        stateHash: ethers.id("not the state"),
        resultsRoot: claim.resultsRoot,
        arweaveRef: ethers.id("ref"),
      });
      const early = await postRaw({
        process: sys.process,
        parent: good.id,
        firstSlot: 3n,
        lastSlot: 6n,
        lastAssignmentHash: claim.lastAssignmentHash,
        stateHash: claim.stateHash,
        resultsRoot: claim.resultsRoot,
        arweaveRef: ethers.id("early"),
      });
      const wrongId = commitmentId(wrong);

      await w.tick();
      const check = w.watcher.check(wrongId)!;
      expect(check.verdict).to.equal("disagree");
      expect(check.detail).to.match(/^stateHash /);
      expect(check.gameId).to.match(/^0x[0-9a-f]{64}$/);
      expect(w.watcher.check(commitmentId(early))).to.include({ verdict: "pending" });
      expect(w.watcher.check(commitmentId(early))!.detail).to.match(/not on Arweave/);
      const game = w.player.gameRecord(check.gameId!)!;
      expect(game).to.include({ role: "challenger", side: 1, status: "active", moves: 1 });
      expect(Number((await sys.game.game(check.gameId!)).turn)).to.equal(0); // the poster's turn
      expect(lines.some((l) => l.event === "page.dataMissing")).to.equal(false);

      // Restart: the state is rebuilt from Arweave, nothing is sent again.
      await w.stop();
      w = await startWatcher(config(), logger, { loop: false });
      const nonce = await ethers.provider.getTransactionCount(sys.watcher.address);
      await w.tick();
      expect(await ethers.provider.getTransactionCount(sys.watcher.address)).to.equal(nonce);
      expect(w.player.games()).to.have.length(1);

      // Half of the window gone and slot 6 still missing: a page, once.
      await increaseTime(sys.P.challengeWindow / 2n + 1n);
      await w.tick();
      await w.tick();
      expect(lines.filter((l) => l.event === "page.dataMissing")).to.have.length(1);

      // The poster never answers: once its clock has run out, the watcher times it out and wins.
      const state = await sys.game.game(check.gameId!);
      await increaseTime(state.asserterLeft);
      const bondedBefore = await sys.stake.bondedOf(sys.cu.address);
      const balanceBefore = await sys.token.balanceOf(sys.watcher.address);
      await w.tick();
      await w.tick();
      expect((await sys.game.game(check.gameId!)).status).to.equal(4n); // ChallengerWon
      expect(w.player.gameRecord(check.gameId!)!.status).to.equal("won");
      expect(await sys.results.statusOf(wrong)).to.equal(3n); // Rejected
      expect(await sys.stake.bondedOf(sys.cu.address)).to.equal(bondedBefore - wrong.stake);
      const reward = (wrong.stake * sys.P.slashRewardBps) / 10_000n;
      expect(await sys.token.balanceOf(sys.watcher.address)).to.equal(balanceBefore + reward);
      expect(await sys.stake.payoutOf(sys.watcher.address)).to.equal(0n);

      const metrics = await (await fetch(`${w.url}/metrics`)).text();
      // (counted since the restart: the missing data once)
      expect(metrics).to.match(/holo_watcher_commitments_checked_total\{verdict="unavailable"\} 1\b/);
      expect(metrics).to.match(/holo_watcher_games_open 0\b/);
      const checks = (await (await fetch(`${w.url}/checks`)).json()) as { verdict: string }[];
      expect(checks.map((c) => c.verdict).sort()).to.deep.equal(["agree", "disagree", "pending"]);
    } finally {
      await w.stop();
    }
  });

  it("plays a whole game from its Arweave trace against a poster defending a lie, and wins", async function () {
    await su.stop();
    await boot("b");
    await publish(["a", "b", "c", "d"]);
    const honest = traceOf(sys, await slotsOf(0, 3));
    const liar = liarTrace(honest, { fromPosition: (2n << 32n) + 5n, salt: "watcher test" });
    const { commitment, id } = await postClaim(sys, sys.cu, liar);

    // The poster defends its lie with the same GamePlayer (the devnet's fraud scenario).
    const store = openStore(path.join(dir, "poster-b.sqlite"), []);
    const chain = await ChainClient.connect({
      rpcUrl,
      wallet: accountKey(3),
      db: store.db,
      confirmations: 0,
      pollMs: 25,
      logger: silent,
    });
    const w = await startWatcher(config({ storePath: path.join(dir, "watcher-b.sqlite") }), silent, {
      loop: false,
    });
    try {
      const poster = await GamePlayer.open({
        store,
        chain,
        disputeGame: sys.game.target as string,
        resultRegistry: sys.results.target as string,
        stakeManager: sys.stake.target as string,
        traceFor: () => Promise.resolve(liar),
        logger: silent,
      });
      const balanceBefore = await sys.token.balanceOf(sys.watcher.address);
      const bondedBefore = await sys.stake.bondedOf(sys.cu.address);
      await w.tick();
      const gameId = w.watcher.check(id)!.gameId!;
      expect(gameId).to.match(/^0x[0-9a-f]{64}$/);
      let status = 1;
      for (let round = 0; round < 80 && status < 3; round++) {
        const before = await sys.game.game(gameId);
        await poster.tick();
        await w.tick();
        const after = await sys.game.game(gameId);
        status = Number(after.status);
        const moved =
          after.segmentHash !== before.segmentHash ||
          after.status !== before.status ||
          after.turn !== before.turn;
        if (!moved && status < 3) {
          // Only the liar may be unable to move (its proof is refused), or a start proof waits out its grace.
          if (status === 2) {
            expect(Number(after.turn)).to.equal(1);
            await increaseTime(sys.P.startGrace);
          } else {
            expect(Number(after.turn)).to.equal(0);
            await increaseTime(after.asserterLeft);
          }
        }
      }
      expect(status).to.equal(4); // ChallengerWon
      await w.tick();
      await poster.tick();
      const record = w.player.gameRecord(gameId)!;
      expect(record.status).to.equal("won");
      expect(record.moves).to.be.greaterThan(3);
      expect(poster.gameRecord(gameId)!.status).to.equal("lost");
      expect(await sys.results.statusOf(commitment)).to.equal(3n); // Rejected
      expect(await sys.stake.bondedOf(sys.cu.address)).to.equal(bondedBefore - commitment.stake);
      const reward = (commitment.stake * sys.P.slashRewardBps) / 10_000n;
      expect(await sys.token.balanceOf(sys.watcher.address)).to.equal(balanceBefore + reward);

      // A second assignment of slot 0 signed by the scheduler itself is an equivocation: paged, once.
      const real = (await slotsOf(0, 0))[0].assignment;
      const other = { ...real, timestamp: BigInt(real.timestamp) + 1n };
      const item = await createSignedMessage(await arweaveWallet(), {
        type: "Assignment",
        tags: assignmentTags({
          process: sys.process,
          slot: 0,
          message_id: Buffer.from(ethers.getBytes(other.messageId)).toString("base64url"),
          timestamp: Number(other.timestamp),
          block_height: Number(other.blockHeight),
          hash: assignmentHash(sys.domain, other),
          signature: await signAssignment(sys.scheduler, sys.domain, other),
          message_hash: other.messageHash,
          message_length: Number(other.messageLength),
          prev_hash: other.prevAssignmentHash,
          scheduler: sys.scheduler.address,
        }),
      });
      const client = new ArweaveClient({
        url: gateway,
        wallet: await arweaveWallet(),
        local: true,
        logger: silent,
      });
      await client.postDataItems([item]);
      const lines: Record<string, unknown>[] = [];
      const source = new ArweaveLogSource({
        arweave: new ArweaveClient({ url: gateway, logger: silent }),
        domain: sys.domain,
        schedulerOf: () => sys.scheduler.address,
        logger: createLogger({
          agent: "watcher",
          destination: new Writable({
            write(chunk: Buffer, _enc, done) {
              for (const l of chunk.toString().split("\n"))
                if (l.trim() !== "") lines.push(JSON.parse(l) as never);
              done();
            },
          }),
        }),
      });
      // (its message hash no longer matches the message: whichever copy is read first, reading may fail)
      await source.read(sys.process, 0n, 1).catch(() => undefined);
      await source.read(sys.process, 0n, 1).catch(() => undefined);
      const pages = lines.filter((l) => l.event === "page.equivocation");
      expect(pages).to.have.length(1);
      expect(pages[0]).to.include({ level: "error", slot: "0" });
    } finally {
      await w.stop();
      chain.close();
      store.close();
    }
  });

  it("runs as a process (bin/holo-watcher.js): JSON logs, /healthz, SIGTERM stops it", async function () {
    const root = path.join(__dirname, "..", "..", "..");
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
    const run = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
      spawn(process.execPath, ["agents/watcher/bin/holo-watcher.js", ...args], {
        cwd: root,
        env: { ...env, ...extraEnv },
      });
    const finish = (child: ReturnType<typeof spawn>) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        let out = "";
        let err = "";
        child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
        child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
        child.once("exit", (code) => resolve({ code, out, err }));
      });

    const child = run(
      [
        "--rpc-url",
        rpcUrl,
        "--result-registry",
        sys.results.target as string,
        "--process-registry",
        sys.processes.target as string,
        "--dispute-game",
        sys.game.target as string,
        "--stake-manager",
        sys.stake.target as string,
        "--arweave-url",
        gateway,
        "--processes",
        JSON.stringify([{ id: sys.process, wasm: wasmFile }]),
        "--store-path",
        path.join(dir, "child.sqlite"),
        "--port",
        "0",
        "--confirmations",
        "0",
        "--poll-ms",
        "200ms",
      ],
      { HOLO_PRIVATE_KEY: accountKey(7) },
    );
    const done = finish(child);
    try {
      const lines: Record<string, unknown>[] = [];
      let buf = "";
      child.stdout!.on("data", (c: Buffer) => {
        buf += c.toString();
        const parts = buf.split("\n");
        buf = parts.pop()!;
        for (const l of parts) lines.push(JSON.parse(l) as Record<string, unknown>);
      });
      const deadline = Date.now() + 60_000;
      while (
        !lines.some((l) => l.event === "watcher.started") &&
        child.exitCode === null &&
        Date.now() < deadline
      ) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const started = lines.find((l) => l.event === "watcher.started");
      expect(started, JSON.stringify(lines)).to.not.equal(undefined);
      expect(started!.agent).to.equal("watcher");
      expect(JSON.stringify(lines)).to.not.include(accountKey(7).slice(2));
      const health = await fetch(`${String(started!.url)}/healthz`);
      expect(health.status).to.equal(200);
      child.kill("SIGTERM");
      const r = await done;
      expect(r.code).to.equal(0);
      expect(lines.some((l) => l.event === "watcher.stopped")).to.equal(true);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("refuses bad settings with a named ConfigError and exit code 2", async function () {
    let err: unknown;
    try {
      loadConfig(WatcherSettings, { env: {}, flags: { rpcUrl: "nope", disputeGame: "0x12" } });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    const keys = (err as ConfigError).issues.map((i) => i.key);
    expect(keys).to.include.members([
      "rpcUrl",
      "disputeGame",
      "privateKey",
      "resultRegistry",
      "stakeManager",
    ]);
    // main(): --help prints every setting (exit 0); a bad setting names its key on stderr (exit 2).
    const written = { out: "", err: "" };
    const [out, errw] = [
      process.stdout.write.bind(process.stdout),
      process.stderr.write.bind(process.stderr),
    ];
    process.stdout.write = ((c: string) => ((written.out += c), true)) as typeof process.stdout.write;
    process.stderr.write = ((c: string) => ((written.err += c), true)) as typeof process.stderr.write;
    let codes: number[];
    try {
      codes = [await main(["--help"]), await main(["--rpc-url", "nope"])];
    } finally {
      process.stdout.write = out;
      process.stderr.write = errw;
    }
    expect(codes).to.deep.equal([0, 2]);
    expect(written.out).to.match(/holo-watcher/);
    expect(written.out).to.match(/disputeGame|--dispute-game/);
    expect(written.err).to.match(/rpcUrl|--rpc-url/);
  });
});

describe("agents/watcher: the signed message length", function () {
  const key = "0x" + "5c".repeat(32);
  const scheduler = new ethers.Wallet(key).address;
  const process = "0x" + "ab".repeat(32);
  const domain = assignmentDomain(31337n, "0x" + "11".repeat(20));
  const w = { id: process, scheduler, domain };
  const bytes = new Uint8Array(300).fill(7);

  function entry(messageLength: number, message = bytes) {
    const assignment = {
      process,
      slot: 0n,
      messageId: ethers.id("message 0"),
      messageHash: ethers.keccak256(bytes),
      messageLength,
      timestamp: 1_700_000_000_000n,
      blockHeight: 1_500_000n,
      prevAssignmentHash: ethers.ZeroHash,
    };
    return { assignment, signature: signAssignmentWithKey(key, domain, assignment), message };
  }

  it("test_verifyEntry_signedLengthNotTheMessages_refusedAsLengthMismatch", function () {
    const ok = entry(bytes.length);
    expect(verifyEntry(w, 0n, ethers.ZeroHash, ok)).to.equal(assignmentHash(domain, ok.assignment));
    // The scheduler's own signature over the true hash and another length: a broken log, as a hash mismatch.
    for (const messageLength of [bytes.length + 1, bytes.length - 1, 0, 2 * 1024 * 1024]) {
      expect(() => verifyEntry(w, 0n, ethers.ZeroHash, entry(messageLength)))
        .to.throw(WatcherError, `not the assignment's messageLength ${messageLength}`)
        .with.property("code", "LengthMismatch");
    }
    // A log that does not give the length at all (an SU of the earlier type) is a mismatch too, not a crash.
    const missing = {
      ...ok,
      assignment: { ...ok.assignment, messageLength: undefined as unknown as number },
    };
    expect(() => verifyEntry(w, 0n, ethers.ZeroHash, missing))
      .to.throw(WatcherError)
      .with.property("code", "LengthMismatch");
    // Bytes that do not hash to messageHash are still a HashMismatch (checked first).
    expect(() => verifyEntry(w, 0n, ethers.ZeroHash, entry(301, new Uint8Array(301))))
      .to.throw(WatcherError)
      .with.property("code", "HashMismatch");
  });

  it("test_assignmentFromTags_missingOrMalformedMessageLength_namedReason", function () {
    const e = entry(bytes.length);
    const tags = assignmentTags({
      process,
      slot: 0,
      message_id: Buffer.from(ethers.getBytes(e.assignment.messageId)).toString("base64url"),
      timestamp: Number(e.assignment.timestamp),
      block_height: Number(e.assignment.blockHeight),
      hash: assignmentHash(domain, e.assignment),
      signature: e.signature,
      message_hash: e.assignment.messageHash,
      message_length: bytes.length,
      prev_hash: e.assignment.prevAssignmentHash,
      scheduler,
    });
    expect(tags.find((t) => t.name === "Holo-Message-Length")?.value).to.equal("300");
    const parsed = assignmentFromTags({ tags });
    if (typeof parsed === "string") throw new Error(parsed);
    expect(parsed.assignment.messageLength).to.equal(300);
    expect(assignmentHash(domain, parsed.assignment)).to.equal(assignmentHash(domain, e.assignment));
    const max = assignmentFromTags({
      tags: tags.map((t) => (t.name === "Holo-Message-Length" ? { ...t, value: "4294967295" } : t)),
    });
    expect(typeof max === "string" ? max : max.assignment.messageLength).to.equal(2 ** 32 - 1);
    expect(assignmentFromTags({ tags: tags.filter((t) => t.name !== "Holo-Message-Length") })).to.equal(
      "Holo-Message-Length",
    );
    for (const value of ["", "-1", "01", "1.5", "0x10", "4294967296", "99999999999", " 300"]) {
      const bad = tags.map((t) => (t.name === "Holo-Message-Length" ? { ...t, value } : t));
      expect(assignmentFromTags({ tags: bad }), value).to.equal("Holo-Message-Length");
    }
  });
});

describe("agents/watcher: the trace of a commitment late in the log", function () {
  this.timeout(180_000);

  it("test_traceFor_commitmentAfterEarlierSlots_parentReachedInFastMode_equalsAStepModeReplay", async function () {
    const sys = await deployGameSystem("counter");
    const specs = Array.from({ length: 12 }, (_, i) => ({
      tags: { Action: i % 3 === 2 ? "Get" : "Increment" },
      data: `late ${i}`,
    }));
    const log = await assignMessages(sys, 0n, specs);
    const source = new ListLogSource();
    source.append(sys.process, log);
    const dir = tempDir("holo-watcher-late-");
    const rpc = await startJsonRpcServer(hre, "127.0.0.1", 0);
    const wasmFile = path.join(dir, "counter.wasm");
    fs.writeFileSync(wasmFile, sys.wasm);
    const config = gameWatcherConfig(sys, {
      rpcUrl: `http://127.0.0.1:${rpc.port}`,
      wasm: wasmFile,
      storePath: path.join(dir, "watcher.sqlite"),
    });
    const w = await startWatcher(config, createLogger({ agent: "watcher", level: "silent" }), {
      source,
      loop: false,
    });
    try {
      await w.tick(); // re-executes the 12 slots
      const first = 8;
      const c = { process: sys.process, firstSlot: BigInt(first), lastSlot: 11n } as Commitment;
      const got = (await w.watcher.traceFor(c)).claim();

      // The same commitment's trace from a step-mode replay of slots 0..7.
      const parentEnd = traceOf(sys, log.slice(0, first)).claim();
      const proc = Process.fromWasm(sys.wasm, { memoryLimitPages: sys.P.memoryPages });
      for (const s of log.slice(0, first)) proc.handleMessage(s.message, { stepLimit: sys.P.stepLimit });
      const want = traceOf(sys, log.slice(first), BigInt(first), {
        process: proc,
        prevAssignmentHash: parentEnd.lastAssignmentHash,
        stateHash: parentEnd.stateHash,
      }).claim();
      expect(got).to.deep.equal(want);
    } finally {
      await w.stop();
      await rpc.close(0);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Threat-model row 29 (docs/threat-model.md, docs/dispute-game.md §9): a module registered with a step
 * limit of `2^32 − 1` makes the `OutOfSteps` end step of a message need about 2^32 steps of re-execution.
 * The ProcessRegistry caps `stepLimit` at `2^32 − 1` only (nothing ties it to `clockExtension`), so the bound
 * is enforced agent-side: the watcher refuses to follow a process whose step limit it cannot re-execute in
 * half of the game's `clockExtension` at its `reexecStepsPerSecond` (`StepLimitTooLarge`, at load). Below
 * that bound, a message that runs out of steps is proved on chain: the OutOfSteps transition itself and the
 * end step after it, the TypeScript trace and the Solidity prover agreeing on the post-state.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import hre from "hardhat";

import { loadConfig } from "../../agents/common/config";
import {
  loadRegisteredProcess,
  maxReexecutableStepLimit,
  StepLimitTooLargeError,
} from "../../agents/common/process";
import { ListLogSource } from "../../agents/compute/domain/log-source";
import { WatcherSettings } from "../../agents/watcher/config";
import { WatcherError } from "../../agents/watcher/domain/errors";
import { startWatcher } from "../../agents/watcher/main";
import { startJsonRpcServer, type RunningJsonRpcServer } from "../../cli/lib/jsonrpc";
import { liarTrace, StepKind } from "../../sdk/ts/dispute";
import {
  assignMessages,
  deployGameSystem,
  GameStatus,
  openGame,
  playGame,
  postClaim,
  traceOf,
  type GameSystem,
} from "../helpers/game";
import { accountKey } from "../agents/scheduler/helpers";
import { capturingLogger } from "./agent-helpers";

const MAX_STEP_LIMIT = 2 ** 32 - 1;

describe("adversarial: the step limit and the OutOfSteps end step (threat model row 29)", function () {
  this.timeout(300_000);

  let rpc: RunningJsonRpcServer;
  let rpcUrl: string;
  let tmp: string;

  before(async function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "holo-adv-steplimit-"));
    rpc = await startJsonRpcServer(hre, "127.0.0.1", 0);
    rpcUrl = `http://127.0.0.1:${rpc.port}`;
  });

  after(async function () {
    await rpc?.close(0);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  function watcherConfig(sys: GameSystem, name: string, reexecStepsPerSecond?: number) {
    const wasmFile = path.join(tmp, `${name}.wasm`);
    fs.writeFileSync(wasmFile, sys.wasm);
    return loadConfig(WatcherSettings, {
      env: {},
      flags: {
        rpcUrl,
        privateKey: accountKey(4),
        resultRegistry: sys.results.target as string,
        processRegistry: sys.processes.target as string,
        disputeGame: sys.game.target as string,
        stakeManager: sys.stake.target as string,
        processes: [{ id: sys.process, wasm: wasmFile }],
        storePath: path.join(tmp, `${name}.sqlite`),
        port: 0,
        pollMs: "1h",
        confirmations: 0,
        ...(reexecStepsPerSecond === undefined ? {} : { reexecStepsPerSecond }),
      },
    });
  }

  it("test_stepLimit_fullLimitAboveTheClockBudget_watcherRefusesToFollow_StepLimitTooLarge", async function () {
    // The registry accepts the full 2^32 − 1 (its only cap): the bound is the agent's.
    const sys = await deployGameSystem("counter", { stepLimit: MAX_STEP_LIMIT });
    const module = await sys.processes.getModule(sys.moduleId);
    expect(module.stepLimit).to.equal(BigInt(MAX_STEP_LIMIT));
    expect(await sys.processes.MAX_STEP_LIMIT()).to.equal(BigInt(MAX_STEP_LIMIT));

    // clockExtension 300 s at the default 10^7 steps/s: 1.5·10^9 steps fit in half of it; 2^32 − 1 do not.
    const config = watcherConfig(sys, "w-steplimit-refused");
    expect(config.reexecStepsPerSecond).to.equal(10_000_000);
    const budget = maxReexecutableStepLimit(sys.P.clockExtension, config.reexecStepsPerSecond);
    expect(budget).to.equal(1_500_000_000n);
    const { logger } = capturingLogger("watcher");
    let error: unknown;
    try {
      const w = await startWatcher(config, logger, { source: new ListLogSource(), loop: false });
      await w.stop();
    } catch (e) {
      error = e;
    }
    expect(error, "the watcher started").to.be.instanceOf(WatcherError);
    expect((error as WatcherError).code).to.equal("StepLimitTooLarge");
    expect(String(error)).to.match(/step limit 4294967295 is above 1500000000/);

    // A host measured ten times faster re-executes 2^32 − 1 steps in 43 s < 150 s: it follows the process.
    const fast = await startWatcher(watcherConfig(sys, "w-steplimit-fast", 100_000_000), logger, {
      source: new ListLogSource(),
      loop: false,
    });
    try {
      expect(fast.watcher.processes).to.deep.equal([sys.process.toLowerCase()]);
    } finally {
      await fast.stop();
    }
  });

  it("test_stepLimit_loadRegisteredProcess_refusesExactlyAboveTheBound_namedError", async function () {
    const sys = await deployGameSystem("counter", { stepLimit: 1_000_001 });
    const { chainId } = await hre.ethers.provider.getNetwork();
    const load = (maxStepLimit?: bigint) =>
      loadRegisteredProcess(sys.processes, sys.processes.target as string, chainId, sys.process, sys.wasm, {
        maxStepLimit,
      });
    expect((await load(1_000_001n)).stepLimit).to.equal(1_000_001);
    expect((await load()).stepLimit).to.equal(1_000_001); // unchecked without a bound
    let error: unknown;
    try {
      await load(1_000_000n);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(StepLimitTooLargeError);
    expect((error as StepLimitTooLargeError).code).to.equal("StepLimitTooLarge");
    expect((error as StepLimitTooLargeError).stepLimit).to.equal(1_000_001n);
    expect(() => maxReexecutableStepLimit(300n, 0)).to.throw(RangeError);
  });

  describe("a message that runs out of steps at a small step limit, proved on chain", function () {
    const STEP_LIMIT = 20_000;
    let sys: GameSystem;
    let honest: ReturnType<typeof traceOf>;

    before(async function () {
      sys = await deployGameSystem("bench", { stepLimit: STEP_LIMIT });
      // 100,000 Keccak permutations need far more than 20,000 steps.
      const log = await assignMessages(sys, 0n, [
        { tags: { Action: "Hash-Chain", Iterations: "100000" }, data: "out of steps" },
      ]);
      honest = traceOf(sys, log);
      const rec = honest.messageRecord(0);
      expect(rec.result.ok).to.equal(false);
      expect((rec.result as { errorName: string }).errorName).to.equal("OutOfSteps");
      // Steps 0 … STEP_LIMIT − 1 run; step STEP_LIMIT is the OutOfSteps transition; every later one a no-op.
      expect(rec.haltStep).to.equal(STEP_LIMIT + 1);
    });

    async function playAgainst(fromPosition: bigint, salt: string) {
      const liar = liarTrace(honest, { fromPosition, salt });
      const { commitment } = await postClaim(sys, sys.cu, liar, undefined, hre.ethers.id(salt));
      const g = await openGame(sys, commitment, sys.watcher);
      const result = await playGame(
        sys,
        g,
        { signer: sys.cu, trace: liar },
        { signer: sys.watcher, trace: honest },
      );
      const proven = await sys.game.queryFilter(sys.game.filters.StepProven(g.id));
      expect(proven).to.have.length(1);
      return { result, proven: proven[0].args };
    }

    it("test_stepLimit_outOfStepsTransition_provedOnChain_tsAndSolidityAgree_succeeds", async function () {
      const { result, proven } = await playAgainst(BigInt(STEP_LIMIT + 1), "lie at the OutOfSteps step");
      expect(result.status).to.equal(GameStatus.ChallengerWon);
      expect(proven.position).to.equal(BigInt(STEP_LIMIT)); // the OutOfSteps transition
      expect(Number(proven.kind)).to.equal(StepKind.Inner);
      expect(proven.post).to.equal(honest.pointAt(BigInt(STEP_LIMIT + 1))); // the prover's state is the machine's
    });

    it("test_stepLimit_outOfStepsEndStep_provedOnChain_tsAndSolidityAgree_succeeds", async function () {
      const end = 1n << 32n;
      const { result, proven } = await playAgainst(end, "lie at the end step");
      expect(result.status).to.equal(GameStatus.ChallengerWon);
      expect(proven.position).to.equal(end - 1n); // the end step S_{2^32−1} → B_1
      expect(Number(proven.kind)).to.equal(StepKind.End);
      expect(proven.post).to.equal(honest.pointAt(end)); // B_1, with the OutOfSteps result in T_1
      expect(proven.post).to.equal(honest.claim().endPoint);
    });
  });
});

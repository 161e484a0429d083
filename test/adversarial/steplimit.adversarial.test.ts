/**
 * Threat-model row 29 (docs/threat-model.md, docs/dispute-game.md §9): a module registered with a step
 * limit of `2^32 − 1` makes the `OutOfSteps` end step of a message need about 2^32 steps of re-execution.
 * On chain, the ProcessRegistry refuses a module or a spawn above its `maxStepLimit` (at most its
 * `stepLimitCeiling`), and a DisputeGame cannot be deployed with a `clockExtension` too short to re-execute
 * the ceiling in half of it at `REEXEC_STEPS_PER_SECOND` (10^7). Agent-side, the watcher refuses to follow a
 * process whose step limit it cannot re-execute in half of the game's `clockExtension` at its own
 * `reexecStepsPerSecond` (`StepLimitTooLarge`, at load): a host slower than the chain's assumption. Below
 * that bound, a message that runs out of steps is proved on chain: the OutOfSteps transition itself and the
 * end step after it, the TypeScript trace and the Solidity prover agreeing on the post-state.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import hre from "hardhat";

import {
  DEFAULT_REEXEC_STEPS_PER_SECOND,
  loadRegisteredProcess,
  maxReexecutableStepLimit,
  StepLimitTooLargeError,
} from "../../agents/common/process";
import { ComputeSettings } from "../../agents/compute/config";
import { ListLogSource } from "../../agents/compute/domain/log-source";
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
import { gameWatcherConfig } from "../agents/watcher/helpers";
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
    return gameWatcherConfig(
      sys,
      { rpcUrl, wasm: wasmFile, storePath: path.join(tmp, `${name}.sqlite`) },
      reexecStepsPerSecond === undefined ? {} : { reexecStepsPerSecond },
    );
  }

  describe("on chain: the registry's cap and the game's clock (row 29)", function () {
    it("test_stepLimit_onChain_registryRefusesAModuleAboveWhatTheClockReexecutes_ProcessRegistryInvalidLimit", async function () {
      // The game fixture: clockExtension 300 s, so the registry's ceiling is ⌊300 · 10^7 / 2⌋ = 1.5·10^9.
      const sys = await deployGameSystem("counter");
      const ceiling = maxReexecutableStepLimit(sys.P.clockExtension, DEFAULT_REEXEC_STEPS_PER_SECOND);
      expect(ceiling).to.equal(1_500_000_000n);
      expect(await sys.processes.stepLimitCeiling()).to.equal(ceiling);
      expect(await sys.processes.maxStepLimit()).to.equal(ceiling);
      const args = (stepLimit: bigint | number) =>
        [sys.moduleRoot, hre.ethers.id("wasm"), hre.ethers.id("module"), 64, stepLimit, 65_536] as const;
      // 2^32 − 1, which the registry took before the cap, and one step above the ceiling are refused.
      for (const stepLimit of [BigInt(MAX_STEP_LIMIT), ceiling + 1n]) {
        await expect(sys.processes.registerModule(...args(stepLimit)))
          .to.be.revertedWithCustomError(sys.processes, "ProcessRegistryInvalidLimit")
          .withArgs("stepLimit", stepLimit, ceiling);
      }
      // Exactly the ceiling: registered and spawned.
      await sys.processes.registerModule(...args(ceiling));
      const moduleId = await sys.processes.computeModuleId(...args(ceiling));
      await expect(
        sys.processes
          .connect(sys.owner)
          .spawn(moduleId, sys.scheduler.address, sys.initialStateHash, hre.ethers.id("at the ceiling")),
      ).to.emit(sys.processes, "ProcessSpawned");
    });

    it("test_stepLimit_onChain_gameClockTooShortForTheCeiling_cannotBeDeployed_DisputeGameInvalidParameter", async function () {
      const sys = await deployGameSystem("counter");
      expect(await sys.game.REEXEC_STEPS_PER_SECOND()).to.equal(BigInt(DEFAULT_REEXEC_STEPS_PER_SECOND));
      const factory = await hre.ethers.getContractFactory("DisputeGame");
      const deploy = (clockExtension: bigint) =>
        factory.deploy(
          sys.stake.target as string,
          sys.processes.target as string,
          sys.results.target as string,
          sys.provers.entry.target as string,
          sys.P.degree,
          sys.P.clockTime,
          clockExtension,
          sys.P.startGrace,
          sys.P.challengeBond,
        );
      await expect(deploy(sys.P.clockExtension - 1n))
        .to.be.revertedWithCustomError(factory, "DisputeGameInvalidParameter")
        .withArgs("clockExtension", sys.P.clockExtension - 1n);
      // Lowering the cap does not let a shorter clock in: processes spawned under the ceiling stay covered.
      await sys.processes.connect(sys.admin).setMaxStepLimit(sys.P.stepLimit);
      await expect(deploy(1n))
        .to.be.revertedWithCustomError(factory, "DisputeGameInvalidParameter")
        .withArgs("clockExtension", 1n);
      expect(await (await deploy(sys.P.clockExtension)).clockExtension()).to.equal(sys.P.clockExtension);
    });

    it("test_stepLimit_onChain_capLoweredBelowASpawnedModule_spawnRefused_existingProcessStillPlayable", async function () {
      const sys = await deployGameSystem("counter");
      const lowered = BigInt(sys.P.stepLimit) - 1n;
      await expect(sys.processes.connect(sys.admin).setMaxStepLimit(lowered))
        .to.emit(sys.processes, "MaxStepLimitSet")
        .withArgs(lowered);
      await expect(
        sys.processes
          .connect(sys.owner)
          .spawn(sys.moduleId, sys.scheduler.address, sys.initialStateHash, hre.ethers.id("another")),
      )
        .to.be.revertedWithCustomError(sys.processes, "ProcessRegistryInvalidLimit")
        .withArgs("stepLimit", BigInt(sys.P.stepLimit), lowered);
      // The process spawned before still has commitments posted and challenged: a game plays to the end.
      const slots = await assignMessages(sys, 0n, [{}, { tags: { Action: "Increment", By: "2" } }]);
      const honest = traceOf(sys, slots);
      const liar = liarTrace(honest, { fromPosition: honest.length, salt: "after the cap was lowered" });
      const { commitment } = await postClaim(sys, sys.cu, liar);
      const g = await openGame(sys, commitment, sys.watcher);
      const result = await playGame(
        sys,
        g,
        { signer: sys.cu, trace: liar },
        { signer: sys.watcher, trace: honest },
      );
      expect(result.status).to.equal(GameStatus.ChallengerWon);
    });

    it("test_stepLimit_reexecRate_contractConstant_equalsTheAgentsDefaults", async function () {
      const sys = await deployGameSystem("counter");
      expect(await sys.game.REEXEC_STEPS_PER_SECOND()).to.equal(BigInt(DEFAULT_REEXEC_STEPS_PER_SECOND));
      expect(watcherConfig(sys, "w-rate").reexecStepsPerSecond).to.equal(DEFAULT_REEXEC_STEPS_PER_SECOND);
      expect(ComputeSettings.shape.reexecStepsPerSecond.parse(undefined)).to.equal(
        DEFAULT_REEXEC_STEPS_PER_SECOND,
      );
    });
  });

  it("test_stepLimit_hostSlowerThanTheChainsRate_watcherRefusesToFollow_StepLimitTooLarge", async function () {
    // The chain allows 2^32 − 1 once the game's extension covers it at 10^7 steps/s (859 s; here 860 s,
    // and a StakeManager whose maxGameDuration fits 2·3600 + 2·17·860 + 600 = 37,040 s).
    const sys = await deployGameSystem("counter", {
      stepLimit: MAX_STEP_LIMIT,
      maxStepLimit: BigInt(MAX_STEP_LIMIT),
      clockExtension: 860n,
      maxGameDuration: 37_040n,
      unbondingDelay: 40_640n,
    });
    const module = await sys.processes.getModule(sys.moduleId);
    expect(module.stepLimit).to.equal(BigInt(MAX_STEP_LIMIT));
    expect(await sys.processes.MAX_STEP_LIMIT()).to.equal(BigInt(MAX_STEP_LIMIT));

    // A watcher at the default 10^7 steps/s re-executes 4.3·10^9 ≥ 2^32 − 1 steps in 430 s: it follows.
    const { logger } = capturingLogger("watcher");
    const config = watcherConfig(sys, "w-steplimit-default");
    expect(config.reexecStepsPerSecond).to.equal(10_000_000);
    const atDefault = await startWatcher(config, logger, { source: new ListLogSource(), loop: false });
    try {
      expect(atDefault.watcher.processes).to.deep.equal([sys.process.toLowerCase()]);
    } finally {
      await atDefault.stop();
    }

    // A host measured at 4·10^6 steps/s re-executes only 1.72·10^9 steps in 430 s: it refuses the process.
    const slow = watcherConfig(sys, "w-steplimit-slow", 4_000_000);
    expect(maxReexecutableStepLimit(sys.P.clockExtension, slow.reexecStepsPerSecond)).to.equal(
      1_720_000_000n,
    );
    let error: unknown;
    try {
      const w = await startWatcher(slow, logger, { source: new ListLogSource(), loop: false });
      await w.stop();
    } catch (e) {
      error = e;
    }
    expect(error, "the watcher started").to.be.instanceOf(WatcherError);
    expect((error as WatcherError).code).to.equal("StepLimitTooLarge");
    expect(String(error)).to.match(/step limit 4294967295 is above 1720000000/);
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

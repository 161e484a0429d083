/**
 * A followed process as the ProcessRegistry defines it: the CU and the watcher both instantiate the module's
 * wasm in fast mode and refuse to follow a process whose wasm is not the registered module or whose initial
 * state is not the spawned one.
 */
import { hexlify, type TypedDataDomain } from "ethers";

import { FastProcess } from "../../machine/fast";
import { Process } from "../../machine/process";
import { assignmentDomain } from "../../sdk/ts/assignments";

/** The registry views used (typechain's ProcessRegistry has them). */
export interface RegistryViews {
  getProcess(id: string): Promise<{ moduleId: string; scheduler: string; initialStateHash: string }>;
  getModule(
    id: string,
  ): Promise<{ moduleRoot: string; memoryPages: bigint | number; stepLimit: bigint | number }>;
}

/** What following a process needs, read from the chain and checked against the wasm. */
export interface RegisteredProcess {
  /** The process id, lower case. */
  id: string;
  /** The process in its initial state. */
  fast: FastProcess;
  memoryPages: number;
  /** The module's step limit, clamped to 2^32 − 1 as the machine does. */
  stepLimit: number;
  scheduler: string;
  /** The module root, lower-case hex. */
  moduleRoot: string;
  initialStateHash: string;
  /** The EIP-712 domain the scheduler signs assignments under. */
  domain: TypedDataDomain;
}

/** The wasm is not the registered module, or its initial state is not the spawned one. */
export class ProcessMismatchError extends Error {
  override readonly name = "ProcessMismatchError";
  constructor(
    readonly code: "ModuleMismatch" | "InitialStateMismatch",
    message: string,
  ) {
    super(message);
  }
}

/**
 * The module's registered step limit is more than this agent can re-execute within the game's clock budget
 * (docs/threat-model.md row 29): following the process would promise an OutOfSteps end-step proof the agent
 * could not make in time.
 */
export class StepLimitTooLargeError extends Error {
  override readonly name = "StepLimitTooLargeError";
  readonly code = "StepLimitTooLarge";
  constructor(
    readonly stepLimit: bigint,
    readonly maxStepLimit: bigint,
    message: string,
  ) {
    super(`StepLimitTooLarge: ${message}`);
  }
}

/**
 * The agents' default `reexecStepsPerSecond` setting: step mode measured about 2.6·10^7 steps/s on whole
 * AssemblyScript messages (docs/benchmarks.md, `asStepPerSec`); 10^7 leaves room for slower hosts and load.
 */
export const DEFAULT_REEXEC_STEPS_PER_SECOND = 10_000_000;

/**
 * The largest step limit whose whole re-execution fits in half of `clockExtensionSec` at `stepsPerSecond`:
 * `⌊clockExtension · stepsPerSecond / 2⌋`. Proving the end step of a message that ran out of steps at
 * `stepLimit = 2^32 − 1` means re-executing the whole message (docs/dispute-game.md §9), and `clockExtension`
 * is the least time a side is sure to have for a move; the other half is left to build and send it.
 */
export function maxReexecutableStepLimit(clockExtensionSec: bigint | number, stepsPerSecond: number): bigint {
  if (!(Number.isSafeInteger(stepsPerSecond) && stepsPerSecond > 0)) {
    throw new RangeError(`stepsPerSecond must be a positive integer, got ${stepsPerSecond}`);
  }
  return (BigInt(clockExtensionSec) * BigInt(stepsPerSecond)) / 2n;
}

export interface LoadOptions {
  /**
   * Refuse (`StepLimitTooLarge`) a module whose registered step limit is above this (see
   * {@link maxReexecutableStepLimit}); unchecked if unset.
   */
  maxStepLimit?: bigint;
}

/**
 * Reads process `id` and its module from the registry and instantiates `wasm` with the module's memory limit.
 *
 * @throws ProcessMismatchError when the wasm's module root or initial state differ from the registered ones;
 * StepLimitTooLargeError (before the wasm is instantiated) when the module's step limit is above
 * `options.maxStepLimit`.
 */
export async function loadRegisteredProcess(
  registry: RegistryViews,
  registryAddress: string,
  chainId: bigint,
  id: string,
  wasm: Uint8Array,
  options: LoadOptions = {},
): Promise<RegisteredProcess> {
  const pid = id.toLowerCase();
  const info = await registry.getProcess(pid);
  const mod = await registry.getModule(info.moduleId);
  if (options.maxStepLimit !== undefined && BigInt(mod.stepLimit) > options.maxStepLimit) {
    throw new StepLimitTooLargeError(
      BigInt(mod.stepLimit),
      options.maxStepLimit,
      `process ${pid}: the module's step limit ${BigInt(mod.stepLimit)} is above ${options.maxStepLimit}, the most this agent can re-execute within the game's clock budget (an OutOfSteps end step could not be proved in time)`,
    );
  }
  const memoryPages = Number(mod.memoryPages);
  const fast = FastProcess.create(wasm, { memoryLimitPages: memoryPages });
  const moduleRoot = hexlify(fast.moduleRoot);
  if (moduleRoot !== mod.moduleRoot.toLowerCase()) {
    throw new ProcessMismatchError(
      "ModuleMismatch",
      `process ${pid}: the wasm's module root ${moduleRoot} is not the registered ${mod.moduleRoot}`,
    );
  }
  const initial = hexlify(fast.processStateHash());
  if (initial !== info.initialStateHash.toLowerCase()) {
    throw new ProcessMismatchError(
      "InitialStateMismatch",
      `process ${pid}: initial state ${initial} is not ${info.initialStateHash}`,
    );
  }
  const stepLimit = BigInt(mod.stepLimit);
  return {
    id: pid,
    fast,
    memoryPages,
    stepLimit: Number(stepLimit > 0xffffffffn ? 0xffffffffn : stepLimit),
    scheduler: info.scheduler,
    moduleRoot,
    initialStateHash: initial,
    domain: assignmentDomain(chainId, registryAddress),
  };
}

/**
 * A step-mode {@link Process} in the state of `fast` (its memory and globals): where a game's trace starts. Fast
 * mode reaches a late slot thousands of times faster than step mode would by replaying the log.
 */
export function stepProcessOf(fast: FastProcess, wasm: Uint8Array, memoryPages: number): Process {
  const proc = Process.fromWasm(wasm, { memoryLimitPages: memoryPages });
  const m = proc.machine;
  const pages = fast.pages();
  if (pages > m.memory.pages) m.memory.grow(pages);
  if (pages > 0) m.memory.write(0, fast.memoryBytes());
  fast.allGlobals().forEach((v, i) => m.setGlobal(i, v));
  m.commit();
  return proc;
}

/**
 * A followed process as the ProcessRegistry defines it: the CU and the watcher both instantiate the module's
 * wasm in fast mode and refuse to follow a process whose wasm is not the registered module or whose initial
 * state is not the spawned one.
 */
import { hexlify, type TypedDataDomain } from "ethers";

import { FastProcess } from "../../machine/fast";
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
 * Reads process `id` and its module from the registry and instantiates `wasm` with the module's memory limit.
 *
 * @throws ProcessMismatchError when the wasm's module root or initial state differ from the registered ones.
 */
export async function loadRegisteredProcess(
  registry: RegistryViews,
  registryAddress: string,
  chainId: bigint,
  id: string,
  wasm: Uint8Array,
): Promise<RegisteredProcess> {
  const pid = id.toLowerCase();
  const info = await registry.getProcess(pid);
  const mod = await registry.getModule(info.moduleId);
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

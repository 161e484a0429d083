/**
 * `holo process`: processes on the ProcessRegistry (docs/registries.md, "Processes").
 *
 * `spawn` names a registered module, a scheduler (which must have `minSchedulerStake` bonded), the
 * initial process-state hash (computed from the module's binary with `--wasm`, or given) and the
 * Arweave id of the process's data item. The signing account becomes the owner; the process id is
 * `keccak256(abi.encode(chainId, registry, moduleId, scheduler, initialStateHash, arweaveId, owner))`,
 * so spawning the same process twice from one account reports the existing one.
 */
import { Option, type Command } from "commander";
import { AbiCoder, keccak256 } from "ethers";

import { formatTokens } from "../lib/amounts";
import { addConnectionOptions, withChain, type Chain, type ChainOptions } from "../lib/chain";
import { ChainError, InputError, UsageError } from "../lib/errors";
import { parseAddress, parseBytes32 } from "../lib/options";
import { Output } from "../lib/output";
import { displayPath } from "../lib/paths";
import { isoTime } from "../lib/time";
import type { CliContext } from "./index";
import { loadModule, moduleOf } from "./module";

/** The options of `holo process spawn`. */
interface SpawnOptions extends ChainOptions {
  module: string;
  scheduler: string;
  wasm?: string;
  initialState?: string;
  arweaveId?: string;
}

/**
 * The default Arweave id of a process's data item, a placeholder until publishing to Arweave is
 * supported: `keccak256(abi.encode(moduleId, scheduler, initialStateHash))`.
 */
export function placeholderProcessArweaveId(
  moduleId: string,
  scheduler: string,
  initialStateHash: string,
): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["bytes32", "address", "bytes32"],
      [moduleId, scheduler, initialStateHash],
    ),
  );
}

/** Adds the `process` command group to `program`. */
export function register(program: Command, context: CliContext): void {
  const group = program
    .command("process")
    .summary("spawn processes on the ProcessRegistry")
    .description(
      "Processes on the ProcessRegistry: a registered module, a staked scheduler, an initial state hash " +
        "and the Arweave id of the process's data item, owned by the account that spawns it.",
    );

  addConnectionOptions(
    group
      .command("spawn")
      .summary("spawn a process of a registered module")
      .description(
        "Spawn a process of module --module, scheduled by --scheduler (which must have the " +
          "ProcessRegistry's minSchedulerStake bonded), owned by the signing account, and print its id. " +
          "The initial state hash is computed from the module's binary (--wasm, checked against the " +
          "registered module) or given (--initial-state). A process already spawned with the same " +
          "content by the same account is reported as is, without a transaction.",
      )
      .addOption(
        new Option("--module <moduleId>", "the registered module's id (holo module register prints it)")
          .argParser(parseBytes32)
          .makeOptionMandatory(),
      )
      .addOption(
        new Option("--scheduler <address>", "the scheduler unit's address")
          .argParser(parseAddress)
          .makeOptionMandatory(),
      )
      .addOption(
        new Option("--wasm <file>", "the module's binary, to compute the initial state hash").conflicts(
          "initialState",
        ),
      )
      .addOption(
        new Option(
          "--initial-state <hex32>",
          "the initial process-state hash (Holo:Process:), instead of --wasm",
        )
          .argParser(parseBytes32)
          .conflicts("wasm"),
      )
      .addOption(
        new Option(
          "--arweave-id <hex32>",
          "the Arweave id of the process's data item (default: keccak256(abi.encode(moduleId, scheduler, " +
            "initialStateHash)), a placeholder until publishing to Arweave is supported)",
        ).argParser(parseBytes32),
      )
      .allowExcessArguments(false),
    { signer: "required" },
  ).action(async (_options: unknown, command: Command) => {
    const options = command.optsWithGlobals<SpawnOptions>();
    const out = new Output(options, context.streams);
    if (options.wasm === undefined && options.initialState === undefined) {
      throw new UsageError("the initial state is needed: give --wasm <file> or --initial-state <hex32>");
    }
    await withChain(options, out, { signer: "required" }, (chain) => spawn(chain, options, out));
  });
}

async function spawn(chain: Chain, options: SpawnOptions, out: Output): Promise<void> {
  const owner = chain.wallet().address;
  const registry = await chain.processRegistry();
  const module = await moduleOf(registry, options.module);

  let initialStateHash: string;
  if (options.wasm !== undefined) {
    const loaded = await loadModule(options.wasm, module.memoryPages);
    if (loaded.wasmHash !== module.wasmHash || loaded.moduleRoot !== module.moduleRoot) {
      throw new InputError(
        `--wasm ${displayPath(options.wasm)} is not the binary of module ${options.module}: its keccak256 is ` +
          `${loaded.wasmHash} and its module root (memory limit ${module.memoryPages} pages) ${loaded.moduleRoot}, ` +
          `but the module has wasmHash ${module.wasmHash} and moduleRoot ${module.moduleRoot}`,
      );
    }
    initialStateHash = loaded.initialStateHash;
  } else {
    initialStateHash = options.initialState!;
  }
  const scheduler = options.scheduler;
  const arweaveId =
    options.arweaveId ?? placeholderProcessArweaveId(options.module, scheduler, initialStateHash);

  const processId = await registry.computeProcessId(
    options.module,
    scheduler,
    initialStateHash,
    arweaveId,
    owner,
  );
  let tx: string | null = null;
  const spawned = !(await registry.processExists(processId));
  if (spawned) {
    const stakeManager = await chain.stakeManager(await registry.stakeManager());
    const [bonded, needed] = await Promise.all([
      stakeManager.bondedOf(scheduler),
      registry.minSchedulerStake(),
    ]);
    if (bonded < needed) {
      const { info } = await chain.token(await stakeManager.stakeToken());
      throw new ChainError(
        `the scheduler ${scheduler} has ${formatTokens(bonded, info)} bonded, less than the ` +
          `${formatTokens(needed, info)} the ProcessRegistry requires (minSchedulerStake); ` +
          "the scheduler bonds with: holo stake bond <amount>",
        "E_STATE",
      );
    }
    const receipt = await chain.send(`spawn(module ${options.module})`, () =>
      registry.spawn(options.module, scheduler, initialStateHash, arweaveId),
    );
    tx = receipt.hash;
  }
  const p = await registry.getProcess(processId);
  const data = {
    processId,
    spawned,
    moduleId: p.moduleId,
    scheduler: p.scheduler,
    owner: p.owner,
    initialStateHash: p.initialStateHash,
    arweaveId: p.arweaveId,
    spawnedAt: Number(p.spawnedAt),
    spawnedAtIso: isoTime(p.spawnedAt),
    processRegistry: await registry.getAddress(),
    tx,
  };
  out.result("process", data, () =>
    [
      spawned
        ? `Spawned process ${processId}`
        : `Process ${processId} already exists (spawned by ${owner}); nothing sent`,
      `  module        ${data.moduleId}`,
      `  scheduler     ${data.scheduler}`,
      `  owner         ${data.owner}`,
      `  initialState  ${data.initialStateHash}`,
      `  arweaveId     ${data.arweaveId}`,
      `  spawned at    ${data.spawnedAtIso}`,
      ...(tx === null ? [] : [`  tx            ${tx}`]),
    ].join("\n"),
  );
}

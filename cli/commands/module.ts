/**
 * `holo module`: process modules on the ProcessRegistry (docs/registries.md, "Modules").
 *
 * `register` loads the WebAssembly binary with the machine (`Process.fromWasm`, machine/process), which
 * checks it and gives its module root, and registers the module's content. Registration is idempotent
 * by content: a module already registered is reported, not registered again.
 */
import fs from "node:fs";
import path from "node:path";

import { Option, type Command } from "commander";
import { hexlify, keccak256 } from "ethers";

import type { DataItem, JWKInterface } from "@dha-team/arbundles";

import type { ProcessRegistry } from "../../typechain-types";
import { arweaveIdHex, httpUrl, readArweaveWallet, signAoItem, type AoTag } from "../lib/ao";
import { addConnectionOptions, withChain, type Chain, type ChainOptions } from "../lib/chain";
import { ChainError, InputError, ServiceError, UsageError } from "../lib/errors";
import { integerIn, parseBytes32 } from "../lib/options";
import { Output } from "../lib/output";
import { DEFAULT_DEVNET_OUT, displayPath } from "../lib/paths";
import { isoTime } from "../lib/time";
import type { CliContext } from "./index";
import { devnetDefaults } from "./message";

/** The machine's limits, which the ProcessRegistry enforces too (`MAX_*`). */
export const MAX_MEMORY_PAGES = 65_536;
export const MAX_STEP_LIMIT = 2 ** 32 - 1;
export const MAX_MESSAGE_BYTES = 65_536;

/** The defaults of `holo module register`. */
export const MODULE_DEFAULTS = {
  /** The machine's maximum: the module root `npm run build:processes` lists in its manifest. */
  memoryPages: MAX_MEMORY_PAGES,
  stepLimit: 10_000_000,
  maxMessageBytes: MAX_MESSAGE_BYTES,
} as const;

/** The options of `holo module register`. */
interface RegisterOptions extends ChainOptions {
  wasm: string;
  arweaveId?: string;
  memoryPages: number;
  stepLimit: number;
  maxMessageBytes: number;
}

/** A process module loaded by the machine. */
export interface LoadedModule {
  file: string;
  bytes: Uint8Array;
  /** keccak256 of the file. */
  wasmHash: string;
  /** The machine's module root with this memory limit. */
  moduleRoot: string;
  /** The `Holo:Process:` hash of the freshly instantiated module: a process's initial state. */
  initialStateHash: string;
}

/**
 * Reads `file` and instantiates it with the machine under a memory limit of `memoryPages`.
 *
 * @throws InputError naming the file when it cannot be read or the machine refuses it.
 */
export async function loadModule(file: string, memoryPages: number): Promise<LoadedModule> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(fs.readFileSync(file));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      `cannot read --wasm ${displayPath(file)}: ${code === "ENOENT" ? "no such file" : (code ?? String(error))}`,
      { cause: error },
    );
  }
  // Loaded here: the machine is only needed by the commands that read a module.
  const { Process } = await import("../../machine/process");
  let process;
  try {
    process = Process.fromWasm(bytes, { memoryLimitPages: memoryPages });
  } catch (error) {
    throw new InputError(
      `--wasm ${displayPath(file)} is not a process module the machine accepts (memory limit ${memoryPages} pages): ` +
        (error instanceof Error ? error.message : String(error)),
      { cause: error },
    );
  }
  return {
    file: path.resolve(file),
    bytes,
    wasmHash: keccak256(bytes),
    moduleRoot: hexlify(process.moduleRoot),
    initialStateHash: hexlify(process.processHash()),
  };
}

/** Adds the `module` command group to `program`. */
export function register(program: Command, context: CliContext): void {
  const group = program
    .command("module")
    .summary("register process modules on the ProcessRegistry")
    .description(
      "Process modules on the ProcessRegistry: a module is content (the machine's module root, the " +
        "keccak256 of the WebAssembly binary, its Arweave id and its limits); registering the same " +
        "content again returns the same id.",
    );

  addConnectionOptions(
    group
      .command("register")
      .summary("register a WebAssembly process module (idempotent)")
      .description(
        "Load a WebAssembly process module with the machine (which checks it against the machine's " +
          "subset and host ABI and computes its module root) and register it on the ProcessRegistry. " +
          "Prints the module id; a module with the same content already registered is reported as is, " +
          "without a transaction.",
      )
      .requiredOption("--wasm <file>", "the WebAssembly binary (e.g. build/processes/counter.wasm)")
      .addOption(
        new Option(
          "--arweave-id <hex32>",
          "the Arweave id of the module's data item (default: the keccak256 of the file, a placeholder " +
            "until publishing to Arweave is supported)",
        ).argParser(parseBytes32),
      )
      .addOption(
        new Option(
          "--memory-pages <n>",
          "the memory limit in 64 KiB pages; the module root commits to it (default: the machine's maximum)",
        )
          .default(MODULE_DEFAULTS.memoryPages)
          .argParser(integerIn("the memory limit in pages", 1, MAX_MEMORY_PAGES)),
      )
      .addOption(
        new Option("--step-limit <n>", "the steps allowed per message")
          .default(MODULE_DEFAULTS.stepLimit)
          .argParser(integerIn("the step limit", 1, MAX_STEP_LIMIT)),
      )
      .addOption(
        new Option("--max-message-bytes <n>", "the largest canonical message encoding")
          .default(MODULE_DEFAULTS.maxMessageBytes)
          .argParser(integerIn("the message size limit", 1, MAX_MESSAGE_BYTES)),
      )
      .allowExcessArguments(false),
    { signer: "required" },
  ).action(async (_options: unknown, command: Command) => {
    const options = command.optsWithGlobals<RegisterOptions>();
    const out = new Output(options, context.streams);
    await withChain(options, out, { signer: "required" }, (chain) => registerModule(chain, options, out));
  });

  addConnectionOptions(
    addLimitOptions(
      group
        .command("publish")
        .summary("publish a module to Arweave (AO module tags), then register it on chain")
        .description(
          "Load a WebAssembly process module with the machine, post it as an ANS-104 data item with AO's " +
            "module tags (Data-Protocol: ao, Type: Module, Module-Format, Input-Encoding, Output-Encoding, " +
            "and Holo-* tags naming its module root, hash and limits) to the Arweave gateway, and register it " +
            "on the ProcessRegistry with that item's id as its Arweave id. Without --gateway and --wallet, " +
            "those of the running `holo devnet` are used; on a local gateway (ArLocal) the wallet is given test AR.",
        )
        .argument("<wasm>", "the WebAssembly binary (e.g. build/processes/token.wasm)")
        .option(
          "--gateway <url>",
          "the Arweave gateway (default: the running devnet's ArLocal)",
          httpUrl("--gateway"),
        )
        .option("--wallet <file>", "the Arweave JWK file that signs the item (default: the running devnet's)")
        .option("--devnet <file>", "the devnet.json to take defaults from"),
    ).allowExcessArguments(false),
    { signer: "required" },
  ).action(async (file: string, _options: unknown, command: Command) => {
    const options = command.optsWithGlobals<PublishOptions>();
    const out = new Output(options, context.streams);
    await withChain(options, out, { signer: "required" }, (chain) =>
      publishModule(chain, file, options, out),
    );
  });
}

/** Adds `--memory-pages`, `--step-limit` and `--max-message-bytes` to `command`. */
function addLimitOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        "--memory-pages <n>",
        "the memory limit in 64 KiB pages; the module root commits to it (default: the machine's maximum)",
      )
        .default(MODULE_DEFAULTS.memoryPages)
        .argParser(integerIn("the memory limit in pages", 1, MAX_MEMORY_PAGES)),
    )
    .addOption(
      new Option("--step-limit <n>", "the steps allowed per message")
        .default(MODULE_DEFAULTS.stepLimit)
        .argParser(integerIn("the step limit", 1, MAX_STEP_LIMIT)),
    )
    .addOption(
      new Option("--max-message-bytes <n>", "the largest canonical message encoding")
        .default(MODULE_DEFAULTS.maxMessageBytes)
        .argParser(integerIn("the message size limit", 1, MAX_MESSAGE_BYTES)),
    );
}

async function registerModule(
  chain: Chain,
  options: RegisterOptions,
  out: Output,
  published?: { arweaveItemId: string; gateway: string; bundleId: string },
): Promise<void> {
  const loaded = await loadModule(options.wasm, options.memoryPages);
  const registry = await chain.processRegistry();
  const content = [
    loaded.moduleRoot,
    loaded.wasmHash,
    options.arweaveId ?? loaded.wasmHash,
    options.memoryPages,
    options.stepLimit,
    options.maxMessageBytes,
  ] as const;
  const moduleId = await registry.computeModuleId(...content);
  let tx: string | null = null;
  let registered = false;
  if (!(await registry.moduleExists(moduleId))) {
    // The registry's cap, which its games' clocks are sized for (docs/registries.md, "The step-limit cap").
    const cap = await registry.maxStepLimit();
    if (BigInt(options.stepLimit) > cap) {
      throw new ChainError(
        `the step limit ${options.stepLimit} is above the ProcessRegistry's maxStepLimit ${cap} ` +
          "(the most its dispute games can re-execute in time); register with --step-limit " +
          `${cap} or less`,
        "E_STATE",
      );
    }
    const receipt = await chain.send(`registerModule(${displayPath(options.wasm)})`, () =>
      registry.registerModule(...content),
    );
    tx = receipt.hash;
    registered = true;
  }
  const module = await moduleOf(registry, moduleId);
  out.result(
    "module",
    {
      moduleId,
      registered,
      ...module,
      ...(published ?? {}),
      file: loaded.file,
      processRegistry: await registry.getAddress(),
      tx,
    },
    () =>
      [
        ...(published === undefined
          ? []
          : [`Published module item ${published.arweaveItemId} to ${published.gateway}`]),
        registered
          ? `Registered module ${moduleId}`
          : `Module ${moduleId} is already registered (by ${module.registrant}); nothing sent`,
        `  moduleRoot       ${module.moduleRoot}`,
        `  wasmHash         ${module.wasmHash}`,
        `  arweaveId        ${module.arweaveId}`,
        `  memoryPages      ${module.memoryPages}`,
        `  stepLimit        ${module.stepLimit}`,
        `  maxMessageBytes  ${module.maxMessageBytes}`,
        `  registered at    ${module.registeredAtIso}`,
        ...(tx === null ? [] : [`  tx               ${tx}`]),
      ].join("\n"),
  );
}

/** The options of `holo module publish`. */
interface PublishOptions extends Omit<RegisterOptions, "arweaveId" | "wasm"> {
  gateway?: string;
  wallet?: string;
  devnet?: string;
}

/** The AO tags of a module data item, with Holoproof's own (`Holo-*`) describing its content. */
export function moduleTags(
  loaded: Pick<LoadedModule, "moduleRoot" | "wasmHash">,
  limits: { memoryPages: number; stepLimit: number; maxMessageBytes: number },
): AoTag[] {
  return [
    { name: "Module-Format", value: "wasm32-unknown-holoproof" },
    { name: "Input-Encoding", value: "Holo-Message-1" },
    { name: "Output-Encoding", value: "Holo-Result-1" },
    { name: "Content-Type", value: "application/wasm" },
    { name: "Memory-Limit", value: `${limits.memoryPages * 64}-kb` },
    { name: "Compute-Limit", value: String(limits.stepLimit) },
    { name: "Holo-Module-Root", value: loaded.moduleRoot },
    { name: "Holo-Wasm-Hash", value: loaded.wasmHash },
    { name: "Holo-Memory-Pages", value: String(limits.memoryPages) },
    { name: "Holo-Step-Limit", value: String(limits.stepLimit) },
    { name: "Holo-Max-Message-Bytes", value: String(limits.maxMessageBytes) },
  ];
}

/**
 * Posts `item` to the gateway at `gateway` (in a bundle signed by `jwk`); on a local gateway (ArLocal)
 * mints test AR to the wallet first if it has none.
 *
 * @throws ServiceError `E_UNREACHABLE` or `E_REFUSED`.
 */
export async function publishItem(
  gateway: string,
  jwk: JWKInterface,
  item: DataItem,
  out: Output,
): Promise<{ bundleId: string }> {
  const { ArweaveClient, ArweaveError, WalletFunding } = await import("../../agents/common/arweave");
  const { createLogger } = await import("../../agents/common/log");
  const local = /^(localhost|127\.0\.0\.1|\[::1\])$/.test(new URL(gateway).hostname);
  const client = new ArweaveClient({
    url: gateway,
    wallet: jwk,
    local,
    retry: { attempts: 2 },
    logger: createLogger({ agent: "holo", level: "silent" }),
  });
  try {
    if (local) {
      const funding = new WalletFunding(client);
      const address = await client.address();
      if ((await funding.balance(address)) < 10n ** 12n) {
        out.progress(`Minting test AR on the local gateway for ${address}…`);
        await funding.mint(address, 10n ** 15n);
      }
    }
    out.progress(`Posting module item ${item.id} (${item.getRaw().byteLength} bytes) to ${gateway}…`);
    const posted = await client.postDataItems([item]);
    return { bundleId: posted.bundleId };
  } catch (error) {
    if (error instanceof ArweaveError) {
      throw new ServiceError(
        `the gateway ${gateway} ${error.kind === "transient" ? "cannot be reached" : "refused the module item"}: ${error.message}`,
        error.kind === "transient" ? "E_UNREACHABLE" : "E_REFUSED",
        { cause: error },
      );
    }
    throw error;
  }
}

async function publishModule(
  chain: Chain,
  file: string,
  options: PublishOptions,
  out: Output,
): Promise<void> {
  const loaded = await loadModule(file, options.memoryPages);
  const defaults = devnetDefaults(path.resolve(options.devnet ?? DEFAULT_DEVNET_OUT));
  const gateway = options.gateway ?? defaults.gatewayUrl;
  if (gateway === undefined) {
    throw new UsageError(
      "no --gateway given and no running devnet to take its gateway from: give --gateway <url>",
    );
  }
  const walletFile = options.wallet ?? defaults.arweaveWallet;
  if (walletFile === undefined) {
    throw new UsageError(
      "no --wallet given and no running devnet to take its wallet from: give --wallet <file>",
    );
  }
  const jwk = readArweaveWallet(walletFile);
  out.progress(`Signing the module data item for ${displayPath(file)}…`);
  const item = await signAoItem(jwk, {
    type: "Module",
    tags: moduleTags(loaded, options),
    data: loaded.bytes,
  });
  const { bundleId } = await publishItem(gateway, jwk, item, out);
  out.progress(`Registering module ${item.id} on the ProcessRegistry…`);
  await registerModule(chain, { ...options, wasm: file, arweaveId: arweaveIdHex(item.id) }, out, {
    arweaveItemId: item.id,
    gateway,
    bundleId,
  });
}

/** A registered module, for output. */
export async function moduleOf(registry: ProcessRegistry, moduleId: string) {
  if (!(await registry.moduleExists(moduleId))) {
    throw new ChainError(
      `module ${moduleId} is not registered on the ProcessRegistry ${await registry.getAddress()}`,
      "E_NOT_FOUND",
    );
  }
  const m = await registry.getModule(moduleId);
  return {
    moduleRoot: m.moduleRoot,
    wasmHash: m.wasmHash,
    arweaveId: m.arweaveId,
    memoryPages: Number(m.memoryPages),
    stepLimit: Number(m.stepLimit),
    maxMessageBytes: Number(m.maxMessageBytes),
    registrant: m.registrant,
    registeredAt: Number(m.registeredAt),
    registeredAtIso: isoTime(m.registeredAt),
  };
}

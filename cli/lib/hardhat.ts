/**
 * Loading Hardhat from a CLI command: always this repository's configuration, whatever the current
 * directory, and only when a command needs it (so that `holo --help` stays fast).
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import { CliError } from "./errors";
import { HARDHAT_CONFIG_PATH } from "./paths";

/**
 * The Hardhat runtime environment on `network`, loading Hardhat if needed.
 *
 * `bin/holo.js` already points `HARDHAT_CONFIG` at the repository's `hardhat.config.ts`; this sets it
 * too when the CLI runs in-process (tests). If Hardhat is already loaded (inside `hardhat test`), its
 * environment is returned and must be on `network`.
 *
 * @throws CliError if the loaded environment is on another network.
 */
export function loadHardhat(network = "hardhat"): HardhatRuntimeEnvironment {
  process.env.HARDHAT_CONFIG ??= HARDHAT_CONFIG_PATH;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { HardhatContext } = require("hardhat/internal/context") as typeof import("hardhat/internal/context");
  if (!HardhatContext.isCreated()) process.env.HARDHAT_NETWORK = network;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hre = require("hardhat") as HardhatRuntimeEnvironment;
  if (hre.network.name !== network) {
    throw new CliError(
      `Hardhat is loaded on network "${hre.network.name}", but this command needs "${network}"`,
      {
        code: "E_HARDHAT",
      },
    );
  }
  return hre;
}

/**
 * Runs `fn` with `console.log`/`console.info` sent to stderr, for Hardhat tasks that print
 * (compilation, typechain) while stdout must stay machine-readable.
 */
export async function withConsoleOnStderr<T>(fn: () => Promise<T>): Promise<T> {
  const { log, info } = console;
  const toStderr = (...args: unknown[]): void => console.error(...args);
  console.log = toStderr;
  console.info = toStderr;
  try {
    return await fn();
  } finally {
    console.log = log;
    console.info = info;
  }
}

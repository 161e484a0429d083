/**
 * The command groups of `holo`. Each module registers its commands on the program; to add a group,
 * write `cli/commands/<group>.ts` exporting `register(program, context)` and list it here.
 */
import type { Command } from "commander";

import type { OutputStreams } from "../lib/output";
import * as devnet from "./devnet";
import * as dispute from "./dispute";
import * as message from "./message";
import * as moduleCommands from "./module";
import * as processCommands from "./process";
import * as result from "./result";
import * as stake from "./stake";

/** What commands get from the CLI besides their options. */
export interface CliContext {
  /** Where output goes (the process's streams, or buffers in tests). */
  streams: OutputStreams;
}

/** A command group: adds its commands to the program. */
export interface CommandGroup {
  register(program: Command, context: CliContext): void;
}

/** Every command group, in the order of `holo --help`. */
export const COMMAND_GROUPS: readonly CommandGroup[] = [
  devnet,
  stake,
  moduleCommands,
  processCommands,
  message,
  result,
  dispute,
];

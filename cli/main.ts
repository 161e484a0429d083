/**
 * `holo`, the Holoproof command line. `bin/holo.js` runs {@link main}; tests call it in-process
 * with their own streams.
 *
 * Exit codes: see {@link ExitCode}. Errors print as `error: <message>` on stderr (with the stack
 * under `--verbose`).
 */
import fs from "node:fs";
import path from "node:path";

import { Command, CommanderError } from "commander";

import { COMMAND_GROUPS, type CliContext } from "./commands";
import { ExitCode, toCliError } from "./lib/errors";
import { Output, type OutputOptions, type OutputStreams } from "./lib/output";
import { REPO_ROOT } from "./lib/paths";

/** The version of the `holoproof` package (`holo --version`). */
export function version(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/** The `holo` program with every command group registered, writing to `streams`. */
export function createProgram(streams: OutputStreams = process): Command {
  const program = new Command("holo")
    .description(
      "Holoproof: trustless settlement of AO-style WebAssembly process results on EVM chains. " +
        "Tools for operators and integrators.",
    )
    .version(version(), "-V, --version", "print the version and exit")
    .helpOption("-h, --help", "print help for a command and exit")
    .option("--json", "machine-readable output: one JSON object per line on stdout")
    .option("--verbose", "more detail, and stack traces on errors")
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .configureOutput({
      writeOut: (text) => streams.stdout.write(text),
      writeErr: (text) => streams.stderr.write(text),
    })
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  program.addHelpText(
    "after",
    "\nExit codes: 0 success, 1 failure, 2 bad command line, 3 bad configuration.\n" +
      "Run 'holo <command> --help' for a command's options.",
  );

  const context: CliContext = { streams };
  for (const group of COMMAND_GROUPS) group.register(program, context);
  return program;
}

/**
 * Runs `holo` with `argv` (as `process.argv`: the first two entries are the runtime and the script)
 * and resolves to the exit code; never rejects.
 */
export async function main(
  argv: readonly string[] = process.argv,
  streams: OutputStreams = process,
): Promise<number> {
  const program = createProgram(streams);
  try {
    await program.parseAsync(argv, { from: "node" });
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed help, the version, or `error: …` for a bad command line.
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    const options = program.opts<OutputOptions>();
    const out = new Output(
      {
        json: options.json ?? argv.includes("--json"),
        verbose: options.verbose ?? argv.includes("--verbose"),
      },
      streams,
    );
    const cliError = toCliError(error);
    out.error(cliError);
    return cliError.exitCode;
  }
}

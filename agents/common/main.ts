/**
 * The command-line entry point every agent shares: `--help` lists the settings, a bad setting is a
 * `ConfigError` on stderr with its exit code (2) and nothing started, JSON logs from the configured level, a
 * start failure pages `stopped` (exit 1), and SIGINT/SIGTERM stop the agent cleanly (exit 0).
 */
import { ConfigError, describeConfig, loadConfig, type Config, type ConfigSchema } from "./config";
import { useFastKeccak } from "./hashing";
import { createLogger, logPage, type LogLevel, type Logger } from "./log";

export interface AgentCommand<S extends ConfigSchema, R extends { stop(): Promise<void> }> {
  /** The command's name, e.g. `holo-su` (help text, fatal errors). */
  command: string;
  /** The agent's log name, e.g. `su` (the `agent` field and the `<agent>.stopping` events). */
  agent: string;
  /** What the agent is, e.g. `the Holoproof scheduler unit` (help text, the page when it cannot start). */
  title: string;
  settings: S;
  start(config: Config<S>, logger: Logger): Promise<R>;
}

/** Runs `spec` with the command-line arguments `argv` until a signal; resolves to the exit code. */
export async function runAgent<S extends ConfigSchema, R extends { stop(): Promise<void> }>(
  spec: AgentCommand<S, R>,
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(
      `${spec.command}: ${spec.title}\n\nSettings:\n${describeConfig(spec.settings).text()}\n`,
    );
    return 0;
  }
  useFastKeccak();
  let config: Config<S>;
  try {
    config = loadConfig(spec.settings, { env, flags: [...argv] });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(error.message + "\n");
      return error.exitCode;
    }
    throw error;
  }
  const level = (config as { logLevel?: LogLevel }).logLevel ?? "info";
  const logger = createLogger({ agent: spec.agent, level });
  let running: R;
  try {
    running = await spec.start(config, logger);
  } catch (error) {
    // Some settings can only be checked against the chain or the gateway (a chain id, a wallet).
    if (error instanceof ConfigError) {
      process.stderr.write(error.message + "\n");
      return error.exitCode;
    }
    logPage(logger, "stopped", { err: error }, `the ${spec.title} could not start`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ event: `${spec.agent}.stopping`, signal }, "stopping");
      resolve();
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
  await running.stop();
  logger.info({ event: `${spec.agent}.stopped` }, "stopped");
  return 0;
}

/** When `module` is the program run by node: runs `main` with the arguments and exits with its code. */
export function runIfMain(
  module: NodeJS.Module,
  command: string,
  main: (argv: readonly string[]) => Promise<number>,
) {
  if (require.main !== module) return;
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${command}: ${String(error)}\n`);
      process.exit(1);
    },
  );
}

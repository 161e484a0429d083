/**
 * The command-line entry point every agent shares: `--help` lists the settings, a bad setting is a
 * `ConfigError` on stderr with its exit code (2) and nothing started, JSON logs from the configured level, and
 * SIGINT/SIGTERM stop the agent cleanly (exit 0).
 *
 * Start-up waits for its dependencies: a start that fails because the chain RPC, the gateway (or another
 * service the agent reaches over the network) cannot be reached is tried again with capped exponential backoff
 * (`<agent>.start.waiting`, warn, naming the dependency), and meanwhile a stand-in HTTP server on the agent's
 * `host`/`port` answers `/healthz` with 503 (`waitingFor`) and `/metrics` with `holo_start_waiting{dependency}`
 * = 1. Once the agent has waited `startTimeout` it pages `livenessAtRisk` once and keeps waiting. Any other
 * start failure pages `stopped` (exit 1); a `ConfigError` exits at once with its code.
 */
import { Counter, Gauge } from "prom-client";
import { z } from "zod";

import type { Database } from "better-sqlite3";

import { ChainClient } from "./chain";
import { ConfigError, describeConfig, duration, loadConfig, type Config, type ConfigSchema } from "./config";
import { useFastKeccak } from "./hashing";
import { createHttpServer, type HttpServer } from "./http";
import { createLogger, logPage, type LogLevel, type Logger } from "./log";
import { createMetrics, type AgentMetrics } from "./metrics";
import { isTransientNetworkError } from "./retry";

/** The start-up settings every agent takes (added to its schema by {@link runAgent}). */
export const StartupSettings = z.object({
  startTimeout: duration()
    .refine((ms) => ms >= 1_000, "must be at least 1s")
    .prefault("5m")
    .describe(
      "How long the agent waits at start for an unreachable chain RPC or gateway (retrying with backoff) before it pages livenessAtRisk; it keeps waiting after the page",
    ),
  startRetryMax: duration()
    .refine((ms) => ms >= 100, "must be at least 100ms")
    .prefault("30s")
    .describe(
      "The longest wait between two start attempts while a dependency is unreachable (the wait doubles from 500ms up to it)",
    ),
});

/** The first wait between start attempts; it doubles up to `startRetryMax`. */
export const START_RETRY_BASE_MS = 500;

/**
 * A start step that needs a dependency reachable over the network: a failure is retried by {@link runAgent}
 * while it is transient (the dependency is named in the logs, `/healthz` and `holo_start_waiting`).
 */
export class DependencyUnavailableError extends Error {
  override readonly name = "DependencyUnavailableError";
  constructor(
    /** `chain`, `gateway`, `su`... */
    readonly dependency: string,
    cause: unknown,
  ) {
    super(
      `${dependency} unreachable: ${cause instanceof Error ? cause.message : String(cause)}`.slice(0, 500),
      { cause },
    );
  }
}

/**
 * Runs `step`; a transient network failure (isTransientNetworkError) is rethrown as a
 * {@link DependencyUnavailableError} naming `dependency`, anything else as it is.
 */
export async function needs<T>(dependency: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (!(error instanceof DependencyUnavailableError) && isTransientNetworkError(error)) {
      throw new DependencyUnavailableError(dependency, error);
    }
    throw error;
  }
}

/** The chain settings the CU and the watcher share (agents/common/config.ts). */
export interface AgentChainSettings {
  rpcUrl: string;
  crossCheckRpcUrls: readonly string[];
  crossCheckMaxLagBlocks: number;
  privateKey: string;
  confirmations: number;
  pollMs: number;
}

/**
 * The agent's chain client on its store's database: its RPC and cross-check RPCs, its key, its confirmations,
 * receipts polled as often as the agent polls but at least every second (a receipt must not stall an agent for
 * a whole second on a fast chain). An unreachable RPC is a {@link DependencyUnavailableError} (runAgent waits).
 */
export function connectAgentChain(
  config: AgentChainSettings,
  db: Database,
  logger: Logger,
  metrics?: AgentMetrics,
): Promise<ChainClient> {
  return needs("chain", () =>
    ChainClient.connect({
      rpcUrl: config.rpcUrl,
      crossCheckRpcUrls: config.crossCheckRpcUrls,
      crossCheckMaxLagBlocks: config.crossCheckMaxLagBlocks,
      wallet: config.privateKey,
      db,
      confirmations: config.confirmations,
      pollMs: Math.min(config.pollMs, 1_000),
      logger,
      metrics,
    }),
  );
}

/** The `host:port` of a URL setting (for naming the dependency an unwrapped network error came from). */
function hostPort(u: unknown): string | undefined {
  if (typeof u !== "string") return undefined;
  try {
    const url = new URL(u);
    const port = url.port !== "" ? url.port : url.protocol === "https:" ? "443" : "80";
    return `${url.hostname}:${port}`;
  } catch {
    return undefined;
  }
}

function errorText(error: unknown, depth = 0): string {
  if (depth > 6 || typeof error !== "object" || error === null) return String(error);
  const e = error as Record<string, unknown>;
  const parts = [String(e.message ?? "")];
  if (typeof e.address === "string") parts.push(`${e.address}:${String(e.port ?? "")}`);
  if (e.cause !== undefined) parts.push(errorText(e.cause, depth + 1));
  if (e.error !== undefined && e.error !== error) parts.push(errorText(e.error, depth + 1));
  if (Array.isArray(e.errors)) for (const inner of e.errors) parts.push(errorText(inner, depth + 1));
  return parts.join(" | ");
}

/**
 * The dependency a start failure is waiting for, or undefined when it is not an unreachable dependency (then
 * the agent stops). A {@link DependencyUnavailableError} names it; another transient network error is named by
 * the URL setting (`rpcUrl` → chain, `arweaveUrl` → gateway, `suUrl` → su) whose host:port it mentions.
 */
export function unreachableDependency(error: unknown, config: object): string | undefined {
  if (error instanceof ConfigError) return undefined;
  if (error instanceof DependencyUnavailableError) return error.dependency;
  if (!isTransientNetworkError(error)) return undefined;
  const text = errorText(error);
  const c = config as Record<string, unknown>;
  for (const [key, name] of [
    ["rpcUrl", "chain"],
    ["arweaveUrl", "gateway"],
    ["suUrl", "su"],
  ] as const) {
    const hp = hostPort(c[key]);
    if (hp !== undefined && text.includes(hp)) return name;
  }
  return "network";
}

/** What the stand-in server shows while the agent waits. */
interface Waiting {
  dependency: string;
  attempts: number;
  since: number;
  error: string;
}

/**
 * The stand-in HTTP server on the agent's host/port while it waits for a dependency: `/healthz` 503 with
 * `waitingFor`, `/metrics` with `holo_start_waiting{dependency}` and `holo_start_attempts_total`.
 */
class StandIn {
  private app: HttpServer | undefined;
  private url: string | undefined;
  private readonly metrics;
  private readonly waitingGauge: Gauge<"dependency">;
  private readonly attempts: Counter;
  private shown: string | undefined;

  constructor(
    private readonly agent: string,
    private readonly logger: Logger,
    private readonly where: { host?: string; port?: number },
    private readonly state: () => Waiting,
  ) {
    this.metrics = createMetrics({ agent, defaultMetrics: false });
    this.waitingGauge = new Gauge({
      name: "holo_start_waiting",
      help: "1 while the agent waits at start for the dependency (chain, gateway...) to be reachable",
      labelNames: ["dependency"],
      registers: [this.metrics.registry],
    });
    this.attempts = new Counter({
      name: "holo_start_attempts_total",
      help: "Start attempts that failed because a dependency was unreachable",
      registers: [this.metrics.registry],
    });
  }

  /** Records a failed attempt; opens the server if it is not open (its URL, when it listens). */
  async waiting(dependency: string): Promise<string | undefined> {
    if (this.shown !== undefined && this.shown !== dependency)
      this.waitingGauge.set({ dependency: this.shown }, 0);
    this.waitingGauge.set({ dependency }, 1);
    this.shown = dependency;
    this.attempts.inc();
    if (this.app !== undefined || this.where.port === undefined) return this.url;
    const app = createHttpServer({
      logger: this.logger,
      metrics: this.metrics,
      agent: this.agent,
      readiness: () => {
        const s = this.state();
        return {
          ok: false,
          reason: `starting: waiting for ${s.dependency}`,
          starting: true,
          waitingFor: s.dependency,
          attempts: s.attempts,
          waitingMs: Date.now() - s.since,
          lastError: s.error,
        };
      },
    });
    try {
      this.url = await app.listen({ host: this.where.host ?? "127.0.0.1", port: this.where.port });
      this.app = app;
    } catch (error) {
      // the port may be taken by something else: waiting goes on without the stand-in
      this.logger.warn({ event: `${this.agent}.start.standin`, err: error }, "no stand-in HTTP server");
      await app.close().catch(() => undefined);
    }
    return this.url;
  }

  /** Closes the server (before the next attempt, which listens on the same port). */
  async close(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    this.url = undefined;
    await app?.close();
  }
}

/** The wait after failed start attempt `attempt` (1-based): 500 ms doubling up to `maxMs`, ±20 % jitter. */
export function startRetryDelay(attempt: number, maxMs: number, random: () => number = Math.random): number {
  const cap = Math.min(maxMs, START_RETRY_BASE_MS * 2 ** Math.min(attempt - 1, 30));
  return Math.min(maxMs, Math.floor(cap * (0.8 + 0.4 * random())));
}

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
  const schema = spec.settings.extend(StartupSettings.shape);
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${spec.command}: ${spec.title}\n\nSettings:\n${describeConfig(schema).text()}\n`);
    return 0;
  }
  useFastKeccak();
  let config: Config<typeof schema>;
  try {
    config = loadConfig(schema, { env, flags: [...argv] });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(error.message + "\n");
      return error.exitCode;
    }
    throw error;
  }
  const level = (config as { logLevel?: LogLevel }).logLevel ?? "info";
  const logger = createLogger({ agent: spec.agent, level });

  // A signal ends the agent at any point, waiting included.
  let signalled: NodeJS.Signals | undefined;
  let onStop: (() => void) | undefined;
  const stopRequested = new Promise<void>((resolve) => (onStop = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled !== undefined) return;
    signalled = signal;
    logger.info({ event: `${spec.agent}.stopping`, signal }, "stopping");
    onStop!();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const cleanup = () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };

  const where = config as { host?: string; port?: number };
  const { startTimeout, startRetryMax } = config as unknown as z.output<typeof StartupSettings>;
  const t0 = Date.now();
  const state: Waiting = { dependency: "", attempts: 0, since: t0, error: "" };
  const standIn = new StandIn(spec.agent, logger, where, () => state);
  let paged = false;
  let running: R | undefined;
  for (let attempt = 1; running === undefined; attempt++) {
    try {
      await standIn.close();
      running = await spec.start(config as Config<S>, logger);
    } catch (error) {
      // Some settings can only be checked against the chain or the gateway (a chain id, a wallet).
      if (error instanceof ConfigError) {
        cleanup();
        process.stderr.write(error.message + "\n");
        return error.exitCode;
      }
      const dependency = unreachableDependency(error, config);
      if (dependency === undefined) {
        cleanup();
        logPage(logger, "stopped", { err: error }, `the ${spec.title} could not start`);
        return 1;
      }
      state.dependency = dependency;
      state.attempts = attempt;
      state.error = errorText(error).slice(0, 300);
      const delay = startRetryDelay(attempt, startRetryMax);
      const url = await standIn.waiting(dependency);
      const waitedMs = Date.now() - t0;
      logger.warn(
        {
          event: `${spec.agent}.start.waiting`,
          dependency,
          attempt,
          retryInMs: delay,
          waitedMs,
          url,
          err: state.error,
        },
        `waiting for the ${dependency} to start`,
      );
      if (!paged && waitedMs >= startTimeout) {
        paged = true;
        logPage(
          logger,
          "livenessAtRisk",
          { dependency, waitedMs, attempts: attempt, startTimeout },
          `the ${spec.title} has waited ${Math.round(waitedMs / 1000)} s at start for the ${dependency}`,
        );
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([stopRequested, new Promise<void>((r) => (timer = setTimeout(r, delay)))]);
      clearTimeout(timer);
    }
    if (signalled !== undefined) {
      await standIn.close();
      await running?.stop();
      cleanup();
      logger.info({ event: `${spec.agent}.stopped` }, "stopped");
      return 0;
    }
  }
  if (state.attempts > 0) {
    logger.info(
      { event: `${spec.agent}.start.ready`, attempts: state.attempts + 1, waitedMs: Date.now() - t0 },
      "dependencies reachable; started",
    );
  }
  await stopRequested;
  cleanup();
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

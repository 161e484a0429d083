/**
 * Structured logs for the agents: pino JSON lines on stdout, one object per event (docs/agents.md §4).
 *
 * Every line carries `agent`, an ISO-8601 `time` and the level as a word (`"level":"warn"`); child loggers
 * add the context of the work at hand (`process`, `slot`, `gameId`, `opId`). Secrets never reach a line:
 * `privateKey` (at the top level or one object down) and `authorization` are replaced by `[redacted]`.
 */
import pino from "pino";

/** A pino logger; agents pass it around as is. */
export type Logger = pino.Logger;

/** The levels an agent logs at, most severe first (`silent` turns logging off, for tests). */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * **The paging rule** (docs/agents.md §4) — the levels that wake an operator:
 *
 * - `fatal`: the agent stopped; an operator must act now.
 * - `error`: money or liveness is at risk and the agent cannot fix it alone — a game clock below twice the
 *   expected answer time, a transaction failing after all retries, Arweave data missing past the challenge
 *   window's half, an equivocation seen. These page.
 *
 * The levels below never page:
 *
 * - `warn`: a retry, a degraded dependency, a refused input that looks like an attack.
 * - `info`: state changes (a slot assigned, a commitment posted, a move made).
 * - `debug`: everything else.
 *
 * So an agent logs at `error` or `fatal` through {@link logPage}, with one of the {@link PAGE_REASONS}; anything
 * it can still fix by itself (a retry that may succeed) is a `warn`. The one other `error` line is http.ts's
 * unexpected-500 (a bug in a route), which pages too.
 */
export const PAGING_LEVELS: readonly LogLevel[] = Object.freeze(["fatal", "error"]);

/** Whether a line at `level` pages an operator (the paging rule). */
export function pages(level: LogLevel): boolean {
  return PAGING_LEVELS.includes(level);
}

/**
 * The vocabulary of pages: each reason, the level it is logged at, and when to use it. A page is logged with
 * `"event":"page.<reason>"` so alerting matches one field.
 */
export const PAGE_REASONS = Object.freeze({
  /** The agent stopped (an unrecoverable error at start or while running). */
  stopped: "fatal",
  /** Funds can be lost: a bond or stake at risk, a payout that cannot be claimed. */
  moneyAtRisk: "error",
  /** The agent cannot make progress (assign, evaluate, commit, answer) and will not recover alone. */
  livenessAtRisk: "error",
  /** A game clock is below twice the expected answer time. */
  clockLow: "error",
  /** A chain transaction failed after all retries. */
  txFailed: "error",
  /** Arweave data is still missing past the challenge window's half. */
  dataMissing: "error",
  /** Two signed, conflicting statements from one party (a scheduler assigning a slot twice...). */
  equivocation: "error",
  /** The chain RPCs answer a read the agent would act on differently (agents/common/chain.ts cross-check). */
  rpcDisagreement: "error",
} as const satisfies Record<string, "fatal" | "error">);

export type PageReason = keyof typeof PAGE_REASONS;

/** The `event` field of a page, e.g. `page.moneyAtRisk`. */
export type PageEvent = `page.${PageReason}`;

/** Context fields of a child logger (docs/agents.md §4). */
export interface LogContext {
  /** The AO process id. */
  process?: string;
  slot?: number | bigint;
  gameId?: string | number | bigint;
  /** The chain client's operation id (`post:<commitmentId>`, `move:<gameId>:<segmentHash>`). */
  opId?: string;
  /** Anything else the work at hand is keyed by. */
  [key: string]: unknown;
}

export interface LoggerOptions {
  /** The agent's name (`su`, `cu`, `watcher`); on every line. */
  agent: string;
  /** The lowest level written; `info` unless given. */
  level?: LogLevel;
  /** Where lines go; stdout unless given (tests pass a stream they read back). */
  destination?: pino.DestinationStream | NodeJS.WritableStream;
}

/** What redaction writes instead of a secret. */
export const REDACTED = "[redacted]";

/** The paths pino redacts (a secret one object deep, and HTTP authorization headers). */
export const REDACT_PATHS: readonly string[] = Object.freeze([
  "privateKey",
  "*.privateKey",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
]);

/** The one way agents make a logger. */
export function createLogger(options: LoggerOptions): Logger {
  if (typeof options.agent !== "string" || options.agent.trim() === "") {
    throw new TypeError("createLogger: `agent` must be a non-empty string (the agent's name, e.g. `su`)");
  }
  const level = options.level ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new TypeError(
      `createLogger: unknown level ${JSON.stringify(level)}; one of ${LOG_LEVELS.join(", ")}`,
    );
  }
  const pinoOptions: pino.LoggerOptions = {
    level,
    base: { agent: options.agent },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
  };
  return options.destination === undefined
    ? pino(pinoOptions)
    : pino(pinoOptions, options.destination as pino.DestinationStream);
}

/** A child logger whose lines carry `context` (`process`, `slot`, `gameId`, `opId`...). */
export function withContext(logger: Logger, context: LogContext): Logger {
  return logger.child(context);
}

/**
 * Logs a page: at the level {@link PAGE_REASONS} gives the reason (`fatal` or `error`), with
 * `"event":"page.<reason>"` and the fields. `message` defaults to the event name.
 */
export function logPage(
  logger: Logger,
  reason: PageReason,
  fields: Record<string, unknown> = {},
  message?: string,
): void {
  const level = PAGE_REASONS[reason];
  if (level === undefined) {
    throw new TypeError(
      `logPage: unknown reason ${JSON.stringify(reason)}; one of ${Object.keys(PAGE_REASONS).join(", ")}`,
    );
  }
  const event: PageEvent = `page.${reason}`;
  logger[level]({ ...fields, event }, message ?? event);
}

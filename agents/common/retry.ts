/**
 * Retries with capped exponential backoff and full jitter (docs/agents.md §1: "what is retryable is named,
 * not guessed").
 *
 * Attempt `n` (1-based) that fails with a retryable error is followed by a wait drawn uniformly from
 * `[0, min(maxMs, baseMs · 2^(n-1)))` — "full jitter", so many agents retrying against one RPC do not
 * retry in step. A non-retryable error stops at once; so does an aborted signal.
 */

/** Time and chance, injectable so tests run without waiting and with known delays. */
export interface RetryClock {
  /** Waits `ms` milliseconds; rejects early if `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** A number in `[0, 1)`, like `Math.random`. */
  random(): number;
}

/** What `onRetry` is told before each wait. */
export interface RetryEvent {
  /** The attempt that just failed (1-based). */
  attempt: number;
  /** The attempts allowed in all. */
  attempts: number;
  /** How long the wait before the next attempt is. */
  delayMs: number;
  error: unknown;
  label: string;
}

export interface RetryOptions {
  /** Attempts in all, the first one included (a positive integer); default 5. */
  attempts?: number;
  /** The backoff's base in milliseconds; default 200. */
  baseMs?: number;
  /** The cap on one wait in milliseconds; default 10 000. */
  maxMs?: number;
  /** Whether an error is worth another attempt; default {@link isTransientNetworkError}. */
  retryable?: (error: unknown) => boolean;
  /** Called before each wait (log a `warn` here: a retry is not a page). */
  onRetry?: (event: RetryEvent) => void;
  /** Aborting stops the retries: no new attempt starts and a wait in progress ends. */
  signal?: AbortSignal;
  /** Injected sleep and random; the real ones unless given (either may be given alone). */
  clock?: Partial<RetryClock>;
  /** What is being retried, for messages and `onRetry` (`eth_getLogs`, `publish bundle`...). */
  label?: string;
}

/** The property {@link retry} sets on the error it rethrows: how many attempts were made. */
export const ATTEMPTS = "retryAttempts";

/**
 * How many attempts {@link retry} made before giving up with `error`, or `undefined` if the error did not
 * come out of `retry`.
 */
export function attemptsOf(error: unknown): number | undefined {
  if (error instanceof RetryAbortedError) return error.attempts;
  if (typeof error === "object" && error !== null && ATTEMPTS in error) {
    const n = (error as Record<string, unknown>)[ATTEMPTS];
    return typeof n === "number" ? n : undefined;
  }
  return undefined;
}

/**
 * Thrown when a value that is not an extensible object (a string, a frozen object) was thrown by the last
 * attempt: the value is the `cause`, the count is `attempts`.
 */
export class RetryError extends Error {
  override readonly name = "RetryError";
  constructor(
    message: string,
    readonly attempts: number,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

/** Thrown when the signal aborted: `cause` is the last attempt's error (if an attempt failed). */
export class RetryAbortedError extends Error {
  override readonly name = "RetryAbortedError";
  constructor(
    message: string,
    readonly attempts: number,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

/** The real clock: `setTimeout` and `Math.random`. */
export const realClock: RetryClock = Object.freeze({
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortReason(signal!));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  },
  random: Math.random,
});

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error("aborted");
}

/**
 * The wait after failed attempt `attempt` (1-based): `random() · min(maxMs, baseMs · 2^(attempt-1))`,
 * rounded down to whole milliseconds.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 1024));
  const r = random();
  if (!(r >= 0 && r < 1)) throw new RangeError(`retry: random() must return a number in [0, 1), got ${r}`);
  return Math.floor(r * cap);
}

function checkOptions(attempts: number, baseMs: number, maxMs: number): void {
  const problems: string[] = [];
  if (!Number.isSafeInteger(attempts) || attempts < 1) {
    problems.push(`attempts must be a positive integer, got ${String(attempts)}`);
  }
  if (!Number.isFinite(baseMs) || baseMs < 0) {
    problems.push(`baseMs must be a finite number >= 0, got ${String(baseMs)}`);
  }
  if (!Number.isFinite(maxMs) || maxMs < 0) {
    problems.push(`maxMs must be a finite number >= 0, got ${String(maxMs)}`);
  }
  if (problems.length > 0) throw new RangeError(`retry: ${problems.join("; ")}`);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Calls `fn` until it resolves, an error is not retryable, the attempts run out or `signal` aborts.
 *
 * - Success: `fn`'s value.
 * - A non-retryable error, or the last attempt's error: that same error is rethrown, with
 *   `error.retryAttempts` set to the number of attempts made (read it with {@link attemptsOf}); a thrown
 *   value that cannot carry the property is wrapped in a {@link RetryError}.
 * - Abort (before an attempt or during a wait): {@link RetryAbortedError}, `cause` the last error.
 *
 * `fn` gets the attempt number (1-based) and the signal, to pass on to the I/O it does.
 */
export async function retry<T>(
  fn: (attempt: number, signal?: AbortSignal) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  const baseMs = options.baseMs ?? 200;
  const maxMs = options.maxMs ?? 10_000;
  checkOptions(attempts, baseMs, maxMs);
  const retryable = options.retryable ?? isTransientNetworkError;
  const sleep = options.clock?.sleep ?? realClock.sleep;
  const random = options.clock?.random ?? realClock.random;
  const label = options.label ?? "operation";
  const signal = options.signal;

  let lastError: unknown = undefined;
  let attempt = 0;
  const aborted = (): RetryAbortedError =>
    new RetryAbortedError(
      attempt === 0
        ? `${label}: aborted before the first attempt`
        : `${label}: aborted after ${attempt} attempt(s); last error: ${describe(lastError)}`,
      attempt,
      { cause: attempt === 0 ? abortReason(signal!) : lastError },
    );

  for (;;) {
    if (signal?.aborted) throw aborted();
    attempt += 1;
    try {
      return await fn(attempt, signal);
    } catch (error) {
      lastError = error;
      if (signal?.aborted) throw aborted();
      if (attempt >= attempts || !retryable(error)) throw giveUp(error, attempt, label);
      const delayMs = backoffDelay(attempt, baseMs, maxMs, random);
      options.onRetry?.({ attempt, attempts, delayMs, error, label });
      try {
        await sleep(delayMs, signal);
      } catch (sleepError) {
        if (signal?.aborted) throw aborted();
        throw sleepError;
      }
    }
  }
}

function giveUp(error: unknown, attempts: number, label: string): unknown {
  if (typeof error === "object" && error !== null && Object.isExtensible(error)) {
    try {
      Object.defineProperty(error, ATTEMPTS, { value: attempts, enumerable: true, configurable: true });
      return error;
    } catch {
      // fall through to the wrapper
    }
  }
  return new RetryError(`${label} failed after ${attempts} attempt(s): ${describe(error)}`, attempts, {
    cause: error,
  });
}

/** Socket and DNS error codes (Node `net`/`dns`, undici) that mean "try again", not "you are wrong". */
export const TRANSIENT_ERROR_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
]);

/** ethers v6 error codes for a provider that could not answer (not a revert, not a bad argument). */
export const TRANSIENT_ETHERS_CODES: ReadonlySet<string> = new Set([
  "NETWORK_ERROR",
  "TIMEOUT",
  "SERVER_ERROR",
]);

/** Message fragments of transient failures that come without a code. */
export const TRANSIENT_MESSAGES: readonly RegExp[] = Object.freeze([/socket hang up/i, /fetch failed/i]);

/** HTTP statuses worth a retry: 429 and every 5xx. */
export function isTransientHttpStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

function httpStatusOf(error: Record<string, unknown>): number | undefined {
  for (const candidate of [
    error.status,
    error.statusCode,
    (error.response as Record<string, unknown> | undefined)?.status,
    (error.response as Record<string, unknown> | undefined)?.statusCode,
  ]) {
    if (typeof candidate === "number" && Number.isInteger(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Whether `error` is a transient network failure: a socket/DNS code of {@link TRANSIENT_ERROR_CODES}
 * (ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE...), "socket hang up", "fetch failed", an HTTP 429 or 5xx
 * (`status`, `statusCode` or `response.status(Code)`), or an ethers `NETWORK_ERROR`/`TIMEOUT`/`SERVER_ERROR`
 * (a `SERVER_ERROR` carrying a 4xx other than 429 is not transient: the request was wrong). The `cause`
 * chain and an `AggregateError`'s `errors` are searched too (`fetch failed` wraps the socket error).
 * A revert, a bad argument, an unknown error: not transient.
 */
export function isTransientNetworkError(error: unknown): boolean {
  return transient(error, 0);
}

function transient(error: unknown, depth: number): boolean {
  if (depth > 8 || typeof error !== "object" || error === null) return false;
  const e = error as Record<string, unknown>;
  const status = httpStatusOf(e);
  if (typeof e.code === "string") {
    if (TRANSIENT_ERROR_CODES.has(e.code)) return true;
    if (TRANSIENT_ETHERS_CODES.has(e.code)) {
      return !(e.code === "SERVER_ERROR" && status !== undefined && !isTransientHttpStatus(status));
    }
  }
  if (status !== undefined && isTransientHttpStatus(status)) return true;
  if (e.name === "TimeoutError") return true; // AbortSignal.timeout() firing on a request
  const message = typeof e.message === "string" ? e.message : "";
  if (TRANSIENT_MESSAGES.some((re) => re.test(message))) return true;
  if (transient(e.cause, depth + 1)) return true;
  // ethers wraps the provider's error as `error`
  if (e.error !== error && transient(e.error, depth + 1)) return true;
  if (Array.isArray(e.errors)) return e.errors.some((inner) => transient(inner, depth + 1));
  return false;
}

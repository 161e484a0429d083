import { expect } from "chai";
import { makeError } from "ethers";
import fc from "fast-check";

import {
  ATTEMPTS,
  RetryAbortedError,
  RetryError,
  attemptsOf,
  backoffDelay,
  isTransientNetworkError,
  realClock,
  retry,
  type RetryClock,
  type RetryEvent,
} from "../../../agents/common/retry";

/** An error carrying a Node-style code. */
function coded(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

/** A clock that records sleeps and returns scripted random numbers (cycling). */
function fakeClock(randoms: number[] = [0.5]) {
  const sleeps: number[] = [];
  let i = 0;
  const clock: RetryClock = {
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => randoms[i++ % randoms.length],
  };
  return { clock, sleeps };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected the promise to reject");
}

describe("agents/common/retry", function () {
  describe("retry", function () {
    it("returns the first success without waiting", async function () {
      const { clock, sleeps } = fakeClock();
      const seen: number[] = [];
      const value = await retry(
        async (attempt) => {
          seen.push(attempt);
          return 42;
        },
        { clock },
      );
      expect(value).to.equal(42);
      expect(seen).to.deep.equal([1]);
      expect(sleeps).to.deep.equal([]);
    });

    it("retries transient errors until success, reporting each retry", async function () {
      const { clock, sleeps } = fakeClock([0.5]);
      const events: RetryEvent[] = [];
      let calls = 0;
      const value = await retry(
        async () => {
          calls += 1;
          if (calls < 3) throw coded("ECONNRESET");
          return "done";
        },
        { attempts: 5, baseMs: 100, maxMs: 10_000, clock, onRetry: (e) => events.push(e), label: "eth_call" },
      );
      expect(value).to.equal("done");
      expect(calls).to.equal(3);
      expect(sleeps).to.deep.equal([50, 100]); // 0.5 · 100, 0.5 · 200
      expect(events.map((e) => [e.attempt, e.attempts, e.delayMs, e.label])).to.deep.equal([
        [1, 5, 50, "eth_call"],
        [2, 5, 100, "eth_call"],
      ]);
      expect((events[0].error as { code: string }).code).to.equal("ECONNRESET");
    });

    it("rethrows the last error itself, with the attempt count, when the attempts run out", async function () {
      const { clock, sleeps } = fakeClock([0]);
      const errors: Error[] = [];
      let calls = 0;
      const error = await rejection(
        retry(
          async () => {
            calls += 1;
            const e = coded("ETIMEDOUT", `timeout ${calls}`);
            errors.push(e);
            throw e;
          },
          { attempts: 4, clock },
        ),
      );
      expect(calls).to.equal(4);
      expect(sleeps).to.have.length(3);
      expect(error).to.equal(errors[3]);
      expect((error as Error).message).to.equal("timeout 4");
      expect((error as Record<string, unknown>)[ATTEMPTS]).to.equal(4);
      expect(attemptsOf(error)).to.equal(4);
    });

    it("stops at once on a non-retryable error", async function () {
      const { clock, sleeps } = fakeClock();
      let calls = 0;
      const revert = coded("CALL_EXCEPTION", "execution reverted");
      const error = await rejection(
        retry(
          async () => {
            calls += 1;
            throw revert;
          },
          { attempts: 10, clock },
        ),
      );
      expect(error).to.equal(revert);
      expect(calls).to.equal(1);
      expect(sleeps).to.deep.equal([]);
      expect(attemptsOf(error)).to.equal(1);
    });

    it("uses the given retryable predicate instead of the default", async function () {
      const { clock } = fakeClock();
      let calls = 0;
      const error = await rejection(
        retry(
          async () => {
            calls += 1;
            throw new Error(calls < 3 ? "busy" : "fatal");
          },
          { attempts: 10, clock, retryable: (e) => (e as Error).message === "busy" },
        ),
      );
      expect((error as Error).message).to.equal("fatal");
      expect(calls).to.equal(3);
    });

    it("wraps a thrown non-object in a RetryError carrying it as the cause", async function () {
      const { clock } = fakeClock();
      const error = await rejection(
        retry(
          async () => {
            throw "plain string";
          },
          { attempts: 3, clock, retryable: () => true },
        ),
      );
      expect(error).to.be.instanceOf(RetryError);
      expect((error as RetryError).name).to.equal("RetryError");
      expect((error as RetryError).attempts).to.equal(3);
      expect((error as RetryError).cause).to.equal("plain string");
      expect((error as Error).message).to.equal("operation failed after 3 attempt(s): plain string");
      expect(attemptsOf(error)).to.equal(undefined); // not an annotated error: read .attempts
    });

    it("wraps a frozen error instead of mutating it", async function () {
      const frozen = Object.freeze(coded("ECONNREFUSED"));
      const error = await rejection(
        retry(
          async () => {
            throw frozen;
          },
          { attempts: 2, clock: fakeClock().clock },
        ),
      );
      expect(error).to.be.instanceOf(RetryError);
      expect((error as RetryError).cause).to.equal(frozen);
      expect((error as RetryError).attempts).to.equal(2);
    });

    it("does not start when the signal is already aborted", async function () {
      const controller = new AbortController();
      controller.abort(new Error("shutting down"));
      let calls = 0;
      const error = await rejection(
        retry(
          async () => {
            calls += 1;
          },
          { signal: controller.signal, clock: fakeClock().clock },
        ),
      );
      expect(calls).to.equal(0);
      expect(error).to.be.instanceOf(RetryAbortedError);
      expect((error as RetryAbortedError).attempts).to.equal(0);
      expect(((error as RetryAbortedError).cause as Error).message).to.equal("shutting down");
      expect(attemptsOf(error)).to.equal(0);
    });

    it("ends a wait in progress when the signal aborts (real clock)", async function () {
      const controller = new AbortController();
      const last = coded("ECONNREFUSED");
      let calls = 0;
      const started = Date.now();
      setTimeout(() => controller.abort(), 20);
      const error = await rejection(
        retry(
          async () => {
            calls += 1;
            throw last;
          },
          // the first wait is at least 0.5 · 60 s: only the abort can end it in time
          {
            attempts: 5,
            baseMs: 60_000,
            maxMs: 60_000,
            signal: controller.signal,
            clock: { random: () => 0.5 },
          },
        ),
      );
      expect(Date.now() - started).to.be.lessThan(5_000);
      expect(calls).to.equal(1);
      expect(error).to.be.instanceOf(RetryAbortedError);
      expect((error as RetryAbortedError).attempts).to.equal(1);
      expect((error as RetryAbortedError).cause).to.equal(last);
      expect((error as Error).message).to.match(/aborted after 1 attempt\(s\); last error: ECONNREFUSED/);
    });

    it("stops when the signal aborts during an attempt, even for a retryable error", async function () {
      const controller = new AbortController();
      let calls = 0;
      const error = await rejection(
        retry(
          async (_attempt, signal) => {
            calls += 1;
            expect(signal).to.equal(controller.signal);
            controller.abort();
            throw coded("ECONNRESET");
          },
          { attempts: 5, signal: controller.signal, clock: fakeClock().clock },
        ),
      );
      expect(calls).to.equal(1);
      expect(error).to.be.instanceOf(RetryAbortedError);
    });

    it("refuses bad options, naming each", async function () {
      const error = await rejection(retry(async () => 1, { attempts: 0, baseMs: -1, maxMs: Number.NaN }));
      expect(error).to.be.instanceOf(RangeError);
      expect((error as Error).message).to.equal(
        "retry: attempts must be a positive integer, got 0; baseMs must be a finite number >= 0, got -1; " +
          "maxMs must be a finite number >= 0, got NaN",
      );
    });

    it("refuses an injected random outside [0, 1)", async function () {
      const error = await rejection(
        retry(
          async () => {
            throw coded("EPIPE");
          },
          { clock: { sleep: async () => {}, random: () => 1 } },
        ),
      );
      expect(error).to.be.instanceOf(RangeError);
      expect((error as Error).message).to.match(/random\(\) must return a number in \[0, 1\), got 1/);
    });
  });

  describe("backoffDelay (full jitter)", function () {
    it("doubles the cap per attempt up to maxMs", function () {
      const almostOne = () => 0.999999;
      expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, 100, 1000, almostOne))).to.deep.equal([
        99, 199, 399, 799, 999, 999,
      ]);
      expect(backoffDelay(1, 100, 1000, () => 0)).to.equal(0);
      expect(backoffDelay(3000, 100, 1000, almostOne)).to.equal(999); // no overflow to Infinity/NaN
    });

    it("stays in [0, min(maxMs, baseMs·2^(n-1))) for any random in [0, 1)", function () {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 64 }),
          fc.integer({ min: 0, max: 10_000 }),
          fc.integer({ min: 0, max: 1_000_000 }),
          fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
          (attempt, baseMs, maxMs, r) => {
            const cap = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
            const d = backoffDelay(attempt, baseMs, maxMs, () => r);
            return Number.isInteger(d) && d >= 0 && (cap === 0 ? d === 0 : d < cap);
          },
        ),
      );
    });

    it("retry sleeps exactly the jittered delays the injected random gives", async function () {
      const { clock, sleeps } = fakeClock([0.25, 0.75, 0.1]);
      await rejection(
        retry(
          async () => {
            throw coded("ECONNRESET");
          },
          { attempts: 4, baseMs: 1000, maxMs: 3000, clock },
        ),
      );
      // caps 1000, 2000, 3000 (4000 capped)
      expect(sleeps).to.deep.equal([250, 1500, 300]);
    });

    it("the real clock sleeps and its random is Math.random", async function () {
      const started = Date.now();
      await realClock.sleep(15);
      expect(Date.now() - started).to.be.at.least(10);
      expect(realClock.random).to.equal(Math.random);
    });
  });

  describe("isTransientNetworkError", function () {
    const transient: [string, unknown][] = [
      ["ECONNREFUSED", coded("ECONNREFUSED")],
      ["ECONNRESET", coded("ECONNRESET")],
      ["ETIMEDOUT", coded("ETIMEDOUT")],
      ["EPIPE", coded("EPIPE")],
      ["undici socket error", coded("UND_ERR_SOCKET")],
      ["socket hang up", new Error("socket hang up")],
      ["fetch failed", new TypeError("fetch failed")],
      ["fetch failed wrapping ECONNREFUSED", new TypeError("request", { cause: coded("ECONNREFUSED") })],
      [
        "AggregateError of ECONNREFUSED",
        new AggregateError([coded("ECONNREFUSED"), coded("ECONNREFUSED")], "x"),
      ],
      ["HTTP 429 (status)", Object.assign(new Error("too many"), { status: 429 })],
      ["HTTP 503 (statusCode)", Object.assign(new Error("unavailable"), { statusCode: 503 })],
      ["HTTP 500 (response.status)", Object.assign(new Error("x"), { response: { status: 500 } })],
      ["ethers NETWORK_ERROR", makeError("network down", "NETWORK_ERROR", { event: "noNetwork" })],
      ["ethers TIMEOUT", makeError("timeout", "TIMEOUT", { operation: "request" } as never)],
      ["ethers SERVER_ERROR", makeError("bad gateway", "SERVER_ERROR", { request: {} as never })],
      ["AbortSignal.timeout", new DOMException("timed out", "TimeoutError")],
    ];
    for (const [what, error] of transient) {
      it(`is true for ${what}`, function () {
        expect(isTransientNetworkError(error)).to.equal(true);
      });
    }

    const permanent: [string, unknown][] = [
      ["a plain Error", new Error("invalid argument")],
      [
        "ethers CALL_EXCEPTION",
        makeError("execution reverted", "CALL_EXCEPTION", { action: "call" } as never),
      ],
      ["ethers INVALID_ARGUMENT", makeError("bad", "INVALID_ARGUMENT", { argument: "x", value: 1 })],
      ["HTTP 400", Object.assign(new Error("bad request"), { status: 400 })],
      ["HTTP 404", Object.assign(new Error("not found"), { statusCode: 404 })],
      [
        "ethers SERVER_ERROR with a 4xx response",
        Object.assign(makeError("bad response", "SERVER_ERROR", { request: {} as never }), {
          response: { statusCode: 403 },
        }),
      ],
      ["ENOENT", coded("ENOENT")],
      ["a user abort", new DOMException("aborted", "AbortError")],
      ["a string", "ECONNREFUSED"],
      ["null", null],
      ["undefined", undefined],
    ];
    for (const [what, error] of permanent) {
      it(`is false for ${what}`, function () {
        expect(isTransientNetworkError(error)).to.equal(false);
      });
    }

    it("terminates on a cyclic cause chain", function () {
      const a = new Error("a") as Error & { cause?: unknown };
      const b = new Error("b", { cause: a });
      a.cause = b;
      expect(isTransientNetworkError(a)).to.equal(false);
    });
  });
});

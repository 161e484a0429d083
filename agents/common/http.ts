/**
 * The fastify factory every agent's API is built on (docs/agents.md §1, §7): the body limit is enforced
 * before parsing; every error answers a JSON body `{error: <Name>, message, field?}` — 4xx for bad input
 * (400 malformed JSON or invalid fields, 404 unknown route, 413 oversize, 415 unsupported media type), 500
 * with no internals for anything unexpected (logged at `error`); every response is counted in
 * `holo_http_requests_total{route,status}`; `GET /healthz` and `GET /metrics` are built in.
 */
import fs from "node:fs";
import path from "node:path";

import type { IncomingMessage, Server, ServerResponse } from "node:http";

import Fastify, {
  LogController,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import type { z } from "zod";

import type { Logger } from "./log";
import type { AgentMetrics } from "./metrics";

/** An error a route throws to answer a 4xx (or any status) with a named error. */
export class HttpError extends Error {
  constructor(
    /** The HTTP status (400–599). */
    readonly status: number,
    /** The error's name in the body (`BadSignature`, `UnknownProcess`...). */
    override readonly name: string,
    message: string,
    /** The offending input, when there is one (`body.target`, `query.from`). */
    readonly field?: string,
  ) {
    super(message);
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`HttpError: status must be an integer in 400..599, got ${String(status)}`);
    }
    if (typeof name !== "string" || !/^[A-Z][A-Za-z0-9]*$/.test(name)) {
      throw new TypeError(
        `HttpError: name must be a PascalCase word (e.g. BadRequest), got ${JSON.stringify(name)}`,
      );
    }
  }
}

/** The JSON body of every error answer. */
export interface ErrorBody {
  error: string;
  message: string;
  field?: string;
}

/** What a readiness check reports; `ok: false` answers `/healthz` with 503. Extra fields are shown. */
export interface Readiness {
  ok: boolean;
  /** Why not ready (`rpc unreachable`, `catching up: 120 slots behind`). */
  reason?: string;
  [detail: string]: unknown;
}

export interface HttpServerOptions {
  logger: Logger;
  metrics: AgentMetrics;
  /** The agent's name, shown by `/healthz`. */
  agent: string;
  /** The largest request body in bytes, enforced before parsing; default 1 MiB. */
  bodyLimit?: number;
  /** The version `/healthz` shows; the holoproof package's version unless given. */
  version?: string;
  /** Whether the agent can serve (its store open, its RPC reachable...); ready unless given. */
  readiness?: () => Readiness | Promise<Readiness>;
  /** How long a request may take to arrive in full before the connection is dropped; default 30 s. */
  requestTimeoutMs?: number;
}

/** The app `createHttpServer` returns: a fastify instance logging through the agent's pino logger. */
export type HttpServer = FastifyInstance<Server, IncomingMessage, ServerResponse, Logger>;

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

let packageVersion: string | undefined;

/** The holoproof package's version (from the repository's package.json). */
export function holoVersion(): string {
  if (packageVersion === undefined) {
    try {
      const file = path.join(__dirname, "..", "..", "package.json");
      packageVersion = String((JSON.parse(fs.readFileSync(file, "utf8")) as { version?: unknown }).version);
    } catch {
      packageVersion = "unknown";
    }
  }
  return packageVersion;
}

/** Fastify's client-error codes, mapped to our names (their messages describe the request, not us). */
const FASTIFY_ERRORS: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "PayloadTooLarge",
  FST_ERR_CTP_INVALID_JSON_BODY: "MalformedJson",
  FST_ERR_CTP_EMPTY_JSON_BODY: "MalformedJson",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "BadContentLength",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "UnsupportedMediaType",
  FST_ERR_CTP_EMPTY_TYPE: "UnsupportedMediaType",
  FST_ERR_CTP_INVALID_TYPE: "UnsupportedMediaType",
  FST_ERR_VALIDATION: "ValidationError",
};

function isFastifyClientError(e: unknown): e is FastifyError {
  const err = e as Partial<FastifyError>;
  return (
    typeof err?.code === "string" &&
    err.code.startsWith("FST_") &&
    typeof err.statusCode === "number" &&
    err.statusCode >= 400 &&
    err.statusCode < 500
  );
}

/**
 * Parses `value` with `schema`, or throws `HttpError(400, "ValidationError", ..., field)` naming the first
 * bad field as `<part>.<path>` (`body.target`). Routes use it for bodies, queries and params.
 */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  part: "body" | "query" | "params",
): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = [part, ...issue.path.map(String)].join(".");
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more)` : "";
  throw new HttpError(400, "ValidationError", `${field}: ${issue.message}${more}`, field);
}

/** The route label of a request for metrics: its pattern (`/result/:message`), never the raw URL. */
function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? "unmatched";
}

/**
 * Creates the agent's fastify app with error mapping, request counting, `/healthz` and `/metrics`. Add
 * routes, then `listen` (or `inject` in tests); `close()` when done.
 */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  if (!Number.isSafeInteger(bodyLimit) || bodyLimit < 1) {
    throw new RangeError(
      `createHttpServer: bodyLimit must be a positive integer of bytes, got ${String(bodyLimit)}`,
    );
  }
  const version = options.version ?? holoVersion();
  const requests = options.metrics.get("holo_http_requests_total");

  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit,
    // fastify's per-request info lines are replaced by one debug line per response (onResponse below)
    logController: new LogController({ disableRequestLogging: true }),
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    // Errors fastify raises before routing (a path that is not valid percent-encoding, …) get our named shape
    // too, not fastify's own body.
    frameworkErrors: (error, _request, rawReply) => {
      const badUrl = error.code === "FST_ERR_BAD_URL";
      void (rawReply as unknown as FastifyReply)
        .code(400)
        .type("application/json")
        .send({
          error: badUrl ? "BadUrl" : "BadRequest",
          message: badUrl ? "the path is not valid percent-encoding" : error.message,
        });
    },
  });

  // Binary bodies (ANS-104 data items) arrive as Buffers, under the same limit.
  app.addContentTypeParser("application/octet-stream", { parseAs: "buffer", bodyLimit }, (_req, body, done) =>
    done(null, body),
  );

  app.setErrorHandler((error: unknown, request, reply) => {
    if (error instanceof HttpError) {
      if (error.status === 503) {
        // Deliberate flow control (PublishBacklogFull, TooManyPending): the agent is fine and says when to
        // come back; `error` would page the operator for every refused request (docs/agents.md §4).
        request.log.warn({ error: error.name, reason: error.message }, "request refused for now (503)");
      } else if (error.status >= 500) request.log.error({ err: error }, "request failed");
      else request.log.debug({ err: error }, "request refused");
      const body: ErrorBody = { error: error.name, message: error.message };
      if (error.field !== undefined) body.field = error.field;
      return reply.code(error.status).send(body);
    }
    if (isFastifyClientError(error)) {
      const status = error.statusCode!;
      const name = FASTIFY_ERRORS[error.code] ?? "BadRequest";
      const message =
        error.code === "FST_ERR_CTP_BODY_TOO_LARGE"
          ? `request body is larger than the limit of ${bodyLimit} bytes`
          : error.message;
      request.log.debug({ code: error.code, status }, "request refused");
      return reply.code(status).send({ error: name, message } satisfies ErrorBody);
    }
    request.log.error({ err: error, route: routeOf(request) }, "unexpected error while serving a request");
    return reply.code(500).send({
      error: "InternalError",
      message: `internal error (request ${request.id})`,
    } satisfies ErrorBody);
  });

  app.setNotFoundHandler((request, reply) => {
    const url = request.url.length > 200 ? request.url.slice(0, 200) + "..." : request.url;
    return reply
      .code(404)
      .send({ error: "NotFound", message: `no route for ${request.method} ${url}` } satisfies ErrorBody);
  });

  app.addHook("onResponse", (request, reply, done) => {
    requests.inc({ route: routeOf(request), status: String(reply.statusCode) });
    request.log.debug(
      { method: request.method, route: routeOf(request), status: reply.statusCode, ms: reply.elapsedTime },
      "request served",
    );
    done();
  });

  app.get("/healthz", async (request, reply) => {
    const base = { agent: options.agent, version };
    if (options.readiness === undefined) return { ok: true, ...base };
    let readiness: Readiness;
    try {
      readiness = await options.readiness();
    } catch (e) {
      request.log.warn({ err: e }, "readiness check threw");
      return reply.code(503).send({ ok: false, ...base, reason: "readiness check failed" });
    }
    const body = { ...readiness, ...base, ok: readiness.ok === true };
    return reply.code(body.ok ? 200 : 503).send(body);
  });

  app.get("/metrics", async (_request, reply) => {
    return reply.type(options.metrics.contentType).send(await options.metrics.text());
  });

  return app;
}

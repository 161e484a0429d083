/**
 * The scheduler's HTTP API, in AO's SU shape (docs/agents.md §6):
 *
 * - `POST /` — body: a signed ANS-104 data item (`application/octet-stream`) → `{id, timestamp, slot, process,
 *   processId, assignment}` (`process` 0x hex, `processId` its base64url AO target form, what aoconnect's
 *   `spawn` returns); a Process item not spawned on chain yet → 202 `{id, timestamp, process, processId,
 *   pending: true, spawn: {moduleId, scheduler, initialState, arweaveId, owner}}`
 *   A data item arriving while `backlog` slots are accepted and not yet published → 503 `PublishBacklogFull` with
 *   `Retry-After` (nothing assigned)
 * - `GET /` — `{Unit: "Scheduler", Address, Timestamp, Processes, Pending}`
 * - `GET /pending/:processId` — a held Process item's spawn arguments (`status: "pending"`), or
 *   `status: "spawned"` once slot 0 is assigned
 * - `GET /timestamp` — `{timestamp, block_height}`
 * - `GET /:processId?from=&to=&limit=` — the ordered log: `{page_info: {has_next_page}, edges: [{cursor, node: {message, assignment}}]}`
 * - `GET /:messageId?process-id=` — one message with its assignment (aoconnect's `message({returnAssignmentSlot})`
 *   reads its `assignment.tags` Nonce); a malformed message id → 400 `MalformedId`, a message id without
 *   `process-id` → 400 `MissingProcessId`
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";

import { HttpError, createHttpServer, validate, type HttpServer } from "../../common/http";
import type { Logger } from "../../common/log";
import type { AgentMetrics } from "../../common/metrics";
import { SchedulerError } from "../domain/errors";
import {
  parseProcessId,
  processTarget,
  type LogEntry,
  type PendingSpawn,
  type Scheduler,
  type SignedAssignment,
} from "../domain/scheduler";

export interface SchedulerApiOptions {
  scheduler: Scheduler;
  logger: Logger;
  metrics: AgentMetrics;
  bodyLimit: number;
  /** The Arweave wallet's address (shown by `GET /`). */
  arweaveAddress?: string;
  /**
   * Back-pressure on `POST /` (finding 1 of docs/reliability.md "Soak"): when `count()` (slots accepted and not
   * yet published) plus the accepts in flight reaches `limit`, a data item is refused with 503
   * `PublishBacklogFull` and `Retry-After: retryAfterSec`, and nothing is assigned. Unset: no bound.
   */
  backlog?: { count(): number; limit: number; retryAfterSec: number };
  now?: () => number;
}

/** An assignment as JSON (integers as decimal strings where they may exceed 2^53, here numbers). */
export function assignmentJson(a: SignedAssignment) {
  return {
    process: a.process,
    slot: Number(a.slot),
    messageId: a.messageId,
    messageHash: a.messageHash,
    messageLength: Number(a.messageLength),
    timestamp: Number(a.timestamp),
    blockHeight: Number(a.blockHeight),
    prevAssignmentHash: a.prevAssignmentHash,
    hash: a.hash,
    signature: a.signature,
    scheduler: a.scheduler,
    // AO's assignment tags (aoconnect's `message({returnAssignmentSlot})` reads Nonce)
    tags: [
      { name: "Process", value: processTarget(a.process) },
      { name: "Nonce", value: String(a.slot) },
      { name: "Epoch", value: "0" },
      { name: "Timestamp", value: String(a.timestamp) },
      { name: "Block-Height", value: String(a.blockHeight) },
      { name: "Message", value: Buffer.from(a.messageId.slice(2), "hex").toString("base64url") },
    ],
  };
}

function pendingJson(p: PendingSpawn) {
  return {
    id: p.id,
    timestamp: p.timestamp,
    process: p.process,
    processId: processTarget(p.process),
    pending: true,
    spawn: {
      moduleId: p.moduleId,
      scheduler: p.scheduler,
      initialState: p.initialState,
      arweaveId: p.arweaveId,
      owner: p.owner,
    },
  };
}

function entryJson(e: LogEntry) {
  return { message: e.message, assignment: assignmentJson(e.assignment) };
}

const slotParam = z
  .string()
  .regex(/^\d{1,15}$/, "must be a slot number")
  .transform(Number)
  .optional();

const LogQuery = z.object({
  from: slotParam,
  to: slotParam,
  limit: slotParam,
  "process-id": z.string().min(1).optional(),
});

function rethrow(error: unknown): never {
  if (error instanceof SchedulerError)
    throw new HttpError(error.status, error.name, error.message, error.field);
  throw error;
}

export function createSchedulerApi(options: SchedulerApiOptions): HttpServer {
  const { scheduler } = options;
  const now = options.now ?? Date.now;
  const app = createHttpServer({
    logger: options.logger,
    metrics: options.metrics,
    agent: "su",
    bodyLimit: options.bodyLimit,
  });

  // Back-pressure: the accepts in flight (not yet in the store) count against the bound too.
  let inFlight = 0;
  let refusing = false;
  const refusals = options.metrics.get("holo_su_backpressure_refusals_total");
  /** Refuses the request (503 PublishBacklogFull, Retry-After) when the publish backlog is at its bound. */
  const admit = (request: FastifyRequest, reply: FastifyReply) => {
    const gate = options.backlog;
    if (gate === undefined) return;
    const backlog = gate.count();
    if (backlog + inFlight < gate.limit) {
      if (refusing) {
        refusing = false;
        request.log.info(
          { event: "su.backpressure.off", backlog, limit: gate.limit },
          "publishing caught up; accepting again",
        );
      }
      return;
    }
    refusals.inc();
    if (!refusing) {
      refusing = true;
      request.log.warn(
        { event: "su.backpressure.on", backlog, inFlight, limit: gate.limit },
        "publish backlog full; refusing new data items until publishing catches up",
      );
    }
    void reply.header("retry-after", String(gate.retryAfterSec));
    throw new HttpError(
      503,
      "PublishBacklogFull",
      `${backlog} accepted slots are not yet published to Arweave (maxPublishBacklog ${gate.limit}); nothing was assigned: send again after ${gate.retryAfterSec} s`,
    );
  };

  app.post("/", async (request, reply) => {
    const body = request.body;
    if (!Buffer.isBuffer(body)) {
      throw new HttpError(
        415,
        "UnsupportedMediaType",
        "POST / takes a signed ANS-104 data item as application/octet-stream",
        "body",
      );
    }
    admit(request, reply);
    inFlight++;
    try {
      const r = await scheduler.submit(new Uint8Array(body));
      if (r.pending) {
        reply.code(202);
        return pendingJson(r);
      }
      return {
        id: r.id,
        timestamp: r.timestamp,
        slot: r.slot,
        process: r.process,
        processId: processTarget(r.process),
        assignment: assignmentJson(r.assignment),
      };
    } catch (error) {
      if (error instanceof SchedulerError) {
        request.log.warn(
          { event: "su.refused", error: error.name, reason: error.message },
          "data item refused",
        );
      }
      rethrow(error);
    } finally {
      inFlight--;
    }
  });

  app.get("/", async () => ({
    Unit: "Scheduler",
    Address: options.arweaveAddress ?? null,
    Scheduler: scheduler.address,
    Timestamp: now(),
    Processes: scheduler.processes(),
    Pending: scheduler.pendingProcesses(),
  }));

  app.get("/pending/:id", async (request) => {
    const { id } = request.params as { id: string };
    const p = parseProcessId(id);
    if (p === undefined) {
      throw new HttpError(
        400,
        "MalformedId",
        "a process id is 0x and 64 hex digits, or the 43 base64url characters of its 32 bytes",
        "params.id",
      );
    }
    await scheduler.activatePending(p);
    const held = scheduler.pendingSpawn(p);
    if (held !== undefined) return { status: "pending", ...pendingJson(held) };
    if (scheduler.knows(p)) {
      const first = scheduler.log(p, { from: 0, to: 0, limit: 1 }).entries[0];
      return { status: "spawned", process: p, processId: processTarget(p), id: first?.message.id ?? null };
    }
    throw new HttpError(
      404,
      "UnknownProcess",
      `no Process item of ${p} is held or scheduled here`,
      "params.id",
    );
  });

  app.get("/timestamp", async () => ({ timestamp: now(), block_height: scheduler.blockHeight }));

  app.get("/:id", async (request) => {
    const { id } = request.params as { id: string };
    const query = validate(LogQuery, request.query, "query");
    try {
      if (query["process-id"] !== undefined) {
        // a data item id has the forms of a process id: 32 bytes as canonical base64url or 0x hex
        if (parseProcessId(id) === undefined) {
          throw new HttpError(
            400,
            "MalformedId",
            "a message id is the 43 base64url characters of its data item id's 32 bytes, or 0x and 64 hex digits",
            "params.id",
          );
        }
        return entryJson(scheduler.message(id, query["process-id"]));
      }
      const p = parseProcessId(id);
      if (p !== undefined && scheduler.pendingSpawn(p) !== undefined) await scheduler.activatePending(p);
      const of = p !== undefined && !scheduler.knows(p) ? scheduler.messageProcess(id) : undefined;
      if (of !== undefined) {
        throw new HttpError(
          400,
          "MissingProcessId",
          `${id} is a message of process ${processTarget(of)}: GET /${id}?process-id=${processTarget(of)} reads it (GET /:processId reads a process's log)`,
          "query.process-id",
        );
      }
      const page = scheduler.log(id, { from: query.from, to: query.to, limit: query.limit });
      return {
        page_info: { has_next_page: page.hasNextPage },
        edges: page.entries.map((e) => ({ cursor: String(e.assignment.slot), node: entryJson(e) })),
      };
    } catch (error) {
      rethrow(error);
    }
  });

  return app;
}

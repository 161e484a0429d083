/**
 * The scheduler's HTTP API, in AO's SU shape (docs/agents.md §6):
 *
 * - `POST /` — body: a signed ANS-104 data item (`application/octet-stream`) → `{id, timestamp, slot, process, assignment}`
 * - `GET /` — `{Unit: "Scheduler", Address, Timestamp, Processes}`
 * - `GET /timestamp` — `{timestamp, block_height}`
 * - `GET /:processId?from=&to=&limit=` — the ordered log: `{page_info: {has_next_page}, edges: [{cursor, node: {message, assignment}}]}`
 * - `GET /:messageId?process-id=` — one message with its assignment
 */
import { z } from "zod";

import { HttpError, createHttpServer, validate, type HttpServer } from "../../common/http";
import type { Logger } from "../../common/log";
import type { AgentMetrics } from "../../common/metrics";
import { SchedulerError } from "../domain/errors";
import type { LogEntry, Scheduler, SignedAssignment } from "../domain/scheduler";

export interface SchedulerApiOptions {
  scheduler: Scheduler;
  logger: Logger;
  metrics: AgentMetrics;
  bodyLimit: number;
  /** The Arweave wallet's address (shown by `GET /`). */
  arweaveAddress?: string;
  now?: () => number;
}

/** An assignment as JSON (integers as decimal strings where they may exceed 2^53, here numbers). */
export function assignmentJson(a: SignedAssignment) {
  return {
    process: a.process,
    slot: Number(a.slot),
    messageId: a.messageId,
    messageHash: a.messageHash,
    timestamp: Number(a.timestamp),
    blockHeight: Number(a.blockHeight),
    prevAssignmentHash: a.prevAssignmentHash,
    hash: a.hash,
    signature: a.signature,
    scheduler: a.scheduler,
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

  app.post("/", async (request) => {
    const body = request.body;
    if (!Buffer.isBuffer(body)) {
      throw new HttpError(
        415,
        "UnsupportedMediaType",
        "POST / takes a signed ANS-104 data item as application/octet-stream",
        "body",
      );
    }
    try {
      const r = await scheduler.accept(new Uint8Array(body));
      return {
        id: r.id,
        timestamp: r.timestamp,
        slot: r.slot,
        process: r.process,
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
    }
  });

  app.get("/", async () => ({
    Unit: "Scheduler",
    Address: options.arweaveAddress ?? null,
    Scheduler: scheduler.address,
    Timestamp: now(),
    Processes: scheduler.processes(),
  }));

  app.get("/timestamp", async () => ({ timestamp: now(), block_height: scheduler.blockHeight }));

  app.get("/:id", async (request) => {
    const { id } = request.params as { id: string };
    const query = validate(LogQuery, request.query, "query");
    try {
      if (query["process-id"] !== undefined) return entryJson(scheduler.message(id, query["process-id"]));
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

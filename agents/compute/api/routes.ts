/**
 * The compute unit's HTTP API, in AO's CU shape (docs/agents.md §6):
 *
 * - `GET /result/:messageId?process-id=` — one slot's result `{Output, Messages, Spawns, Error, Slot, ResultHash}`
 * - `GET /results/:process?from=&to=&limit=` — `{edges: [{cursor, node}]}` in slot order
 * - `GET /state/:process` — `{process, slot, stateHash}` of the latest evaluated slot
 * - `POST /dry-run?process-id=` — body: a canonical message (`application/octet-stream`); evaluated on a
 *   copy of the current state, nothing stored or committed
 */
import { hexlify } from "ethers";
import { z } from "zod";

import { HttpError, createHttpServer, validate, type HttpServer } from "../../common/http";
import type { Logger } from "../../common/log";
import type { AgentMetrics } from "../../common/metrics";
import { RESULT_KIND, type MessageResult } from "../../../machine/process";
import type { ComputeUnit, Evaluation } from "../domain/compute";
import { ComputeError } from "../domain/errors";

export interface ComputeApiOptions {
  cu: ComputeUnit;
  logger: Logger;
  metrics: AgentMetrics;
  bodyLimit?: number;
}

const HEX32 = /^0x[0-9a-fA-F]{64}$/;

/** A result in AO's JSON shape: output items concatenated as text, message and spawn items as hex. */
export function aoResult(r: MessageResult) {
  if (!r.ok) return { Output: "", Messages: [], Spawns: [], Error: r.errorName };
  const text = (kind: number) => r.items.filter((i) => i.kind === kind);
  return {
    Output: Buffer.concat(text(RESULT_KIND.output).map((i) => Buffer.from(i.bytes))).toString("utf8"),
    Messages: text(RESULT_KIND.message).map((i) => ({ Data: hexlify(i.bytes) })),
    Spawns: text(RESULT_KIND.spawn).map((i) => ({ Data: hexlify(i.bytes) })),
  };
}

function evaluationJson(e: Evaluation) {
  return { ...aoResult(e.result), Slot: Number(e.slot), MessageId: e.messageId, ResultHash: e.resultHash };
}

const slotParam = z
  .string()
  .regex(/^\d{1,15}$/, "must be a slot number")
  .transform(Number)
  .optional();

const ProcessQuery = z.object({
  "process-id": z.string().regex(HEX32, "must be 0x followed by 64 hex digits (an on-chain process id)"),
});
const RangeQuery = z.object({ from: slotParam, to: slotParam, limit: slotParam });

function processOf(cu: ComputeUnit, id: string): string {
  if (!HEX32.test(id))
    throw new HttpError(
      400,
      "ValidationError",
      "the process id must be 0x and 64 hex digits",
      "params.process",
    );
  const p = id.toLowerCase();
  if (!cu.processes.includes(p))
    throw new HttpError(404, "UnknownProcess", `process ${id} is not followed by this CU`);
  return p;
}

export function createComputeApi(options: ComputeApiOptions): HttpServer {
  const { cu } = options;
  const app = createHttpServer({
    logger: options.logger,
    metrics: options.metrics,
    agent: "cu",
    bodyLimit: options.bodyLimit,
  });

  app.get("/result/:messageId", async (request) => {
    const { messageId } = request.params as { messageId: string };
    const q = validate(ProcessQuery, request.query, "query");
    const p = processOf(cu, q["process-id"]);
    const e = cu.evaluationOf(p, messageId);
    if (e === undefined)
      throw new HttpError(404, "UnknownMessage", `message ${messageId} has no evaluated slot in ${p}`);
    return evaluationJson(e);
  });

  app.get("/results/:process", async (request) => {
    const p = processOf(cu, (request.params as { process: string }).process);
    const q = validate(RangeQuery, request.query, "query");
    const from = q.from ?? 0;
    const to = q.to ?? Number.MAX_SAFE_INTEGER;
    if (to < from) throw new HttpError(400, "BadRange", `to (${to}) is before from (${from})`, "query.to");
    const limit = Math.min(q.limit ?? 100, 1000);
    if (limit < 1) throw new HttpError(400, "BadRange", "limit must be at least 1", "query.limit");
    const rows = cu.evaluations(p, BigInt(from), BigInt(to), limit + 1);
    return {
      page_info: { has_next_page: rows.length > limit },
      edges: rows.slice(0, limit).map((e) => ({ cursor: String(e.slot), node: evaluationJson(e) })),
    };
  });

  app.get("/state/:process", async (request) => {
    const p = processOf(cu, (request.params as { process: string }).process);
    const s = cu.state(p);
    return { process: s.process, slot: Number(s.slot), stateHash: s.stateHash, halted: s.halted ?? null };
  });

  app.post("/dry-run", async (request) => {
    const q = validate(ProcessQuery, request.query, "query");
    const p = processOf(cu, q["process-id"]);
    const body = request.body;
    if (!Buffer.isBuffer(body)) {
      throw new HttpError(
        415,
        "UnsupportedMediaType",
        "POST /dry-run takes a canonical message as application/octet-stream",
        "body",
      );
    }
    try {
      const r = cu.dryRun(p, new Uint8Array(body));
      return { ...aoResult(r.result), ResultHash: r.resultHash, Steps: r.steps };
    } catch (error) {
      if (error instanceof ComputeError) throw new HttpError(409, error.code, error.message);
      throw error;
    }
  });

  return app;
}

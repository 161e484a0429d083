/**
 * The compute unit's HTTP API, in AO's CU shape (docs/agents.md §6), as @permaweb/aoconnect calls it:
 *
 * - `GET /result/:messageId?process-id=` — one slot's result `{Output, Messages, Spawns, Error, Slot, ResultHash}`
 * - `GET /results/:process?from=&to=&limit=` — `{edges: [{cursor, node}]}` in slot order
 * - `GET /state/:process` — `{process, slot, stateHash}` of the latest evaluated slot
 * - `POST /dry-run?process-id=` — body: aoconnect's JSON `{Id, Target, Owner, Anchor, Data, Tags}`
 *   (`application/json`) or a canonical message (`application/octet-stream`); evaluated on a copy of the
 *   current state, nothing stored or committed
 *
 * A process id is 0x and 64 hex digits or the 43 base64url characters of its 32 bytes (the AO target form); a
 * message id is the data item's id, base64url (what aoconnect's `message` returns) or 0x hex of its 32 bytes.
 * Outgoing messages and spawns are decoded into AO's `{Target, Anchor, Tags, Data}` (with `Raw`, the item's
 * bytes as 0x hex).
 */
import { createHash } from "node:crypto";

import { hexlify } from "ethers";
import { z } from "zod";

import { HttpError, createHttpServer, validate, type HttpServer } from "../../common/http";
import type { Logger } from "../../common/log";
import type { AgentMetrics } from "../../common/metrics";
import {
  MessageEncodingError,
  decodeMessage,
  RESULT_KIND,
  encodeMessage,
  type MessageResult,
} from "../../../machine/process";
import { formatAddress } from "../../../sdk/host/address";
import { decodeOutbound } from "../../../sdk/host/outbound";
import type { ComputeUnit, Evaluation } from "../domain/compute";
import { ComputeError } from "../domain/errors";

export interface ComputeApiOptions {
  cu: ComputeUnit;
  logger: Logger;
  metrics: AgentMetrics;
  bodyLimit?: number;
  /** Milliseconds since the epoch (a JSON dry run's timestamp); `Date.now` unless given. */
  now?: () => number;
}

const HEX32 = /^0x[0-9a-fA-F]{64}$/;
const B64URL32 = /^[A-Za-z0-9_-]{43}$/;

/** The 0x hex (lower case) of a 32-byte id given as 0x hex or as canonical base64url; `undefined` if neither. */
export function parseId32(id: string): string | undefined {
  if (HEX32.test(id)) return id.toLowerCase();
  if (B64URL32.test(id)) {
    const b = Buffer.from(id, "base64url");
    if (b.length === 32 && b.toString("base64url") === id) return hexlify(b);
  }
  return undefined;
}

/**
 * An outgoing message or spawn item (sdk/host/outbound.ts: target ‖ tags ‖ data) in AO's shape: `Target` as
 * an address string (base64url, or 0x + 40 hex digits for an Ethereum address), `Tags`, `Data` as UTF-8 text
 * (0x hex when it is not valid UTF-8), `Anchor` empty; `Raw` is the item's bytes. A spawn's target is the
 * module id, also given as `Module` (0x hex). An item that does not decode is `{Raw, Error}`.
 */
export function aoOutbound(bytes: Uint8Array, kind: number) {
  const Raw = hexlify(bytes);
  let o: ReturnType<typeof decodeOutbound>;
  try {
    o = decodeOutbound(bytes);
  } catch (error) {
    return { Raw, Error: `MalformedOutbound: ${(error as Error).message}` };
  }
  let Data: string;
  try {
    Data = new TextDecoder("utf-8", { fatal: true }).decode(o.data);
  } catch {
    Data = hexlify(o.data);
  }
  return {
    Target: formatAddress(o.target),
    Anchor: "",
    Tags: o.tags,
    Data,
    ...(kind === RESULT_KIND.spawn ? { Module: hexlify(o.target) } : {}),
    Raw,
  };
}

/** A result in AO's JSON shape: output items concatenated as text, message and spawn items decoded. */
export function aoResult(r: MessageResult) {
  if (!r.ok) return { Output: "", Messages: [], Spawns: [], Error: r.errorName };
  const of = (kind: number) => r.items.filter((i) => i.kind === kind);
  return {
    Output: Buffer.concat(of(RESULT_KIND.output).map((i) => Buffer.from(i.bytes))).toString("utf8"),
    Messages: of(RESULT_KIND.message).map((i) => aoOutbound(i.bytes, RESULT_KIND.message)),
    Spawns: of(RESULT_KIND.spawn).map((i) => aoOutbound(i.bytes, RESULT_KIND.spawn)),
  };
}

/** aoconnect's dry-run message (`{Id, Target, Owner, Anchor, Data, Tags}`). */
const DryRunJson = z.object({
  Id: z.string(),
  Target: z.string(),
  Owner: z.string(),
  Anchor: z.string().optional(),
  Data: z.string().optional(),
  Tags: z.array(z.object({ name: z.string(), value: z.string() })),
});

/**
 * The `from` of a JSON dry run's canonical message, from `Owner`: an Ethereum address (0x + 40 hex digits, as
 * the SU's `from` of an Ethereum-signed item), an Arweave address (43 base64url characters), an RSA public key
 * (base64url of 512 bytes: its Arweave address, sha256 of it), else 32 zero bytes (aoconnect's placeholder
 * `"1234"` when no Owner is given).
 */
function senderOf(owner: string): Uint8Array {
  if (/^0x[0-9a-fA-F]{40}$/.test(owner)) return new Uint8Array(Buffer.from(owner.slice(2), "hex"));
  const id = parseId32(owner);
  if (id !== undefined && !HEX32.test(owner)) return new Uint8Array(Buffer.from(id.slice(2), "hex"));
  if (/^[A-Za-z0-9_-]+$/.test(owner)) {
    const key = Buffer.from(owner, "base64url");
    if (key.length === 512) return new Uint8Array(createHash("sha256").update(key).digest());
  }
  return new Uint8Array(32);
}

/**
 * The canonical message of a JSON dry run, built as the SU builds a real message's: id from `Id` (an item id,
 * else zero), sender from `Owner`, target the process, the next slot, `now` as timestamp (block height 0),
 * `Tags` in order, `Data` as UTF-8.
 */
function dryRunMessage(body: unknown, process: string, slot: bigint, now: number): Uint8Array {
  const parsed = DryRunJson.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.join(".");
    throw new HttpError(
      400,
      "MalformedDryRun",
      `a JSON dry run is {Id, Target, Owner, Anchor?, Data?, Tags: [{name, value}]}: ${where || "body"}: ${issue.message}`,
      where === "" ? "body" : `body.${where}`,
    );
  }
  const m = parsed.data;
  if (parseId32(m.Target) !== process) {
    throw new HttpError(
      400,
      "TargetMismatch",
      `the dry run's Target ${m.Target} is not the process ${process} of process-id`,
      "body.Target",
    );
  }
  const id = parseId32(m.Id);
  try {
    return encodeMessage({
      id: id === undefined ? new Uint8Array(32) : new Uint8Array(Buffer.from(id.slice(2), "hex")),
      from: senderOf(m.Owner),
      target: new Uint8Array(Buffer.from(process.slice(2), "hex")),
      slot,
      timestamp: BigInt(now),
      blockHeight: 0n,
      tags: m.Tags,
      data: new TextEncoder().encode(m.Data ?? ""),
    });
  } catch (error) {
    if (error instanceof MessageEncodingError)
      throw new HttpError(400, "MalformedDryRun", `the message cannot be encoded: ${error.message}`, "body");
    throw error;
  }
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
  "process-id": z
    .string()
    .refine(
      (s) => parseId32(s) !== undefined,
      "must be an on-chain process id: 0x and 64 hex digits, or the 43 base64url characters of its 32 bytes",
    ),
});
const RangeQuery = z.object({ from: slotParam, to: slotParam, limit: slotParam });

function processOf(cu: ComputeUnit, id: string, field = "params.process"): string {
  const p = parseId32(id);
  if (p === undefined)
    throw new HttpError(
      400,
      "ValidationError",
      "the process id must be 0x and 64 hex digits, or the 43 base64url characters of its 32 bytes",
      field,
    );
  if (!cu.processes.includes(p))
    throw new HttpError(404, "UnknownProcess", `process ${id} is not followed by this CU`);
  return p;
}

/** The slot after the latest evaluated one (0 before any). */
function processSlotAfter(cu: ComputeUnit, p: string): bigint {
  try {
    return cu.state(p).slot + 1n;
  } catch (error) {
    if (error instanceof ComputeError) throw new HttpError(404, "UnknownProcess", error.message);
    throw error;
  }
}

export function createComputeApi(options: ComputeApiOptions): HttpServer {
  const { cu } = options;
  const now = options.now ?? Date.now;
  const app = createHttpServer({
    logger: options.logger,
    metrics: options.metrics,
    agent: "cu",
    bodyLimit: options.bodyLimit,
  });

  app.get("/result/:messageId", async (request) => {
    const { messageId } = request.params as { messageId: string };
    const q = validate(ProcessQuery, request.query, "query");
    const p = processOf(cu, q["process-id"], "query.process-id");
    const id = parseId32(messageId);
    if (id === undefined) {
      throw new HttpError(
        400,
        "ValidationError",
        "the message id must be its data item id: 43 base64url characters, or 0x and 64 hex digits",
        "params.messageId",
      );
    }
    const e = cu.evaluationOf(p, id);
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
    const p = processOf(cu, q["process-id"], "query.process-id");
    const body = request.body;
    const json = /^application\/json\s*(;|$)/i.test(request.headers["content-type"] ?? "");
    if (!Buffer.isBuffer(body) && !json) {
      throw new HttpError(
        415,
        "UnsupportedMediaType",
        "POST /dry-run takes aoconnect's JSON message (application/json) or a canonical message (application/octet-stream)",
        "body",
      );
    }
    let message: Uint8Array;
    if (Buffer.isBuffer(body)) {
      message = new Uint8Array(body);
      // Only a canonical message is evaluated: other bytes would only make the process trap.
      try {
        decodeMessage(message);
      } catch (error) {
        throw new HttpError(
          400,
          "MalformedMessage",
          `the body is not a canonical message (docs/process-abi.md): ${(error as Error).message}`,
          "body",
        );
      }
    } else {
      message = dryRunMessage(body, p, processSlotAfter(cu, p), now());
    }
    try {
      const r = cu.dryRun(p, message);
      return { ...aoResult(r.result), ResultHash: r.resultHash, Steps: r.steps };
    } catch (error) {
      if (error instanceof ComputeError) throw new HttpError(409, error.code, error.message);
      throw error;
    }
  });

  return app;
}

/**
 * The SU's log over HTTP (agents/scheduler, AO's `GET /:processId?from=&limit=`): each entry's signed
 * data item is verified against its id and turned into the canonical message encoding the assignment's
 * `messageHash` and `messageLength` cover (the compute unit checks that hash and length, the chain and the
 * signature).
 */
import { verifyDataItem } from "../../common/arweave";
import { canonicalEncoding } from "../../scheduler/domain/scheduler";
import type { LogEntry, LogSource } from "./log-source";

interface SuAssignment {
  process: string;
  slot: number;
  messageId: string;
  messageHash: string;
  messageLength: number;
  timestamp: number;
  blockHeight: number;
  prevAssignmentHash: string;
  signature: string;
}

interface SuPage {
  page_info: { has_next_page: boolean };
  edges: { cursor: string; node: { message: { id: string; raw: string }; assignment: SuAssignment } }[];
}

/** A scheduler unit's log, read over HTTP. */
export class SuLogSource implements LogSource {
  constructor(
    private readonly url: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async read(process: string, from: bigint, limit: number): Promise<LogEntry[]> {
    const u = new URL(`/${process}`, this.url);
    u.searchParams.set("from", from.toString());
    u.searchParams.set("limit", String(limit));
    const res = await fetch(u, { signal: AbortSignal.timeout(this.timeoutMs) });
    if (!res.ok) {
      throw Object.assign(new Error(`GET ${u.pathname} answered ${res.status}: ${await res.text()}`), {
        status: res.status,
      });
    }
    const page = (await res.json()) as SuPage;
    const out: LogEntry[] = [];
    for (const { node } of page.edges) {
      const a = node.assignment;
      const item = await verifyDataItem(
        new Uint8Array(Buffer.from(node.message.raw, "base64url")),
        node.message.id,
      );
      const message = canonicalEncoding(
        item,
        process,
        BigInt(a.slot),
        BigInt(a.timestamp),
        BigInt(a.blockHeight),
      );
      out.push({
        assignment: {
          process: a.process,
          slot: BigInt(a.slot),
          messageId: a.messageId,
          messageHash: a.messageHash,
          messageLength: a.messageLength,
          timestamp: BigInt(a.timestamp),
          blockHeight: BigInt(a.blockHeight),
          prevAssignmentHash: a.prevAssignmentHash,
        },
        signature: a.signature,
        message,
      });
    }
    return out;
  }
}

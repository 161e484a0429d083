/**
 * AO data items for the CLI: Arweave wallet files, process ids in both spellings, `K=V` tags, signed
 * messages and module items, and posting to a scheduler unit (SU) or an Arweave gateway.
 */
import fs from "node:fs";

import type { DataItem, JWKInterface } from "@dha-team/arbundles";

import { ConfigError, ServiceError, UsageError } from "./errors";
import { displayPath } from "./paths";

/** One ANS-104 tag. */
export interface AoTag {
  name: string;
  value: string;
}

/** The tags that the CLI sets itself on a message (AO's protocol tags). */
const RESERVED_TAGS = /^(data-protocol|variant|type)$/i;

/**
 * The Arweave JWK in `file`.
 *
 * @throws ConfigError (`E_KEY`) naming the file when it cannot be read or is not an Arweave JWK with its
 * private part; the key itself is never printed.
 */
export function readArweaveWallet(file: string, option = "--wallet"): JWKInterface {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `cannot read the Arweave wallet ${option} ${displayPath(file)}: ${code === "ENOENT" ? "no such file" : (code ?? String(error))}`,
      "E_KEY",
      { cause: error },
    );
  }
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    throw new ConfigError(`the Arweave wallet ${option} ${displayPath(file)} is not JSON`, "E_KEY");
  }
  const k = jwk as Partial<Record<string, unknown>>;
  if (
    typeof jwk !== "object" ||
    jwk === null ||
    k.kty !== "RSA" ||
    typeof k.n !== "string" ||
    typeof k.d !== "string"
  ) {
    throw new ConfigError(
      `the Arweave wallet ${option} ${displayPath(file)} is not an RSA JWK with its private part (kty, n, d)`,
      "E_KEY",
    );
  }
  return jwk as JWKInterface;
}

/** A process id: the on-chain 0x form and the 43-character base64url form (an AO target). */
export interface ProcessRef {
  hex: string;
  target: string;
}

/**
 * `value` as a process id: `0x` and 64 hex digits, or 43 base64url characters.
 *
 * @throws UsageError naming `option` otherwise.
 */
export function parseProcessRef(value: string, option = "--process"): ProcessRef {
  if (/^0x[0-9a-fA-F]{64}$/.test(value)) {
    const hex = value.toLowerCase();
    return { hex, target: Buffer.from(hex.slice(2), "hex").toString("base64url") };
  }
  if (/^[A-Za-z0-9_-]{43}$/.test(value)) {
    const bytes = Buffer.from(value, "base64url");
    if (bytes.length === 32 && bytes.toString("base64url") === value) {
      return { hex: `0x${bytes.toString("hex")}`, target: value };
    }
  }
  throw new UsageError(
    `${option} ${JSON.stringify(value)} is not a process id: expected 0x and 64 hex digits, or 43 base64url characters`,
  );
}

/**
 * `value` (`Name=Value`) as a tag, for commander's repeatable `--tag`.
 *
 * @throws UsageError when there is no `=`, the name is empty or is one of AO's protocol tags.
 */
export function parseTag(value: string, previous: AoTag[] = []): AoTag[] {
  const at = value.indexOf("=");
  if (at <= 0) throw new UsageError(`--tag ${JSON.stringify(value)} must be Name=Value (a non-empty name)`);
  const name = value.slice(0, at);
  if (RESERVED_TAGS.test(name)) {
    throw new UsageError(`--tag ${name} is set by holo (Data-Protocol, Variant and Type cannot be given)`);
  }
  if (Buffer.byteLength(name) > 1024 || Buffer.byteLength(value) - at - 1 > 3072) {
    throw new UsageError(`--tag ${name}: a tag name is at most 1024 bytes and a value at most 3072`);
  }
  return [...previous, { name, value: value.slice(at + 1) }];
}

/** A signed ANS-104 data item with AO's protocol tags first, then `tags`. */
export async function signAoItem(
  jwk: JWKInterface,
  item: {
    type: "Message" | "Process" | "Module";
    target?: string;
    tags?: readonly AoTag[];
    data?: string | Uint8Array;
  },
): Promise<DataItem> {
  // Loaded here: `holo --help` must not load arbundles.
  const { ArweaveSigner, createData } = await import("@dha-team/arbundles");
  const signer = new ArweaveSigner(jwk);
  const tags = [
    { name: "Data-Protocol", value: "ao" },
    { name: "Variant", value: "ao.TN.1" },
    { name: "Type", value: item.type },
    ...(item.tags ?? []),
  ];
  const data = item.data ?? "";
  const dataItem = createData(typeof data === "string" ? data : Buffer.from(data), signer, {
    target: item.target,
    tags,
  });
  await dataItem.sign(signer);
  return dataItem;
}

/** The 0x hex of a data item's base64url id (what the chain stores as `arweaveId`). */
export function arweaveIdHex(id: string): string {
  return `0x${Buffer.from(id, "base64url").toString("hex")}`;
}

/** What a scheduler unit answers to a posted data item. */
export interface ScheduledItem {
  id: string;
  slot: number;
  process: string;
  timestamp: number;
  assignment: Record<string, unknown>;
}

/**
 * POSTs the signed data item `raw` to the scheduler unit at `suUrl`.
 *
 * @throws ServiceError `E_UNREACHABLE` when the SU cannot be reached, `E_REFUSED` with its error name and
 * message when it answers an error.
 */
export async function postToScheduler(
  suUrl: string,
  raw: Uint8Array,
  timeoutMs = 30_000,
): Promise<ScheduledItem> {
  let res: Response;
  try {
    res = await fetch(new URL("/", suUrl), {
      method: "POST",
      headers: { "content-type": "application/octet-stream", accept: "application/json" },
      body: raw,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new ServiceError(
      `cannot reach the scheduler unit at ${suUrl}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`,
      "E_UNREACHABLE",
      { cause: error },
    );
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const b = body as { error?: unknown; message?: unknown } | undefined;
    const why =
      typeof b?.error === "string"
        ? `${b.error}: ${String(b.message ?? "")}`
        : `${res.status} ${text.slice(0, 200)}`;
    throw new ServiceError(
      `the scheduler unit at ${suUrl} refused the data item (HTTP ${res.status}): ${why}`,
      "E_REFUSED",
    );
  }
  const r = body as Partial<ScheduledItem> | undefined;
  if (r === undefined || typeof r.slot !== "number" || typeof r.process !== "string") {
    throw new ServiceError(
      `the scheduler unit at ${suUrl} answered something else than an assignment: ${text.slice(0, 200)}`,
      "E_REFUSED",
    );
  }
  return r as ScheduledItem;
}

/**
 * `value` as the URL of an HTTP service (`--su`, `--gateway`): http or https, nothing after the host.
 *
 * @throws UsageError naming `option`.
 */
export function httpUrl(option: string): (value: string) => string {
  return (value: string) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new UsageError(`${option} ${JSON.stringify(value)} is not a URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new UsageError(`${option} ${value} must be an http:// or https:// URL`);
    }
    return url.origin;
  };
}

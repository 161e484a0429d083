/**
 * Arweave for the agents (docs/agents.md §1, §6, §7): arweave-js against any gateway by URL (arweave.net, an
 * ar.io gateway, or ArLocal at `http://127.0.0.1:<port>` on the devnet), ANS-104 data items and bundles with
 * `@dha-team/arbundles`, GraphQL queries by tag, and AO's tag conventions.
 *
 * - {@link ArweaveClient.postDataItems}: verifies signed data items, bundles them into one bundle transaction
 *   signed by the client's JWK wallet and posts it (and mines it on ArLocal, with `local: true`). Posting is
 *   idempotent: a retry first asks whether the gateway already has the bundle.
 * - {@link ArweaveClient.getData} / {@link ArweaveClient.getDataItem}: the data of an item by id; or the whole
 *   signed item, cut from its bundle and checked against its id and signature (§7: "every item is checked
 *   against its id and signature").
 * - {@link ArweaveClient.queryByTags}: GraphQL (`/graphql`) with cursor pagination.
 * - {@link verifyDataItem}, {@link createSignedMessage}, {@link WalletFunding} (ArLocal's `/mint`).
 *
 * Every failure is an {@link ArweaveError}: `transient` (network, timeout, 429, 5xx — retried with backoff
 * before it is thrown), `notFound` (404; not retried), `invalid` (bad input, a bad item, a refused request).
 */
import {
  constants as cryptoConstants,
  createHash,
  createPublicKey,
  verify as cryptoVerify,
} from "node:crypto";

import {
  ArweaveSigner,
  Bundle,
  DataItem,
  MAX_TAG_BYTES,
  MIN_BINARY_SIZE,
  SIG_CONFIG,
  SignatureConfig,
  byteArrayToLong,
  createData,
  deserializeTags,
  longTo32ByteArray,
} from "@dha-team/arbundles";
import type { JWKInterface, Signer } from "@dha-team/arbundles";
import Arweave from "arweave";
import { computeAddress, getBytes, hashMessage, hexlify } from "ethers";
import type Transaction from "arweave/node/lib/transaction";

import { createLogger, type Logger } from "./log";
import type { AgentMetrics } from "./metrics";
import { attemptsOf, isTransientHttpStatus, isTransientNetworkError, retry } from "./retry";
import { publicKeyOf, signDigest } from "../../sdk/ts/secp256k1";

// ---------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------

/**
 * - `transient`: the gateway could not be reached or answered 429/5xx, or a request timed out (after retries);
 * - `notFound`: the gateway does not have it (404) — yet, perhaps: the caller decides how long to wait;
 * - `invalid`: bad input (an id, a tag, a malformed or wrongly signed data item) or a request the gateway
 *   refused (4xx, GraphQL errors, a wallet without funds).
 */
export type ArweaveErrorKind = "transient" | "notFound" | "invalid";

export class ArweaveError extends Error {
  override readonly name = "ArweaveError";
  readonly kind: ArweaveErrorKind;
  /** The transaction or data item concerned. */
  readonly id?: string;
  /** The URL requested (gateway + path). */
  readonly url?: string;
  /** The HTTP status, when there was an answer. */
  readonly status?: number;

  constructor(
    kind: ArweaveErrorKind,
    message: string,
    details: { id?: string; url?: string; status?: number; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = kind;
    this.id = details.id;
    this.url = details.url;
    this.status = details.status;
  }

  /** How many attempts were made before this error was thrown (set by the retries), if it went through them. */
  get attempts(): number | undefined {
    return attemptsOf(this);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Tags, ids, AO conventions
// ---------------------------------------------------------------------------------------------------------

export interface Tag {
  name: string;
  value: string;
}

/** AO's protocol tags: every AO data item carries `Data-Protocol: ao`, a `Variant` and a `Type`. */
export const AO_DATA_PROTOCOL: Tag = Object.freeze({ name: "Data-Protocol", value: "ao" });
export const AO_VARIANT: Tag = Object.freeze({ name: "Variant", value: "ao.TN.1" });
export type AoType = "Message" | "Process" | "Assignment";
export const AO_TYPES: readonly AoType[] = Object.freeze(["Message", "Process", "Assignment"]);

/** ANS-104 limits on tags. */
export const MAX_TAGS = 128;
export const MAX_TAG_NAME_BYTES = 1024;
export const MAX_TAG_VALUE_BYTES = 3072;

const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Whether `id` looks like an Arweave id (43 base64url characters, 32 bytes). */
export function isArweaveId(id: unknown): id is string {
  return typeof id === "string" && ID_PATTERN.test(id);
}

function checkId(id: unknown, what = "id"): string {
  if (!isArweaveId(id)) {
    throw new ArweaveError(
      "invalid",
      `${what} is not an Arweave id (43 base64url characters): ${JSON.stringify(id)}`,
    );
  }
  return id;
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

function sha256(bytes: Uint8Array): Buffer {
  return createHash("sha256").update(bytes).digest();
}

function checkTags(tags: readonly Tag[]): void {
  if (tags.length > MAX_TAGS) throw new ArweaveError("invalid", `${tags.length} tags; at most ${MAX_TAGS}`);
  for (const tag of tags) {
    if (typeof tag?.name !== "string" || typeof tag.value !== "string" || tag.name.length === 0) {
      throw new ArweaveError("invalid", `a tag must have a non-empty string name and a string value`);
    }
    if (
      Buffer.byteLength(tag.name) > MAX_TAG_NAME_BYTES ||
      Buffer.byteLength(tag.value) > MAX_TAG_VALUE_BYTES
    ) {
      throw new ArweaveError(
        "invalid",
        `tag ${JSON.stringify(tag.name.slice(0, 40))}: names are limited to ${MAX_TAG_NAME_BYTES} bytes, values to ${MAX_TAG_VALUE_BYTES}`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Data items
// ---------------------------------------------------------------------------------------------------------

/** A data item whose signature was checked, and its fields. */
export interface VerifiedDataItem {
  /** base64url(sha256(signature)). */
  id: string;
  /** arbundles' signature type (1 = Arweave RSA-PSS, 3 = Ethereum...). */
  signatureType: number;
  /** The owner's public key, base64url. */
  owner: string;
  /** base64url(sha256(owner)): the owner's Arweave address for Arweave signatures. */
  ownerAddress: string;
  /** The target (a process id for an AO message), base64url; `""` if none. */
  target: string;
  /** The anchor's 32 bytes, base64url; `""` if none. */
  anchor: string;
  tags: Tag[];
  data: Uint8Array;
  /** The whole signed item. */
  raw: Uint8Array;
}

/**
 * Checks an ANS-104 data item: its layout and tags decode, its signature verifies against its owner, and — if
 * `expectedId` is given (the id it was fetched or listed under) — its id, sha256 of the signature, is that id.
 * Throws an `invalid` ArweaveError saying which check failed.
 */
export async function verifyDataItem(bytes: Uint8Array, expectedId?: string): Promise<VerifiedDataItem> {
  if (!(bytes instanceof Uint8Array)) throw new ArweaveError("invalid", "a data item must be bytes");
  const raw = Buffer.from(bytes); // a copy: later changes to the caller's buffer cannot change what was checked
  const fail = (why: string, cause?: unknown): never => {
    throw new ArweaveError(
      "invalid",
      `invalid data item${expectedId === undefined ? "" : ` ${expectedId}`}: ${why}`,
      {
        id: expectedId,
        cause,
      },
    );
  };
  if (raw.byteLength < MIN_BINARY_SIZE)
    fail(`${raw.byteLength} bytes, fewer than the ${MIN_BINARY_SIZE} of any item`);
  const item = new DataItem(raw);
  let signatureType = 0;
  try {
    signatureType = item.signatureType;
  } catch (error) {
    fail("unknown signature type", error);
  }
  // The layout first: a cut or garbled item is "malformed", whatever its signature bytes say; only an item
  // laid out as ANS-104 (its tags decoding, its data offset inside it) can fail on its signature.
  const tags = layoutOf(raw, signatureType, fail);
  let valid = false;
  try {
    valid = await signatureHolds(item, signatureType);
  } catch (error) {
    fail("malformed", error);
  }
  if (!valid) fail("the signature does not verify");
  const id = b64url(sha256(item.rawSignature));
  if (expectedId !== undefined && id !== expectedId) fail(`its id is ${id}`);
  return {
    id,
    signatureType,
    owner: item.owner,
    ownerAddress: b64url(sha256(item.rawOwner)),
    target: item.target,
    anchor: item.anchor,
    tags,
    data: new Uint8Array(item.rawData),
    raw: new Uint8Array(raw),
  };
}

/**
 * Checks the ANS-104 layout of `raw` (signature type known): signature and owner, the target and anchor flags
 * (0 or 1) and their 32 bytes, the tag count and size (at most MAX_TAG_BYTES), tags that decode to that count,
 * and the data offset within the item. Returns the tags; calls `fail` with a reason starting "malformed".
 */
function layoutOf(raw: Buffer, signatureType: number, fail: (why: string, cause?: unknown) => never): Tag[] {
  const { sigLength, pubLength } = SIG_CONFIG[signatureType as SignatureConfig];
  const length = raw.byteLength;
  const need = (end: number, what: string): void => {
    if (end > length) fail(`malformed: ${length} bytes, cut in its ${what} (needs ${end})`);
  };
  let at = 2 + sigLength + pubLength;
  need(at, "signature or owner");
  for (const what of ["target", "anchor"]) {
    need(at + 1, `${what} flag`);
    const flag = raw[at];
    if (flag !== 0 && flag !== 1) fail(`malformed: its ${what} flag is ${flag}, not 0 or 1`);
    at += 1;
    if (flag === 1) {
      need(at + 32, what);
      at += 32;
    }
  }
  need(at + 16, "tag count and size");
  const count = byteArrayToLong(raw.subarray(at, at + 8));
  const size = byteArrayToLong(raw.subarray(at + 8, at + 16));
  if (size > MAX_TAG_BYTES) fail(`malformed: ${size} bytes of tags, more than ${MAX_TAG_BYTES}`);
  const dataStart = at + 16 + size;
  need(dataStart, "tags (the data offset is past its end)");
  if (count === 0) return [];
  let tags: Tag[] = [];
  try {
    tags = deserializeTags(Buffer.from(raw.subarray(at + 16, dataStart)));
  } catch (error) {
    fail("malformed: the tags do not decode", error);
  }
  if (tags.length !== count) fail(`malformed: ${tags.length} tags decode, the header says ${count}`);
  return tags;
}

/**
 * The item's layout, tags and signature. Arweave (RSA-PSS) signatures are checked here with node:crypto
 * first, because arweave-js prints a warning to the console for each one that fails (hostile input would fill
 * the logs); arbundles' `DataItem.verify` then checks the layout and tags (and the signature again, silently).
 */
async function signatureHolds(item: DataItem, signatureType: number): Promise<boolean> {
  if (signatureType === SignatureConfig.ARWEAVE) {
    const key = createPublicKey({ key: { kty: "RSA", e: "AQAB", n: item.owner }, format: "jwk" });
    const signed = await item.getSignatureData();
    const holds = cryptoVerify(
      "sha256",
      signed,
      {
        key,
        padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
        saltLength: cryptoConstants.RSA_PSS_SALTLEN_AUTO,
      },
      item.rawSignature,
    );
    if (!holds) return false;
  }
  return DataItem.verify(item.getRaw());
}

export interface AoMessage {
  /** The process the message is for (its id); none for a `Process`. */
  target?: string;
  /** The tags after AO's protocol tags; a `Variant` here replaces the default `ao.TN.1`. */
  tags?: readonly Tag[];
  /** Default `""`. */
  data?: string | Uint8Array;
  /** `Message` unless given. */
  type?: AoType;
  /** Exactly 32 bytes (UTF-8), if given. */
  anchor?: string;
}

/**
 * An ANS-104 signer of type 3 (Ethereum) on libsecp256k1 (sdk/ts/secp256k1.ts), for the items an agent signs
 * once per slot. The owner is the 65-byte uncompressed public key and the signature is an EIP-191
 * `personal_sign` of the item's deep hash: what arbundles' `EthereumSigner` makes and every gateway verifies,
 * at about a twentieth of its cost (it re-derives an ethers v5 wallet per signature). EIP-191's prefix keeps
 * these signatures apart from the EIP-712 assignment signatures the same key makes.
 */
export class EthereumItemSigner implements Signer {
  readonly publicKey: Buffer;
  readonly signatureType = 3;
  readonly signatureLength = 65;
  readonly ownerLength = 65;
  /** The EVM address of the key. */
  readonly address: string;
  /** The owner's Arweave address (base64url of sha256 of the public key), as gateways index it. */
  readonly ownerAddress: string;
  readonly #key: string;

  constructor(privateKey: string) {
    this.publicKey = Buffer.from(publicKeyOf(privateKey));
    this.#key = privateKey;
    this.address = computeAddress(hexlify(this.publicKey));
    this.ownerAddress = b64url(sha256(this.publicKey));
  }

  sign(message: Uint8Array): Uint8Array {
    return getBytes(signDigest(this.#key, hashMessage(message)));
  }
}

/**
 * A signed ANS-104 data item following AO's conventions: tags `Data-Protocol: ao`, `Variant: ao.TN.1`,
 * `Type: Message|Process|Assignment`, then the caller's tags; signed with the JWK `key` (Arweave RSA-PSS) or
 * an {@link EthereumItemSigner}. The protocol tags cannot be given in `tags` (except `Variant`): an `invalid`
 * ArweaveError.
 */
export async function createSignedMessage(
  key: JWKInterface | EthereumItemSigner,
  message: AoMessage,
): Promise<DataItem> {
  const type = message.type ?? "Message";
  if (!AO_TYPES.includes(type)) {
    throw new ArweaveError(
      "invalid",
      `type must be one of ${AO_TYPES.join(", ")}, got ${JSON.stringify(type)}`,
    );
  }
  if (message.target !== undefined) checkId(message.target, "target");
  if (message.anchor !== undefined && Buffer.byteLength(message.anchor) !== 32) {
    throw new ArweaveError("invalid", "anchor must be exactly 32 bytes");
  }
  const own = [...(message.tags ?? [])];
  checkTags(own);
  const reserved = own.find((t) => /^(data-protocol|type)$/i.test(t.name));
  if (reserved !== undefined) {
    throw new ArweaveError("invalid", `tag ${reserved.name} is set by createSignedMessage (use \`type\`)`);
  }
  const variant = own.find((t) => t.name.toLowerCase() === "variant");
  const tags: Tag[] = [
    { ...AO_DATA_PROTOCOL },
    { name: "Variant", value: variant?.value ?? AO_VARIANT.value },
    { name: "Type", value: type },
    ...own.filter((t) => t !== variant),
  ];
  checkTags(tags);
  let signer: Signer;
  if (key instanceof EthereumItemSigner) {
    signer = key;
  } else {
    if (typeof key?.n !== "string" || typeof key.d !== "string") {
      throw new ArweaveError("invalid", "wallet must be an Arweave JWK with its private part");
    }
    signer = new ArweaveSigner(key);
  }
  const item = createData(message.data ?? "", signer, {
    target: message.target,
    anchor: message.anchor,
    tags,
  });
  await item.sign(signer);
  return item;
}

/** The ANS-104 bundle of `items` (already signed; nothing is re-signed). */
function bundleOf(items: readonly VerifiedDataItem[]): Bundle {
  const headers = Buffer.alloc(64 * items.length);
  items.forEach((item, i) => {
    headers.set(longTo32ByteArray(item.raw.byteLength), 64 * i);
    headers.set(Buffer.from(item.id, "base64url"), 64 * i + 32);
  });
  return new Bundle(
    Buffer.concat([
      Buffer.from(longTo32ByteArray(items.length)),
      headers,
      ...items.map((i) => Buffer.from(i.raw)),
    ]),
  );
}

/**
 * The bytes of item `id` in the ANS-104 bundle `bundle` (32-byte item count, then per item its 32-byte size
 * and 32-byte id, then the items), or `undefined` if it is not there or `bundle` is not laid out as a bundle.
 * (arbundles' `Bundle.get(id)` returns the wrong slice in 1.0.4: it adds an item's size before using its offset.)
 */
function itemOfBundle(bundle: Buffer, id: string): Buffer | undefined {
  const readSize = (at: number) =>
    BigInt(
      "0x" +
        Buffer.from(bundle.subarray(at, at + 32))
          .reverse()
          .toString("hex"),
    );
  if (bundle.byteLength < 32) return undefined;
  const count = readSize(0);
  const headerEnd = 32n + 64n * count;
  if (headerEnd > BigInt(bundle.byteLength)) return undefined;
  const wanted = Buffer.from(id, "base64url");
  let offset = headerEnd;
  for (let i = 0; i < Number(count); i++) {
    const size = readSize(32 + 64 * i);
    if (offset + size > BigInt(bundle.byteLength)) return undefined;
    if (bundle.subarray(32 + 64 * i + 32, 32 + 64 * i + 64).equals(wanted)) {
      return bundle.subarray(Number(offset), Number(offset + size));
    }
    offset += size;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------------------------

export interface ArweaveClientOptions {
  /** The gateway: `https://arweave.net`, `http://127.0.0.1:1984` (ArLocal)... No path, no credentials. */
  url: string;
  /** The JWK that signs bundle transactions (needed by `postDataItems` only). */
  wallet?: JWKInterface;
  /** ArLocal: mine after posting (`GET /mine`) and allow {@link WalletFunding}. Default false. */
  local?: boolean;
  /**
   * Post a bundle's data as 256 KiB chunks after its header (`POST /chunk`, as arweave-js does; gateways need
   * it for large data) rather than in the header's body. Default: true, but false with `local`: ArLocal takes
   * any size in the body and then stores the whole bundle or nothing, while a chunked upload cut midway leaves
   * it a bundle it cannot unbundle (every later `/mine` fails).
   */
  chunked?: boolean;
  /** One request's timeout; default 20 000 ms. */
  timeoutMs?: number;
  /** Retries of transient failures: attempts in all (default 5), backoff base and cap (200, 5 000 ms). */
  retry?: { attempts?: number; baseMs?: number; maxMs?: number };
  logger?: Logger;
  /** The agent's metrics (holo_arweave_errors_total). */
  metrics?: AgentMetrics;
}

export interface PostedBundle {
  /** The bundle transaction's id. */
  bundleId: string;
  /** The items' ids, in bundle order. */
  itemIds: string[];
}

/** A signed bundle transaction, not posted yet ({@link ArweaveClient.signBundle}). */
export interface SignedBundle extends PostedBundle {
  /** The signed transaction as arweave-js JSON without its data (the bundle is rebuilt from the items). */
  transaction: string;
}

export interface TagFilter {
  name: string;
  /** Any of these values matches. */
  values: string[];
}

export interface TagQuery {
  tags: readonly TagFilter[];
  /** Page size, 1..100; default 10. */
  first?: number;
  /** The cursor of the last item of the previous page. */
  after?: string;
  /** Only items from these owners (addresses). */
  owners?: readonly string[];
  sort?: "HEIGHT_ASC" | "HEIGHT_DESC";
}

export interface TransactionInfo {
  id: string;
  ownerAddress: string;
  recipient: string;
  tags: Tag[];
  /** The bundle it is in, if the gateway says (ArLocal does not). */
  bundledIn: string | null;
  /** `null` while pending. */
  blockHeight: number | null;
  dataSize: number;
}

export interface TagQueryPage {
  items: (TransactionInfo & { cursor: string })[];
  hasNextPage: boolean;
  /** Pass as `after` for the next page; `null` for an empty page. */
  cursor: string | null;
}

const TX_FIELDS = `id recipient owner { address } tags { name value } bundledIn { id } block { height } data { size }`;

interface GqlTransaction {
  id: string;
  recipient: string;
  owner: { address: string };
  tags: Tag[];
  bundledIn: { id: string } | null;
  block: { height: number } | null;
  data: { size: string | number };
}

function toInfo(node: GqlTransaction): TransactionInfo {
  return {
    id: node.id,
    ownerAddress: node.owner.address,
    recipient: node.recipient ?? "",
    tags: node.tags,
    bundledIn: node.bundledIn?.id ?? null,
    blockHeight: node.block?.height ?? null,
    dataSize: Number(node.data?.size ?? 0),
  };
}

interface HttpResult<T> {
  status: number;
  data: T;
}

export class ArweaveClient {
  /** The gateway URL (scheme, host and port). */
  readonly url: string;
  /** The arweave-js instance, for anything this class does not wrap. */
  readonly arweave: Arweave;
  readonly local: boolean;

  private readonly wallet?: JWKInterface;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly logger: Logger;
  private readonly metrics?: AgentMetrics;
  private readonly chunked: boolean;
  /** ArLocal: a post was not followed by a successful mine yet. */
  private mineOwed = false;

  constructor(options: ArweaveClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new ArweaveError("invalid", `url is not a valid URL: ${JSON.stringify(options.url)}`);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new ArweaveError("invalid", `url must be http(s), got ${parsed.protocol}`);
    }
    if (parsed.username !== "" || parsed.password !== "") {
      throw new ArweaveError("invalid", "url must not carry credentials (arweave-js cannot send them)");
    }
    if (parsed.pathname !== "/" || parsed.search !== "" || parsed.hash !== "") {
      throw new ArweaveError("invalid", `url must be a gateway root (no path or query): ${parsed.origin}`);
    }
    const protocol = parsed.protocol.slice(0, -1);
    const port = parsed.port === "" ? (protocol === "https" ? 443 : 80) : Number(parsed.port);
    this.url = parsed.origin;
    this.arweave = Arweave.init({ host: parsed.hostname, port, protocol });
    this.local = options.local ?? false;
    this.chunked = options.chunked ?? !this.local;
    this.wallet = options.wallet;
    this.timeoutMs = ArweaveClient.int("timeoutMs", options.timeoutMs, 20_000, 1);
    this.attempts = ArweaveClient.int("retry.attempts", options.retry?.attempts, 5, 1);
    this.baseMs = ArweaveClient.int("retry.baseMs", options.retry?.baseMs, 200, 0);
    this.maxMs = ArweaveClient.int("retry.maxMs", options.retry?.maxMs, 5_000, 0);
    this.logger = options.logger ?? createLogger({ agent: "arweave" });
    this.metrics = options.metrics;
  }

  private static int(name: string, value: number | undefined, fallback: number, min: number): number {
    if (value === undefined) return fallback;
    if (!Number.isSafeInteger(value) || value < min) {
      throw new ArweaveError("invalid", `${name} must be an integer >= ${min}, got ${String(value)}`);
    }
    return value;
  }

  /** The address of the client's wallet. */
  async address(): Promise<string> {
    return this.arweave.wallets.jwkToAddress(this.requireWallet("address"));
  }

  /** See {@link verifyDataItem}. */
  verifyDataItem(bytes: Uint8Array, expectedId?: string): Promise<VerifiedDataItem> {
    return verifyDataItem(bytes, expectedId);
  }

  /** See {@link createSignedMessage}. */
  createSignedMessage(wallet: JWKInterface, message: AoMessage): Promise<DataItem> {
    return createSignedMessage(wallet, message);
  }

  /**
   * Verifies `items` (signed data items, as arbundles `DataItem`s or bytes), bundles them (ANS-104, binary
   * format 2.0.0) into one transaction signed by the client's wallet, with `tags` added, and posts it; on
   * ArLocal (`local`) mines it. Same as {@link signBundle} then {@link sendBundle}. Returns the bundle's id and
   * the items' ids.
   */
  async postDataItems(
    items: readonly (DataItem | Uint8Array)[],
    options: { tags?: readonly Tag[] } = {},
  ): Promise<PostedBundle> {
    const signed = await this.signBundle(items, options);
    return this.sendBundle(signed.transaction, items);
  }

  /**
   * Verifies `items`, bundles them and signs the bundle transaction (the gateway is asked for an anchor and a
   * price; nothing is posted). Store `transaction` before posting it with {@link sendBundle}: a retry, even
   * after a restart, then re-sends this same transaction (same id, no second fee) rather than a new bundle.
   */
  async signBundle(
    items: readonly (DataItem | Uint8Array)[],
    options: { tags?: readonly Tag[] } = {},
  ): Promise<SignedBundle> {
    const wallet = this.requireWallet("signBundle");
    const verified = await this.verifyItems(items, "signBundle");
    const extra = [...(options.tags ?? [])];
    checkTags(extra);
    if (extra.some((t) => /^bundle-(format|version)$/i.test(t.name))) {
      throw new ArweaveError("invalid", "signBundle: Bundle-Format and Bundle-Version are set by the client");
    }
    const bundle = bundleOf(verified);
    const tx = await this.withRetry("create bundle transaction", async () => {
      try {
        return await this.withTimeout(
          this.arweave.createTransaction({ data: bundle.getRaw() }, wallet),
          "tx_anchor/price",
        );
      } catch (error) {
        throw this.classify(error, `${this.url}/tx_anchor`);
      }
    });
    tx.addTag("Bundle-Format", "binary");
    tx.addTag("Bundle-Version", "2.0.0");
    for (const tag of extra) tx.addTag(tag.name, tag.value);
    await this.arweave.transactions.sign(tx, wallet);
    const header = { ...tx.toJSON(), data: "" };
    return { bundleId: tx.id, itemIds: verified.map((v) => v.id), transaction: JSON.stringify(header) };
  }

  /**
   * Posts the bundle transaction `transaction` (from {@link signBundle}) of `items` (the same items, in the same
   * order: the bundle is rebuilt and checked against the transaction's data root). Idempotent: if the gateway
   * has the transaction already (a post whose answer was lost, or cut while its chunks were being uploaded),
   * the header is not posted again and only the data chunks are re-sent (a gateway keeps one copy). A header
   * the gateway refuses is checked for again before the refusal is thrown (ArLocal answers the re-post of a
   * transaction it has with 404). On ArLocal it then mines; a failed mine does not fail the post (it is
   * retried by the next post or {@link settle}).
   */
  async sendBundle(transaction: string, items: readonly (DataItem | Uint8Array)[]): Promise<PostedBundle> {
    const verified = await this.verifyItems(items, "sendBundle");
    const data = bundleOf(verified).getRaw();
    let tx: Transaction;
    try {
      tx = this.arweave.transactions.fromRaw(JSON.parse(transaction) as object);
    } catch (error) {
      throw new ArweaveError("invalid", "sendBundle: the transaction is not arweave-js JSON", {
        cause: error,
      });
    }
    const bundleId = checkId(tx.id, "the bundle transaction's id");
    const dataRoot = tx.data_root;
    await tx.prepareChunks(data);
    if (tx.data_root !== dataRoot) {
      throw new ArweaveError("invalid", `sendBundle: these items are not the data of bundle ${bundleId}`, {
        id: bundleId,
      });
    }
    const chunks = this.chunked ? (tx.chunks?.chunks.length ?? 0) : 1;
    await this.withRetry(
      `post bundle ${bundleId}`,
      async () => {
        if (!(await this.has(bundleId))) {
          try {
            await this.postBody(
              "tx",
              chunks <= 1 ? { ...tx.toJSON(), data: b64url(data) } : tx.toJSON(),
              bundleId,
            );
          } catch (error) {
            if (error instanceof ArweaveError && error.kind !== "transient" && (await this.has(bundleId))) {
              this.logger.info(
                { event: "arweave.bundle.known", bundleId, status: error.status },
                "the gateway refused the bundle's header but has it",
              );
            } else throw error;
          }
        }
        // with one chunk (or not chunked) the data went with the header; else (re-)send every chunk
        if (chunks > 1)
          for (let i = 0; i < chunks; i++) await this.postBody("chunk", tx.getChunk(i, data), bundleId);
      },
      bundleId,
    );
    this.logger.info(
      { event: "arweave.bundle.posted", bundleId, items: verified.length, bytes: data.byteLength },
      "bundle posted",
    );
    if (this.local) {
      this.mineOwed = true;
      await this.settle();
    }
    return { bundleId, itemIds: verified.map((v) => v.id) };
  }

  /**
   * ArLocal: mines if a mine after a post has not succeeded yet (mining is ArLocal's housekeeping, not part of
   * a post); a failure is logged (`arweave.mine.retry`, warn) and left for the next call. Elsewhere a no-op.
   */
  async settle(): Promise<void> {
    if (!this.local || !this.mineOwed) return;
    try {
      await this.mine();
      this.mineOwed = false;
    } catch (error) {
      this.logger.warn(
        { event: "arweave.mine.retry", err: error instanceof Error ? error.message : String(error) },
        "mining on ArLocal failed; retrying later",
      );
    }
  }

  private async verifyItems(
    items: readonly (DataItem | Uint8Array)[],
    what: string,
  ): Promise<VerifiedDataItem[]> {
    if (items.length === 0) throw new ArweaveError("invalid", `${what}: no items`);
    const verified = await Promise.all(
      items.map((item) => verifyDataItem(DataItem.isDataItem(item) ? item.getRaw() : item)),
    );
    const ids = verified.map((v) => v.id);
    const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
    if (duplicate !== undefined) {
      throw new ArweaveError("invalid", `${what}: item ${duplicate} is given twice`, { id: duplicate });
    }
    return verified;
  }

  /** One POST of a JSON body (a transaction header or a chunk); 410 means the wallet lacks the fee. */
  private async postBody(endpoint: "tx" | "chunk", body: object, bundleId: string): Promise<void> {
    try {
      await this.http("POST", endpoint, { body: JSON.stringify(body), responseType: "text", id: bundleId });
    } catch (error) {
      if (error instanceof ArweaveError && error.status === 410) {
        throw new ArweaveError(
          "invalid",
          `POST ${this.url}/${endpoint} refused bundle ${bundleId}: the wallet has not enough AR for the fee`,
          { id: bundleId, url: error.url, status: 410, cause: error },
        );
      }
      throw error;
    }
  }

  /** The data of a transaction or data item (`GET /<id>`), retried; `notFound` if the gateway has none. */
  async getData(id: string): Promise<Uint8Array> {
    checkId(id);
    return this.withRetry(
      `GET /${id}`,
      async () => {
        const result = await this.http<ArrayBuffer>("GET", id, { responseType: "arraybuffer", id });
        return new Uint8Array(result.data);
      },
      id,
    );
  }

  /**
   * The signed data item `id`, cut from its bundle and verified (signature, and id = sha256(signature)).
   * `bundleId` is looked up by GraphQL (`bundledIn`) if not given — ArLocal does not index it, so pass it
   * there. `notFound` if the bundle or the item in it is missing; `invalid` if the item is not what `id` says.
   */
  async getDataItem(id: string, bundleId?: string): Promise<VerifiedDataItem> {
    checkId(id);
    let bundle = bundleId === undefined ? undefined : checkId(bundleId, "bundleId");
    if (bundle === undefined) {
      bundle = (await this.getInfo(id)).bundledIn ?? undefined;
      if (bundle === undefined) {
        throw new ArweaveError(
          "notFound",
          `data item ${id}: the gateway does not say which bundle holds it`,
          {
            id,
            url: `${this.url}/graphql`,
          },
        );
      }
    }
    const bytes = Buffer.from(await this.getData(bundle));
    const found = itemOfBundle(bytes, id);
    if (found === undefined) {
      throw new ArweaveError(
        "notFound",
        `data item ${id} is not in bundle ${bundle} (or that is no bundle)`,
        {
          id,
          url: `${this.url}/${bundle}`,
        },
      );
    }
    return verifyDataItem(found, id);
  }

  /** What the gateway's GraphQL says of one transaction or data item; `notFound` if nothing. */
  async getInfo(id: string): Promise<TransactionInfo> {
    checkId(id);
    const data = await this.graphql<{ transaction: GqlTransaction | null }>(
      `query($id: ID!) { transaction(id: $id) { ${TX_FIELDS} } }`,
      { id },
    );
    if (data.transaction === null || data.transaction === undefined) {
      throw new ArweaveError("notFound", `transaction ${id} is not indexed by the gateway`, {
        id,
        url: `${this.url}/graphql`,
      });
    }
    return toInfo(data.transaction);
  }

  /** One page of the transactions and data items matching every tag filter (GraphQL `transactions`). */
  async queryByTags(query: TagQuery): Promise<TagQueryPage> {
    const first = query.first ?? 10;
    if (!Number.isSafeInteger(first) || first < 1 || first > 100) {
      throw new ArweaveError("invalid", `first must be an integer in 1..100, got ${String(first)}`);
    }
    if (!Array.isArray(query.tags) || query.tags.length === 0) {
      throw new ArweaveError("invalid", "queryByTags needs at least one tag filter");
    }
    for (const tag of query.tags) {
      if (typeof tag?.name !== "string" || !Array.isArray(tag.values) || tag.values.length === 0) {
        throw new ArweaveError("invalid", "a tag filter is { name, values: [at least one] }");
      }
    }
    const data = await this.graphql<{
      transactions: { pageInfo: { hasNextPage: boolean }; edges: { cursor: string; node: GqlTransaction }[] };
    }>(
      `query($tags: [TagFilter!], $owners: [String!], $first: Int, $after: String, $sort: SortOrder) {
        transactions(tags: $tags, owners: $owners, first: $first, after: $after, sort: $sort) {
          pageInfo { hasNextPage }
          edges { cursor node { ${TX_FIELDS} } }
        }
      }`,
      {
        tags: query.tags.map((t) => ({ name: t.name, values: [...t.values] })),
        owners: query.owners === undefined ? undefined : [...query.owners],
        first,
        after: query.after,
        sort: query.sort,
      },
    );
    const edges = data.transactions.edges;
    return {
      items: edges.map((edge) => ({ ...toInfo(edge.node), cursor: edge.cursor })),
      hasNextPage: data.transactions.pageInfo.hasNextPage,
      cursor: edges.length === 0 ? null : edges[edges.length - 1].cursor,
    };
  }

  /** Every match of `query`, page after page. */
  async *queryAllByTags(
    query: Omit<TagQuery, "after">,
  ): AsyncGenerator<TransactionInfo & { cursor: string }> {
    let after: string | undefined;
    for (;;) {
      const page = await this.queryByTags({ ...query, after });
      yield* page.items;
      if (!page.hasNextPage || page.cursor === null) return;
      after = page.cursor;
    }
  }

  /** ArLocal only: mines a block (`GET /mine`). */
  async mine(): Promise<void> {
    this.requireLocal("mine");
    await this.withRetry("GET /mine", () => this.http("GET", "mine"));
  }

  /** Whether the gateway has transaction `id` (mined or pending). */
  async has(id: string): Promise<boolean> {
    checkId(id);
    try {
      await this.http("GET", `tx/${id}/status`, { responseType: "text", id });
      return true;
    } catch (error) {
      if (error instanceof ArweaveError && error.kind === "notFound") return false;
      throw error;
    }
  }

  /** @internal A GET with the client's retries (for {@link WalletFunding}). */
  async getText(endpoint: string): Promise<string> {
    const result = await this.withRetry(`GET /${endpoint}`, () =>
      this.http<string>("GET", endpoint, { responseType: "text" }),
    );
    return String(result.data);
  }

  /** @internal */
  requireLocal(what: string): void {
    if (!this.local) {
      throw new ArweaveError("invalid", `${what} is for ArLocal only (create the client with local: true)`, {
        url: this.url,
      });
    }
  }

  // ----- plumbing -----

  private requireWallet(what: string): JWKInterface {
    if (this.wallet === undefined)
      throw new ArweaveError("invalid", `${what} needs a wallet (options.wallet)`);
    return this.wallet;
  }

  private async graphql<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    return this.withRetry("graphql", async () => {
      const result = await this.http<{ data?: T; errors?: { message?: string }[] }>("POST", "graphql", {
        body: JSON.stringify({ query, variables }),
        responseType: "json",
      });
      const body = result.data;
      if (typeof body !== "object" || body === null) {
        throw new ArweaveError("invalid", "graphql: the answer is not JSON", { url: `${this.url}/graphql` });
      }
      if (Array.isArray(body.errors) && body.errors.length > 0) {
        throw new ArweaveError("invalid", `graphql: ${body.errors.map((e) => e.message).join("; ")}`, {
          url: `${this.url}/graphql`,
        });
      }
      if (body.data === undefined) {
        throw new ArweaveError("invalid", "graphql: no data in the answer", { url: `${this.url}/graphql` });
      }
      return body.data;
    });
  }

  /** One request; the status is mapped to an ArweaveError (404 notFound, 429/5xx transient, other 4xx invalid). */
  private async http<T = unknown>(
    method: "GET" | "POST",
    endpoint: string,
    options: { body?: string; responseType?: "arraybuffer" | "json" | "text"; id?: string } = {},
  ): Promise<HttpResult<T>> {
    const url = `${this.url}/${endpoint}`;
    let response: Response & { data: T };
    try {
      response = await this.arweave.api.request<T>(endpoint, {
        method,
        body: options.body,
        headers: options.body === undefined ? undefined : { "content-type": "application/json" },
        responseType: options.responseType,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw this.classify(error, url, options.id);
    }
    const status = response.status;
    if (status >= 200 && status < 300) return { status, data: response.data };
    const details = { id: options.id, url, status };
    if (status === 404) throw new ArweaveError("notFound", `${method} ${url}: 404 not found`, details);
    if (isTransientHttpStatus(status))
      throw new ArweaveError("transient", `${method} ${url}: ${status}`, details);
    throw new ArweaveError("invalid", `${method} ${url}: ${status} ${response.statusText}`.trim(), details);
  }

  private classify(error: unknown, url: string, id?: string): ArweaveError {
    if (error instanceof ArweaveError) return error;
    const message = error instanceof Error ? error.message : String(error);
    if (isTransientNetworkError(error)) {
      return new ArweaveError("transient", `${url}: ${message}`, { id, url, cause: error });
    }
    return new ArweaveError("invalid", `${url}: ${message}`, { id, url, cause: error });
  }

  private withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(new ArweaveError("transient", `${what} at ${this.url}: no answer in ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  private async withRetry<T>(label: string, fn: (attempt: number) => Promise<T>, id?: string): Promise<T> {
    try {
      return await retry(
        async (attempt) => {
          try {
            return await fn(attempt);
          } catch (error) {
            this.metrics?.get("holo_arweave_errors_total").inc();
            throw error;
          }
        },
        {
          attempts: this.attempts,
          baseMs: this.baseMs,
          maxMs: this.maxMs,
          label,
          retryable: (error) => error instanceof ArweaveError && error.kind === "transient",
          onRetry: (event) =>
            this.logger.warn(
              {
                event: "arweave.retry",
                call: label,
                id,
                attempt: event.attempt,
                delayMs: event.delayMs,
                err: event.error instanceof Error ? event.error.message : String(event.error),
              },
              "Arweave request failed; retrying",
            ),
        },
      );
    } catch (error) {
      throw this.classify(error, this.url, id);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// ArLocal funding
// ---------------------------------------------------------------------------------------------------------

/** Test AR on ArLocal (`GET /mint/<address>/<winston>`); refuses a client that is not `local`. */
export class WalletFunding {
  constructor(private readonly client: ArweaveClient) {
    client.requireLocal("WalletFunding");
  }

  /** Adds `winston` to `address`; the new balance. */
  async mint(address: string, winston: bigint | number | string): Promise<bigint> {
    checkId(address, "address");
    const amount = BigInt(winston);
    if (amount <= 0n) throw new ArweaveError("invalid", "mint: the amount must be positive");
    const text = await this.client.getText(`mint/${address}/${amount}`);
    return parseWinston(text, `mint/${address}`);
  }

  /** Mints `winston` to the JWK's address; the address. */
  async fund(wallet: JWKInterface, winston: bigint | number | string): Promise<string> {
    const address = await this.client.arweave.wallets.jwkToAddress(wallet);
    await this.mint(address, winston);
    return address;
  }

  /** The balance of `address`, in winston. */
  async balance(address: string): Promise<bigint> {
    checkId(address, "address");
    return parseWinston(await this.client.getText(`wallet/${address}/balance`), `wallet/${address}/balance`);
  }
}

function parseWinston(text: string, what: string): bigint {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed))
    throw new ArweaveError("invalid", `${what}: not an amount: ${trimmed.slice(0, 80)}`);
  return BigInt(trimmed);
}

/**
 * The chain client (docs/agents.md §3): one signer per process, a local nonce manager, retries with backoff,
 * a confirmation depth and **idempotent sends**.
 *
 * An agent never sends a transaction directly. It calls {@link ChainClient.send} with an _operation_ — a
 * deterministic `opId` (`post:<commitmentId>`, `move:<gameId>:<segmentHash>`), the target, the calldata and
 * the value — and the client:
 *
 * 1. records the operation in its {@link OperationLog} (table `chain_ops` of the agent's SQLite file);
 * 2. if the operation is already mined, returns its receipt; if the caller's `effectDone()` says the effect is
 *    already on chain, marks it done without sending;
 * 3. otherwise estimates the gas (a revert here is a permanent {@link ChainError} of kind `reverted`, with the
 *    custom error decoded), takes the next nonce under a mutex, signs, and **persists the nonce and the signed
 *    transaction before broadcasting it**;
 * 4. broadcasts, then waits until the transaction is mined at the configured depth, re-broadcasting it and
 *    bumping its fees (same nonce) when it stays pending.
 *
 * After a crash, {@link ChainClient.recover} (or another `send` of the same opId) reconciles every recorded
 * operation with the chain: mined → done; pending → re-broadcast with the same nonce and higher fees; its
 * nonce used by another transaction (replaced or dropped) → `effectDone` or a resend with a fresh nonce.
 * A nonce can be mined once, so an operation is mined at most once.
 */
import type Database from "better-sqlite3";
import {
  FetchRequest,
  Interface,
  JsonRpcProvider,
  Network,
  Wallet,
  getAddress,
  isAddress,
  isError,
  isHexString,
  keccak256,
  type InterfaceAbi,
  type TransactionReceipt,
} from "ethers";

import { Counter } from "prom-client";

import { createLogger, logPage, type Logger } from "./log";
import type { AgentMetrics } from "./metrics";
import { RetryAbortedError, isTransientNetworkError, realClock, retry } from "./retry";

// ---------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------

/**
 * What went wrong, for the caller to decide:
 *
 * - `transient`: the RPC could not be reached (after every retry), the transaction is not mined yet, or the
 *   client was closed. Nothing is lost: the operation stays recorded and a later `send` or `recover` resumes it.
 * - `reverted`: the call reverts. Either at gas estimation (no transaction was sent, the operation is `failed`
 *   and may be sent again) or on chain (the transaction was mined with status 0; the operation is final).
 * - `nonce`: the operation's nonce kept being taken by other transactions of the same account and the client
 *   gave up reconciling (another process is using the key).
 * - `config`: a bad setting or argument (URL, key, chain id, an opId reused with other calldata), or a
 *   transaction the node refuses for a reason retrying will not fix (insufficient funds, fee cap).
 */
export type ChainErrorKind = "transient" | "reverted" | "nonce" | "config";

/** A decoded revert. */
export interface RevertInfo {
  /** The custom error's name (`StakeManagerZeroAmount`), `Error` for a revert string, `Panic`; unset if unknown. */
  name?: string;
  /** The error's signature (`StakeManagerZeroAmount()`), when decoded. */
  signature?: string;
  /** The decoded arguments, when decoded. */
  args?: unknown[];
  /** The raw revert data (`0x` + selector + arguments), when the node returned it. */
  data?: string;
}

export class ChainError extends Error {
  override readonly name: string = "ChainError";
  readonly kind: ChainErrorKind;
  /** The operation this error belongs to (unset for health calls such as `blockNumber`). */
  readonly opId?: string;
  /** The transaction concerned, when there is one. */
  readonly txHash?: string;
  /** For `reverted`: the decoded revert. */
  readonly revert?: RevertInfo;

  constructor(
    kind: ChainErrorKind,
    message: string,
    details: { opId?: string; txHash?: string; revert?: RevertInfo; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = kind;
    this.opId = details.opId;
    this.txHash = details.txHash;
    this.revert = details.revert;
  }

  /** The custom error's name for a `reverted` error (`StakeManagerZeroAmount`), if decoded. */
  get errorName(): string | undefined {
    return this.revert?.name;
  }
}

/**
 * Two RPCs gave different well-formed answers to the same read at the same block (a `transient` ChainError:
 * nothing was done on the read, the caller retries later). Raised only when cross-check RPCs are configured
 * ({@link ChainClientOptions.crossCheckRpcUrls}); the client has paged `rpcDisagreement` and counted it in
 * `holo_chain_rpc_disagreements_total{method}` before throwing.
 */
export class RpcDisagreementError extends ChainError {
  override readonly name: string = "RpcDisagreementError";
  readonly code = "RpcDisagreement";
  constructor(
    /** The JSON-RPC method, or `head` for the latest blocks. */
    readonly method: string,
    message: string,
    /** Each RPC's answer (redacted URL → a short rendering). */
    readonly answers: Readonly<Record<string, string>>,
    details: { opId?: string } = {},
  ) {
    super("transient", `RpcDisagreement: ${message}`, details);
  }
}

// ---------------------------------------------------------------------------------------------------------
// URLs
// ---------------------------------------------------------------------------------------------------------

/**
 * `url` without its `user:password@` part, for logs and messages: `http://u:p@host:8545/x` →
 * `http://host:8545/x`. An unparseable URL gives `<invalid URL>` (it may hold a secret too).
 * API keys that a provider puts in the path or the query are not recognised: use basic auth for secrets.
 */
export function redactRpcUrl(url: string): string {
  try {
    new URL(url);
  } catch {
    return "<invalid URL>";
  }
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, "$1");
}

/** Splits `url` into the URL without credentials and the credentials (percent-decoded). */
function splitCredentials(url: string): { url: string; username?: string; password?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ChainError("config", `rpcUrl is not a valid URL (${redactRpcUrl(url)})`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ChainError("config", `rpcUrl must be http(s), got ${parsed.protocol} (${redactRpcUrl(url)})`);
  }
  const stripped = redactRpcUrl(url);
  if (parsed.username === "" && parsed.password === "") return { url: stripped };
  return {
    url: stripped,
    username: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
  };
}

// ---------------------------------------------------------------------------------------------------------
// The operation log
// ---------------------------------------------------------------------------------------------------------

/**
 * An operation's state:
 *
 * - `new`: recorded, no transaction signed for it (or its last nonce was taken by another transaction);
 * - `sent`: a transaction with `nonce` is signed and persisted (it may or may not have reached the node);
 * - `done`: mined with status 1 (`doneBy: "receipt"`) or its effect found on chain (`doneBy: "effect"`);
 * - `reverted`: mined with status 0 — final;
 * - `failed`: refused before any transaction could be mined (reverted at estimation, insufficient funds);
 *   no nonce is held, and another `send` tries again.
 */
export type OperationStatus = "new" | "sent" | "done" | "reverted" | "failed";

/** One row of `chain_ops`. */
export interface OperationRecord {
  opId: string;
  /** The sending account (checksummed). */
  account: string;
  to: string;
  data: string;
  value: bigint;
  /** The gas limit asked for, or `null` (estimated at each signature). */
  gasLimit: bigint | null;
  status: OperationStatus;
  /** The nonce of the current transaction (`sent`, `done` by receipt, `reverted`); `null` otherwise. */
  nonce: number | null;
  /** The current (latest signed, or mined) transaction. */
  txHash: string | null;
  /** Transactions signed for this operation so far (fee bumps and resends included). */
  attempts: number;
  /** Milliseconds since the epoch. */
  createdAt: number;
  updatedAt: number;
  sentAt: number | null;
  doneAt: number | null;
  doneBy: "receipt" | "effect" | null;
  blockNumber: number | null;
  /** The decoded custom error of a `reverted` or `failed` operation. */
  revertName: string | null;
  lastError: string | null;
}

/** A signed transaction of an operation (table `chain_op_txs`). */
export interface SignedTxRecord {
  txHash: string;
  opId: string;
  nonce: number;
  /** The signed transaction, `0x`-hex: what is (re-)broadcast. */
  raw: string;
  gasLimit: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  createdAt: number;
}

interface OpRow {
  opId: string;
  account: string;
  toAddress: string;
  data: string;
  value: string;
  gasLimit: string | null;
  status: OperationStatus;
  nonce: number | null;
  txHash: string | null;
  attempts: number;
  createdAt: number;
  updatedAt: number;
  sentAt: number | null;
  doneAt: number | null;
  doneBy: "receipt" | "effect" | null;
  blockNumber: number | null;
  revertName: string | null;
  lastError: string | null;
}

interface TxRow {
  txHash: string;
  opId: string;
  nonce: number;
  raw: string;
  gasLimit: string;
  maxFeePerGas: string;
  maxPriorityFeePerGas: string;
  createdAt: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS chain_ops (
    opId        TEXT PRIMARY KEY,
    account     TEXT NOT NULL,
    toAddress   TEXT NOT NULL,
    data        TEXT NOT NULL,
    value       TEXT NOT NULL,
    gasLimit    TEXT,
    status      TEXT NOT NULL CHECK (status IN ('new', 'sent', 'done', 'reverted', 'failed')),
    nonce       INTEGER,
    txHash      TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    createdAt   INTEGER NOT NULL,
    updatedAt   INTEGER NOT NULL,
    sentAt      INTEGER,
    doneAt      INTEGER,
    doneBy      TEXT CHECK (doneBy IN ('receipt', 'effect')),
    blockNumber INTEGER,
    revertName  TEXT,
    lastError   TEXT
  );
  CREATE INDEX IF NOT EXISTS chain_ops_status ON chain_ops (account, status);
  CREATE TABLE IF NOT EXISTS chain_op_txs (
    txHash               TEXT PRIMARY KEY,
    opId                 TEXT NOT NULL REFERENCES chain_ops (opId),
    nonce                INTEGER NOT NULL,
    raw                  TEXT NOT NULL,
    gasLimit             TEXT NOT NULL,
    maxFeePerGas         TEXT NOT NULL,
    maxPriorityFeePerGas TEXT NOT NULL,
    createdAt            INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS chain_op_txs_op ON chain_op_txs (opId, createdAt);
`;

function toRecord(row: OpRow): OperationRecord {
  return {
    opId: row.opId,
    account: row.account,
    to: row.toAddress,
    data: row.data,
    value: BigInt(row.value),
    gasLimit: row.gasLimit === null ? null : BigInt(row.gasLimit),
    status: row.status,
    nonce: row.nonce,
    txHash: row.txHash,
    attempts: row.attempts,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    sentAt: row.sentAt,
    doneAt: row.doneAt,
    doneBy: row.doneBy,
    blockNumber: row.blockNumber,
    revertName: row.revertName,
    lastError: row.lastError,
  };
}

function toTxRecord(row: TxRow): SignedTxRecord {
  return {
    txHash: row.txHash,
    opId: row.opId,
    nonce: row.nonce,
    raw: row.raw,
    gasLimit: BigInt(row.gasLimit),
    maxFeePerGas: BigInt(row.maxFeePerGas),
    maxPriorityFeePerGas: BigInt(row.maxPriorityFeePerGas),
    createdAt: row.createdAt,
  };
}

/**
 * The durable record of operations and of every transaction signed for them, in the agent's SQLite file
 * (tables `chain_ops` and `chain_op_txs`, created if missing). Every method is synchronous and each write is
 * one SQLite transaction, so what it records is on disk (with the store's `synchronous=FULL`) before the
 * client acts on it.
 */
export class OperationLog {
  readonly db: Database.Database;

  constructor(db: Database.Database) {
    this.db = db;
    db.exec(SCHEMA);
  }

  get(opId: string): OperationRecord | undefined {
    const row = this.db.prepare("SELECT * FROM chain_ops WHERE opId = ?").get(opId) as OpRow | undefined;
    return row === undefined ? undefined : toRecord(row);
  }

  /** Records a new operation (status `new`); the record as stored. */
  insert(
    op: { opId: string; to: string; data: string; value: bigint; gasLimit?: bigint },
    account: string,
    now = Date.now(),
  ): OperationRecord {
    this.db
      .prepare(
        `INSERT INTO chain_ops (opId, account, toAddress, data, value, gasLimit, status, attempts, createdAt, updatedAt)
         VALUES (?, ?, ?, ?, ?, ?, 'new', 0, ?, ?)`,
      )
      .run(op.opId, account, op.to, op.data, op.value.toString(), op.gasLimit?.toString() ?? null, now, now);
    return this.get(op.opId)!;
  }

  /** The operation's signed transactions, newest first. */
  transactions(opId: string): SignedTxRecord[] {
    const rows = this.db
      .prepare("SELECT * FROM chain_op_txs WHERE opId = ? ORDER BY createdAt DESC, rowid DESC")
      .all(opId) as TxRow[];
    return rows.map(toTxRecord);
  }

  /** The operations of `account` not finished (`new` or `sent`), by nonce (unsent last). */
  unfinished(account: string): OperationRecord[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM chain_ops WHERE account = ? AND status IN ('new', 'sent')
         ORDER BY nonce IS NULL, nonce, createdAt`,
      )
      .all(account) as OpRow[];
    return rows.map(toRecord);
  }

  /** Every operation of `account` with `status`. */
  withStatus(account: string, status: OperationStatus): OperationRecord[] {
    const rows = this.db
      .prepare("SELECT * FROM chain_ops WHERE account = ? AND status = ? ORDER BY createdAt")
      .all(account, status) as OpRow[];
    return rows.map(toRecord);
  }

  /** Records a signed transaction and makes it the operation's current one (status `sent`). */
  recordTx(tx: SignedTxRecord, now = Date.now()): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          // (OR IGNORE: after a reorg the same transaction can be signed again, byte for byte)
          `INSERT OR IGNORE INTO chain_op_txs (txHash, opId, nonce, raw, gasLimit, maxFeePerGas, maxPriorityFeePerGas, createdAt)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          tx.txHash,
          tx.opId,
          tx.nonce,
          tx.raw,
          tx.gasLimit.toString(),
          tx.maxFeePerGas.toString(),
          tx.maxPriorityFeePerGas.toString(),
          tx.createdAt,
        );
      this.db
        .prepare(
          `UPDATE chain_ops SET status = 'sent', nonce = ?, txHash = ?, attempts = attempts + 1,
             sentAt = ?, updatedAt = ?, lastError = NULL, revertName = NULL
           WHERE opId = ?`,
        )
        .run(tx.nonce, tx.txHash, now, now, tx.opId);
    })();
  }

  markMined(opId: string, txHash: string, nonce: number, blockNumber: number, now = Date.now()): void {
    this.db
      .prepare(
        `UPDATE chain_ops SET status = 'done', doneBy = 'receipt', txHash = ?, nonce = ?, blockNumber = ?,
           doneAt = ?, updatedAt = ?, lastError = NULL
         WHERE opId = ?`,
      )
      .run(txHash, nonce, blockNumber, now, now, opId);
  }

  markEffectDone(opId: string, now = Date.now()): void {
    this.db
      .prepare(
        `UPDATE chain_ops SET status = 'done', doneBy = 'effect', nonce = NULL, txHash = NULL, doneAt = ?,
           updatedAt = ?, lastError = NULL
         WHERE opId = ?`,
      )
      .run(now, now, opId);
  }

  markReverted(
    opId: string,
    txHash: string,
    nonce: number,
    blockNumber: number,
    revertName: string | null,
    message: string,
    now = Date.now(),
  ): void {
    this.db
      .prepare(
        `UPDATE chain_ops SET status = 'reverted', txHash = ?, nonce = ?, blockNumber = ?, revertName = ?,
           lastError = ?, doneAt = ?, updatedAt = ?
         WHERE opId = ?`,
      )
      .run(txHash, nonce, blockNumber, revertName, message, now, now, opId);
  }

  /** No transaction of the operation can be mined any more (refused, or its nonce taken): back to `new`/`failed`. */
  release(
    opId: string,
    status: "new" | "failed",
    message: string,
    revertName: string | null = null,
    now = Date.now(),
  ): void {
    this.db
      .prepare(
        `UPDATE chain_ops SET status = ?, nonce = NULL, txHash = NULL, lastError = ?, revertName = ?, updatedAt = ?
         WHERE opId = ?`,
      )
      .run(status, message, revertName, now, opId);
  }

  /** Notes an error without changing the state. */
  noteError(opId: string, message: string, now = Date.now()): void {
    this.db
      .prepare("UPDATE chain_ops SET lastError = ?, updatedAt = ? WHERE opId = ?")
      .run(message, now, opId);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Nonces
// ---------------------------------------------------------------------------------------------------------

/** A FIFO mutex: `run` calls run one at a time, in call order. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/**
 * The next nonce of the account, kept locally (used under the client's mutex only). It starts from the chain's
 * `pending` transaction count and is re-read from there whenever the local count may be wrong (a nonce error,
 * a broadcast whose outcome is unknown).
 */
class NonceManager {
  private next: number | undefined;

  constructor(private readonly pendingCount: () => Promise<number>) {}

  async take(): Promise<number> {
    if (this.next === undefined) this.next = await this.pendingCount();
    return this.next++;
  }

  /** `nonce` was taken but nothing with it reached the node. */
  giveBack(nonce: number): void {
    if (this.next === nonce + 1) this.next = nonce;
    else this.next = undefined;
  }

  /** Re-read the count from the chain at the next `take`. */
  invalidate(): void {
    this.next = undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Cross-checked reads
// ---------------------------------------------------------------------------------------------------------

/**
 * The reads an agent acts on, compared across every configured RPC. Everything else (nonces, fees, gas
 * estimates, the mempool, broadcasting) goes to the primary RPC only: nodes legitimately differ there, and a
 * lie there cannot make the agent act (a transaction the chain refuses is not an effect).
 */
const CROSS_CHECKED = new Set([
  "eth_blockNumber",
  "eth_getBlockByNumber",
  "eth_call",
  "eth_getLogs",
  "eth_getTransactionReceipt",
]);

/** Block tags that move: pinned to the block every RPC has before a cross-checked read. */
const MOVING_TAGS = new Set(["latest", "pending"]);

/** The default of {@link ChainClientOptions.crossCheckMaxLagBlocks}. */
export const DEFAULT_CROSS_CHECK_MAX_LAG_BLOCKS = 8;

/** How often one method's disagreement pages (the others are logged at `warn`); each is counted. */
const DISAGREEMENT_PAGE_EVERY_MS = 60_000;

interface CrossCheckNode {
  url: string;
  send(method: string, params: unknown[]): Promise<unknown>;
}

type CallOutcome = { ok: string } | { revert: string };

function short(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text === undefined ? "undefined" : text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

function quantity(n: bigint): string {
  return `0x${n.toString(16)}`;
}

/** The parts of a block header an agent uses (a liar could keep the hash and change a field). */
function headerView(block: unknown): string {
  if (block === null || block === undefined) return "null";
  const b = block as Record<string, unknown>;
  return JSON.stringify(
    ["number", "hash", "parentHash", "timestamp", "stateRoot", "receiptsRoot", "transactionsRoot"].map((k) =>
      typeof b[k] === "string" ? (b[k] as string).toLowerCase() : b[k],
    ),
  );
}

function logsView(logs: unknown): string {
  if (!Array.isArray(logs)) return short(logs);
  return JSON.stringify(
    logs.map((l: Record<string, unknown>) =>
      [
        l.address,
        l.topics,
        l.data,
        l.blockNumber,
        l.blockHash,
        l.transactionHash,
        l.logIndex,
        l.removed ?? false,
      ].map((v) =>
        typeof v === "string"
          ? v.toLowerCase()
          : Array.isArray(v)
            ? v.map((t) => String(t).toLowerCase())
            : v,
      ),
    ),
  );
}

function receiptView(receipt: unknown): string {
  if (receipt === null || receipt === undefined) return "null";
  const r = receipt as Record<string, unknown>;
  return JSON.stringify(
    ["transactionHash", "blockHash", "blockNumber", "status", "contractAddress", "gasUsed"].map((k) =>
      typeof r[k] === "string" ? (r[k] as string).toLowerCase() : (r[k] ?? null),
    ),
  );
}

/**
 * The primary RPC's provider with every {@link CROSS_CHECKED} read asked of each cross-check RPC too, at the
 * same block, and compared: any difference throws {@link RpcDisagreementError} (after `onDisagreement`) and
 * nothing is returned, so no caller can act on a value only some RPCs report.
 *
 * - `latest` (and `pending`) are pinned: every RPC's latest block is read; their heights may differ by at
 *   most `maxLagBlocks` (more is a disagreement: a primary hiding new blocks, or claiming a fake head); the
 *   lowest height is the pin, and every RPC's header at the pin must be the same. The read is then made at
 *   the pin on every RPC (`eth_blockNumber` answers the pin itself).
 * - A numbered block, a block range and a block hash are asked as they are.
 * - `eth_call`: the return data, or the revert data, must be equal.
 * - `eth_getTransactionReceipt`: a receipt the primary has must be on every RPC whose head is at or past its
 *   block (an RPC behind it is lag: a transient error, retried); a receipt only the primary lacks counts as
 *   not mined yet.
 */
/** A cross-check RPC is behind the block a read needs: lag, retried like a network error. */
class CrossCheckLagError extends ChainError {
  override readonly name: string = "CrossCheckLagError";
  constructor(message: string) {
    super("transient", `CrossCheckLag: ${message}`);
  }
}

class CrossCheckedProvider extends JsonRpcProvider {
  constructor(
    request: FetchRequest,
    network: Network,
    private readonly primaryUrl: string,
    private readonly others: readonly CrossCheckNode[],
    private readonly maxLagBlocks: number,
    private readonly onDisagreement: (error: RpcDisagreementError) => void,
  ) {
    super(request, network, { staticNetwork: network, batchMaxCount: 1, cacheTimeout: -1 });
  }

  override async send(method: string, params: unknown[] | Record<string, unknown>): Promise<unknown> {
    if (!CROSS_CHECKED.has(method) || !Array.isArray(params)) return super.send(method, params);
    switch (method) {
      case "eth_blockNumber":
        return quantity(await this.pin());
      case "eth_getBlockByNumber":
        return this.checkedBlock(params);
      case "eth_call":
        return this.checkedCall(params);
      case "eth_getLogs":
        return this.checkedLogs(params);
      default:
        return this.checkedReceipt(params);
    }
  }

  private primary(method: string, params: unknown[]): Promise<unknown> {
    return super.send(method, params);
  }

  /** The same request to every RPC, the primary first. */
  private all(method: string, params: unknown[]): Promise<unknown[]> {
    return Promise.all([this.primary(method, params), ...this.others.map((o) => o.send(method, params))]);
  }

  private get urls(): string[] {
    return [this.primaryUrl, ...this.others.map((o) => o.url)];
  }

  private disagree(method: string, message: string, answers: readonly string[]): never {
    const rendered: Record<string, string> = {};
    this.urls.forEach((u, i) => (rendered[u] = short(answers[i])));
    const error = new RpcDisagreementError(method, message, rendered);
    this.onDisagreement(error);
    throw error;
  }

  private compare(method: string, what: string, views: readonly string[]): void {
    if (views.every((v) => v === views[0])) return;
    this.disagree(method, `the RPCs answer ${what} differently`, views);
  }

  /** The highest block every RPC has, with the same header on all of them. */
  private async pin(): Promise<bigint> {
    const heads = await this.all("eth_getBlockByNumber", ["latest", false]);
    const numbers = heads.map((b) => {
      const n = (b as { number?: unknown } | null)?.number;
      return typeof n === "string" && isHexString(n) ? BigInt(n) : -1n;
    });
    if (numbers.some((n) => n < 0n)) {
      this.disagree("head", "an RPC has no latest block", heads.map(headerView));
    }
    let low = numbers[0];
    let high = numbers[0];
    for (const n of numbers) {
      if (n < low) low = n;
      if (n > high) high = n;
    }
    if (high - low > BigInt(this.maxLagBlocks)) {
      this.disagree(
        "head",
        `the RPCs' latest blocks are ${numbers.join(", ")}: more than ${this.maxLagBlocks} apart`,
        numbers.map(String),
      );
    }
    const at = quantity(low);
    const headers = await Promise.all(
      heads.map((h, i) =>
        numbers[i] === low
          ? h
          : i === 0
            ? this.primary("eth_getBlockByNumber", [at, false])
            : this.others[i - 1].send("eth_getBlockByNumber", [at, false]),
      ),
    );
    this.compare("head", `block ${low}`, headers.map(headerView));
    return low;
  }

  private async pinned(tag: unknown): Promise<unknown> {
    return typeof tag === "string" && MOVING_TAGS.has(tag) ? quantity(await this.pin()) : tag;
  }

  private async checkedBlock(params: unknown[]): Promise<unknown> {
    const at = await this.pinned(params[0]);
    const args = [at, ...params.slice(1)];
    const blocks = await this.all("eth_getBlockByNumber", args);
    this.compare("eth_getBlockByNumber", `block ${String(at)}`, blocks.map(headerView));
    return blocks[0];
  }

  private async checkedCall(params: unknown[]): Promise<unknown> {
    const at = params.length > 1 ? await this.pinned(params[1]) : quantity(await this.pin());
    const args = [params[0], at, ...params.slice(2)];
    const outcome = async (p: Promise<unknown>): Promise<CallOutcome> => {
      try {
        const r = await p;
        return { ok: typeof r === "string" ? r.toLowerCase() : short(r) };
      } catch (error) {
        if (isError(error, "CALL_EXCEPTION")) {
          return { revert: String((error as { data?: unknown }).data ?? "").toLowerCase() };
        }
        throw error; // a transport failure: no answer to compare (retried by the caller)
      }
    };
    const first = this.primary("eth_call", args);
    const outcomes = await Promise.all([
      outcome(first),
      ...this.others.map((o) => outcome(o.send("eth_call", args))),
    ]);
    const to = (params[0] as { to?: unknown } | undefined)?.to;
    const selector = String((params[0] as { data?: unknown; input?: unknown } | undefined)?.data ?? "").slice(
      0,
      10,
    );
    this.compare(
      "eth_call",
      `eth_call ${selector} to ${String(to)} at ${String(at)}`,
      outcomes.map((o) => JSON.stringify(o)),
    );
    return first; // its revert is rethrown as the primary gave it
  }

  private async checkedLogs(params: unknown[]): Promise<unknown> {
    const filter = { ...(params[0] as Record<string, unknown>) };
    if (filter.blockHash === undefined) {
      const to = filter.toBlock;
      if (to === undefined || (typeof to === "string" && MOVING_TAGS.has(to))) {
        filter.toBlock = quantity(await this.pin());
      }
      if (typeof filter.fromBlock === "string" && MOVING_TAGS.has(filter.fromBlock)) {
        filter.fromBlock = filter.toBlock;
      }
    }
    const answers = await this.all("eth_getLogs", [filter]);
    this.compare(
      "eth_getLogs",
      `the logs of blocks ${String(filter.fromBlock ?? filter.blockHash)}..${String(filter.toBlock ?? "")}`,
      answers.map(logsView),
    );
    return answers[0];
  }

  private async checkedReceipt(params: unknown[]): Promise<unknown> {
    const answers = await this.all("eth_getTransactionReceipt", params);
    const mine = answers[0] as { blockNumber?: unknown } | null;
    if (mine === null || mine === undefined) return null; // not mined for the primary: nothing to act on
    const views = answers.map(receiptView);
    if (views.every((v) => v === views[0])) return mine;
    const block = BigInt(String(mine.blockNumber));
    for (let i = 1; i < answers.length; i++) {
      if (answers[i] !== null && answers[i] !== undefined) continue;
      const head = BigInt(String(await this.others[i - 1].send("eth_blockNumber", [])));
      if (head < block) {
        // Lag, not a lie: the cross-check RPC has not reached the receipt's block yet (retried).
        throw new CrossCheckLagError(
          `${this.others[i - 1].url} is at block ${head}, before the receipt's block ${block}`,
        );
      }
    }
    this.disagree(
      "eth_getTransactionReceipt",
      `the receipt of ${String(params[0])} differs between the RPCs`,
      views,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------------------------

/** An operation: one state change an agent wants on chain, named by a deterministic `opId`. */
export interface Operation {
  /** Deterministic and unique per intended effect (`post:<commitmentId>`); at most 200 characters. */
  opId: string;
  to: string;
  /** Calldata, `0x`-hex. */
  data: string;
  /** Wei; 0 if unset. */
  value?: bigint;
  /** A fixed gas limit; estimated (plus {@link ChainClientOptions.gasMarginPercent}) if unset. */
  gasLimit?: bigint;
}

export interface SendOptions {
  /**
   * Whether the operation's effect is already on chain (the commitment exists, the game moved on). Asked
   * before any transaction is signed for it and whenever its nonce was taken by another transaction; `true`
   * marks the operation done without sending.
   */
  effectDone?: () => Promise<boolean>;
  /** The contract's ABI or Interface, to decode custom errors (added to the client's `errorInterfaces`). */
  errors?: Interface | InterfaceAbi;
  /** How long to wait for the transaction to be mined before a `transient` error; the client's default if unset. */
  waitTimeoutMs?: number;
}

export interface SendResult {
  opId: string;
  /** `mined`: a transaction of this operation was mined (status 1); `effect`: `effectDone` said so. */
  via: "mined" | "effect";
  txHash: string | null;
  nonce: number | null;
  blockNumber: number | null;
  /** The receipt (`null` when done by effect, or if the node no longer has it). */
  receipt: TransactionReceipt | null;
}

export interface RecoverOptions {
  /** `effectDone` per operation (see {@link SendOptions.effectDone}). */
  effectDone?: (op: OperationRecord) => Promise<boolean>;
  /** Interfaces to decode custom errors, per operation. */
  errors?: (op: OperationRecord) => Interface | InterfaceAbi | undefined;
}

export interface RecoverOutcome {
  opId: string;
  outcome: "mined" | "effect" | "reverted" | "error";
  txHash: string | null;
  /** For `reverted` and `error`. */
  error?: ChainError;
}

export interface ChainClientOptions {
  /** JSON-RPC URL (http or https). Credentials (`https://user:pass@host`) are sent as basic auth, never logged. */
  rpcUrl: string;
  /** The signer: a private key or an ethers `Wallet` (reconnected to this client's provider). */
  wallet: Wallet | string;
  /** The agent's SQLite handle (the store's `db`): the operation log lives there. */
  db: Database.Database;
  /** The chain id expected; a node on another chain is a `config` error. Unchecked if unset. */
  chainId?: number | bigint;
  /** Blocks a receipt must be under before an operation is done: 0 or 1 = mined (devnet); default 1. */
  confirmations?: number;
  /** How often to poll for receipts; default 1000 ms. */
  pollMs?: number;
  /** One JSON-RPC request's timeout; default 15 000 ms. */
  requestTimeoutMs?: number;
  /**
   * Retries of a failing JSON-RPC call: transient errors (connection refused or reset, timeouts, 429/5xx) are
   * retried with capped exponential backoff and full jitter (`baseMs`, `maxMs`) for at most `windowMs`, then
   * the call fails with a `transient` ChainError. Defaults: 30 000, 250, 5 000 ms.
   */
  retry?: { windowMs?: number; baseMs?: number; maxMs?: number };
  /** How long `send` waits for its transaction to be mined before a `transient` error; default 300 000 ms. */
  waitTimeoutMs?: number;
  /** A transaction pending this long is replaced by one with the same nonce and higher fees; default 60 000 ms. */
  bumpAfterMs?: number;
  /** The fee increase of a replacement, in percent (at least 10, what nodes require); default 20. */
  feeBumpPercent?: number;
  /** Added to estimated gas, in percent; default 20. */
  gasMarginPercent?: number;
  /** A ceiling on `maxFeePerGas` (wei); a price above it is a `config` error, bumps stop at it. */
  maxFeePerGas?: bigint;
  /** Interfaces used to decode custom errors of every operation. */
  errorInterfaces?: readonly (Interface | InterfaceAbi)[];
  /** Where to log; a logger with `agent: "chain"` at `info` if unset. */
  logger?: Logger;
  /** The agent's metrics (holo_chain_rpc_errors_total, holo_tx_sent_total, holo_tx_confirm_seconds). */
  metrics?: AgentMetrics;
  /**
   * Further JSON-RPC URLs (other providers, ideally other clients) that cross-check the reads the agent acts
   * on: the head, blocks, `eth_call`, logs and receipts (see {@link CrossCheckedProvider}). A read they do not
   * all answer alike throws {@link RpcDisagreementError}, pages `rpcDisagreement` and counts
   * `holo_chain_rpc_disagreements_total{method}`. Each must be on the same chain id. Empty (the default): one
   * RPC, reads unchecked, nothing changes.
   */
  crossCheckRpcUrls?: readonly string[];
  /** How far the RPCs' latest blocks may be apart before it is a disagreement; default 8. */
  crossCheckMaxLagBlocks?: number;
}

interface ResolvedOptions {
  confirmations: number;
  pollMs: number;
  retryWindowMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  waitTimeoutMs: number;
  bumpAfterMs: number;
  feeBumpPercent: bigint;
  gasMarginPercent: bigint;
  maxFeePerGas?: bigint;
}

interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

type BroadcastOutcome = "accepted" | "nonceTooLow" | "nonceTooHigh" | "underpriced";

type ChainState =
  | { kind: "mined"; receipt: TransactionReceipt; tx: SignedTxRecord }
  | { kind: "consumed" }
  | { kind: "pending"; tx: SignedTxRecord | undefined };

/** How many times one `send` takes a fresh nonce for an operation whose nonce was taken, before giving up. */
const MAX_NONCE_RESETS = 5;

const MAX_OP_ID_LENGTH = 200;

function messageOf(error: unknown): string {
  if (error instanceof ChainError) return error.message;
  if (typeof error === "object" && error !== null) {
    const e = error as { shortMessage?: unknown; message?: unknown };
    if (typeof e.shortMessage === "string") return e.shortMessage;
    if (typeof e.message === "string") return e.message;
  }
  return String(error);
}

/** The node's own error message (ethers puts the JSON-RPC error under `error` or `info.error`). */
function rpcMessage(error: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): void => {
    if (depth > 5 || typeof value !== "object" || value === null || seen.has(value)) return;
    seen.add(value);
    const e = value as Record<string, unknown>;
    if (typeof e.message === "string") parts.push(e.message);
    visit(e.error, depth + 1);
    visit(e.info, depth + 1);
    visit(e.data, depth + 1);
    visit(e.cause, depth + 1);
  };
  visit(error, 0);
  return parts.join(" | ");
}

/** The node's JSON-RPC error message if there is one, else ethers' short message. */
function nodeMessage(error: unknown): string {
  const e = error as { error?: { message?: unknown }; info?: { error?: { message?: unknown } } } | null;
  const inner = e?.error?.message ?? e?.info?.error?.message;
  return typeof inner === "string" ? inner : messageOf(error);
}

function positiveInt(name: string, value: number | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ChainError("config", `${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/**
 * The chain client of one agent process: one account, one provider, one nonce manager. Create it with
 * {@link ChainClient.connect}; call {@link ChainClient.recover} once at start, before sending.
 */
export class ChainClient {
  /** The operation log (read it for status pages; the client writes it). */
  readonly log: OperationLog;
  /** The provider, for reads (typechain factories connect to it). */
  readonly provider: JsonRpcProvider;
  /** The sending account (checksummed). */
  readonly address: string;
  readonly chainId: bigint;
  /** The RPC URL without credentials. */
  readonly rpcUrl: string;

  private readonly wallet: Wallet;
  private readonly options: ResolvedOptions;
  private readonly logger: Logger;
  private readonly metrics?: AgentMetrics;
  private readonly interfaces: Interface[];
  private readonly mutex = new Mutex();
  private readonly nonces: NonceManager;
  private readonly inflight = new Map<string, Promise<SendResult>>();
  private readonly closing = new AbortController();
  /** The cross-check RPCs' providers (destroyed by `close`). */
  private crossChecks: JsonRpcProvider[] = [];

  private constructor(args: {
    provider: JsonRpcProvider;
    wallet: Wallet;
    chainId: bigint;
    rpcUrl: string;
    db: Database.Database;
    options: ResolvedOptions;
    logger: Logger;
    metrics?: AgentMetrics;
    interfaces: Interface[];
  }) {
    this.provider = args.provider;
    this.wallet = args.wallet;
    this.address = args.wallet.address;
    this.chainId = args.chainId;
    this.rpcUrl = args.rpcUrl;
    this.log = new OperationLog(args.db);
    this.options = args.options;
    this.logger = args.logger;
    this.metrics = args.metrics;
    this.interfaces = args.interfaces;
    this.nonces = new NonceManager(() =>
      this.rpc("eth_getTransactionCount", () => this.provider.getTransactionCount(this.address, "pending")),
    );
  }

  /**
   * Checks the options, reaches the RPC (retrying transient errors), checks the chain id and returns the
   * client. Throws a `config` ChainError for a bad setting, `transient` if the RPC cannot be reached.
   */
  static async connect(options: ChainClientOptions): Promise<ChainClient> {
    const resolved: ResolvedOptions = {
      confirmations: positiveInt("confirmations", options.confirmations, 1),
      pollMs: positiveInt("pollMs", options.pollMs, 1_000, 1),
      retryWindowMs: positiveInt("retry.windowMs", options.retry?.windowMs, 30_000),
      retryBaseMs: positiveInt("retry.baseMs", options.retry?.baseMs, 250),
      retryMaxMs: positiveInt("retry.maxMs", options.retry?.maxMs, 5_000),
      waitTimeoutMs: positiveInt("waitTimeoutMs", options.waitTimeoutMs, 300_000, 1),
      bumpAfterMs: positiveInt("bumpAfterMs", options.bumpAfterMs, 60_000, 1),
      feeBumpPercent: BigInt(positiveInt("feeBumpPercent", options.feeBumpPercent, 20, 10)),
      gasMarginPercent: BigInt(positiveInt("gasMarginPercent", options.gasMarginPercent, 20)),
      maxFeePerGas: options.maxFeePerGas,
    };
    const requestTimeoutMs = positiveInt("requestTimeoutMs", options.requestTimeoutMs, 15_000, 1);
    if (options.maxFeePerGas !== undefined && options.maxFeePerGas <= 0n) {
      throw new ChainError("config", "maxFeePerGas must be positive");
    }
    if (typeof options.db?.prepare !== "function") {
      throw new ChainError("config", "db must be a better-sqlite3 Database");
    }
    const logger = options.logger ?? createLogger({ agent: "chain" });
    const { url, username, password } = splitCredentials(options.rpcUrl);

    let wallet: Wallet;
    try {
      wallet = typeof options.wallet === "string" ? new Wallet(options.wallet) : options.wallet;
    } catch {
      throw new ChainError("config", "wallet: not a valid private key");
    }
    const interfaces = (options.errorInterfaces ?? []).map((abi) => Interface.from(abi));

    const request = new FetchRequest(url);
    request.timeout = requestTimeoutMs;
    if (username !== undefined) {
      request.allowInsecureAuthentication = url.startsWith("http:");
      request.setCredentials(username, password ?? "");
    }

    const closing = new AbortController();
    let chainId: bigint;
    try {
      chainId = await rpcRetry(
        () => fetchChainId(request),
        "eth_chainId",
        resolved,
        closing.signal,
        logger,
        options.metrics,
      );
    } catch (error) {
      if (error instanceof ChainError) throw error;
      throw new ChainError("config", `eth_chainId at ${url} failed: ${messageOf(error)}`, { cause: error });
    }
    if (options.chainId !== undefined && BigInt(options.chainId) !== chainId) {
      throw new ChainError(
        "config",
        `chainId: the node at ${url} is on chain ${chainId}, expected ${BigInt(options.chainId)}`,
      );
    }
    const network = Network.from(chainId);
    const crossCheck = await connectCrossChecks(
      options,
      resolved,
      requestTimeoutMs,
      chainId,
      closing,
      logger,
    );
    const provider =
      crossCheck.nodes.length === 0
        ? new JsonRpcProvider(request, network, {
            staticNetwork: network,
            batchMaxCount: 1,
            cacheTimeout: -1,
          })
        : new CrossCheckedProvider(
            request,
            network,
            url,
            crossCheck.nodes,
            positiveInt(
              "crossCheckMaxLagBlocks",
              options.crossCheckMaxLagBlocks,
              DEFAULT_CROSS_CHECK_MAX_LAG_BLOCKS,
            ),
            disagreementReporter(logger, options.metrics),
          );
    const client = new ChainClient({
      provider,
      wallet: wallet.connect(provider),
      chainId,
      rpcUrl: url,
      db: options.db,
      options: resolved,
      logger,
      metrics: options.metrics,
      interfaces,
    });
    client.crossChecks = crossCheck.providers;
    logger.info(
      {
        event: "chain.connected",
        rpcUrl: url,
        crossCheckRpcUrls: crossCheck.nodes.map((n) => n.url),
        chainId: chainId.toString(),
        account: client.address,
      },
      "chain client connected",
    );
    return client;
  }

  /** The latest block number (retried); a `transient` ChainError if the RPC stays unreachable. */
  async blockNumber(): Promise<number> {
    return this.rpc("eth_blockNumber", () => this.provider.getBlockNumber());
  }

  /** The recorded operation, if any. */
  operation(opId: string): OperationRecord | undefined {
    return this.log.get(opId);
  }

  /**
   * Sends `op` once (see the module comment). Resolves when a transaction of the operation is mined at the
   * configured depth, or when `effectDone` says its effect is there. Concurrent calls with the same opId share
   * one run. Throws a {@link ChainError}: `reverted` (with the decoded custom error), `transient` (the operation
   * stays recorded; call again or `recover`), `nonce`, `config`.
   */
  send(op: Operation, options: SendOptions = {}): Promise<SendResult> {
    let prepared: { opId: string; to: string; data: string; value: bigint; gasLimit?: bigint };
    try {
      prepared = this.prepare(op);
    } catch (error) {
      return Promise.reject(error);
    }
    const running = this.inflight.get(prepared.opId);
    if (running !== undefined) return running;
    const promise = (async () => {
      this.assertOpen(prepared.opId);
      const existing = this.log.get(prepared.opId);
      if (existing === undefined) {
        this.log.insert(prepared, this.address);
      } else {
        this.assertSame(existing, prepared);
      }
      return this.drive(prepared.opId, {
        effectDone: options.effectDone,
        iface: options.errors === undefined ? undefined : Interface.from(options.errors),
        waitTimeoutMs: options.waitTimeoutMs ?? this.options.waitTimeoutMs,
      });
    })().finally(() => this.inflight.delete(prepared.opId));
    this.inflight.set(prepared.opId, promise);
    return promise;
  }

  /**
   * After a restart: reconciles every unfinished operation of this account with the chain and drives it to
   * the end. Signed transactions are first handled one by one in nonce order — mined → done; nonce taken by
   * another transaction → `effectDone`/resend; still pending or dropped → re-broadcast with the same nonce and
   * bumped fees — then all are awaited together. Never throws for one operation: each outcome is returned.
   * Operations in `failed` state are left alone (the agent decides whether to send them again).
   */
  async recover(options: RecoverOptions = {}): Promise<RecoverOutcome[]> {
    this.assertOpen();
    const ops = this.log.unfinished(this.address);
    this.logger.info({ event: "chain.recover", operations: ops.length }, "recovering chain operations");
    this.nonces.invalidate();
    const contexts = new Map(
      ops.map((op) => {
        const abi = options.errors?.(op);
        const effect = options.effectDone;
        return [
          op.opId,
          {
            effectDone: effect === undefined ? undefined : () => effect(this.log.get(op.opId) ?? op),
            iface: abi === undefined ? undefined : Interface.from(abi),
            waitTimeoutMs: this.options.waitTimeoutMs,
          },
        ] as const;
      }),
    );
    // Phase 1, in nonce order: what is mined is done, what is pending or dropped goes out again with more fee.
    for (const op of ops) {
      if (op.status !== "sent" || this.inflight.has(op.opId)) continue;
      try {
        const state = await this.chainState(op);
        if (state.kind === "pending" && state.tx !== undefined) {
          await this.replace(op, state.tx, "recover");
        }
      } catch (error) {
        this.logger.warn(
          { event: "chain.recover.error", opId: op.opId, err: messageOf(error) },
          "could not re-broadcast an operation",
        );
      }
    }
    // Phase 2: drive each one to its end.
    const outcomes = await Promise.all(
      ops.map(async (op): Promise<RecoverOutcome> => {
        try {
          const running = this.inflight.get(op.opId);
          const result = await (running ?? this.driveShared(op.opId, contexts.get(op.opId)!));
          return { opId: op.opId, outcome: result.via, txHash: result.txHash };
        } catch (error) {
          const chainError = this.wrap(error, op.opId);
          return {
            opId: op.opId,
            outcome: chainError.kind === "reverted" ? "reverted" : "error",
            txHash: this.log.get(op.opId)?.txHash ?? null,
            error: chainError,
          };
        }
      }),
    );
    this.logger.info(
      { event: "chain.recovered", outcomes: outcomes.map((o) => `${o.opId}:${o.outcome}`) },
      "chain operations recovered",
    );
    return outcomes;
  }

  /**
   * Stops the client: waits and retries in progress end with a `transient` ChainError ("client closed") and
   * the provider is destroyed. Recorded operations stay as they are, for `recover` in the next run.
   */
  close(): void {
    if (this.closing.signal.aborted) return;
    this.closing.abort(new ChainError("transient", "chain client closed"));
    this.provider.destroy();
    for (const p of this.crossChecks) p.destroy();
  }

  // ----- the state machine -----

  private driveShared(
    opId: string,
    ctx: { effectDone?: () => Promise<boolean>; iface?: Interface; waitTimeoutMs: number },
  ): Promise<SendResult> {
    const promise = this.drive(opId, ctx).finally(() => this.inflight.delete(opId));
    this.inflight.set(opId, promise);
    return promise;
  }

  private async drive(
    opId: string,
    ctx: { effectDone?: () => Promise<boolean>; iface?: Interface; waitTimeoutMs: number },
  ): Promise<SendResult> {
    const started = Date.now();
    let resets = 0;
    let rebroadcasted = false;
    for (;;) {
      this.assertOpen(opId);
      const op = this.log.get(opId);
      if (op === undefined) throw new ChainError("config", `operation ${opId} is not recorded`, { opId });
      switch (op.status) {
        case "done":
          if (ctx.effectDone !== undefined && (await this.reorgedAway(op, ctx.effectDone))) continue;
          return this.resultOf(op);
        case "reverted":
          throw new ChainError("reverted", op.lastError ?? `operation ${opId} reverted`, {
            opId,
            txHash: op.txHash ?? undefined,
            revert: op.revertName === null ? undefined : { name: op.revertName },
          });
        case "new":
        case "failed": {
          if (resets > MAX_NONCE_RESETS) {
            throw new ChainError(
              "nonce",
              `operation ${opId}: its nonce was taken by other transactions ${resets} times; is another process using account ${this.address}?`,
              { opId },
            );
          }
          if (ctx.effectDone !== undefined && (await this.effectDone(opId, ctx.effectDone))) {
            this.log.markEffectDone(opId);
            this.logger.info(
              { event: "chain.op.effect", opId },
              "operation's effect already on chain; not sent",
            );
            return this.resultOf(this.log.get(opId)!);
          }
          if ((await this.sendNew(op, ctx.iface)) === "nonceTooHigh") resets += 1;
          rebroadcasted = true;
          continue;
        }
        case "sent": {
          const state = await this.chainState(op);
          if (state.kind === "mined") {
            if (!(await this.deepEnough(state.receipt))) {
              await this.sleep(this.options.pollMs, opId);
              continue;
            }
            return this.finish(op, state.receipt, state.tx, ctx.iface);
          }
          if (state.kind === "consumed") {
            resets += 1;
            this.nonces.invalidate();
            const message = `nonce ${op.nonce} was used by another transaction of ${this.address}; none of this operation's transactions was mined`;
            this.log.release(opId, "new", message);
            this.logger.warn({ event: "chain.op.replaced", opId, nonce: op.nonce }, message);
            continue;
          }
          if (Date.now() - started > ctx.waitTimeoutMs) {
            const message = `operation ${opId}: transaction ${op.txHash} (nonce ${op.nonce}) not mined within ${ctx.waitTimeoutMs} ms`;
            this.log.noteError(opId, message);
            throw new ChainError("transient", message, { opId, txHash: op.txHash ?? undefined });
          }
          if (state.tx !== undefined) {
            if (Date.now() - state.tx.createdAt >= this.options.bumpAfterMs) {
              await this.replace(op, state.tx, "stuck");
            } else if (!rebroadcasted) {
              // After a restart or an unknown broadcast outcome: make sure the node has it.
              await this.rebroadcast(op, state.tx);
            }
          }
          rebroadcasted = true;
          await this.sleep(this.options.pollMs, opId);
          continue;
        }
      }
    }
  }

  /** Estimates, takes a nonce, signs, persists, broadcasts. Leaves the operation `sent`, `new` or `failed`. */
  private async sendNew(op: OperationRecord, iface: Interface | undefined): Promise<BroadcastOutcome> {
    const opId = op.opId;
    let gasLimit = op.gasLimit;
    if (gasLimit === null) {
      let estimate: bigint;
      try {
        estimate = await this.rpc(
          "eth_estimateGas",
          () => this.provider.estimateGas({ from: this.address, to: op.to, data: op.data, value: op.value }),
          opId,
        );
      } catch (error) {
        if (isError(error, "CALL_EXCEPTION")) {
          const revert = this.decodeRevert(error.data ?? undefined, iface);
          const message = `operation ${opId} reverts (at gas estimation; nothing sent): ${describeRevert(revert)}`;
          this.log.release(opId, "failed", message, revert.name ?? null);
          this.logger.warn({ event: "chain.op.revert", opId, revert: revert.name ?? revert.data }, message);
          throw new ChainError("reverted", message, { opId, revert, cause: error });
        }
        if (isError(error, "INSUFFICIENT_FUNDS")) {
          const message = `operation ${opId}: insufficient funds in ${this.address}`;
          this.log.release(opId, "failed", message);
          throw new ChainError("config", message, { opId, cause: error });
        }
        throw this.wrap(error, opId);
      }
      gasLimit = (estimate * (100n + this.options.gasMarginPercent)) / 100n;
    }
    const fees = await this.fees(opId);

    return this.mutex.run(async (): Promise<BroadcastOutcome> => {
      this.assertOpen(opId);
      const nonce = await this.nonces.take();
      const tx = await this.sign(op, nonce, gasLimit, fees);
      this.log.recordTx(tx); // before it can reach the node
      let outcome: BroadcastOutcome;
      try {
        outcome = await this.broadcast(tx);
      } catch (error) {
        const chainError = this.wrap(error, opId, tx.txHash);
        if (chainError.kind === "transient") {
          // Unknown whether the node has it: keep it recorded (reconciled later), re-read the nonce next time.
          this.nonces.invalidate();
          this.log.noteError(opId, chainError.message);
        } else {
          this.nonces.giveBack(nonce);
          this.log.release(opId, "failed", chainError.message);
          logPage(this.logger, "txFailed", { opId, nonce, err: chainError.message });
        }
        throw chainError;
      }
      switch (outcome) {
        case "accepted":
          this.metrics?.get("holo_tx_sent_total").inc({ op: opKind(opId) });
          this.logger.info({ event: "chain.op.sent", opId, nonce, txHash: tx.txHash }, "transaction sent");
          return outcome;
        case "nonceTooLow":
        case "underpriced":
          // The nonce is used (mined or pending) by another transaction: reconciled by the caller's loop.
          this.nonces.invalidate();
          this.logger.warn({ event: "chain.nonce", opId, nonce, outcome }, "nonce already used; reconciling");
          return outcome;
        case "nonceTooHigh":
          // The node refused it (a gap below): no node has it, so it can never be mined.
          this.nonces.invalidate();
          this.log.release(opId, "new", `nonce ${nonce} refused as too high`);
          this.logger.warn(
            { event: "chain.nonce", opId, nonce, outcome },
            "nonce refused as too high; retaking",
          );
          return outcome;
      }
    });
  }

  /** A transaction with the same nonce and gas limit and higher fees, persisted then broadcast. */
  private async replace(
    op: OperationRecord,
    latest: SignedTxRecord,
    why: "stuck" | "recover",
  ): Promise<void> {
    const opId = op.opId;
    const current = await this.fees(opId, true);
    const bump = (v: bigint) => (v * (100n + this.options.feeBumpPercent) + 99n) / 100n;
    let fees: Fees = {
      maxFeePerGas: max(bump(latest.maxFeePerGas), current.maxFeePerGas),
      maxPriorityFeePerGas: max(bump(latest.maxPriorityFeePerGas), current.maxPriorityFeePerGas),
    };
    const cap = this.options.maxFeePerGas;
    if (cap !== undefined && fees.maxFeePerGas > cap) {
      if (latest.maxFeePerGas >= cap) {
        this.logger.warn(
          { event: "chain.fee.cap", opId, cap: cap.toString() },
          "at the fee cap; re-broadcasting",
        );
        await this.rebroadcast(op, latest);
        return;
      }
      fees = { maxFeePerGas: cap, maxPriorityFeePerGas: min(fees.maxPriorityFeePerGas, cap) };
    }
    const tx = await this.sign(op, latest.nonce, latest.gasLimit, fees);
    this.log.recordTx(tx);
    this.logger.info(
      { event: "chain.op.bump", opId, nonce: tx.nonce, txHash: tx.txHash, replaces: latest.txHash, why },
      "re-broadcasting with higher fees",
    );
    const outcome = await this.broadcast(tx).catch((error: unknown) => {
      const chainError = this.wrap(error, opId, tx.txHash);
      if (chainError.kind === "transient") throw chainError;
      this.logger.warn(
        { event: "chain.op.bump.refused", opId, err: chainError.message },
        "replacement refused",
      );
      return "underpriced" as const;
    });
    if (outcome !== "accepted") {
      this.logger.info({ event: "chain.op.bump.outcome", opId, outcome }, "replacement not taken");
    }
  }

  /** The same signed transaction again (a node that lost it takes it back; one that has it says so). */
  private async rebroadcast(op: OperationRecord, tx: SignedTxRecord): Promise<void> {
    try {
      const outcome = await this.broadcast(tx);
      this.logger.debug(
        { event: "chain.op.rebroadcast", opId: op.opId, txHash: tx.txHash, outcome },
        "re-broadcast",
      );
    } catch (error) {
      const chainError = this.wrap(error, op.opId, tx.txHash);
      if (chainError.kind === "transient") throw chainError;
      this.logger.warn(
        { event: "chain.op.rebroadcast.refused", opId: op.opId, err: chainError.message },
        "re-broadcast refused",
      );
    }
  }

  /** Where the operation stands on chain. The mined nonce is read before the receipts: no race. */
  private async chainState(op: OperationRecord): Promise<ChainState> {
    const txs = this.log.transactions(op.opId);
    const minedNonce = await this.rpc(
      "eth_getTransactionCount",
      () => this.provider.getTransactionCount(this.address, "latest"),
      op.opId,
    );
    for (const tx of txs) {
      const receipt = await this.rpc(
        "eth_getTransactionReceipt",
        () => this.provider.getTransactionReceipt(tx.txHash),
        op.opId,
      );
      if (receipt !== null) return { kind: "mined", receipt, tx };
    }
    if (op.nonce !== null && minedNonce > op.nonce) return { kind: "consumed" };
    return { kind: "pending", tx: txs.find((t) => t.nonce === op.nonce) };
  }

  private async deepEnough(receipt: TransactionReceipt): Promise<boolean> {
    if (this.options.confirmations <= 1) return true;
    const head = await this.blockNumber();
    return head - receipt.blockNumber + 1 >= this.options.confirmations;
  }

  private async finish(
    op: OperationRecord,
    receipt: TransactionReceipt,
    tx: SignedTxRecord,
    iface: Interface | undefined,
  ): Promise<SendResult> {
    const opId = op.opId;
    if (op.sentAt !== null) {
      this.metrics?.get("holo_tx_confirm_seconds").observe(Math.max(0, Date.now() - op.sentAt) / 1000);
    }
    if (receipt.status === 1) {
      this.log.markMined(opId, receipt.hash, tx.nonce, receipt.blockNumber);
      this.logger.info(
        { event: "chain.op.mined", opId, nonce: tx.nonce, txHash: receipt.hash, block: receipt.blockNumber },
        "operation mined",
      );
      return {
        opId,
        via: "mined",
        txHash: receipt.hash,
        nonce: tx.nonce,
        blockNumber: receipt.blockNumber,
        receipt,
      };
    }
    const revert = await this.replayRevert(op, receipt, iface);
    const message = `operation ${opId} reverted on chain (tx ${receipt.hash}, block ${receipt.blockNumber}): ${describeRevert(revert)}`;
    this.log.markReverted(opId, receipt.hash, tx.nonce, receipt.blockNumber, revert.name ?? null, message);
    logPage(this.logger, "txFailed", { opId, txHash: receipt.hash, revert: revert.name ?? null }, message);
    throw new ChainError("reverted", message, { opId, txHash: receipt.hash, revert });
  }

  /**
   * A `done` operation sent again whose effect is not on chain any more (a reorg took its block away): when
   * its transaction is neither mined nor known to the node, it goes back to `new` (sent again with a fresh
   * nonce) and `true` is returned. Only with an `effectDone` check: without one, a lagging node could not be
   * told from a reorg.
   */
  private async reorgedAway(op: OperationRecord, effectDone: () => Promise<boolean>): Promise<boolean> {
    if (await this.effectDone(op.opId, effectDone)) return false;
    const hash = op.txHash;
    if (hash !== null) {
      const receipt = await this.rpc(
        "eth_getTransactionReceipt",
        () => this.provider.getTransactionReceipt(hash),
        op.opId,
      );
      if (receipt !== null) return false; // mined, and its effect undone since by others: done
      const known = await this.rpc(
        "eth_getTransactionByHash",
        () => this.provider.getTransaction(hash),
        op.opId,
      );
      if (known !== null) return false;
    }
    const message = `operation ${op.opId}: its effect is not on chain any more and its transaction ${hash ?? "(none)"} is unknown to the node (a reorg?); sending it again`;
    this.nonces.invalidate();
    this.log.release(op.opId, "new", message);
    this.logger.warn({ event: "chain.op.reorged", opId: op.opId, txHash: hash }, message);
    return true;
  }

  private async resultOf(op: OperationRecord): Promise<SendResult> {
    if (op.doneBy === "effect" || op.txHash === null) {
      return { opId: op.opId, via: "effect", txHash: null, nonce: null, blockNumber: null, receipt: null };
    }
    const hash = op.txHash;
    const receipt = await this.rpc(
      "eth_getTransactionReceipt",
      () => this.provider.getTransactionReceipt(hash),
      op.opId,
    );
    if (receipt === null) {
      this.logger.warn(
        { event: "chain.op.receipt.missing", opId: op.opId, txHash: hash },
        "a done operation's receipt is not on this node (reorg deeper than the confirmation depth, or another chain?)",
      );
    }
    return {
      opId: op.opId,
      via: "mined",
      txHash: hash,
      nonce: op.nonce,
      blockNumber: op.blockNumber,
      receipt,
    };
  }

  // ----- the pieces -----

  private prepare(op: Operation): {
    opId: string;
    to: string;
    data: string;
    value: bigint;
    gasLimit?: bigint;
  } {
    const opId = op?.opId;
    if (typeof opId !== "string" || opId.length === 0 || opId.length > MAX_OP_ID_LENGTH) {
      throw new ChainError(
        "config",
        `opId must be a non-empty string of at most ${MAX_OP_ID_LENGTH} characters`,
      );
    }
    if (typeof op.to !== "string" || !isAddress(op.to)) {
      throw new ChainError("config", `operation ${opId}: \`to\` is not an address`, { opId });
    }
    if (typeof op.data !== "string" || !isHexString(op.data) || op.data.length % 2 !== 0) {
      throw new ChainError("config", `operation ${opId}: \`data\` is not 0x-hex bytes`, { opId });
    }
    const value = op.value ?? 0n;
    if (typeof value !== "bigint" || value < 0n) {
      throw new ChainError("config", `operation ${opId}: \`value\` must be a bigint >= 0`, { opId });
    }
    if (op.gasLimit !== undefined && (typeof op.gasLimit !== "bigint" || op.gasLimit <= 0n)) {
      throw new ChainError("config", `operation ${opId}: \`gasLimit\` must be a positive bigint`, { opId });
    }
    return { opId, to: getAddress(op.to), data: op.data.toLowerCase(), value, gasLimit: op.gasLimit };
  }

  private assertSame(existing: OperationRecord, op: { to: string; data: string; value: bigint }): void {
    if (existing.account !== this.address) {
      throw new ChainError(
        "config",
        `operation ${existing.opId} was recorded for account ${existing.account}, not ${this.address}`,
        { opId: existing.opId },
      );
    }
    if (existing.to !== op.to || existing.data !== op.data || existing.value !== op.value) {
      throw new ChainError(
        "config",
        `operation ${existing.opId} is already recorded with another target, calldata or value; an opId names one effect`,
        { opId: existing.opId },
      );
    }
  }

  private async effectDone(opId: string, effectDone: () => Promise<boolean>): Promise<boolean> {
    try {
      return await this.retried("effectDone", effectDone, isTransientNetworkError);
    } catch (error) {
      throw this.wrap(error, opId);
    }
  }

  private async fees(opId: string, uncapped = false): Promise<Fees> {
    const data = await this.rpc("fee data", () => this.provider.getFeeData(), opId);
    if (data.maxFeePerGas === null || data.maxPriorityFeePerGas === null) {
      throw new ChainError("config", `the chain at ${this.rpcUrl} has no EIP-1559 fees`, { opId });
    }
    const fees = { maxFeePerGas: data.maxFeePerGas, maxPriorityFeePerGas: data.maxPriorityFeePerGas };
    const cap = this.options.maxFeePerGas;
    if (!uncapped && cap !== undefined && fees.maxFeePerGas > cap) {
      if (fees.maxPriorityFeePerGas >= cap) {
        throw new ChainError(
          "config",
          `operation ${opId}: the priority fee ${fees.maxPriorityFeePerGas} is above the cap ${cap}`,
          { opId },
        );
      }
      return { maxFeePerGas: cap, maxPriorityFeePerGas: fees.maxPriorityFeePerGas };
    }
    return fees;
  }

  private async sign(
    op: OperationRecord,
    nonce: number,
    gasLimit: bigint,
    fees: Fees,
  ): Promise<SignedTxRecord> {
    const raw = await this.wallet.signTransaction({
      type: 2,
      chainId: this.chainId,
      nonce,
      to: op.to,
      data: op.data,
      value: op.value,
      gasLimit,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    });
    return {
      txHash: keccak256(raw),
      opId: op.opId,
      nonce,
      raw,
      gasLimit,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      createdAt: Date.now(),
    };
  }

  /**
   * `eth_sendRawTransaction`, transient errors retried. "Already known" is success; nonce errors and
   * underpricing are outcomes for the caller to reconcile; any other refusal is checked against the chain
   * (Hardhat refuses a reverting transaction yet mines it) and else thrown as a `config` ChainError.
   */
  private async broadcast(tx: SignedTxRecord): Promise<BroadcastOutcome> {
    try {
      await this.rpc(
        "eth_sendRawTransaction",
        () => this.provider.send("eth_sendRawTransaction", [tx.raw]),
        tx.opId,
      );
      return "accepted";
    } catch (error) {
      if (error instanceof ChainError) throw error;
      const text = `${messageOf(error)} | ${rpcMessage(error)}`;
      if (/already known|known transaction|already imported|alreadyknown|already exists/i.test(text))
        return "accepted";
      if (isError(error, "NONCE_EXPIRED") || /nonce too low|nonce has already been used/i.test(text)) {
        return "nonceTooLow";
      }
      if (/nonce too high/i.test(text)) return "nonceTooHigh";
      if (isError(error, "REPLACEMENT_UNDERPRICED") || /underpriced/i.test(text)) return "underpriced";
      if (await this.nodeHas(tx.txHash, tx.opId)) return "accepted";
      if (isError(error, "INSUFFICIENT_FUNDS")) {
        throw new ChainError("config", `operation ${tx.opId}: insufficient funds in ${this.address}`, {
          opId: tx.opId,
          txHash: tx.txHash,
          cause: error,
        });
      }
      throw new ChainError(
        "config",
        `operation ${tx.opId}: the node refused the transaction: ${nodeMessage(error)}`,
        {
          opId: tx.opId,
          txHash: tx.txHash,
          cause: error,
        },
      );
    }
  }

  private async nodeHas(txHash: string, opId: string): Promise<boolean> {
    const receipt = await this.rpc(
      "eth_getTransactionReceipt",
      () => this.provider.getTransactionReceipt(txHash),
      opId,
    );
    if (receipt !== null) return true;
    const pending = await this.rpc(
      "eth_getTransactionByHash",
      () => this.provider.getTransaction(txHash),
      opId,
    );
    return pending !== null;
  }

  /** The revert of a mined transaction, by replaying the call on the state before its block (best effort). */
  private async replayRevert(
    op: OperationRecord,
    receipt: TransactionReceipt,
    iface: Interface | undefined,
  ): Promise<RevertInfo> {
    try {
      await this.rpc(
        "eth_call",
        () =>
          this.provider.call({
            from: this.address,
            to: op.to,
            data: op.data,
            value: op.value,
            blockTag: Math.max(0, receipt.blockNumber - 1),
          }),
        op.opId,
      );
      return {};
    } catch (error) {
      if (isError(error, "CALL_EXCEPTION")) return this.decodeRevert(error.data ?? undefined, iface);
      return {};
    }
  }

  private decodeRevert(data: string | undefined, iface: Interface | undefined): RevertInfo {
    if (data === undefined || data === "0x" || !isHexString(data)) return data === undefined ? {} : { data };
    for (const candidate of [...(iface === undefined ? [] : [iface]), ...this.interfaces, BUILTIN_ERRORS]) {
      try {
        const parsed = candidate.parseError(data);
        if (parsed !== null) {
          return { name: parsed.name, signature: parsed.signature, args: [...parsed.args], data };
        }
      } catch {
        // not this interface
      }
    }
    return { data };
  }

  /** A JSON-RPC call with the client's retries; a `transient` ChainError once they are spent. */
  private async rpc<T>(label: string, fn: () => Promise<T>, opId?: string): Promise<T> {
    try {
      return await this.retried(label, fn, isTransientRpcError);
    } catch (error) {
      if (error instanceof ChainError) throw this.wrap(error, opId);
      if (error instanceof RetryAbortedError || isTransientRpcError(error)) throw this.wrap(error, opId);
      throw error;
    }
  }

  private retried<T>(
    label: string,
    fn: () => Promise<T>,
    retryable: (error: unknown) => boolean,
  ): Promise<T> {
    return rpcRetry(fn, label, this.options, this.closing.signal, this.logger, this.metrics, retryable);
  }

  private async sleep(ms: number, opId: string): Promise<void> {
    try {
      await realClock.sleep(ms, this.closing.signal);
    } catch {
      this.assertOpen(opId);
    }
  }

  private assertOpen(opId?: string): void {
    if (this.closing.signal.aborted) {
      throw new ChainError("transient", "chain client closed", { opId });
    }
  }

  /** Any error as a ChainError (transient network failures, aborts and closing as `transient`). */
  private wrap(error: unknown, opId?: string, txHash?: string): ChainError {
    if (error instanceof ChainError) {
      if (error.opId !== undefined || opId === undefined) return error;
      if (error instanceof RpcDisagreementError) {
        return new RpcDisagreementError(
          error.method,
          error.message.replace(/^RpcDisagreement: /, ""),
          error.answers,
          {
            opId,
          },
        );
      }
      return new ChainError(error.kind, error.message, {
        opId,
        txHash: error.txHash ?? txHash,
        revert: error.revert,
        cause: error.cause,
      });
    }
    if (this.closing.signal.aborted)
      return new ChainError("transient", "chain client closed", { opId, txHash });
    if (error instanceof RetryAbortedError) {
      return new ChainError("transient", `${error.message}`, { opId, txHash, cause: error.cause });
    }
    if (isTransientRpcError(error)) {
      return new ChainError("transient", `RPC ${this.rpcUrl} unreachable: ${messageOf(error)}`, {
        opId,
        txHash,
        cause: error,
      });
    }
    return new ChainError("config", messageOf(error), { opId, txHash, cause: error });
  }
}

/**
 * Connects to each of `options.crossCheckRpcUrls` (credentials as basic auth, retried like the primary) and
 * checks it is on chain `chainId`; a bad URL or another chain is a `config` ChainError naming it.
 */
async function connectCrossChecks(
  options: ChainClientOptions,
  resolved: ResolvedOptions,
  requestTimeoutMs: number,
  chainId: bigint,
  closing: AbortController,
  logger: Logger,
): Promise<{ nodes: CrossCheckNode[]; providers: JsonRpcProvider[] }> {
  const urls = options.crossCheckRpcUrls ?? [];
  if (!Array.isArray(urls)) throw new ChainError("config", "crossCheckRpcUrls must be an array of URLs");
  const nodes: CrossCheckNode[] = [];
  const providers: JsonRpcProvider[] = [];
  for (const [i, raw] of urls.entries()) {
    let parts: { url: string; username?: string; password?: string };
    try {
      parts = splitCredentials(String(raw));
    } catch (error) {
      throw new ChainError("config", `crossCheckRpcUrls[${i}]: ${messageOf(error)}`);
    }
    const request = new FetchRequest(parts.url);
    request.timeout = requestTimeoutMs;
    if (parts.username !== undefined) {
      request.allowInsecureAuthentication = parts.url.startsWith("http:");
      request.setCredentials(parts.username, parts.password ?? "");
    }
    let other: bigint;
    try {
      other = await rpcRetry(
        () => fetchChainId(request),
        `eth_chainId (crossCheckRpcUrls[${i}])`,
        resolved,
        closing.signal,
        logger,
        options.metrics,
      );
    } catch (error) {
      if (error instanceof ChainError) throw error;
      throw new ChainError(
        "config",
        `crossCheckRpcUrls[${i}]: eth_chainId at ${parts.url} failed: ${messageOf(error)}`,
      );
    }
    if (other !== chainId) {
      throw new ChainError(
        "config",
        `crossCheckRpcUrls[${i}]: the node at ${parts.url} is on chain ${other}, the primary RPC on chain ${chainId}`,
      );
    }
    const network = Network.from(chainId);
    const provider = new JsonRpcProvider(request, network, {
      staticNetwork: network,
      batchMaxCount: 1,
      cacheTimeout: -1,
    });
    providers.push(provider);
    nodes.push({ url: parts.url, send: (method, params) => provider.send(method, params) });
  }
  return { nodes, providers };
}

/** Counts and logs a disagreement: a page (`rpcDisagreement`) per method at most once a minute, else `warn`. */
function disagreementReporter(
  logger: Logger,
  metrics: AgentMetrics | undefined,
): (error: RpcDisagreementError) => void {
  const counter = metrics === undefined ? undefined : disagreementCounter(metrics);
  const lastPage = new Map<string, number>();
  return (error) => {
    counter?.inc({ method: error.method });
    const fields = { method: error.method, answers: error.answers, err: error.message };
    const last = lastPage.get(error.method);
    if (last === undefined || Date.now() - last >= DISAGREEMENT_PAGE_EVERY_MS) {
      lastPage.set(error.method, Date.now());
      logPage(logger, "rpcDisagreement", fields, "the RPCs disagree on a read; not acting on it");
    } else {
      logger.warn(
        { event: "chain.rpc.disagreement", ...fields },
        "the RPCs still disagree; not acting on it",
      );
    }
  };
}

/** `holo_chain_rpc_disagreements_total{method}`, in the agent's own registry. */
export const DISAGREEMENTS_METRIC = "holo_chain_rpc_disagreements_total";

function disagreementCounter(metrics: AgentMetrics): Counter<"method"> {
  const existing = metrics.registry.getSingleMetric(DISAGREEMENTS_METRIC);
  if (existing !== undefined) return existing as Counter<"method">;
  return new Counter({
    name: DISAGREEMENTS_METRIC,
    help: "Reads the cross-check RPCs answered differently from the primary RPC (not acted on), by method",
    labelNames: ["method"],
    registers: [metrics.registry],
  });
}

/** Knows the builtin `Error(string)` and `Panic(uint256)`. */
const BUILTIN_ERRORS = new Interface([]);

function describeRevert(revert: RevertInfo): string {
  if (revert.name === undefined)
    return revert.data === undefined ? "no revert data" : `revert data ${revert.data}`;
  const args = (revert.args ?? []).map((a) => (typeof a === "string" ? JSON.stringify(a) : String(a)));
  return `${revert.name}(${args.join(", ")})`;
}

/** The kind of operation for metrics: the opId up to its first `:` (`post:abc` → `post`). */
function opKind(opId: string): string {
  const i = opId.indexOf(":");
  return i > 0 ? opId.slice(0, i) : "other";
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** Transient for a JSON-RPC call: network failures, and the JSON-RPC "limit exceeded" / rate-limit answers. */
export function isTransientRpcError(error: unknown): boolean {
  if (error instanceof RpcDisagreementError) return false; // paged; the caller retries later, not at once
  if (error instanceof CrossCheckLagError) return true;
  if (isTransientNetworkError(error)) return true;
  const text = rpcMessage(error);
  return /rate limit|too many requests|limit exceeded|header not found|request timed out/i.test(text);
}

/** `eth_chainId` over a bare request (the provider needs the chain id first). */
async function fetchChainId(base: FetchRequest): Promise<bigint> {
  const request = base.clone();
  request.body = { jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] };
  const response = await request.send();
  response.assertOk();
  const body = response.bodyJson as { result?: unknown; error?: { message?: string } };
  if (typeof body?.result !== "string") {
    throw new ChainError("config", `eth_chainId: unexpected answer (${body?.error?.message ?? "no result"})`);
  }
  return BigInt(body.result);
}

/** {@link retry} for at most `windowMs` (or until `closing` aborts), logging each retry as a warning. */
async function rpcRetry<T>(
  fn: () => Promise<T>,
  label: string,
  options: Pick<ResolvedOptions, "retryWindowMs" | "retryBaseMs" | "retryMaxMs">,
  closing: AbortSignal,
  logger: Logger,
  metrics: AgentMetrics | undefined,
  retryable: (error: unknown) => boolean = isTransientRpcError,
): Promise<T> {
  const signal = AbortSignal.any([closing, AbortSignal.timeout(Math.max(1, options.retryWindowMs))]);
  try {
    return await retry(
      async () => {
        try {
          return await fn();
        } catch (error) {
          if (retryable(error)) metrics?.get("holo_chain_rpc_errors_total").inc();
          throw error;
        }
      },
      {
        attempts: options.retryWindowMs === 0 ? 1 : 1_000_000,
        baseMs: options.retryBaseMs,
        maxMs: options.retryMaxMs,
        retryable,
        signal,
        label,
        onRetry: (event) =>
          logger.warn(
            {
              event: "chain.rpc.retry",
              call: label,
              attempt: event.attempt,
              delayMs: event.delayMs,
              err: messageOf(event.error),
            },
            "RPC call failed; retrying",
          ),
      },
    );
  } catch (error) {
    if (error instanceof RetryAbortedError) {
      if (closing.aborted) throw new ChainError("transient", "chain client closed", { cause: error.cause });
      throw new ChainError(
        "transient",
        `${label} failed for ${options.retryWindowMs} ms: ${messageOf(error.cause ?? error)}`,
        { cause: error.cause },
      );
    }
    if (retryable(error)) {
      throw new ChainError("transient", `${label} failed: ${messageOf(error)}`, { cause: error });
    }
    throw error;
  }
}

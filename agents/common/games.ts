/**
 * The game player shared by the watcher (challenging) and the compute unit (defending): it plays every
 * dispute game in which this agent's address is a party, idempotently and crash-safely (docs/agents.md §2,
 * §3; docs/dispute-game.md).
 *
 * - Every game is a row of the `games` table ({@link GAMES_SCHEMA}) written before the game is acted on:
 *   its context (commitment, challenger, bond), our side, the current segment, its status and clocks.
 * - Games are discovered from `GameOpened` events (a block cursor in the store's `meta` table): those
 *   we opened, and those against commitments we posted.
 * - The segment is never trusted from memory alone: it is checked against the contract's `segmentHash`
 *   and, when the game moved on, rebuilt from the `Bisected` events.
 * - Every transaction goes through {@link ChainClient.send} with a deterministic opId
 *   (`open:<commitmentId>:<address>`, `move:<gameId>:<segmentHash>`, `timeout:<gameId>`,
 *   `resolve:<gameId>`, `claim:<address>:<amount>:<block>`) and an `effectDone` check, so a restart never
 *   makes a move twice.
 * - The player never decides honesty: `traceFor` gives our trace, and the honest strategy of
 *   `sdk/ts/dispute` (`respond`) picks each move from it.
 */
import { AbiCoder, keccak256, ZeroAddress, ZeroHash } from "ethers";

import {
  DisputeError,
  openingSegment,
  respond,
  StepKind,
  type GameTrace,
  type Move,
  type Segment,
} from "../../sdk/ts/dispute";
import {
  commitmentFromEvent,
  commitmentId,
  COMMITMENT_ABI_TYPE,
  type Commitment,
} from "../../sdk/ts/results";

export { commitmentFromEvent };
import {
  DisputeGame__factory,
  ResultRegistry__factory,
  StakeManager__factory,
  type DisputeGame,
  type ResultRegistry,
  type StakeManager,
} from "../../typechain-types";
import { ChainError, type ChainClient } from "./chain";
import { logPage, withContext, type Logger } from "./log";
import type { AgentMetrics } from "./metrics";
import type { Store } from "./store";

/** The `games` table; created by {@link GamePlayer.open} in any agent's store. */
export const GAMES_SCHEMA = `
  CREATE TABLE IF NOT EXISTS games (
    id TEXT PRIMARY KEY,                 -- gameId = keccak256(abi.encode(GameContext)), lower case
    commitment_id TEXT NOT NULL,
    commitment TEXT NOT NULL,            -- the Commitment as JSON (bigints as decimal strings)
    challenger TEXT NOT NULL,            -- GameContext.challenger
    bond TEXT NOT NULL,                  -- GameContext.bond (decimal)
    role TEXT NOT NULL,                  -- challenger | defender
    side INTEGER NOT NULL,               -- our side: 0 asserter, 1 challenger
    seg_start TEXT NOT NULL,             -- the current segment (decimal start and length, JSON points)
    seg_length TEXT NOT NULL,
    seg_points TEXT NOT NULL,
    seg_block INTEGER NOT NULL,          -- the block of the event that set the segment
    status TEXT NOT NULL,                -- active | startProven | won | lost | cancelled
    turn INTEGER,                        -- as last seen on chain
    asserter_left INTEGER,
    challenger_left INTEGER,
    last_move_at INTEGER,
    deadline INTEGER,                    -- when the side to move runs out of time (unix seconds)
    moves INTEGER NOT NULL DEFAULT 0,    -- moves we sent
    last_error TEXT,
    updated_at INTEGER NOT NULL,
    ended_block INTEGER                  -- the head when we saw it end: re-read until reorgDepthBlocks deep
  );
  CREATE INDEX IF NOT EXISTS games_status ON games (status);
`;

const CURSOR_KEY = "games.cursor";
/** The default of {@link GamePlayerOptions.reorgDepthBlocks}. */
export const DEFAULT_REORG_DEPTH_BLOCKS = 64;
const LOG_RANGE = 5_000;

/** `IDisputeGame.Status`. */
export const GAME_STATUS = {
  None: 0,
  Active: 1,
  StartProven: 2,
  AsserterWon: 3,
  ChallengerWon: 4,
  Cancelled: 5,
} as const;

export type GameRole = "challenger" | "defender";
export type GameRowStatus = "active" | "startProven" | "won" | "lost" | "cancelled";

/** A game as the player keeps it. */
export interface GameRecord {
  id: string;
  commitmentId: string;
  commitment: Commitment;
  challenger: string;
  bond: bigint;
  role: GameRole;
  /** Our side: 0 asserter, 1 challenger. */
  side: 0 | 1;
  segment: Segment;
  status: GameRowStatus;
  turn: number | null;
  asserterLeft: number | null;
  challengerLeft: number | null;
  lastMoveAt: number | null;
  deadline: number | null;
  moves: number;
  lastError: string | null;
}

/** A bad argument or option of the player; `code` says which. */
export class GameError extends Error {
  override readonly name = "GameError";
  constructor(
    readonly code: "BadOption" | "BadCommitment" | "UnknownParent" | "UnknownCommitment" | "NotOpened",
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export interface GamePlayerOptions {
  store: Store;
  chain: ChainClient;
  disputeGame: string;
  resultRegistry: string;
  stakeManager: string;
  /** Our trace of a commitment (honest, or a liar's in the devnet's fraud scenario). */
  traceFor(c: Commitment): Promise<GameTrace>;
  logger: Logger;
  /** `holo_watcher_games_open` and `holo_watcher_clock_margin_seconds` are set when given. */
  metrics?: AgentMetrics;
  /** The expected time to compute and send one answer, in seconds (default 60): pages below twice it. */
  marginSec?: number;
  /** The first block scanned for games and commitments (default 0). */
  fromBlock?: number;
  /**
   * How many blocks deep a game's end must be before the player stops re-reading it (default 64). A game whose
   * end (a timeout, the last proof, a resolution) a reorg takes away is played again, with the same opIds.
   */
  reorgDepthBlocks?: number;
}

/** What one {@link GamePlayer.tick} did. */
export interface TickReport {
  discovered: string[];
  moves: string[];
  timeouts: string[];
  resolved: string[];
  ended: string[];
  /** Games found open again after a reorg took their end away, or re-opened after it took their opening. */
  reorged: string[];
}

interface GameRow {
  id: string;
  commitment_id: string;
  commitment: string;
  challenger: string;
  bond: string;
  role: GameRole;
  side: number;
  seg_start: string;
  seg_length: string;
  seg_points: string;
  seg_block: number;
  status: GameRowStatus;
  turn: number | null;
  asserter_left: number | null;
  challenger_left: number | null;
  last_move_at: number | null;
  deadline: number | null;
  moves: number;
  last_error: string | null;
  ended_block: number | null;
}

export function commitmentToJson(c: Commitment): string {
  return JSON.stringify({
    ...c,
    firstSlot: c.firstSlot.toString(),
    lastSlot: c.lastSlot.toString(),
    stake: c.stake.toString(),
  });
}

export function commitmentFromJson(s: string): Commitment {
  const o = JSON.parse(s) as Record<string, string>;
  return {
    process: o.process,
    parent: o.parent,
    firstSlot: BigInt(o.firstSlot),
    lastSlot: BigInt(o.lastSlot),
    lastAssignmentHash: o.lastAssignmentHash,
    stateHash: o.stateHash,
    resultsRoot: o.resultsRoot,
    arweaveRef: o.arweaveRef,
    poster: o.poster,
    stake: BigInt(o.stake),
  };
}

/** The zero commitment: the `parent` argument when a commitment continues the initial state. */
export const NO_PARENT: Commitment = Object.freeze({
  process: ZeroHash,
  parent: ZeroHash,
  firstSlot: 0n,
  lastSlot: 0n,
  lastAssignmentHash: ZeroHash,
  stateHash: ZeroHash,
  resultsRoot: ZeroHash,
  arweaveRef: ZeroHash,
  poster: ZeroAddress,
  stake: 0n,
});

const CONTEXT_ABI_TYPE = `tuple(${COMMITMENT_ABI_TYPE} commitment,address challenger,uint96 bond)`;

/** `IDisputeGame.gameId(ctx)`: keccak256(abi.encode(ctx)). */
export function gameIdOf(c: Commitment, challenger: string, bond: bigint): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode([CONTEXT_ABI_TYPE], [{ commitment: c, challenger, bond }]),
  );
}

/** The contract's segment hash: keccak256(abi.encode(uint128 start, uint128 length, bytes32[] points)). */
export function segmentHash(seg: Segment): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["uint128", "uint128", "bytes32[]"],
      [seg.start, seg.length, seg.points],
    ),
  );
}

function checkCommitment(c: Commitment): void {
  const hex32 = /^0x[0-9a-fA-F]{64}$/;
  const bad = (what: string) => {
    throw new GameError("BadCommitment", `the commitment's ${what} is malformed`);
  };
  if (typeof c !== "object" || c === null) bad("content");
  for (const k of [
    "process",
    "parent",
    "lastAssignmentHash",
    "stateHash",
    "resultsRoot",
    "arweaveRef",
  ] as const) {
    if (typeof c[k] !== "string" || !hex32.test(c[k])) bad(k);
  }
  if (typeof c.poster !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(c.poster)) bad("poster");
  for (const k of ["firstSlot", "lastSlot", "stake"] as const) {
    if (typeof c[k] !== "bigint" || c[k] < 0n) bad(k);
  }
  if (c.lastSlot < c.firstSlot) bad("slot range");
}

export class GamePlayer {
  readonly address: string;
  private readonly game: DisputeGame;
  private readonly results: ResultRegistry;
  private readonly stake: StakeManager;
  private readonly traces = new Map<string, Promise<GameTrace>>();
  private readonly paged = new Set<string>();
  private readonly marginSec: number;
  private degree = 0;
  private bond = 0n;
  /** The game contract's `clockExtension` (seconds): the least time a side has for any move. */
  clockExtension = 0n;

  private constructor(private readonly o: GamePlayerOptions) {
    this.address = o.chain.address;
    this.game = DisputeGame__factory.connect(o.disputeGame, o.chain.provider);
    this.results = ResultRegistry__factory.connect(o.resultRegistry, o.chain.provider);
    this.stake = StakeManager__factory.connect(o.stakeManager, o.chain.provider);
    this.marginSec = o.marginSec ?? 60;
  }

  /** Checks the options, creates the `games` table and reads the game's parameters from the chain. */
  static async open(o: GamePlayerOptions): Promise<GamePlayer> {
    const addr = /^0x[0-9a-fA-F]{40}$/;
    for (const k of ["disputeGame", "resultRegistry", "stakeManager"] as const) {
      if (typeof o[k] !== "string" || !addr.test(o[k])) {
        throw new GameError(
          "BadOption",
          `GamePlayer.open: ${k} must be a contract address, got ${String(o[k])}`,
        );
      }
    }
    if (typeof o.traceFor !== "function")
      throw new GameError("BadOption", "GamePlayer.open: traceFor is required");
    if (o.marginSec !== undefined && !(Number.isFinite(o.marginSec) && o.marginSec > 0)) {
      throw new GameError(
        "BadOption",
        `GamePlayer.open: marginSec must be a positive number, got ${o.marginSec}`,
      );
    }
    if (
      o.reorgDepthBlocks !== undefined &&
      !(Number.isSafeInteger(o.reorgDepthBlocks) && o.reorgDepthBlocks >= 0)
    ) {
      throw new GameError(
        "BadOption",
        `GamePlayer.open: reorgDepthBlocks must be an integer >= 0, got ${o.reorgDepthBlocks}`,
      );
    }
    o.store.db.exec(GAMES_SCHEMA);
    const columns = o.store.db.prepare("PRAGMA table_info(games)").all() as { name: string }[];
    if (!columns.some((c) => c.name === "ended_block")) {
      o.store.db.exec("ALTER TABLE games ADD COLUMN ended_block INTEGER");
    }
    const p = new GamePlayer(o);
    p.degree = Number(await p.game.degree());
    p.bond = await p.game.challengeBond();
    p.clockExtension = BigInt(await p.game.clockExtension());
    return p;
  }

  // ---- records ---------------------------------------------------------------------------------

  /** Every game recorded, oldest first. */
  games(): GameRecord[] {
    const rows = this.o.store.db.prepare("SELECT * FROM games ORDER BY rowid").all() as GameRow[];
    return rows.map(toRecord);
  }

  /** One recorded game. */
  gameRecord(id: string): GameRecord | undefined {
    const row = this.o.store.db.prepare("SELECT * FROM games WHERE id = ?").get(id.toLowerCase()) as
      GameRow | undefined;
    return row && toRecord(row);
  }

  private insertGame(
    id: string,
    c: Commitment,
    challenger: string,
    bond: bigint,
    seg: Segment,
    block: number,
  ): boolean {
    const role: GameRole =
      challenger.toLowerCase() === this.address.toLowerCase() ? "challenger" : "defender";
    const r = this.o.store.db
      .prepare(
        `INSERT OR IGNORE INTO games (id, commitment_id, commitment, challenger, bond, role, side, seg_start, seg_length,
           seg_points, seg_block, status, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?)`,
      )
      .run(
        id.toLowerCase(),
        commitmentId(c),
        commitmentToJson(c),
        challenger,
        bond.toString(),
        role,
        role === "challenger" ? 1 : 0,
        seg.start.toString(),
        seg.length.toString(),
        JSON.stringify(seg.points),
        block,
        Date.now(),
      );
    if (r.changes > 0) {
      this.o.logger.info(
        { event: "game.recorded", gameId: id, role, commitmentId: commitmentId(c) },
        "game recorded",
      );
    }
    return r.changes > 0;
  }

  // ---- opening -----------------------------------------------------------------------------------

  /** The content of posted commitment `id`, from its `CommitmentPosted` event. */
  async commitmentById(id: string): Promise<Commitment | undefined> {
    const logs = await this.results.queryFilter(
      this.results.filters.CommitmentPosted(id),
      this.o.fromBlock ?? 0,
    );
    const ev = logs[0];
    return ev === undefined ? undefined : commitmentFromEvent(ev.args.c);
  }

  /**
   * Opens a game against `c` as challenger (opId `open:<commitmentId>:<our address>`) and records it;
   * returns the game id. Opening again (or after a crash) sends nothing more.
   */
  async challenge(c: Commitment): Promise<string> {
    checkCommitment(c);
    const cid = commitmentId(c);
    let parent: Commitment = NO_PARENT;
    if (c.parent !== ZeroHash) {
      const p = await this.commitmentById(c.parent);
      if (p === undefined)
        throw new GameError("UnknownParent", `commitment ${cid}: no parent ${c.parent} on chain`);
      parent = p;
    }
    const id = gameIdOf(c, this.address, this.bond);
    const data = this.game.interface.encodeFunctionData("openChallenge", [c, parent]);
    await this.o.chain.send(
      { opId: `open:${cid}:${this.address.toLowerCase()}`, to: this.o.disputeGame, data },
      {
        effectDone: async () => Number((await this.game.game(id)).status) !== GAME_STATUS.None,
        errors: this.game.interface,
      },
    );
    const logs = await this.game.queryFilter(this.game.filters.GameOpened(id), this.o.fromBlock ?? 0);
    const ev = logs[0];
    if (ev === undefined) throw new GameError("NotOpened", `game ${id}: no GameOpened event`);
    const opening = openingSegment(ev.args.steps, ev.args.startPoint, ev.args.endPoint);
    if (!this.insertGame(id, c, this.address, this.bond, opening, ev.blockNumber)) {
      // Recorded before (a restart, or a reorg took the first opening away): play from this opening; the
      // segment is rebuilt from the Bisected events after it.
      this.o.store.db
        .prepare(
          `UPDATE games SET seg_start = ?, seg_length = ?, seg_points = ?, seg_block = ?, updated_at = ? WHERE id = ?`,
        )
        .run(
          opening.start.toString(),
          opening.length.toString(),
          JSON.stringify(opening.points),
          ev.blockNumber,
          Date.now(),
          id.toLowerCase(),
        );
    }
    this.o.logger.info({ event: "game.opened", gameId: id, commitmentId: cid }, "challenge opened");
    return id;
  }

  // ---- the loop ----------------------------------------------------------------------------------

  /** Discovers new games, then plays every active one (move, timeout, resolve) and records outcomes. */
  async tick(): Promise<TickReport> {
    const report: TickReport = {
      discovered: [],
      moves: [],
      timeouts: [],
      resolved: [],
      ended: [],
      reorged: [],
    };
    try {
      report.discovered = await this.discover();
    } catch (error) {
      // Known games are still played; discovery resumes from the cursor next tick.
      this.o.logger.warn(
        { event: "game.discover.retry", err: error instanceof Error ? error.message : String(error) },
        "discovering games failed; retried next tick",
      );
    }
    const head = await this.o.chain.provider.getBlock("latest");
    const now = head?.timestamp ?? Math.floor(Date.now() / 1000);
    const headNumber = head?.number ?? (await this.o.chain.provider.getBlockNumber());
    // The games in play, and the games that ended less than reorgDepthBlocks ago (a reorg may undo an end).
    const active = this.o.store.db
      .prepare(
        `SELECT * FROM games WHERE status IN ('active', 'startProven')
           OR (ended_block IS NOT NULL AND ended_block > ?) ORDER BY rowid`,
      )
      .all(headNumber - (this.o.reorgDepthBlocks ?? DEFAULT_REORG_DEPTH_BLOCKS)) as GameRow[];
    let minMargin: number | undefined;
    for (const row of active) {
      const log = withContext(this.o.logger, {
        gameId: row.id,
        process: commitmentFromJson(row.commitment).process,
      });
      try {
        const wasEnded = row.status !== "active" && row.status !== "startProven";
        const r = await this.step(toRecord(row), now, headNumber, log);
        const isEnded = ["won", "lost", "cancelled"].includes(this.gameRecord(row.id)?.status ?? "");
        if (r.reorged || (wasEnded && !isEnded)) report.reorged.push(row.id);
        if (r.action === "move") report.moves.push(row.id);
        if (r.action === "timeout") report.timeouts.push(row.id);
        if (r.action === "resolve") report.resolved.push(row.id);
        if (r.ended) report.ended.push(row.id);
        if (r.margin !== undefined) minMargin = Math.min(minMargin ?? r.margin, r.margin);
      } catch (error) {
        const msg = error instanceof Error ? error.message : String(error);
        this.o.store.db
          .prepare("UPDATE games SET last_error = ?, updated_at = ? WHERE id = ?")
          .run(msg, Date.now(), row.id);
        if (error instanceof ChainError && error.kind === "reverted") {
          log.warn({ event: "game.move.refused", err: msg, opId: error.opId }, "a move was refused on chain");
        } else {
          log.warn({ event: "game.retry", err: msg }, "playing the game failed; retried next tick");
        }
      }
    }
    const open = (
      this.o.store.db
        .prepare("SELECT COUNT(*) AS n FROM games WHERE status IN ('active', 'startProven')")
        .get() as {
        n: number;
      }
    ).n;
    this.o.metrics?.get("holo_watcher_games_open").set(open);
    this.o.metrics?.get("holo_watcher_clock_margin_seconds").set(minMargin ?? 0);
    return report;
  }

  /** Scans `GameOpened` events from the stored cursor for games we play; returns the new game ids. */
  private async discover(): Promise<string[]> {
    const head = await this.o.chain.provider.getBlockNumber();
    let from = this.o.store.meta.get<number>(CURSOR_KEY) ?? this.o.fromBlock ?? 0;
    const found: string[] = [];
    const me = this.address.toLowerCase();
    while (from <= head) {
      const to = Math.min(head, from + LOG_RANGE - 1);
      const logs = await this.game.queryFilter(this.game.filters.GameOpened(), from, to);
      for (const ev of logs) {
        const id = ev.args.gameId.toLowerCase();
        if (this.gameRecord(id) !== undefined) continue;
        const challenger = ev.args.challenger;
        let c: Commitment | undefined;
        if (challenger.toLowerCase() === me) {
          c = await this.commitmentById(ev.args.commitmentId);
        } else {
          c = await this.commitmentById(ev.args.commitmentId);
          if (c === undefined || c.poster.toLowerCase() !== me) continue;
        }
        if (c === undefined)
          throw new GameError("UnknownCommitment", `game ${id}: commitment ${ev.args.commitmentId}`);
        // The bond of a context is the contract's immutable challengeBond; check the id matches.
        if (gameIdOf(c, challenger, this.bond) !== id) continue;
        const seg = openingSegment(ev.args.steps, ev.args.startPoint, ev.args.endPoint);
        if (this.insertGame(id, c, challenger, this.bond, seg, ev.blockNumber)) found.push(id);
      }
      this.o.store.meta.set(CURSOR_KEY, to + 1);
      from = to + 1;
    }
    return found;
  }

  /** The current segment: the stored one if it hashes to `hash`, else rebuilt from `Bisected` events. */
  private async currentSegment(g: GameRecord, row: GameRow, hash: string): Promise<Segment> {
    if (segmentHash(g.segment) === hash) return g.segment;
    let seg = g.segment;
    let block = row.seg_block;
    const logs = await this.game.queryFilter(this.game.filters.Bisected(g.id), row.seg_block);
    for (const ev of logs) {
      // Bisected(gameId, mover, start, length, points): `length` clashes with the tuple's, so by position.
      const a = ev.args as unknown as readonly [string, bigint, bigint, bigint, readonly string[]];
      const next: Segment = { start: a[2], length: a[3], points: [...a[4]] };
      seg = next;
      block = ev.blockNumber;
      if (segmentHash(seg) === hash) break;
    }
    if (segmentHash(seg) !== hash) {
      // A reorg can replace the moves after the stored segment with others in earlier blocks: replay every
      // move from the game's opening.
      const opened = (
        await this.game.queryFilter(this.game.filters.GameOpened(g.id), this.o.fromBlock ?? 0)
      )[0];
      if (opened !== undefined) {
        seg = openingSegment(opened.args.steps, opened.args.startPoint, opened.args.endPoint);
        block = opened.blockNumber;
        if (segmentHash(seg) !== hash) {
          for (const ev of await this.game.queryFilter(
            this.game.filters.Bisected(g.id),
            opened.blockNumber,
          )) {
            const a = ev.args as unknown as readonly [string, bigint, bigint, bigint, readonly string[]];
            seg = { start: a[2], length: a[3], points: [...a[4]] };
            block = ev.blockNumber;
            if (segmentHash(seg) === hash) break;
          }
        }
      }
    }
    if (segmentHash(seg) !== hash)
      throw new Error(`game ${g.id}: the segment cannot be rebuilt from its events`);
    this.o.store.db
      .prepare(
        "UPDATE games SET seg_start = ?, seg_length = ?, seg_points = ?, seg_block = ?, updated_at = ? WHERE id = ?",
      )
      .run(seg.start.toString(), seg.length.toString(), JSON.stringify(seg.points), block, Date.now(), g.id);
    return seg;
  }

  private traceOf(c: Commitment): Promise<GameTrace> {
    const id = commitmentId(c);
    let t = this.traces.get(id);
    if (t === undefined) {
      t = this.o.traceFor(c);
      this.traces.set(id, t);
      t.catch(() => this.traces.delete(id));
    }
    return t;
  }

  private async step(
    g: GameRecord,
    now: number,
    headNumber: number,
    log: Logger,
  ): Promise<{
    action?: "move" | "timeout" | "resolve" | "reopen";
    ended?: boolean;
    margin?: number;
    reorged?: boolean;
  }> {
    const row = this.o.store.db.prepare("SELECT * FROM games WHERE id = ?").get(g.id) as GameRow;
    const state = await this.game.game(g.id);
    const status = Number(state.status);
    const ended = g.status === "won" || g.status === "lost" || g.status === "cancelled";
    if (status === GAME_STATUS.None) {
      // The game is not on chain (any more): a reorg took its opening away. We re-open a game we opened
      // (same opId: sent again once); a game opened against us is the challenger's to re-open.
      if (g.role !== "challenger") return {};
      log.warn(
        { event: "game.reorged", was: g.status },
        "our game's opening is gone (reorg); opening it again",
      );
      this.o.store.db
        .prepare("UPDATE games SET status = 'active', ended_block = NULL, updated_at = ? WHERE id = ?")
        .run(Date.now(), g.id);
      await this.challenge(g.commitment);
      return { action: "reopen", reorged: true };
    }
    if (ended && status < GAME_STATUS.AsserterWon) {
      // It ended, and a reorg took the end away: play it again (a timeout or resolve goes out again once).
      log.warn({ event: "game.reorged", was: g.status }, "a game's end is gone (reorg); playing it again");
      this.o.store.db
        .prepare("UPDATE games SET status = 'active', ended_block = NULL, updated_at = ? WHERE id = ?")
        .run(Date.now(), g.id);
    }
    const turn = Number(state.turn);
    const aLeft = Number(state.asserterLeft);
    const cLeft = Number(state.challengerLeft);
    const lastMoveAt = Number(state.lastMoveAt);
    const left = turn === 0 ? aLeft : cLeft;
    const deadline = status === GAME_STATUS.Active ? lastMoveAt + left : lastMoveAt;
    this.o.store.db
      .prepare(
        "UPDATE games SET turn = ?, asserter_left = ?, challenger_left = ?, last_move_at = ?, deadline = ?, updated_at = ? WHERE id = ?",
      )
      .run(turn, aLeft, cLeft, lastMoveAt, deadline, Date.now(), g.id);

    if (status >= GAME_STATUS.AsserterWon) {
      const outcome: GameRowStatus =
        status === GAME_STATUS.Cancelled
          ? "cancelled"
          : (status === GAME_STATUS.AsserterWon) === (g.side === 0)
            ? "won"
            : "lost";
      if (ended && outcome === g.status) return {}; // still ended as we saw it: re-read until deep enough
      this.o.store.db
        .prepare("UPDATE games SET status = ?, ended_block = ?, updated_at = ? WHERE id = ?")
        .run(outcome, headNumber, Date.now(), g.id);
      if (outcome === "lost") logPage(log, "moneyAtRisk", { outcome }, "a game was lost");
      else log.info({ event: "game.ended", outcome }, `game ${outcome}`);
      return { ended: true };
    }
    if (status === GAME_STATUS.StartProven) {
      this.o.store.db
        .prepare("UPDATE games SET status = 'startProven', updated_at = ? WHERE id = ?")
        .run(Date.now(), g.id);
      if (now < lastMoveAt) return {};
      await this.o.chain.send(
        {
          opId: `resolve:${g.id}`,
          to: this.o.disputeGame,
          data: this.game.interface.encodeFunctionData("resolve", [this.ctx(g)]),
        },
        {
          effectDone: async () => Number((await this.game.game(g.id)).status) !== GAME_STATUS.StartProven,
          errors: this.game.interface,
        },
      );
      log.info({ event: "game.resolved" }, "start-step game resolved");
      return { action: "resolve" };
    }
    if (status !== GAME_STATUS.Active) return {};

    const remaining = deadline - now;
    if (turn !== g.side) {
      // The opponent's turn: time it out once its clock has run out.
      if (remaining > 0) return {};
      await this.o.chain.send(
        {
          opId: `timeout:${g.id}`,
          to: this.o.disputeGame,
          data: this.game.interface.encodeFunctionData("timeout", [this.ctx(g)]),
        },
        {
          effectDone: async () => Number((await this.game.game(g.id)).status) !== GAME_STATUS.Active,
          errors: this.game.interface,
        },
      );
      log.info({ event: "game.timeout" }, "the opponent ran out of time");
      return { action: "timeout" };
    }

    // Our turn.
    const margin = remaining - this.marginSec;
    if (remaining < 2 * this.marginSec) {
      const key = `${g.id}:${state.segmentHash}`;
      if (!this.paged.has(key)) {
        this.paged.add(key);
        logPage(log, "clockLow", { remaining, marginSec: this.marginSec }, "our game clock is low");
      }
    }
    const seg = await this.currentSegment(g, row, state.segmentHash);
    const trace = await this.traceOf(g.commitment);
    let move: Move;
    try {
      move = respond(trace, seg, this.degree);
    } catch (error) {
      // Our trace has no answer to this segment (it agrees with every point, or the segment does not start
      // at one of ours): our clock runs and we will lose the game unless an operator acts. Paged once.
      const key = `respond:${g.id}:${state.segmentHash}`;
      if (error instanceof DisputeError && !this.paged.has(key)) {
        this.paged.add(key);
        logPage(log, "moneyAtRisk", { code: error.code, remaining }, "no move possible from our trace");
      }
      throw error;
    }
    const opId = `move:${g.id}:${state.segmentHash.toLowerCase()}`;
    await this.o.chain.send(
      { opId, to: this.o.disputeGame, data: this.encodeMove(g, seg, move) },
      {
        effectDone: async () => (await this.game.game(g.id)).segmentHash !== state.segmentHash,
        errors: this.game.interface,
      },
    );
    this.o.store.db
      .prepare("UPDATE games SET moves = moves + 1, last_error = NULL, updated_at = ? WHERE id = ?")
      .run(Date.now(), g.id);
    log.info(
      {
        event: "game.move",
        opId,
        action: move.action,
        index: move.index,
        ...(move.action === "prove" ? { kind: move.kind } : {}),
      },
      "move sent",
    );
    return { action: "move", margin };
  }

  private ctx(g: GameRecord) {
    return { commitment: g.commitment, challenger: g.challenger, bond: g.bond };
  }

  private encodeMove(g: GameRecord, seg: Segment, move: Move): string {
    const i = this.game.interface;
    const segArg = { start: seg.start, length: seg.length, points: [...seg.points] };
    const ctx = this.ctx(g);
    if (move.action === "bisect")
      return i.encodeFunctionData("bisect", [ctx, segArg, move.index, move.points]);
    if (move.kind === StepKind.Padding)
      return i.encodeFunctionData("provePadding", [ctx, segArg, move.index]);
    if (move.kind === StepKind.Start)
      return i.encodeFunctionData("proveStart", [ctx, segArg, move.index, move.leaf]);
    if (move.kind === StepKind.Inner)
      return i.encodeFunctionData("proveInner", [ctx, segArg, move.index, move.leaf]);
    return i.encodeFunctionData("proveEnd", [ctx, segArg, move.index, move.leaf]);
  }

  // ---- payouts -----------------------------------------------------------------------------------

  /** Claims our StakeManager payout when there is one; returns the amount claimed (0n when none). */
  async claimPayouts(): Promise<bigint> {
    const amount = await this.stake.payoutOf(this.address);
    if (amount === 0n) return 0n;
    const block = await this.o.chain.provider.getBlockNumber();
    const opId = `claim:${this.address.toLowerCase()}:${amount}:${block}`;
    await this.o.chain.send(
      {
        opId,
        to: this.o.stakeManager,
        data: this.stake.interface.encodeFunctionData("claimPayout", [this.address]),
      },
      {
        effectDone: async () => (await this.stake.payoutOf(this.address)) === 0n,
        errors: this.stake.interface,
      },
    );
    this.o.logger.info({ event: "game.payout.claimed", opId, amount: amount.toString() }, "payout claimed");
    return amount;
  }
}

function toRecord(r: GameRow): GameRecord {
  return {
    id: r.id,
    commitmentId: r.commitment_id,
    commitment: commitmentFromJson(r.commitment),
    challenger: r.challenger,
    bond: BigInt(r.bond),
    role: r.role,
    side: r.side === 0 ? 0 : 1,
    segment: {
      start: BigInt(r.seg_start),
      length: BigInt(r.seg_length),
      points: JSON.parse(r.seg_points) as string[],
    },
    status: r.status,
    turn: r.turn,
    asserterLeft: r.asserter_left,
    challengerLeft: r.challenger_left,
    lastMoveAt: r.last_move_at,
    deadline: r.deadline,
    moves: r.moves,
    lastError: r.last_error,
  };
}

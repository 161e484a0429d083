/**
 * `holo dispute`: the dispute games of the DisputeGame (docs/dispute-game.md), read from its events
 * (`GameOpened`, `Bisected`, `StepProven`, `GameResolved`) and its state (`game(id)`).
 *
 * Clocks are shown as they stand at the latest block's time: the clock of the side to move runs since
 * the last move (`lastMoveAt`), the other one is as stored.
 */
import { Argument, Option, type Command, type OptionValues } from "commander";
import { AbiCoder, keccak256, type Log } from "ethers";

import type { DisputeGame } from "../../typechain-types";
import type { Commitment } from "../../sdk/ts/results";
import { addConnectionOptions, withChain, type Chain, type ChainOptions } from "../lib/chain";
import { ChainError } from "../lib/errors";
import { parseBytes32 } from "../lib/options";
import { Output } from "../lib/output";
import { formatDuration, isoTime, relativeTime } from "../lib/time";
import type { CliContext } from "./index";

/** `IDisputeGame.Status`, by value. */
const STATUS = ["none", "active", "start-proven", "asserter-won", "challenger-won", "cancelled"] as const;
/** `IDisputeGame.Side`, by value. */
const SIDE = ["asserter", "challenger"] as const;
/** `IDisputeGame.StepKind`, by value. */
const STEP_KIND = ["padding", "start", "inner", "end"] as const;

type Status = (typeof STATUS)[number];
type Side = (typeof SIDE)[number];

/** The options of `holo dispute list`. */
interface ListOptions extends ChainOptions {
  commitment?: string;
  open?: boolean;
}

/** A side's chess clock at the latest block's time. */
interface Clock {
  /** Seconds left. */
  left: number;
  leftText: string;
  /** It is this side's turn in an active game: its clock runs. */
  running: boolean;
  /** Its clock ran out on its turn: anyone may call `timeout` and the other side wins. */
  expired: boolean;
}

/** A game's stored state, read at the latest block's time. */
interface GameState {
  status: Status;
  /** The side to move (active), the side whose start-step proof waits out the grace (start-proven), else `null`. */
  turn: Side | null;
  lastMoveAt: number;
  lastMoveAtIso: string;
  clocks: { asserter: Clock; challenger: Clock };
  /** Active: when the side to move runs out of time. Start-proven: when the game can be resolved. */
  deadline: number | null;
  deadlineIso: string | null;
  segmentHash: string;
}

/** Adds the `dispute` command group to `program`. */
export function register(program: Command, context: CliContext): void {
  const group = program
    .command("dispute")
    .summary("list and inspect dispute games")
    .description(
      "Dispute games on the DisputeGame: who challenged which commitment, whose turn it is, each side's " +
        "remaining clock (as of the latest block), the current segment and the moves so far.",
    );

  addConnectionOptions(
    group
      .command("list")
      .summary("list dispute games, with status, turn and clocks")
      .description(
        "List the dispute games (from the DisputeGame's GameOpened events), with their status, whose " +
          "turn it is and each side's remaining clock.",
      )
      .addOption(
        new Option("--commitment <id>", "only the games against this commitment").argParser(parseBytes32),
      )
      .option("--open", "only the games still open (active, or a start-step proof waiting out its grace)")
      .allowExcessArguments(false),
    { logs: true },
  ).action(async (_options: unknown, command: Command) => {
    const options = command.optsWithGlobals<ListOptions>();
    const out = new Output(options, context.streams);
    await withChain(options, out, {}, (chain) => list(chain, options, out));
  });

  addConnectionOptions(
    group
      .command("show")
      .summary("show one game: status, clocks, current segment, moves")
      .description(
        "Show dispute game <gameId>: the commitment and the two sides, the status, whose turn it is, " +
          "each side's remaining clock (accounting for the time since the last move), the current segment " +
          "with its points, and every move so far.",
      )
      .addArgument(new Argument("<gameId>", "the game's id (GameOpened's gameId)").argParser(parseBytes32))
      .allowExcessArguments(false),
    { logs: true },
  ).action(async (gameId: string, _options: OptionValues, command: Command) => {
    const options = command.optsWithGlobals<ChainOptions>();
    const out = new Output(options, context.streams);
    await withChain(options, out, {}, (chain) => show(chain, gameId, out));
  });
}

/** The game's state as it stands at `now`. */
async function stateOf(game: DisputeGame, gameId: string, now: bigint): Promise<GameState> {
  const g = await game.game(gameId);
  const status = STATUS[Number(g.status)] ?? "none";
  const turnSide = SIDE[Number(g.turn)];
  const active = status === "active";
  const elapsed = now > g.lastMoveAt ? now - g.lastMoveAt : 0n;
  const clock = (side: Side, stored: bigint): Clock => {
    const running = active && turnSide === side;
    const left = running ? (elapsed >= stored ? 0n : stored - elapsed) : stored;
    return { left: Number(left), leftText: formatDuration(left), running, expired: running && left === 0n };
  };
  const deadline = active
    ? g.lastMoveAt + (turnSide === "asserter" ? g.asserterLeft : g.challengerLeft)
    : status === "start-proven"
      ? g.lastMoveAt
      : null;
  return {
    status,
    turn: active || status === "start-proven" ? turnSide : null,
    lastMoveAt: Number(g.lastMoveAt),
    lastMoveAtIso: isoTime(g.lastMoveAt),
    clocks: {
      asserter: clock("asserter", g.asserterLeft),
      challenger: clock("challenger", g.challengerLeft),
    },
    deadline: deadline === null ? null : Number(deadline),
    deadlineIso: deadline === null ? null : isoTime(deadline),
    segmentHash: g.segmentHash,
  };
}

function isOpen(status: Status): boolean {
  return status === "active" || status === "start-proven";
}

async function list(chain: Chain, options: ListOptions, out: Output): Promise<void> {
  const game = await chain.disputeGame();
  const address = await game.getAddress();
  const opened = game.interface.getEvent("GameOpened");
  const logs = await chain.logs(
    address,
    [opened.topicHash, null, options.commitment ?? null],
    chain.deployedAt("disputeGame", address),
  );
  const now = await chain.now();
  const games = await Promise.all(
    logs.map(async (log) => {
      const args = game.interface.parseLog(log)!.args;
      const gameId = args.gameId as string;
      return {
        gameId,
        commitmentId: args.commitmentId as string,
        challenger: args.challenger as string,
        steps: args.steps as bigint,
        openedBlock: log.blockNumber,
        openedTx: log.transactionHash,
        ...(await stateOf(game, gameId, now)),
      };
    }),
  );
  const shown = options.open === true ? games.filter((g) => isOpen(g.status)) : games;
  out.result(
    "disputes",
    { disputeGame: address, chainTime: Number(now), chainTimeIso: isoTime(now), games: shown },
    () => {
      const what = `${options.open === true ? "open " : ""}dispute game${shown.length === 1 ? "" : "s"}`;
      const scope = options.commitment === undefined ? "" : ` against commitment ${options.commitment}`;
      const lines = [`${shown.length} ${what}${scope} (DisputeGame ${address})`];
      for (const g of shown) {
        lines.push(
          "",
          `  ${g.gameId}  ${g.status.toUpperCase()}`,
          `    commitment ${g.commitmentId}, challenger ${g.challenger}, opened in block ${g.openedBlock}`,
          `    ${turnText(g, now)}`,
          `    clocks: asserter ${clockText(g.clocks.asserter)}, challenger ${clockText(g.clocks.challenger)}`,
        );
      }
      return lines.join("\n");
    },
  );
}

/** A move, as printed. */
type Move =
  | {
      n: number;
      side: Side;
      action: "bisect";
      start: bigint;
      length: bigint;
      points: string[];
      asserterLeft: number;
      challengerLeft: number;
      block: number;
      time: number;
      timeIso: string;
      tx: string;
    }
  | {
      n: number;
      side: Side;
      action: "prove";
      position: bigint;
      kind: (typeof STEP_KIND)[number];
      post: string;
      block: number;
      time: number;
      timeIso: string;
      tx: string;
    };

async function show(chain: Chain, gameId: string, out: Output): Promise<void> {
  const game = await chain.disputeGame();
  const address = await game.getAddress();
  const iface = game.interface;
  const topics = (["GameOpened", "Bisected", "StepProven", "GameResolved"] as const).map(
    (name) => iface.getEvent(name).topicHash,
  );
  const logs = await chain.logs(address, [topics, gameId], chain.deployedAt("disputeGame", address));
  const now = await chain.now();
  const state = await stateOf(game, gameId, now);
  const openedLog = logs.find((log) => log.topics[0] === topics[0]);
  if (openedLog === undefined) {
    throw new ChainError(
      state.status === "none"
        ? `no dispute game ${gameId} on the DisputeGame ${address}`
        : `dispute game ${gameId} exists, but its GameOpened event is not in the blocks searched: lower --from-block`,
      "E_NOT_FOUND",
    );
  }
  const opened = iface.parseLog(openedLog)!.args;
  const commitmentId = opened.commitmentId as string;
  const steps = opened.steps as bigint;

  const commitment = await postedCommitment(chain, game, commitmentId);
  const times = await blockTimes(chain, logs);
  const moves: Move[] = [];
  let segment = {
    start: 0n,
    length: steps,
    points: [opened.startPoint as string, opened.endPoint as string],
  };
  let resolution = null;
  for (const log of logs) {
    const parsed = iface.parseLog(log)!;
    const at = {
      block: log.blockNumber,
      time: times.get(log.blockNumber)!,
      timeIso: isoTime(times.get(log.blockNumber)!),
      tx: log.transactionHash,
    };
    if (parsed.name === "Bisected") {
      const a = parsed.args;
      // `length` is also the Result array's own length: read the event field by name.
      segment = {
        start: a.start as bigint,
        length: a.getValue("length") as bigint,
        points: [...(a.points as string[])],
      };
      moves.push({
        n: moves.length + 1,
        side: SIDE[Number(a.mover)],
        action: "bisect",
        start: segment.start,
        length: segment.length,
        points: segment.points,
        asserterLeft: Number(a.asserterLeft),
        challengerLeft: Number(a.challengerLeft),
        ...at,
      });
    } else if (parsed.name === "StepProven") {
      const a = parsed.args;
      moves.push({
        n: moves.length + 1,
        side: SIDE[Number(a.mover)],
        action: "prove",
        position: a.position as bigint,
        kind: STEP_KIND[Number(a.kind)],
        post: a.post as string,
        ...at,
      });
    } else if (parsed.name === "GameResolved") {
      resolution = {
        outcome: STATUS[Number(parsed.args.outcome)] ?? "none",
        slashed: parsed.args.slashed as bigint,
        ...at,
      };
    }
  }
  const segmentHash = keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["uint128", "uint128", "bytes32[]"],
      [segment.start, segment.length, segment.points],
    ),
  );
  if (segmentHash !== state.segmentHash) {
    out.warn(
      `the segment rebuilt from the events hashes to ${segmentHash}, not the stored ${state.segmentHash}: ` +
        "some Bisected events were not found (lower --from-block?)",
    );
  }
  const data = {
    gameId,
    disputeGame: address,
    commitmentId,
    process: commitment?.process ?? null,
    slots: commitment === null ? null : { first: commitment.firstSlot, last: commitment.lastSlot },
    asserter: commitment?.poster ?? null,
    challenger: opened.challenger as string,
    steps,
    openedBlock: openedLog.blockNumber,
    openedAt: times.get(openedLog.blockNumber)!,
    openedAtIso: isoTime(times.get(openedLog.blockNumber)!),
    chainTime: Number(now),
    chainTimeIso: isoTime(now),
    ...state,
    segment: { ...segment, matchesStored: segmentHash === state.segmentHash },
    moves,
    resolution,
  };
  out.result("dispute", data, () => showText(data, now));
}

/** The content of commitment `id`, from the ResultRegistry's `CommitmentPosted` (null if not found). */
async function postedCommitment(chain: Chain, game: DisputeGame, id: string): Promise<Commitment | null> {
  const results = await chain.resultRegistry(await game.resultRegistry());
  const address = await results.getAddress();
  const topic = results.interface.getEvent("CommitmentPosted").topicHash;
  const [log] = await chain.logs(address, [topic, id], chain.deployedAt("resultRegistry", address));
  if (log === undefined) return null;
  return results.interface.parseLog(log)!.args.c as unknown as Commitment;
}

/** The timestamp of each block of `logs`. */
async function blockTimes(chain: Chain, logs: readonly Log[]): Promise<Map<number, number>> {
  const times = new Map<number, number>();
  for (const number of new Set(logs.map((log) => log.blockNumber))) {
    const block = await chain.provider.getBlock(number);
    if (block === null) throw new ChainError(`block ${number} is missing from ${chain.rpc.url}`, "E_RPC");
    times.set(number, block.timestamp);
  }
  return times;
}

function clockText(clock: Clock): string {
  if (clock.expired) return "ran out (timeout can be called)";
  return `${clock.leftText} left${clock.running ? " (running)" : ""}`;
}

function turnText(state: GameState, now: bigint): string {
  if (state.status === "active") {
    return state.clocks[state.turn!].expired
      ? `${state.turn}'s clock ran out at ${state.deadlineIso}: anyone may call timeout, and the other side wins`
      : `${state.turn} to move, by ${state.deadlineIso} (${relativeTime(BigInt(state.deadline!), now)})`;
  }
  if (state.status === "start-proven") {
    return (
      `the ${state.turn} proved the start step; resolvable from ${state.deadlineIso} ` +
      `(${relativeTime(BigInt(state.deadline!), now)}) unless the scheduler's equivocation freezes the process`
    );
  }
  return `over: ${state.status}`;
}

function showText(
  data: {
    gameId: string;
    commitmentId: string;
    process: string | null;
    slots: { first: bigint; last: bigint } | null;
    asserter: string | null;
    challenger: string;
    steps: bigint;
    openedBlock: number;
    openedAtIso: string;
    segment: { start: bigint; length: bigint; points: string[] };
    moves: Move[];
    resolution: { outcome: string; slashed: bigint; block: number } | null;
  } & GameState,
  now: bigint,
): string {
  const lines = [
    `Dispute game ${data.gameId}  ${data.status.toUpperCase()}`,
    `  commitment  ${data.commitmentId}` +
      (data.slots === null
        ? ""
        : ` (process ${data.process}, slots ${data.slots.first} to ${data.slots.last})`),
    `  asserter    ${data.asserter ?? "unknown (CommitmentPosted not found)"}`,
    `  challenger  ${data.challenger}`,
    `  opened      block ${data.openedBlock}, ${data.openedAtIso}; trace of ${data.steps} steps`,
    `  ${turnText(data, now)}`,
    `  clocks      asserter ${clockText(data.clocks.asserter)}; challenger ${clockText(data.clocks.challenger)}`,
    `  segment     [${data.segment.start}, ${data.segment.start + data.segment.length}] (${data.segment.length} step${data.segment.length === 1n ? "" : "s"}), ${data.segment.points.length} points:`,
    ...data.segment.points.map((p, i) => `    ${String(i).padStart(3)}  ${p}`),
  ];
  if (data.resolution !== null) {
    lines.push(
      `  resolved    ${data.resolution.outcome} in block ${data.resolution.block}, slashed ${data.resolution.slashed}`,
    );
  }
  lines.push(`  moves       ${data.moves.length === 0 ? "none yet" : ""}`.trimEnd());
  for (const m of data.moves) {
    lines.push(
      m.action === "bisect"
        ? `    ${m.n}. ${m.side} bisected to [${m.start}, ${m.start + m.length}] at ${m.timeIso} (block ${m.block})`
        : `    ${m.n}. ${m.side} proved the ${m.kind} step at ${m.position} at ${m.timeIso} (block ${m.block})`,
    );
  }
  return lines.join("\n");
}

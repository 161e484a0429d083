/**
 * What happens on the devnet, live: the chain's events (commitments posted, challenges, game moves,
 * resolutions, slashes, finalizations) and the CUs' evaluations as human lines; and `--once`, which runs a
 * scenario to its end (advancing the local chain's time past the challenge window) and sums it up.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import type { DevnetDeployment } from "../../deploy";
import { commitmentFromEvent, type Commitment } from "../../sdk/ts/results";
import type { RunningSystem, Scenario } from "./system";

const short = (hex: string): string => (hex.length > 14 ? `${hex.slice(0, 10)}…${hex.slice(-4)}` : hex);

const REJECT_REASONS = ["ChallengeLost", "ParentRejected", "SiblingFinalized", "ProcessFrozen"];
const GAME_STATUS = ["none", "active", "start-proven", "asserter-won", "challenger-won", "cancelled"];
const SIDES = ["asserter", "challenger"];

export interface CommitmentSeen {
  id: string;
  poster: string;
  firstSlot: number;
  lastSlot: number;
  deadline: number;
  status: "pending" | "finalized" | "rejected";
  rejectReason?: string;
  postedAtMs: number;
  /** The commitment's content, as the contracts take it. */
  content: Commitment;
}

export interface GameSeen {
  id: string;
  commitment: string;
  challenger: string;
  openedAtMs: number;
  resolvedAtMs?: number;
  outcome?: string;
  moves: number;
  slashed?: bigint;
}

/** Follows the chain's events from a block on, keeping what it saw and printing a line per event. */
export class ChainMonitor {
  readonly commitments = new Map<string, CommitmentSeen>();
  readonly games = new Map<string, GameSeen>();
  readonly slashes: { operator: string; amount: bigint; atMs: number }[] = [];
  private next: number;
  private evaluated = new Map<string, bigint>();
  private timer?: NodeJS.Timeout;
  private polling: Promise<void> = Promise.resolve();

  constructor(
    private readonly hre: HardhatRuntimeEnvironment,
    private readonly deployment: DevnetDeployment,
    private readonly system: RunningSystem,
    private readonly names: Map<string, string>,
    fromBlock: number,
    private readonly event: (line: string) => void,
  ) {
    this.next = fromBlock;
  }

  private name(address: string): string {
    return this.names.get(address.toLowerCase()) ?? short(address);
  }

  start(everyMs: number): void {
    this.timer = setInterval(() => {
      this.polling = this.polling.then(() => this.poll()).catch(() => undefined);
    }, everyMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.polling;
  }

  /** Reads the new events and evaluations once. */
  async poll(): Promise<void> {
    for (const cu of this.system.cus) {
      try {
        const s = cu.handle.cu.state(this.system.info.process.id);
        const last = this.evaluated.get(cu.name);
        if (s.slot >= 0n && (last === undefined || s.slot > last)) {
          this.event(`${cu.name.padEnd(11)} evaluated up to slot ${s.slot}: state ${short(s.stateHash)}`);
          this.evaluated.set(cu.name, s.slot);
        }
      } catch {
        // nothing evaluated yet
      }
    }
    const latest = await this.hre.ethers.provider.getBlockNumber();
    if (latest < this.next) return;
    const from = this.next;
    const { resultRegistry, disputeGame, stakeManager } = this.deployment.contracts;
    const process = this.system.info.process.id;
    const [posted, finalized, rejected, opened, bisected, proven, resolved, slashed] = await Promise.all([
      resultRegistry.queryFilter(resultRegistry.filters.CommitmentPosted(undefined, process), from, latest),
      resultRegistry.queryFilter(
        resultRegistry.filters.CommitmentFinalized(undefined, process),
        from,
        latest,
      ),
      resultRegistry.queryFilter(resultRegistry.filters.CommitmentRejected(undefined, process), from, latest),
      disputeGame.queryFilter(disputeGame.filters.GameOpened(), from, latest),
      disputeGame.queryFilter(disputeGame.filters.Bisected(), from, latest),
      disputeGame.queryFilter(disputeGame.filters.StepProven(), from, latest),
      disputeGame.queryFilter(disputeGame.filters.GameResolved(), from, latest),
      stakeManager.queryFilter(stakeManager.filters.Slashed(), from, latest),
    ]);
    this.next = latest + 1;
    type Ev = { blockNumber: number; index: number; line: () => void };
    const all: Ev[] = [];
    const at = (e: { blockNumber: number; index: number }, line: () => void) =>
      all.push({ blockNumber: e.blockNumber, index: e.index, line });
    for (const e of posted) {
      at(e, () => {
        const c = e.args.c;
        const seen: CommitmentSeen = {
          id: e.args.id,
          poster: e.args.poster,
          firstSlot: Number(c.firstSlot),
          lastSlot: Number(c.lastSlot),
          deadline: Number(e.args.deadline),
          status: "pending",
          postedAtMs: Date.now(),
          content: commitmentFromEvent(c),
        };
        this.commitments.set(seen.id, seen);
        this.event(
          `chain       commitment ${short(seen.id)} posted by ${this.name(seen.poster)}: slots ${seen.firstSlot}–${seen.lastSlot}, ` +
            `state ${short(c.stateHash)}, challenge window until ${new Date(seen.deadline * 1000).toISOString()}`,
        );
      });
    }
    for (const e of opened) {
      at(e, () => {
        const g: GameSeen = {
          id: e.args.gameId,
          commitment: e.args.commitmentId,
          challenger: e.args.challenger,
          openedAtMs: Date.now(),
          moves: 0,
        };
        this.games.set(g.id, g);
        this.event(
          `chain       CHALLENGE: ${this.name(g.challenger)} opened game ${short(g.id)} against commitment ${short(g.commitment)} ` +
            `(${e.args.steps} steps in dispute)`,
        );
      });
    }
    for (const e of bisected) {
      at(e, () => {
        // positional: an event argument named `length` is shadowed by the Result array's length
        const [gameId, mover, start, length, , asserterLeft, challengerLeft] = e.args as unknown as [
          string,
          bigint,
          bigint,
          bigint,
          string[],
          bigint,
          bigint,
        ];
        const g = this.games.get(gameId);
        if (g !== undefined) g.moves++;
        this.event(
          `chain       move: ${SIDES[Number(mover)]} bisected game ${short(gameId)} to ` +
            `[${start}, ${start + length}] (clocks ${asserterLeft} s / ${challengerLeft} s)`,
        );
      });
    }
    for (const e of proven) {
      at(e, () => {
        const g = this.games.get(e.args.gameId);
        if (g !== undefined) g.moves++;
        this.event(
          `chain       move: ${SIDES[Number(e.args.mover)]} proved step ${e.args.position} of game ${short(e.args.gameId)} on chain`,
        );
      });
    }
    for (const e of resolved) {
      at(e, () => {
        const g = this.games.get(e.args.gameId);
        const outcome = GAME_STATUS[Number(e.args.outcome)] ?? String(e.args.outcome);
        if (g !== undefined) {
          g.resolvedAtMs = Date.now();
          g.outcome = outcome;
          g.slashed = e.args.slashed;
        }
        this.event(
          `chain       game ${short(e.args.gameId)} resolved: ${outcome}, ${formatTokens(e.args.slashed)} HOLO-DEV slashed`,
        );
      });
    }
    for (const e of slashed) {
      at(e, () => {
        this.slashes.push({ operator: e.args.operator, amount: e.args.amount, atMs: Date.now() });
        this.event(
          `chain       SLASHED ${this.name(e.args.operator)}: ${formatTokens(e.args.amount)} HOLO-DEV ` +
            `(reward ${formatTokens(e.args.reward)} to ${this.name(e.args.beneficiary)})`,
        );
      });
    }
    for (const e of rejected) {
      at(e, () => {
        const c = this.commitments.get(e.args.id);
        const reason = REJECT_REASONS[Number(e.args.reason)] ?? String(e.args.reason);
        if (c !== undefined) {
          c.status = "rejected";
          c.rejectReason = reason;
        }
        this.event(`chain       commitment ${short(e.args.id)} rejected (${reason})`);
      });
    }
    for (const e of finalized) {
      at(e, () => {
        const c = this.commitments.get(e.args.id);
        if (c !== undefined) c.status = "finalized";
        this.event(
          `chain       commitment ${short(e.args.id)} FINALIZED${c === undefined ? "" : ` (${this.name(c.poster)})`}: ` +
            `the process is final up to slot ${e.args.lastSlot}`,
        );
      });
    }
    all.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index).forEach((e) => e.line());
  }
}

function formatTokens(wei: bigint): string {
  const whole = wei / 10n ** 18n;
  const frac = ((wei % 10n ** 18n) / 10n ** 14n).toString().padStart(4, "0").replace(/0+$/, "");
  return frac === "" ? whole.toString() : `${whole}.${frac}`;
}

/** The one-line summary of a `--once` run. */
export interface ScenarioSummary {
  scenario: Scenario;
  ok: boolean;
  /** Why it is not ok (`null` when ok). */
  reason: string | null;
  process: string;
  /** The slots scheduled: the Process item (slot 0) and the messages. */
  messages: number;
  /** The slots covered by finalized commitments. */
  finalized: number;
  /** Dispute games opened. */
  challenged: number;
  /** Whether the faulty CU was slashed. */
  slashed: boolean;
  /** Whether the honest CU's commitments are what finalized, and no game went to a liar. */
  honestWon: boolean;
  commitments: number;
  rejected: number;
  gameMoves: number;
  /** Wall-clock seconds from the first game opened to the last resolved (`null` without a game). */
  gameWallSec: number | null;
  /**
   * Wall-clock seconds from a wrong commitment's post to the game opened against it, the earliest such pair
   * (`null` without a game); both as the devnet's monitor saw them (it polls the chain).
   */
  detectToChallengeSec: number | null;
  /** Chain time the devnet added (evm_increaseTime) to pass challenge windows and grace periods. */
  timeAdvancedSec: number;
  wallSec: number;
}

export interface OnceOptions {
  hre: HardhatRuntimeEnvironment;
  deployment: DevnetDeployment;
  system: RunningSystem;
  monitor: ChainMonitor;
  scenario: Scenario;
  /** The messages sent after the spawn. */
  messages: { name: string; value: string }[][];
  timeoutMs: number;
  startedAtMs: number;
  /** The account that sends `timeout` or `resolve` when no agent does (anyone may). */
  keeper: string;
  progress: (line: string) => void;
}

/** How long a faulty CU may leave its move unanswered before the devnet runs its clock down. */
const STALL_MS = 10_000;
/** How long the devnet leaves a claimable timeout or resolution to the agents before sending it itself. */
const SETTLE_MS = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the scenario to its end: sends the messages, waits for the commitments, lets the watcher and the CUs
 * play any game, advances chain time past the challenge window, waits for finalization. Never throws for
 * an unexpected outcome: the summary says what went wrong.
 */
export async function runOnce(o: OnceOptions): Promise<ScenarioSummary> {
  const { hre, deployment, system, monitor } = o;
  const deadline = Date.now() + o.timeoutMs;
  let advanced = 0;
  const advance = async (seconds: number) => {
    await hre.network.provider.request({ method: "evm_increaseTime", params: [seconds] });
    await hre.network.provider.request({ method: "evm_mine", params: [] });
    advanced += seconds;
    o.progress(`(devnet) advanced chain time by ${seconds} s`);
  };
  const process = system.info.process.id;
  const slots = o.messages.length + 1;
  const honest = new Set(system.cus.filter((c) => c.honest).map((c) => c.address.toLowerCase()));
  const liars = new Set(system.cus.filter((c) => !c.honest).map((c) => c.address.toLowerCase()));
  let reason: string | null = null;

  const waitFor = async (what: string, test: () => boolean | Promise<boolean>): Promise<boolean> => {
    while (!(await test())) {
      if (Date.now() > deadline) {
        reason ??= `timeout: ${what} within ${Math.round(o.timeoutMs / 1000)} s (--timeout)`;
        return false;
      }
      await sleep(200);
      await monitor.poll().catch(() => undefined);
    }
    return true;
  };
  const covered = (posters: Set<string>) =>
    [...monitor.commitments.values()]
      .filter((c) => posters.has(c.poster.toLowerCase()))
      .reduce((max, c) => Math.max(max, c.lastSlot), -1);

  for (const tags of o.messages) {
    const r = await system.send(tags, "");
    o.progress(`sent ${tags.map((t) => `${t.name}=${t.value}`).join(" ")} → slot ${r.slot}`);
  }

  const { resultRegistry, disputeGame } = deployment.contracts;
  let ok = await waitFor(
    "the honest CU's commitments covering every slot",
    () => covered(honest) >= slots - 1,
  );
  if (ok && o.scenario === "fraud") {
    ok = await waitFor("the faulty CU's commitment", () => covered(liars) >= 0);
    if (ok)
      ok = await waitFor("the watcher's challenge of the wrong commitment", () => monitor.games.size > 0);
    // Games are played in real time. A proven start step waits out its grace, which the devnet skips; and a
    // faulty CU that stops answering would only lose on its clock, which the devnet runs down after
    // STALL_MS without a move (never the honest side's clock).
    if (ok) {
      const grace = Number(await disputeGame.startGrace());
      const bond = await disputeGame.challengeBond();
      const keeper = await hre.ethers.getSigner(o.keeper);
      const lastMove = new Map<string, { moves: number; atMs: number; status: string; pushed: boolean }>();
      ok = await waitFor("the end of every dispute game", async () => {
        let open = false;
        for (const g of monitor.games.values()) {
          if (g.outcome !== undefined) continue;
          open = true;
          const game = await disputeGame.game(g.id);
          const status = GAME_STATUS[Number(game.status)];
          if (status !== "active" && status !== "start-proven") continue;
          const seen = lastMove.get(g.id);
          if (seen === undefined || seen.moves !== g.moves || seen.status !== status) {
            lastMove.set(g.id, { moves: g.moves, atMs: Date.now(), status, pushed: false });
            continue;
          }
          const idle = Date.now() - seen.atMs;
          const commitment = monitor.commitments.get(g.commitment);
          if (commitment === undefined) continue;
          const ctx = { commitment: commitment.content, challenger: g.challenger, bond };
          if (status === "start-proven") {
            if (!seen.pushed) {
              await advance(grace + 1);
              seen.pushed = true;
              seen.atMs = Date.now();
            } else if (idle > SETTLE_MS) {
              // Nobody resolved it after its grace: anyone may.
              o.progress(`(devnet) resolving game ${short(g.id)} after its start grace`);
              await (await disputeGame.connect(keeper).resolve(ctx)).wait();
              seen.atMs = Date.now();
            }
            continue;
          }
          const liarToMove =
            SIDES[Number(game.turn)] === "asserter" &&
            liarCommitment(g, [...monitor.commitments.values()], liars);
          if (status !== "active" || !liarToMove) continue;
          if (!seen.pushed && idle > STALL_MS) {
            o.progress(
              `(devnet) the faulty CU has not answered game ${short(g.id)} for ${STALL_MS / 1000} s: running its clock down`,
            );
            await advance(Number(game.asserterLeft) + 1);
            seen.pushed = true;
            seen.atMs = Date.now();
          } else if (seen.pushed && idle > SETTLE_MS) {
            // Its clock ran out and the watcher did not claim it: anyone may call timeout.
            o.progress(
              `(devnet) claiming the timeout of game ${short(g.id)} (the faulty CU's clock ran out)`,
            );
            await (await disputeGame.connect(keeper).timeout(ctx)).wait();
            seen.atMs = Date.now();
          }
        }
        return !open;
      });
    }
  }
  if (ok) {
    // Pass every challenge window at once, then let the CUs finalize.
    const window = Number(await deployment.contracts.stakeManager.challengeWindow());
    const block = await hre.ethers.provider.getBlock("latest");
    const latestDeadline = Math.max(...[...monitor.commitments.values()].map((c) => c.deadline));
    const need = latestDeadline - (block?.timestamp ?? 0) + 1;
    await advance(Math.max(1, Math.min(need, window + 1)));
    ok = await waitFor("the finalization of every slot", async () => {
      const [tip] = await finalizedTip(resultRegistry, process);
      return tip >= slots - 1;
    });
  }
  await monitor.poll().catch(() => undefined);

  const [tip] = await finalizedTip(resultRegistry, process);
  const commitments = [...monitor.commitments.values()];
  const games = [...monitor.games.values()];
  const liarSlashed = monitor.slashes.some((s) => liars.has(s.operator.toLowerCase()));
  const honestSlashed = monitor.slashes.some((s) => honest.has(s.operator.toLowerCase()));
  const honestRejected = commitments.some(
    (c) => honest.has(c.poster.toLowerCase()) && c.status === "rejected",
  );
  const liarFinalized = commitments.some(
    (c) => liars.has(c.poster.toLowerCase()) && c.status === "finalized",
  );
  const gamesWonByLiar = games.some(
    (g) => g.outcome === "asserter-won" && liarCommitment(g, commitments, liars),
  );
  const honestWon =
    !honestRejected && !honestSlashed && !liarFinalized && !gamesWonByLiar && tip >= slots - 1;
  const opened = games.map((g) => g.openedAtMs);
  const detect = games
    .map((g) => {
      const c = o.monitor.commitments.get(g.commitment);
      return c === undefined ? undefined : g.openedAtMs - c.postedAtMs;
    })
    .filter((ms): ms is number => ms !== undefined);
  const closed = games.filter((g) => g.resolvedAtMs !== undefined).map((g) => g.resolvedAtMs!);
  const summary: ScenarioSummary = {
    scenario: o.scenario,
    ok: false,
    reason: null,
    process,
    messages: slots,
    finalized: tip + 1,
    challenged: games.length,
    slashed: liarSlashed,
    honestWon,
    commitments: commitments.length,
    rejected: commitments.filter((c) => c.status === "rejected").length,
    gameMoves: games.reduce((n, g) => n + g.moves, 0),
    gameWallSec:
      games.length === 0 || closed.length === 0
        ? null
        : Math.round((Math.max(...closed) - Math.min(...opened)) / 100) / 10,
    detectToChallengeSec: detect.length === 0 ? null : Math.round(Math.min(...detect) / 100) / 10,
    timeAdvancedSec: advanced,
    wallSec: Math.round((Date.now() - o.startedAtMs) / 100) / 10,
  };
  if (reason === null) {
    if (summary.finalized < slots) reason = `only ${summary.finalized} of ${slots} slots finalized`;
    else if (o.scenario === "honest" && summary.challenged > 0)
      reason = `${summary.challenged} challenge(s) in the honest scenario`;
    else if (o.scenario === "honest" && monitor.slashes.length > 0)
      reason = "someone was slashed in the honest scenario";
    else if (o.scenario === "fraud" && !liarSlashed) reason = "the faulty CU was not slashed";
    else if (!honestWon) reason = "the honest CU's commitments did not win";
  }
  summary.ok = reason === null;
  summary.reason = reason;
  return summary;
}

function liarCommitment(g: GameSeen, commitments: CommitmentSeen[], liars: Set<string>): boolean {
  const c = commitments.find((x) => x.id === g.commitment);
  return c !== undefined && liars.has(c.poster.toLowerCase());
}

/** The last finalized slot of `process` (-1 when none). */
async function finalizedTip(
  registry: DevnetDeployment["contracts"]["resultRegistry"],
  process: string,
): Promise<[number]> {
  const [, n] = await registry.latestFinalized(process);
  return [Number(n) - 1];
}

/**
 * Deployment parameters: reading Ignition parameter files and checking the values before anything
 * is sent to a chain, with errors that name the file, the parameter and the rule it breaks.
 *
 * The checks mirror the constructors of the `StakeManager`, the two registries and the `DisputeGame`
 * (tests compare the ceilings below with the contracts' constants, and the accepted values with the
 * constructors'), so that a bad file fails here, with a clear message, rather than as a reverted
 * deployment transaction halfway through a deployment.
 */
import fs from "node:fs";
import path from "node:path";

import { getAddress, ZeroAddress } from "ethers";

/** The repository root (this file is `<root>/deploy/parameters.ts`). */
export const REPO_ROOT = path.resolve(__dirname, "..");

/** Where the per-network parameter files live: `deploy/parameters/<network>.json`. */
export const PARAMETERS_DIR = path.join(REPO_ROOT, "deploy", "parameters");

/** One day, in seconds. */
export const DAY = 86_400n;
/** Ceiling on `challengeWindow` and on `maxGameDuration`: `StakeManager.MAX_DISPUTE_TIME`. */
export const MAX_DISPUTE_TIME = 90n * DAY;
/** Ceiling on `unbondingDelay`: `StakeManager.MAX_UNBONDING_DELAY`. */
export const MAX_UNBONDING_DELAY = 365n * DAY;
/** Basis points in one whole; `slashRewardBps` must be below it (`StakeManager.BPS`). */
export const BPS = 10_000n;
/** Ceiling on `gameDegree`: `DisputeGame.MAX_DEGREE` (a bisection posts `degree + 1` points). */
export const MAX_GAME_DEGREE = 256n;
/** Ceiling on the game's times (`uint64` in the `DisputeGame`): 2^64 - 1 seconds. */
export const MAX_UINT64 = 2n ** 64n - 1n;
/** Ceiling on `commitmentStake` and `gameChallengeBond` (`uint96` in the contracts): 2^96 - 1. */
export const MAX_UINT96 = 2n ** 96n - 1n;
/** Ceiling on `minSchedulerStake` (`uint256`): 2^256 - 1. */
export const MAX_UINT256 = 2n ** 256n - 1n;
/** Ceiling on `maxStepLimit`: `ProcessRegistry.MAX_STEP_LIMIT` = 2^32 - 1 (docs/machine.md §7). */
export const MAX_STEP_LIMIT = 2n ** 32n - 1n;
/**
 * The re-execution speed the game's clock is sized for, in steps per second:
 * `DisputeGame.REEXEC_STEPS_PER_SECOND`, equal to the agents' `DEFAULT_REEXEC_STEPS_PER_SECOND` (tests
 * check both).
 */
export const REEXEC_STEPS_PER_SECOND = 10_000_000n;
/** A trace has at most 2^64 steps: the depth a bisection of degree 2^b needs is ⌈64 / b⌉. */
export const MAX_TRACE_LOG2 = 64n;

/** The game parameters that bound a dispute game's length ({@link maxGameDurationOf}). */
export interface GameClock {
  gameDegree: bigint | number;
  gameClockTime: bigint;
  gameClockExtension: bigint;
  gameStartGrace: bigint;
}

/**
 * The most moves one side of a dispute game makes with bisection degree `degree` (a power of two):
 * `⌈64 / log2(degree)⌉ + 1` (`DisputeGame.maxDuration`, docs/dispute-game.md §4).
 */
export function gameMovesPerSide(degree: bigint | number): bigint {
  const d = BigInt(degree);
  let bits = 0n;
  while (1n << bits < d) bits += 1n;
  if (bits === 0n) throw new RangeError(`gameMovesPerSide: degree ${d} is below 2`);
  return (MAX_TRACE_LOG2 + bits - 1n) / bits + 1n;
}

/**
 * The longest a dispute game can last, in seconds, as `DisputeGame.maxDuration()` computes it:
 * `2·clockTime + 2·M·clockExtension + startGrace` with `M` = {@link gameMovesPerSide}. The game's
 * constructor requires it to be at most `StakeManager.maxGameDuration()`.
 */
export function maxGameDurationOf(clock: GameClock): bigint {
  const moves = gameMovesPerSide(clock.gameDegree);
  return 2n * clock.gameClockTime + 2n * moves * clock.gameClockExtension + clock.gameStartGrace;
}

/**
 * The largest step limit a game with this `clockExtension` can defend: a whole message of that many
 * steps re-executed in half of the extension at {@link REEXEC_STEPS_PER_SECOND},
 * `⌊clockExtension · REEXEC_STEPS_PER_SECOND / 2⌋` (the `DisputeGame` constructor's check against
 * `ProcessRegistry.stepLimitCeiling()`; `maxReexecutableStepLimit` in agents/common/process.ts).
 */
export function maxStepLimitFor(gameClockExtension: bigint | number): bigint {
  return (BigInt(gameClockExtension) * REEXEC_STEPS_PER_SECOND) / 2n;
}

/**
 * The values the core contracts are deployed with (module `Holoproof`). Times are in seconds.
 * See `deploy/README.md` for each one's meaning.
 */
export interface CoreParameters {
  /** The ERC-20 that operators bond. Non-zero, and a contract on the target chain. */
  stakeToken: string;
  /**
   * Governance: `DEFAULT_ADMIN_ROLE` of the `ProcessRegistry` from the start, and of the
   * `StakeManager` and the `ResultRegistry` once it accepts the transfer the deployment begins
   * (`deploy/README.md`, "Roles and the admin"). Non-zero.
   */
  admin: string;
  /** Receiver of the non-reward share of every slash; the zero address burns it. */
  treasury: string;
  /** Seconds a result commitment stays challengeable. 1 s to 90 days. */
  challengeWindow: bigint;
  /** Seconds the longest dispute game can last. 1 s to 90 days. */
  maxGameDuration: bigint;
  /** Seconds between an unbond request and its withdrawal: at least `challengeWindow + maxGameDuration`, at most 365 days. */
  unbondingDelay: bigint;
  /** The slash beneficiary's share, in basis points: 0 to 9,999. */
  slashRewardBps: number;
  /**
   * Stake-token wei a scheduler needs bonded to be named at spawn (`ProcessRegistry`); the first spawn
   * naming it locks that much of its stake until `exitScheduler()` + `unbondingDelay`. At least 1.
   */
  minSchedulerStake: bigint;
  /**
   * The largest step limit of a module (`ProcessRegistry`): its first `maxStepLimit` and, for good, its
   * `stepLimitCeiling`. 1 to 2^32 - 1, and at most `gameClockExtension · 10^7 / 2` ({@link maxStepLimitFor}).
   */
  maxStepLimit: bigint;
  /** Stake-token wei locked per pending result commitment (`ResultRegistry`). 1 to 2^96 - 1. */
  commitmentStake: bigint;
  /** The dispute game's bisection degree: a power of two, 2 to 256. */
  gameDegree: number;
  /** Each side's chess clock in a dispute game, in seconds. At least 1. */
  gameClockTime: bigint;
  /** The least time a side has to answer any move, in seconds: 1 to `gameClockTime`. */
  gameClockExtension: bigint;
  /** Seconds a start-step proof waits for an equivocation proof before its game resolves. At least 1. */
  gameStartGrace: bigint;
  /** Stake-token wei of the challenger locked by a game, slashed if it loses. 1 to 2^96 - 1. */
  gameChallengeBond: bigint;
}

/** The devnet's parameters (module `Devnet`): the core's, without `stakeToken` (the devnet deploys its own). */
export type DevnetParameters = Omit<CoreParameters, "stakeToken">;

/** What callers may pass for a parameter set: times as numbers or bigints, anything left out comes from a file or a default. */
export type ParameterInput<P> = {
  [K in keyof P]?: P[K] extends bigint ? bigint | number : P[K] extends number ? number | bigint : P[K];
};

/** The module ids whose sections hold core parameters. */
export type CoreModuleId = "Holoproof" | "Devnet";

/** The parameters of the core, shared by both modules (`stakeToken` only in `Holoproof`). */
const SHARED_PARAMETER_NAMES = [
  "admin",
  "treasury",
  "challengeWindow",
  "maxGameDuration",
  "unbondingDelay",
  "slashRewardBps",
  "minSchedulerStake",
  "maxStepLimit",
  "commitmentStake",
  "gameDegree",
  "gameClockTime",
  "gameClockExtension",
  "gameStartGrace",
  "gameChallengeBond",
] as const;

/** The parameter names each module accepts in its section. */
export const CORE_PARAMETER_NAMES: Readonly<Record<CoreModuleId, readonly string[]>> = {
  Holoproof: ["stakeToken", ...SHARED_PARAMETER_NAMES],
  Devnet: [...SHARED_PARAMETER_NAMES],
};

/**
 * Invalid deployment parameters. `problems` lists every rule broken, each naming the parameter and
 * its value; the message prefixes each with `source` (the parameter file, relative to the repo).
 *
 * Example message: `deploy/parameters/localhost.json: unbondingDelay 100 is below challengeWindow + maxGameDuration = 900`.
 */
export class DeployParameterError extends Error {
  override readonly name = "DeployParameterError";

  constructor(
    /** Where the parameters came from: a file path relative to the repo, or a description. */
    readonly source: string,
    /** One line per broken rule, without the source prefix. */
    readonly problems: readonly string[],
  ) {
    super(problems.map((problem) => `${source}: ${problem}`).join("\n"));
  }
}

/** The contents of an Ignition parameter file: one section per module id, plus an optional `$global`. */
export type ParameterFile = Record<string, Record<string, unknown>>;

/** `file` relative to the repo root when inside it (as in error messages), else absolute. */
export function displayPath(file: string): string {
  const absolute = path.resolve(file);
  const relative = path.relative(REPO_ROOT, absolute);
  return relative.startsWith("..") || path.isAbsolute(relative) ? absolute : relative;
}

/** The default parameter file of a network: `deploy/parameters/<network>.json`. */
export function parameterFileFor(network: string): string {
  return path.join(PARAMETERS_DIR, `${network}.json`);
}

/**
 * Ignition's notation for integers beyond 2^53: a string of digits ending in `n` ("123n"); the same
 * reviver as `npx hardhat ignition deploy --parameters`.
 */
function bigintReviver(_key: string, value: unknown): unknown {
  return typeof value === "string" && /^\d+n$/.test(value) ? BigInt(value.slice(0, -1)) : value;
}

/**
 * Reads an Ignition parameter file.
 *
 * @throws DeployParameterError if the file cannot be read, is not JSON, or is not an object of
 * module sections.
 */
export function readParameterFile(file: string): ParameterFile {
  const source = displayPath(file);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DeployParameterError(source, [
      code === "ENOENT" ? "no such parameter file" : `cannot be read (${code ?? String(error)})`,
    ]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, bigintReviver);
  } catch (error) {
    throw new DeployParameterError(source, [`is not valid JSON (${(error as Error).message})`]);
  }
  if (!isPlainObject(parsed)) {
    throw new DeployParameterError(source, ["must be a JSON object with one section per module id"]);
  }
  const problems: string[] = [];
  for (const [key, value] of Object.entries(parsed)) {
    if (!isPlainObject(value)) problems.push(`section "${key}" must be an object of parameters`);
  }
  if (problems.length > 0) throw new DeployParameterError(source, problems);
  return parsed as ParameterFile;
}

/**
 * The parameters module `moduleId` sees in `file`, resolved like Ignition does: its own section,
 * falling back to `$global` for names it does not set.
 *
 * @throws DeployParameterError if the file has neither a `moduleId` section nor a `$global` one.
 */
export function moduleSection(
  file: ParameterFile,
  moduleId: string,
  source: string,
): Record<string, unknown> {
  const own = file[moduleId];
  const global = file.$global;
  if (own === undefined && global === undefined) {
    const found = Object.keys(file);
    throw new DeployParameterError(source, [
      `has no "${moduleId}" section (the parameters of module ${moduleId}); found ${
        found.length > 0 ? found.map((k) => `"${k}"`).join(", ") : "no sections"
      }`,
    ]);
  }
  return { ...global, ...own };
}

/** Options of {@link validateCoreParameters}. */
export interface ValidateOptions {
  /** Where the values came from, prefixed to every problem (a file relative to the repo, or a description). */
  source: string;
  /** Which module's rules to apply: `Holoproof` requires `stakeToken`, `Devnet` refuses it. */
  moduleId: CoreModuleId;
  /** The admin when none is given: the deploying account (as the modules' default). */
  defaultAdmin?: string;
  /**
   * Names set in the module's own section (not inherited from `$global`): those must all be known
   * parameters. Default: every key of `raw`.
   */
  ownKeys?: readonly string[];
}

/**
 * Checks raw parameter values (from a file section or from code) against the core's rules and returns
 * them typed and normalized (checksummed addresses, bigint times).
 *
 * @throws DeployParameterError listing every broken rule.
 */
export function validateCoreParameters(
  raw: Record<string, unknown>,
  options: ValidateOptions & { moduleId: "Holoproof" },
): CoreParameters;
export function validateCoreParameters(
  raw: Record<string, unknown>,
  options: ValidateOptions & { moduleId: "Devnet" },
): DevnetParameters;
export function validateCoreParameters(
  raw: Record<string, unknown>,
  options: ValidateOptions,
): CoreParameters | DevnetParameters;
export function validateCoreParameters(
  raw: Record<string, unknown>,
  options: ValidateOptions,
): CoreParameters | DevnetParameters {
  const { source, moduleId, defaultAdmin } = options;
  const problems: string[] = [];
  const known = CORE_PARAMETER_NAMES[moduleId];

  for (const key of options.ownKeys ?? Object.keys(raw)) {
    if (raw[key] === undefined || known.includes(key)) continue;
    problems.push(
      key === "stakeToken" && moduleId === "Devnet"
        ? `stakeToken is not a parameter of module Devnet (the devnet deploys its own token)`
        : `unknown parameter "${key}" for module ${moduleId} (known: ${known.join(", ")})`,
    );
  }

  const stakeToken =
    moduleId === "Holoproof"
      ? parseAddress("stakeToken", raw.stakeToken, problems, { zero: false })
      : undefined;
  const admin = parseAddress("admin", raw.admin ?? defaultAdmin, problems, { zero: false });
  const treasury = parseAddress("treasury", raw.treasury ?? ZeroAddress, problems, { zero: true });

  const challengeWindow = parseInteger("challengeWindow", raw.challengeWindow, problems, "seconds");
  const maxGameDuration = parseInteger("maxGameDuration", raw.maxGameDuration, problems, "seconds");
  const unbondingDelay = parseInteger("unbondingDelay", raw.unbondingDelay, problems, "seconds");
  const slashRewardBps = parseInteger("slashRewardBps", raw.slashRewardBps, problems, "basis points");

  for (const [name, value] of [
    ["challengeWindow", challengeWindow],
    ["maxGameDuration", maxGameDuration],
  ] as const) {
    if (value !== undefined && (value < 1n || value > MAX_DISPUTE_TIME)) {
      problems.push(
        `${name} ${value} is out of range: it must be 1 to ${MAX_DISPUTE_TIME} seconds (90 days)`,
      );
    }
  }
  if (unbondingDelay !== undefined) {
    if (challengeWindow !== undefined && maxGameDuration !== undefined) {
      const floor = challengeWindow + maxGameDuration;
      if (unbondingDelay < floor) {
        problems.push(
          `unbondingDelay ${unbondingDelay} is below challengeWindow + maxGameDuration = ${floor}`,
        );
      }
    }
    if (unbondingDelay > MAX_UNBONDING_DELAY) {
      problems.push(
        `unbondingDelay ${unbondingDelay} is above the maximum ${MAX_UNBONDING_DELAY} seconds (365 days)`,
      );
    }
  }
  if (slashRewardBps !== undefined && slashRewardBps >= BPS) {
    problems.push(
      `slashRewardBps ${slashRewardBps} is not below ${BPS}: some of every slash must be burned or go to the treasury`,
    );
  }

  // The registries' stakes (ProcessRegistry, ResultRegistry constructors).
  const minSchedulerStake = parseInteger("minSchedulerStake", raw.minSchedulerStake, problems, AMOUNT);
  const commitmentStake = parseInteger("commitmentStake", raw.commitmentStake, problems, AMOUNT);
  if (minSchedulerStake === 0n) {
    problems.push(
      "minSchedulerStake 0 is out of range: it must be at least 1 (a scheduler without stake could equivocate for free)",
    );
  } else if (minSchedulerStake !== undefined && minSchedulerStake > MAX_UINT256) {
    problems.push(`minSchedulerStake ${minSchedulerStake} is above the maximum 2^256 - 1 (uint256)`);
  }
  checkAmount96("commitmentStake", commitmentStake, problems);
  const maxStepLimit = parseInteger("maxStepLimit", raw.maxStepLimit, problems, STEPS);
  if (maxStepLimit !== undefined && (maxStepLimit < 1n || maxStepLimit > MAX_STEP_LIMIT)) {
    problems.push(
      `maxStepLimit ${maxStepLimit} is out of range: it must be 1 to ${MAX_STEP_LIMIT} steps (2^32 - 1)`,
    );
  }

  // The dispute game (DisputeGame constructor).
  const gameDegree = parseInteger("gameDegree", raw.gameDegree, problems, DEGREE);
  const gameClockTime = parseInteger("gameClockTime", raw.gameClockTime, problems, "seconds");
  const gameClockExtension = parseInteger("gameClockExtension", raw.gameClockExtension, problems, "seconds");
  const gameStartGrace = parseInteger("gameStartGrace", raw.gameStartGrace, problems, "seconds");
  const gameChallengeBond = parseInteger("gameChallengeBond", raw.gameChallengeBond, problems, AMOUNT);
  let gameValid = true;
  if (
    gameDegree !== undefined &&
    (gameDegree < 2n || gameDegree > MAX_GAME_DEGREE || (gameDegree & (gameDegree - 1n)) !== 0n)
  ) {
    problems.push(`gameDegree ${gameDegree} is not a power of two from 2 to ${MAX_GAME_DEGREE}`);
    gameValid = false;
  }
  for (const [name, value] of [
    ["gameClockTime", gameClockTime],
    ["gameStartGrace", gameStartGrace],
  ] as const) {
    if (value !== undefined && (value < 1n || value > MAX_UINT64)) {
      problems.push(`${name} ${value} is out of range: it must be 1 to ${MAX_UINT64} seconds (2^64 - 1)`);
      gameValid = false;
    }
  }
  if (gameClockExtension !== undefined) {
    // Compared with gameClockTime when that is valid, else with the type's ceiling only.
    const clockValid = gameClockTime !== undefined && gameClockTime >= 1n && gameClockTime <= MAX_UINT64;
    const ceiling = clockValid ? gameClockTime : MAX_UINT64;
    if (gameClockExtension < 1n || gameClockExtension > ceiling) {
      problems.push(
        `gameClockExtension ${gameClockExtension} is out of range: it must be 1 to ${
          clockValid ? `gameClockTime = ${gameClockTime}` : `${MAX_UINT64} (2^64 - 1)`
        } seconds`,
      );
      gameValid = false;
    }
  }
  checkAmount96("gameChallengeBond", gameChallengeBond, problems);

  // The longest game must fit in the StakeManager's maxGameDuration (DisputeGameDurationExceedsMax).
  if (
    gameValid &&
    gameDegree !== undefined &&
    gameClockTime !== undefined &&
    gameClockExtension !== undefined &&
    gameStartGrace !== undefined &&
    maxGameDuration !== undefined &&
    maxGameDuration >= 1n &&
    maxGameDuration <= MAX_DISPUTE_TIME
  ) {
    const clock = { gameDegree, gameClockTime, gameClockExtension, gameStartGrace };
    const duration = maxGameDurationOf(clock);
    if (duration > maxGameDuration) {
      const moves = gameMovesPerSide(gameDegree);
      problems.push(
        `the longest dispute game, 2·gameClockTime + 2·${moves}·gameClockExtension + gameStartGrace = ` +
          `2·${gameClockTime} + 2·${moves}·${gameClockExtension} + ${gameStartGrace} = ${duration} seconds, ` +
          `exceeds maxGameDuration ${maxGameDuration} (${moves} = ⌈64 / log2(gameDegree ${gameDegree})⌉ + 1 moves per side)`,
      );
    }
  }

  // The game must re-execute a whole message at the registry's ceiling in half of its extension
  // (DisputeGameInvalidParameter("clockExtension", …)).
  if (
    gameValid &&
    gameClockExtension !== undefined &&
    maxStepLimit !== undefined &&
    maxStepLimit >= 1n &&
    maxStepLimit <= MAX_STEP_LIMIT
  ) {
    const bound = maxStepLimitFor(gameClockExtension);
    if (maxStepLimit > bound) {
      problems.push(
        `maxStepLimit ${maxStepLimit} is above what the game can re-execute in half of gameClockExtension ` +
          `${gameClockExtension} s at ${REEXEC_STEPS_PER_SECOND} steps/s: at most ${bound} ` +
          `(or a gameClockExtension of at least ${(2n * maxStepLimit + REEXEC_STEPS_PER_SECOND - 1n) / REEXEC_STEPS_PER_SECOND} s)`,
      );
    }
  }

  if (problems.length > 0) throw new DeployParameterError(source, problems);

  const values: DevnetParameters = {
    admin: admin!,
    treasury: treasury!,
    challengeWindow: challengeWindow!,
    maxGameDuration: maxGameDuration!,
    unbondingDelay: unbondingDelay!,
    slashRewardBps: Number(slashRewardBps!),
    minSchedulerStake: minSchedulerStake!,
    maxStepLimit: maxStepLimit!,
    commitmentStake: commitmentStake!,
    gameDegree: Number(gameDegree!),
    gameClockTime: gameClockTime!,
    gameClockExtension: gameClockExtension!,
    gameStartGrace: gameStartGrace!,
    gameChallengeBond: gameChallengeBond!,
  };
  return moduleId === "Holoproof" ? { stakeToken: stakeToken!, ...values } : values;
}

/**
 * Reads a parameter file and validates module `moduleId`'s section.
 *
 * @param overrides values that replace the file's (e.g. from code or the command line).
 * @throws DeployParameterError naming the file.
 */
export function loadCoreParameters(
  file: string,
  moduleId: "Holoproof",
  options?: { defaultAdmin?: string; overrides?: Record<string, unknown> },
): CoreParameters;
export function loadCoreParameters(
  file: string,
  moduleId: "Devnet",
  options?: { defaultAdmin?: string; overrides?: Record<string, unknown> },
): DevnetParameters;
export function loadCoreParameters(
  file: string,
  moduleId: CoreModuleId,
  options: { defaultAdmin?: string; overrides?: Record<string, unknown> } = {},
): CoreParameters | DevnetParameters {
  const source = displayPath(file);
  const contents = readParameterFile(file);
  const section = moduleSection(contents, moduleId, source);
  const overrides = definedEntries(options.overrides ?? {});
  return validateCoreParameters(
    { ...section, ...overrides },
    {
      source,
      moduleId,
      defaultAdmin: options.defaultAdmin,
      ownKeys: [...Object.keys(contents[moduleId] ?? {}), ...Object.keys(overrides)],
    },
  );
}

/**
 * `values` as an Ignition `deploymentParameters` object for module `moduleId`.
 *
 * Integers are passed as JSON numbers when they fit (as `npx hardhat ignition deploy --parameters`
 * reads them from a file): Ignition compares a re-run's arguments with its journal by value and
 * type, so a bigint here against a number there would be reported as a changed argument.
 */
export function toIgnitionParameters(
  moduleId: CoreModuleId,
  values: CoreParameters | DevnetParameters,
): Record<string, Record<string, string | bigint | number>> {
  const section = Object.fromEntries(
    Object.entries(values).map(([name, value]: [string, string | bigint | number]) => [
      name,
      typeof value === "bigint" && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value,
    ]),
  );
  return { [moduleId]: section };
}

// ─── Helpers ─────────────────────────────────────────────────────────────────────────────────────

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function definedEntries(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
}

function parseAddress(
  name: string,
  value: unknown,
  problems: string[],
  { zero }: { zero: boolean },
): string | undefined {
  if (value === undefined) {
    problems.push(`${name} is missing (an address)`);
    return undefined;
  }
  if (typeof value !== "string") {
    problems.push(`${name} ${JSON.stringify(String(value))} is not an address`);
    return undefined;
  }
  let address: string;
  try {
    address = getAddress(value);
  } catch {
    const hint = /^0x[0-9a-fA-F]{40}$/.test(value) ? " (bad checksum: check the letter case)" : "";
    problems.push(`${name} ${JSON.stringify(value)} is not an address${hint}`);
    return undefined;
  }
  if (!zero && address === ZeroAddress) {
    problems.push(`${name} is the zero address`);
    return undefined;
  }
  return address;
}

/** The unit of the stake amounts: the stake token's smallest unit. */
const AMOUNT = "stake-token wei";
/** The unit of `maxStepLimit`. */
const STEPS = "machine steps";
/** The "unit" of `gameDegree`, which has none. */
const DEGREE = "";

function parseInteger(name: string, value: unknown, problems: string[], unit: string): bigint | undefined {
  if (value === undefined) {
    problems.push(`${name} is missing (${unit === DEGREE ? "a power of two from 2 to 256" : unit})`);
    return undefined;
  }
  if (typeof value === "bigint" && value >= 0n) return value;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  const shown = JSON.stringify(typeof value === "bigint" ? `${value}n` : value);
  const what = unit === DEGREE ? "a whole number" : `a whole number of ${unit}`;
  // A JSON number beyond 2^53 loses digits: Ignition's notation keeps them.
  const hint =
    typeof value === "number" && Number.isInteger(value) && value > 0
      ? ` (beyond 2^53 a JSON number loses digits: write the exact value as a string ending in n, e.g. "${BigInt(value)}n")`
      : "";
  problems.push(`${name} ${shown} is not ${what}${hint}`);
  return undefined;
}

function checkAmount96(name: string, value: bigint | undefined, problems: string[]): void {
  if (value !== undefined && (value < 1n || value > MAX_UINT96)) {
    problems.push(`${name} ${value} is out of range: it must be 1 to ${MAX_UINT96} ${AMOUNT} (2^96 - 1)`);
  }
}

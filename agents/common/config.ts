/**
 * Agent settings: a zod object schema is the one description of an agent's settings — their types,
 * defaults (`.default()` / `.prefault()`) and help texts (`.describe()`).
 *
 * {@link loadConfig} merges, lowest precedence first: the schema's defaults < a JSON file < the environment
 * (`HOLO_<KEY>`, the key in upper snake case: `rpcUrl` → `HOLO_RPC_URL`) < command-line flags
 * (`--rpc-url`). It validates the result and either returns a deeply frozen object or throws one
 * {@link ConfigError} listing every bad setting with where it came from (`env HOLO_RPC_URL`,
 * `file agent.json: rpcUrl`, `flag --rpc-url`). Secrets (see {@link secret}) are never echoed.
 *
 * {@link describeConfig} turns the same schema into the settings table of `--help` and the READMEs.
 */
import fs from "node:fs";
import nodePath from "node:path";

import { getAddress } from "ethers";
import { z } from "zod";

import { LOG_LEVELS, type LogLevel } from "./log";

/** The exit code of an agent refused a setting (docs/agents.md §7). */
export const CONFIG_ERROR_EXIT_CODE = 2;

/** The environment variables' prefix. */
export const ENV_PREFIX = "HOLO_";

/** The flag naming the settings file (the environment's is `HOLO_CONFIG`). */
export const CONFIG_FLAG = "--config";

const CONFIG_FILE_HELP =
  "A JSON file of settings (keys as in the first column); the environment and flags override it";

/** What replaces a secret in messages. */
const REDACTED = "[redacted]";

/** One bad setting. */
export interface ConfigIssue {
  /** The schema key (`rpcUrl`). */
  key: string;
  /** Where the value came from: `env HOLO_RPC_URL`, `file agent.json: rpcUrl`, `flag --rpc-url`, `default rpcUrl`, or `rpcUrl` when it was not set anywhere. */
  source: string;
  /** What is wrong, in plain words. */
  problem: string;
}

/** Every bad setting at once; the message has one line per issue. Agents exit with {@link CONFIG_ERROR_EXIT_CODE}. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly exitCode = CONFIG_ERROR_EXIT_CODE;
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      `invalid configuration (${issues.length} ${issues.length === 1 ? "problem" : "problems"}):\n` +
        issues.map((i) => `  - ${i.source}: ${i.problem}`).join("\n"),
    );
  }
}

/** The object schemas `loadConfig` takes: a flat `z.object({...})` of settings. */
export type ConfigSchema = z.ZodObject;

/** A readonly view all the way down. */
export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends Map<unknown, unknown> | Set<unknown> | Date | ((...args: never[]) => unknown)
    ? T
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

/** The loaded settings of schema `S`. */
export type Config<S extends ConfigSchema> = DeepReadonly<z.output<S>>;

export interface ConfigSources {
  /** The environment (pass `process.env`); only `HOLO_<KEY>` variables of known keys are read, empty ones are unset. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * A JSON file holding an object of settings by schema key; unknown keys are errors. `--config <file>` in
   * the flags, else `HOLO_CONFIG` in the environment, names the file instead.
   */
  file?: string;
  /**
   * Command-line flags: an argv tail (`["--rpc-url", "http://…", "--poll=5s", "--dry-run"]`, a flag with no
   * value is `"true"`) or an already-parsed object keyed by schema key or flag name (`{rpcUrl: …}`, as
   * commander gives). Unknown flags are errors; handle `--help` before calling.
   */
  flags?: readonly string[] | Readonly<Record<string, unknown>>;
  /** The environment prefix; `HOLO_` unless given. */
  envPrefix?: string;
}

// ---------------------------------------------------------------------------------------------------------
// names

function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1 $2")
    .split(/[\s_-]+/)
    .filter((w) => w !== "");
}

/** `rpcUrl` → `HOLO_RPC_URL`. */
export function envName(key: string, prefix = ENV_PREFIX): string {
  return prefix + words(key).join("_").toUpperCase();
}

/** `rpcUrl` → `--rpc-url`. */
export function flagName(key: string): string {
  return "--" + words(key).join("-").toLowerCase();
}

// ---------------------------------------------------------------------------------------------------------
// schema introspection

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  defaultValue?: unknown;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** The schemas from `schema` inwards through optional/default/nullable/readonly/pipe wrappers. */
function layers(schema: z.ZodType): z.ZodType[] {
  const out: z.ZodType[] = [];
  let s: z.ZodType | undefined = schema;
  while (s !== undefined && out.length < 32) {
    out.push(s);
    const def = defOf(s);
    s = def.innerType ?? (def.type === "pipe" ? def.in : undefined);
  }
  return out;
}

function metaOf(schema: z.ZodType): Record<string, unknown> | undefined {
  return z.globalRegistry.get(schema) as Record<string, unknown> | undefined;
}

function isSecret(schema: z.ZodType): boolean {
  return layers(schema).some((s) => metaOf(s)?.secret === true);
}

function descriptionOf(schema: z.ZodType): string | undefined {
  for (const s of layers(schema)) {
    const d = metaOf(s)?.description;
    if (typeof d === "string" && d.trim() !== "") return d;
  }
  return undefined;
}

/** The default (as written in the schema), whether the key is required. */
function defaultOf(schema: z.ZodType): { hasDefault: boolean; value?: unknown; optional: boolean } {
  for (const s of layers(schema)) {
    const def = defOf(s);
    if (def.type === "default" || def.type === "prefault") {
      return { hasDefault: true, value: def.defaultValue, optional: true };
    }
    if (def.type === "optional") return { hasDefault: false, optional: true };
  }
  return { hasDefault: false, optional: false };
}

/** The innermost type name, for turning environment strings into numbers, booleans, arrays or objects. */
function baseType(schema: z.ZodType): string {
  const all = layers(schema);
  return defOf(all[all.length - 1]).type;
}

function objectShape(schema: unknown, caller: string): Record<string, z.ZodType> {
  const def = (schema as { _zod?: { def?: { type?: string; shape?: Record<string, z.ZodType> } } })?._zod
    ?.def;
  if (def?.type !== "object" || def.shape === undefined) {
    throw new TypeError(`${caller}: the schema must be a zod object (z.object({...})) of settings`);
  }
  return def.shape;
}

// ---------------------------------------------------------------------------------------------------------
// field helpers: each takes a string (environment, flags) or the JSON type (file), so one schema serves all

function show(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : String(value);
  return text.length > 80 ? text.slice(0, 77) + "..." : text;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (problem: string): Parsed<never> => ({ ok: false, problem });

/** A setting parsed by `parse`, with "required, not set" for a missing value. */
function field<T>(parse: (raw: unknown) => Parsed<T>) {
  return z.unknown().transform((raw, ctx): T => {
    if (raw === undefined) {
      ctx.addIssue({ code: "custom", message: "required, but not set" });
      return z.NEVER;
    }
    const r = parse(raw);
    if (r.ok) return r.value;
    ctx.addIssue({ code: "custom", message: r.problem });
    return z.NEVER;
  });
}

/** The protocols {@link url} accepts unless told otherwise. */
export const URL_PROTOCOLS = ["http", "https", "ws", "wss"] as const;

/** A URL whose scheme is one of `protocols` (http, https, ws, wss by default); the value is kept as written. */
export function url(options: { protocols?: readonly string[] } = {}) {
  const protocols = options.protocols ?? URL_PROTOCOLS;
  return field((raw) => {
    if (typeof raw !== "string") return bad(`expected a URL string, got ${typeof raw} ${show(raw)}`);
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      return bad(`not a URL: ${show(raw)} (expected e.g. http://127.0.0.1:8545)`);
    }
    const scheme = u.protocol.replace(/:$/, "");
    if (!protocols.includes(scheme)) {
      return bad(`URL scheme ${scheme}: is not allowed (use ${protocols.join(", ")}): ${show(raw)}`);
    }
    return ok(raw);
  });
}

/** An Ethereum address: 0x and 40 hex digits; mixed case must carry a valid EIP-55 checksum. The value is checksummed. */
export function address() {
  return field((raw) => {
    if (typeof raw !== "string") return bad(`expected an address string, got ${typeof raw} ${show(raw)}`);
    if (!/^0x[0-9a-fA-F]{40}$/.test(raw)) {
      return bad(`not an Ethereum address (0x followed by 40 hex digits): ${show(raw)}`);
    }
    try {
      return ok(getAddress(raw));
    } catch {
      return bad(
        `bad EIP-55 checksum in ${show(raw)} (mixed case must match the checksum; all lower case skips it)`,
      );
    }
  });
}

/** secp256k1's group order: a private key is in [1, n). */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/**
 * A private key: 0x and 64 hex digits, non-zero and below the secp256k1 order. Secret: never echoed in
 * errors, shown as `[redacted]` by {@link redactConfig}.
 */
export function privateKey() {
  return secret(
    field((raw) => {
      if (typeof raw !== "string") return bad(`expected a hex string, got ${typeof raw}`);
      if (!/^0x[0-9a-fA-F]{64}$/.test(raw)) {
        return bad(
          `not a private key: expected 0x followed by 64 hex digits (${raw.length} characters given)`,
        );
      }
      const k = BigInt(raw);
      if (k === 0n || k >= SECP256K1_N) return bad("not a private key: outside [1, secp256k1 order)");
      return ok(raw.toLowerCase());
    }),
  );
}

/** Marks a setting secret: its value never appears in a ConfigError, in {@link redactConfig} or in `--help`. */
export function secret<T extends z.ZodType>(schema: T): T {
  return schema.meta({ secret: true }) as T;
}

function integer(min: number, what: string) {
  return field((raw) => {
    let n: number;
    if (typeof raw === "number") n = raw;
    else if (typeof raw === "string" && /^\s*[+-]?\d+\s*$/.test(raw)) n = Number(raw);
    else return bad(`expected ${what}, got ${show(raw)}`);
    if (!Number.isSafeInteger(n) || n < min) return bad(`expected ${what}, got ${show(raw)}`);
    return ok(n);
  });
}

/** An integer ≥ 1 (a number, or a decimal string). */
export function positiveInt() {
  return integer(1, "a positive integer (1, 2, 3...)");
}

/** An integer ≥ 0 (a number, or a decimal string). */
export function nonNegativeInt() {
  return integer(0, "an integer >= 0");
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `"30s"`, `"5m"`, `"2h"`, `"1.5s"`, `"250ms"`, `"1d"` or a number of milliseconds into milliseconds. */
export function parseDuration(raw: unknown): number | undefined {
  if (typeof raw === "number") return Number.isSafeInteger(raw) && raw >= 0 ? raw : undefined;
  if (typeof raw !== "string") return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(raw);
  if (m === null) return undefined;
  const ms = Number(m[1]) * DURATION_UNITS[m[2] ?? "ms"];
  return Number.isSafeInteger(ms) ? ms : Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/** A duration: `"30s"`, `"5m"`, `"2h"`, `"250ms"`, `"1d"` or milliseconds; the value is milliseconds. */
export function duration() {
  return field((raw) => {
    const ms = parseDuration(raw);
    return ms === undefined
      ? bad(
          `expected a duration such as "30s", "5m", "2h", "250ms" or a number of milliseconds, got ${show(raw)}`,
        )
      : ok(ms);
  });
}

const BYTE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** Parses `"64KiB"`, `"1MiB"`, `"10MB"`, `"512B"` or a number of bytes into bytes. */
export function parseByteSize(raw: unknown): number | undefined {
  if (typeof raw === "number") return Number.isSafeInteger(raw) && raw >= 0 ? raw : undefined;
  if (typeof raw !== "string") return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?\s*$/i.exec(raw);
  if (m === null) return undefined;
  const bytes = Number(m[1]) * BYTE_UNITS[(m[2] ?? "b").toLowerCase()];
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** A byte size: `"64KiB"`, `"1MiB"`, `"10MB"` (1000-based), `"512B"` or a number; the value is whole bytes. */
export function byteSize() {
  return field((raw) => {
    const n = parseByteSize(raw);
    return n === undefined
      ? bad(
          `expected a byte size such as "64KiB", "1MiB", "10MB" or a whole number of bytes, got ${show(raw)}`,
        )
      : ok(n);
  });
}

/** A filesystem path, resolved against the working directory (`:memory:` is kept as is, for SQLite). */
export function path() {
  return field((raw) => {
    if (typeof raw !== "string" || raw.trim() === "")
      return bad(`expected a non-empty path, got ${show(raw)}`);
    if (raw.includes("\0")) return bad("a path cannot contain a NUL character");
    return ok(raw === ":memory:" ? raw : nodePath.resolve(raw));
  });
}

/** A boolean: true/false, or the strings true/false/1/0/yes/no/on/off. */
export function bool() {
  return field((raw) => {
    if (typeof raw === "boolean") return ok(raw);
    const s = typeof raw === "string" ? raw.trim().toLowerCase() : undefined;
    if (s !== undefined && ["true", "1", "yes", "on"].includes(s)) return ok(true);
    if (s !== undefined && ["false", "0", "no", "off"].includes(s)) return ok(false);
    return bad(`expected true or false, got ${show(raw)}`);
  });
}

/** A log level (fatal, error, warn, info, debug, trace, silent). */
export function logLevel() {
  return field((raw) =>
    typeof raw === "string" && (LOG_LEVELS as readonly string[]).includes(raw)
      ? ok(raw as LogLevel)
      : bad(`expected a log level (${LOG_LEVELS.join(", ")}), got ${show(raw)}`),
  );
}

/** A list: a JSON array, or a comma-separated string (`"a,b,c"`); each item is checked by `item`. */
export function list<T extends z.ZodType>(item: T) {
  return z.preprocess((raw) => {
    if (typeof raw !== "string") return raw;
    const s = raw.trim();
    if (s.startsWith("[")) {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        return raw;
      }
    }
    return s === "" ? [] : s.split(",").map((x) => x.trim());
  }, z.array(item));
}

// ---------------------------------------------------------------------------------------------------------
// loading

interface Origin {
  source: string;
  raw: unknown;
}

/** Turns an environment/flag string into what a plain zod type expects (helpers take strings themselves). */
function coerce(schema: z.ZodType, raw: unknown): unknown {
  if (typeof raw !== "string") return raw;
  switch (baseType(schema)) {
    case "number":
    case "int":
      return raw.trim() !== "" && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    case "bigint":
      return /^\s*-?\d+\s*$/.test(raw) ? BigInt(raw) : raw;
    case "boolean": {
      const s = raw.trim().toLowerCase();
      return s === "true" || s === "1" ? true : s === "false" || s === "0" ? false : raw;
    }
    case "array":
    case "object":
    case "record":
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        return raw;
      }
    default:
      return raw;
  }
}

function readFile(file: string, issues: ConfigIssue[]): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    issues.push({
      key: "",
      source: `file ${file}`,
      problem: code === "ENOENT" ? "no such file" : `cannot be read (${code ?? (e as Error).message})`,
    });
    return undefined;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    issues.push({ key: "", source: `file ${file}`, problem: `not valid JSON: ${(e as Error).message}` });
    return undefined;
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    issues.push({
      key: "",
      source: `file ${file}`,
      problem: `must hold a JSON object of settings, not ${Array.isArray(data) ? "an array" : show(data)}`,
    });
    return undefined;
  }
  return data as Record<string, unknown>;
}

/** `["--a", "1", "--b=2", "--c"]` → `[["--a","1"], ["--b","2"], ["--c","true"]]`, or a problem per bad token. */
function parseArgv(argv: readonly string[], issues: ConfigIssue[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (!token.startsWith("--") || token === "--") {
      issues.push({
        key: "",
        source: `argument ${show(token)}`,
        problem: "unexpected argument; settings are given as --name value or --name=value",
      });
      continue;
    }
    const eq = token.indexOf("=");
    if (eq >= 0) out.push([token.slice(0, eq), token.slice(eq + 1)]);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) out.push([token, argv[++i]]);
    else out.push([token, "true"]);
  }
  return out;
}

function closest(name: string, candidates: readonly string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let prev = row[0];
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const tmp = row[j];
        row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = tmp;
      }
    }
    return row[b.length];
  };
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(name.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}

function unknownProblem(name: string, candidates: readonly string[]): string {
  const guess = closest(name, candidates);
  return `unknown setting${guess === undefined ? "" : `; did you mean ${guess}?`}`;
}

function plainProblem(issue: z.core.$ZodIssue, origin: Origin | undefined, secretValue: boolean): string {
  const at = issue.path.length > 1 ? `at ${issue.path.slice(1).join(".")}: ` : "";
  if (issue.code === "custom") return at + issue.message;
  if (issue.code === "invalid_type") {
    if (origin === undefined && issue.path.length === 1) return "required, but not set";
    const got = secretValue || origin === undefined ? "" : `, got ${show(origin.raw)}`;
    return `${at}expected ${issue.expected === "int" ? "an integer" : `a ${issue.expected}`}${issue.path.length === 1 ? got : ""}`;
  }
  const message = issue.message.replace(/^Invalid (input|string|option|value): /, "");
  const got =
    secretValue || origin === undefined || issue.path.length > 1 ? "" : ` (got ${show(origin.raw)})`;
  return `${at}${message}${got}`;
}

/**
 * Loads settings: defaults < `file` < `env` < `flags`, validated by `schema`, deeply frozen.
 *
 * @throws ConfigError listing every bad, unknown or missing setting, each with its source.
 * @throws TypeError if `schema` is not a zod object schema (a programming error, not a bad setting).
 */
export function loadConfig<S extends ConfigSchema>(schema: S, sources: ConfigSources = {}): Config<S> {
  const shape = objectShape(schema, "loadConfig");
  if (Object.hasOwn(shape, "config")) {
    throw new TypeError(
      "loadConfig: `config` cannot be a setting: --config / HOLO_CONFIG name the settings file",
    );
  }
  const keys = Object.keys(shape);
  const prefix = sources.envPrefix ?? ENV_PREFIX;
  const issues: ConfigIssue[] = [];
  const values: Record<string, unknown> = {};
  const origins: Record<string, Origin> = {};
  const secrets = new Set<string>();
  const set = (key: string, raw: unknown, source: string) => {
    values[key] = coerce(shape[key], raw);
    origins[key] = { source, raw };
    // (a secret too short to search for safely is still never quoted: see plainProblem)
    if (isSecret(shape[key]) && typeof raw === "string" && raw.length >= 6) secrets.add(raw);
  };

  // Flags are read first only to find --config; they are applied last.
  const byFlag = new Map(keys.map((k) => [flagName(k), k]));
  const flagEntries: [string, unknown][] =
    sources.flags === undefined
      ? []
      : Array.isArray(sources.flags)
        ? parseArgv(sources.flags as readonly string[], issues)
        : Object.entries(sources.flags).map(([k, v]) => [k.startsWith("--") ? k : flagName(k), v]);
  const env = sources.env ?? {};
  const configFlag = flagEntries
    .filter(([flag, raw]) => flag === CONFIG_FLAG && raw !== undefined)
    .pop()?.[1];
  const configEnv = env[prefix + "CONFIG"];
  const file =
    configFlag !== undefined
      ? String(configFlag)
      : configEnv !== undefined && configEnv !== ""
        ? configEnv
        : sources.file;

  if (file !== undefined) {
    const data = readFile(file, issues);
    for (const [key, raw] of Object.entries(data ?? {})) {
      if (!Object.hasOwn(shape, key)) {
        issues.push({ key, source: `file ${file}: ${key}`, problem: unknownProblem(key, keys) });
      } else set(key, raw, `file ${file}: ${key}`);
    }
  }

  for (const key of keys) {
    const name = envName(key, prefix);
    const raw = env[name];
    if (raw !== undefined && raw !== "") set(key, raw, `env ${name}`);
  }

  for (const [flag, raw] of flagEntries) {
    if (raw === undefined || flag === CONFIG_FLAG) continue;
    const key = byFlag.get(flag);
    if (key === undefined) {
      issues.push({ key: "", source: `flag ${flag}`, problem: unknownProblem(flag, [...byFlag.keys()]) });
    } else set(key, raw, `flag ${flag}`);
  }

  const result = schema.safeParse(values);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = String(issue.path[0] ?? "");
      const origin = origins[key];
      const secretValue = key !== "" && isSecret(shape[key]);
      let source: string;
      if (origin !== undefined) source = origin.source;
      else if (key !== "" && defaultOf(shape[key]).hasDefault) source = `default ${key}`;
      else source = key;
      let problem = plainProblem(issue, origin, secretValue);
      if (origin === undefined && problem === "required, but not set" && key !== "") {
        problem += ` (set ${envName(key, prefix)}, ${flagName(key)} or "${key}" in the config file)`;
      }
      issues.push({ key, source, problem });
    }
  }
  if (issues.length > 0) {
    throw new ConfigError(
      issues.map((i) => {
        let problem = i.problem;
        for (const s of secrets) problem = problem.split(s).join(REDACTED);
        return { ...i, problem };
      }),
    );
  }
  return deepFreeze(result.data) as Config<S>;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** A copy of `config` for logs and `holo config` output: secret settings replaced by `[redacted]`. */
export function redactConfig<S extends ConfigSchema>(schema: S, config: Config<S>): Record<string, unknown> {
  const shape = objectShape(schema, "redactConfig");
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    out[key] = Object.hasOwn(shape, key) && isSecret(shape[key]) && value !== undefined ? REDACTED : value;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// describing

/** One row of the settings table. */
export interface ConfigSetting {
  key: string;
  env: string;
  flag: string;
  required: boolean;
  /** The default as written in the schema (`"30s"`), `undefined` without one. */
  default?: unknown;
  description: string;
  secret: boolean;
}

export interface ConfigDescription {
  settings: readonly ConfigSetting[];
  /** Plain text for `--help`. */
  text(): string;
  /** A Markdown table for READMEs. */
  markdown(): string;
}

function formatDefault(s: ConfigSetting): string {
  if (s.required) return "(required)";
  if (s.default === undefined) return "(unset)";
  if (s.secret) return REDACTED;
  return typeof s.default === "string" ? s.default : JSON.stringify(s.default);
}

/**
 * The settings table of `schema`: key, flag, environment variable, default and the `.describe()` text.
 *
 * @throws TypeError if a setting has no `.describe()` text (the texts are the documentation's one source).
 */
export function describeConfig(
  schema: ConfigSchema,
  options: { envPrefix?: string } = {},
): ConfigDescription {
  const shape = objectShape(schema, "describeConfig");
  const undocumented = Object.keys(shape).filter((k) => descriptionOf(shape[k]) === undefined);
  if (undocumented.length > 0) {
    throw new TypeError(`describeConfig: settings without a .describe() text: ${undocumented.join(", ")}`);
  }
  const prefix = options.envPrefix ?? ENV_PREFIX;
  const settings = Object.entries(shape).map(([key, s]): ConfigSetting => {
    const d = defaultOf(s);
    return {
      key,
      env: envName(key, prefix),
      flag: flagName(key),
      required: !d.optional,
      ...(d.hasDefault ? { default: d.value } : {}),
      description: descriptionOf(s)!,
      secret: isSecret(s),
    };
  });
  return {
    settings,
    text() {
      const rows: [string, string, string][] = [
        [`${CONFIG_FLAG}, ${prefix}CONFIG`, "(unset)", CONFIG_FILE_HELP],
        ...settings.map((s): [string, string, string] => [
          `${s.flag}, ${s.env}`,
          formatDefault(s) + (s.secret ? " (secret)" : ""),
          s.description,
        ]),
      ];
      const width = Math.max(...rows.map(([head]) => head.length));
      return rows.map(([head, def, text]) => `  ${head.padEnd(width)}  ${def}\n      ${text}`).join("\n");
    },
    markdown() {
      const cell = (t: string) => t.replace(/\|/g, "\\|");
      return [
        "| setting | flag | environment | default | description |",
        "| ------- | ---- | ----------- | ------- | ----------- |",
        `| | \`${CONFIG_FLAG}\` | \`${prefix}CONFIG\` | (unset) | ${CONFIG_FILE_HELP} |`,
        ...settings.map(
          (s) =>
            `| \`${s.key}\` | \`${s.flag}\` | \`${s.env}\` | ${cell(formatDefault(s))} | ${cell(s.description)}${s.secret ? " (secret)" : ""} |`,
        ),
      ].join("\n");
    },
  };
}

/** The field helpers under one name: `fields.url()`, `fields.duration().prefault("30s")`... */
export const fields = Object.freeze({
  url,
  address,
  privateKey,
  secret,
  positiveInt,
  nonNegativeInt,
  duration,
  byteSize,
  path,
  bool,
  logLevel,
  list,
});

/**
 * The chain cross-check settings an agent that acts on chain reads takes (agents/common/chain.ts,
 * `ChainClientOptions.crossCheckRpcUrls`): spread into its schema, passed to `ChainClient.connect`.
 */
export const crossCheckSettings = Object.freeze({
  crossCheckRpcUrls: list(url({ protocols: ["http", "https"] }))
    .prefault([])
    .describe(
      "Further JSON-RPC endpoints (other providers) that cross-check every chain read the agent acts on; on a disagreement it pages rpcDisagreement and does not act ([]: one RPC, reads unchecked)",
    ),
  crossCheckMaxLagBlocks: nonNegativeInt()
    .prefault(8)
    .describe("How many blocks the RPCs' latest blocks may be apart before it counts as a disagreement"),
});

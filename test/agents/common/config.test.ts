import fs from "node:fs";
import os from "node:os";
import nodePath from "node:path";

import { expect } from "chai";
import fc from "fast-check";
import { z } from "zod";

import {
  CONFIG_ERROR_EXIT_CODE,
  ConfigError,
  address,
  bool,
  byteSize,
  describeConfig,
  duration,
  envName,
  flagName,
  list,
  loadConfig,
  logLevel,
  nonNegativeInt,
  parseByteSize,
  parseDuration,
  path,
  positiveInt,
  privateKey,
  redactConfig,
  secret,
  url,
  type ConfigIssue,
  type ConfigSources,
} from "../../../agents/common/config";

const KEY = "0x" + "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318".toLowerCase();
const ADDRESS = "0x5FbDB2315678afecb367f032d93F642f64180aa3"; // checksummed

const schema = z.object({
  rpcUrl: url().describe("The chain's JSON-RPC endpoint"),
  privateKey: privateKey().describe("The key the agent signs transactions with"),
  registry: address().describe("The ProcessRegistry contract"),
  pollInterval: duration().prefault("30s").describe("How often the chain is polled"),
  bodyLimit: byteSize().prefault("64KiB").describe("The largest HTTP request body"),
  confirmations: nonNegativeInt().default(0).describe("Blocks to wait before a transaction counts"),
  maxInFlight: positiveInt().prefault(4).describe("Transactions sent without waiting"),
  dataDir: path().prefault("./data").describe("Where the SQLite file lives"),
  dryRun: bool().prefault(false).describe("Log transactions instead of sending them"),
  logLevel: logLevel().prefault("info").describe("The lowest log level written"),
  gateways: list(url()).prefault([]).describe("Arweave gateways, in order of preference"),
  port: z.number().int().min(0).max(65535).default(8080).describe("The HTTP port"),
  label: z.string().optional().describe("A name for this instance in logs"),
});

const REQUIRED_ENV = {
  HOLO_RPC_URL: "http://127.0.0.1:8545",
  HOLO_PRIVATE_KEY: KEY,
  HOLO_REGISTRY: ADDRESS,
};

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e, String(e)).to.be.instanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

function issue(error: ConfigError, source: string): ConfigIssue {
  const found = error.issues.find((i) => i.source === source);
  expect(found, `no issue from ${source} in:\n${error.message}`).not.to.equal(undefined);
  return found!;
}

describe("agents/common/config", function () {
  let dir: string;
  beforeEach(function () {
    dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "holo-config-"));
  });
  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const writeJson = (name: string, data: unknown) => {
    const file = nodePath.join(dir, name);
    fs.writeFileSync(file, typeof data === "string" ? data : JSON.stringify(data));
    return file;
  };

  describe("loadConfig", function () {
    it("applies defaults and normalizes every field type", function () {
      const config = loadConfig(schema, { env: REQUIRED_ENV });
      expect(config).to.deep.equal({
        rpcUrl: "http://127.0.0.1:8545",
        privateKey: KEY,
        registry: ADDRESS,
        pollInterval: 30_000,
        bodyLimit: 65_536,
        confirmations: 0,
        maxInFlight: 4,
        dataDir: nodePath.resolve("data"),
        dryRun: false,
        logLevel: "info",
        gateways: [],
        port: 8080,
      });
      // types follow the schema's output
      const ms: number = config.pollInterval;
      const urls: readonly string[] = config.gateways;
      expect([ms, urls.length]).to.deep.equal([30_000, 0]);
    });

    it("takes flags over environment over file over defaults", function () {
      const file = writeJson("agent.json", { pollInterval: "1m", maxInFlight: 2, port: 9000 });
      const base: ConfigSources = { env: { ...REQUIRED_ENV }, file };
      expect(loadConfig(schema, { env: REQUIRED_ENV }).pollInterval).to.equal(30_000);
      expect(loadConfig(schema, base).pollInterval).to.equal(60_000);
      const withEnv = { ...base, env: { ...REQUIRED_ENV, HOLO_POLL_INTERVAL: "2h" } };
      expect(loadConfig(schema, withEnv).pollInterval).to.equal(7_200_000);
      expect(loadConfig(schema, { ...withEnv, flags: ["--poll-interval", "5s"] }).pollInterval).to.equal(
        5000,
      );
      // the other keys keep their own winners
      const all = loadConfig(schema, { ...withEnv, flags: ["--poll-interval=5s"] });
      expect([all.maxInFlight, all.port]).to.deep.equal([2, 9000]);
    });

    it("precedence holds for any combination of sources (property)", function () {
      const file = writeJson("p.json", { maxInFlight: 2 });
      const noFile = writeJson("empty.json", {});
      fc.assert(
        fc.property(fc.boolean(), fc.boolean(), fc.boolean(), (inFile, inEnv, inFlags) => {
          const config = loadConfig(schema, {
            file: inFile ? file : noFile,
            env: { ...REQUIRED_ENV, ...(inEnv ? { HOLO_MAX_IN_FLIGHT: "3" } : {}) },
            flags: inFlags ? { maxInFlight: "5" } : {},
          });
          const expected = inFlags ? 5 : inEnv ? 3 : inFile ? 2 : 4;
          return config.maxInFlight === expected;
        }),
      );
    });

    it("returns a deeply frozen object", function () {
      const config = loadConfig(schema, {
        env: { ...REQUIRED_ENV, HOLO_GATEWAYS: "http://a.test,http://b.test" },
      });
      expect(Object.isFrozen(config)).to.equal(true);
      expect(Object.isFrozen(config.gateways)).to.equal(true);
      expect(() => {
        (config as { rpcUrl: string }).rpcUrl = "http://evil";
      }).to.throw(TypeError);
      expect(() => (config.gateways as string[]).push("x")).to.throw(TypeError);
    });

    it("lists every bad, missing and unknown setting at once, each with its source", function () {
      const file = writeJson("agent.json", {
        pollInterval: "soon",
        rpcUrll: "http://x",
        bodyLimit: "64 furlongs",
      });
      const error = configError(() =>
        loadConfig(schema, {
          file,
          env: { HOLO_RPC_URL: "localhost:8545", HOLO_PRIVATE_KEY: KEY, HOLO_PORT: "http" },
          flags: ["--max-in-flight", "0", "--dry-rnu", "--log-level=loud"],
        }),
      );
      expect(error.name).to.equal("ConfigError");
      expect(error.exitCode).to.equal(CONFIG_ERROR_EXIT_CODE).and.to.equal(2);
      expect(error.issues.map((i) => i.source).sort()).to.deep.equal(
        [
          `file ${file}: rpcUrll`,
          `file ${file}: pollInterval`,
          `file ${file}: bodyLimit`,
          "env HOLO_RPC_URL",
          "env HOLO_PORT",
          "flag --max-in-flight",
          "flag --dry-rnu",
          "flag --log-level",
          "registry",
        ].sort(),
      );
      expect(issue(error, `file ${file}: rpcUrll`).problem).to.equal("unknown setting; did you mean rpcUrl?");
      expect(issue(error, `file ${file}: pollInterval`).problem).to.equal(
        'expected a duration such as "30s", "5m", "2h", "250ms" or a number of milliseconds, got "soon"',
      );
      expect(issue(error, `file ${file}: bodyLimit`).problem).to.match(
        /expected a byte size .* got "64 furlongs"/,
      );
      expect(issue(error, "env HOLO_RPC_URL").problem).to.equal(
        'URL scheme localhost: is not allowed (use http, https, ws, wss): "localhost:8545"',
      );
      expect(issue(error, "env HOLO_PORT").problem).to.equal('expected a number, got "http"');
      expect(issue(error, "flag --max-in-flight").problem).to.equal(
        'expected a positive integer (1, 2, 3...), got "0"',
      );
      expect(issue(error, "flag --dry-rnu").problem).to.equal("unknown setting; did you mean --dry-run?");
      expect(issue(error, "flag --log-level").problem).to.match(
        /^expected a log level \(fatal, error, .*\), got "loud"$/,
      );
      const missing = issue(error, "registry");
      expect(missing.key).to.equal("registry");
      expect(missing.problem).to.equal(
        'required, but not set (set HOLO_REGISTRY, --registry or "registry" in the config file)',
      );
      // one line per issue in the message
      expect(error.message.split("\n")).to.have.length(1 + 9);
      expect(error.message).to.match(/^invalid configuration \(9 problems\):\n {2}- /);
      expect(error.message).to.include("  - env HOLO_RPC_URL: URL scheme localhost:");
    });

    it("never echoes a private key, wherever it comes from", function () {
      const shortKey = "0x" + "1234abcd".repeat(7); // 56 hex digits: wrong length
      const zeroKey = "0x" + "0".repeat(64);
      for (const [sources, source] of [
        [{ env: { ...REQUIRED_ENV, HOLO_PRIVATE_KEY: shortKey } }, "env HOLO_PRIVATE_KEY"],
        [{ env: REQUIRED_ENV, flags: { privateKey: shortKey } }, "flag --private-key"],
        [
          {
            env: { HOLO_RPC_URL: REQUIRED_ENV.HOLO_RPC_URL, HOLO_REGISTRY: ADDRESS },
            file: writeJson("k.json", { privateKey: shortKey }),
          },
          "file ",
        ],
      ] as [ConfigSources, string][]) {
        const error = configError(() => loadConfig(schema, sources));
        expect(error.issues).to.have.length(1);
        expect(error.issues[0].source).to.include(source);
        expect(error.issues[0].problem).to.equal(
          "not a private key: expected 0x followed by 64 hex digits (58 characters given)",
        );
        expect(error.message).not.to.include("1234abcd");
        expect(JSON.stringify(error.issues)).not.to.include("1234abcd");
      }
      const zero = configError(() =>
        loadConfig(schema, { env: { ...REQUIRED_ENV, HOLO_PRIVATE_KEY: zeroKey } }),
      );
      expect(zero.issues[0].problem).to.equal("not a private key: outside [1, secp256k1 order)");
      // a valid key next to a bad setting stays out of the message too
      const other = configError(() => loadConfig(schema, { env: { ...REQUIRED_ENV, HOLO_PORT: "-1" } }));
      expect(other.issues.map((i) => i.problem)).to.deep.equal([
        'Too small: expected number to be >=0 (got "-1")',
      ]);
      expect(other.message).not.to.include(KEY.slice(2));
    });

    it("redacts a secret() plain zod setting, even where zod's message would quote the value", function () {
      const tokenSchema = z.object({
        apiToken: secret(z.string().regex(/^tok_[a-z]{8}$/)).describe("Bundler API token"),
        mode: z.enum(["fast", "slow"]).describe("mode"),
      });
      const error = configError(() =>
        loadConfig(tokenSchema, { env: { HOLO_API_TOKEN: "hunter2-very-secret", HOLO_MODE: "medium" } }),
      );
      expect(error.issues.map((i) => i.source)).to.deep.equal(["env HOLO_API_TOKEN", "env HOLO_MODE"]);
      expect(error.message).not.to.include("hunter2");
      expect(issue(error, "env HOLO_MODE").problem).to.equal('expected one of "fast"|"slow" (got "medium")');
    });

    it("names the file when it is missing, not JSON, or not an object", function () {
      const missing = nodePath.join(dir, "missing.json");
      expect(
        configError(() => loadConfig(schema, { env: REQUIRED_ENV, file: missing })).issues,
      ).to.deep.equal([{ key: "", source: `file ${missing}`, problem: "no such file" }]);
      const broken = writeJson("broken.json", "{ not json");
      const e2 = configError(() => loadConfig(schema, { env: REQUIRED_ENV, file: broken }));
      expect(e2.issues[0].source).to.equal(`file ${broken}`);
      expect(e2.issues[0].problem).to.match(/^not valid JSON: /);
      const array = writeJson("array.json", [1, 2]);
      expect(
        configError(() => loadConfig(schema, { env: REQUIRED_ENV, file: array })).issues[0].problem,
      ).to.equal("must hold a JSON object of settings, not an array");
    });

    it("reads flags from argv (--k v, --k=v, bare booleans) or from a parsed object", function () {
      const fromArgv = loadConfig(schema, {
        env: REQUIRED_ENV,
        flags: [
          "--dry-run",
          "--body-limit=1MiB",
          "--gateways",
          "https://a.test,https://b.test",
          "--label",
          "x",
        ],
      });
      expect([fromArgv.dryRun, fromArgv.bodyLimit, fromArgv.gateways, fromArgv.label]).to.deep.equal([
        true,
        1_048_576,
        ["https://a.test", "https://b.test"],
        "x",
      ]);
      const fromObject = loadConfig(schema, {
        env: REQUIRED_ENV,
        flags: { dryRun: true, "log-level": "debug", port: 1, label: undefined },
      });
      expect([fromObject.dryRun, fromObject.logLevel, fromObject.port, fromObject.label]).to.deep.equal([
        true,
        "debug",
        1,
        undefined,
      ]);
      const stray = configError(() => loadConfig(schema, { env: REQUIRED_ENV, flags: ["positional"] }));
      expect(stray.issues).to.deep.equal([
        {
          key: "",
          source: 'argument "positional"',
          problem: "unexpected argument; settings are given as --name value or --name=value",
        },
      ]);
    });

    it("treats an empty environment variable as unset, and ignores unknown HOLO_ variables", function () {
      const config = loadConfig(schema, {
        env: { ...REQUIRED_ENV, HOLO_POLL_INTERVAL: "", HOLO_SOMETHING_ELSE: "x", PATH: "/bin" },
      });
      expect(config.pollInterval).to.equal(30_000);
      const error = configError(() => loadConfig(schema, { env: { ...REQUIRED_ENV, HOLO_RPC_URL: "" } }));
      expect(error.issues.map((i) => i.source)).to.deep.equal(["rpcUrl"]);
    });

    it("coerces environment strings for plain zod numbers, booleans and arrays", function () {
      const plain = z.object({
        n: z.number().describe("n"),
        b: z.boolean().describe("b"),
        xs: z.array(z.number()).describe("xs"),
      });
      expect(loadConfig(plain, { env: { HOLO_N: "7", HOLO_B: "false", HOLO_XS: "[1,2]" } })).to.deep.equal({
        n: 7,
        b: false,
        xs: [1, 2],
      });
      const error = configError(() =>
        loadConfig(plain, { env: { HOLO_N: "7", HOLO_B: "maybe", HOLO_XS: '[1,"a"]' } }),
      );
      expect(error.issues).to.deep.equal([
        { key: "b", source: "env HOLO_B", problem: 'expected a boolean, got "maybe"' },
        { key: "xs", source: "env HOLO_XS", problem: "at 1: expected a number" },
      ]);
    });

    it("blames a default that fails its own schema on the default", function () {
      const badDefault = z.object({ limit: byteSize().prefault("lots").describe("limit") });
      const error = configError(() => loadConfig(badDefault, {}));
      expect(error.issues[0].source).to.equal("default limit");
    });

    it("reads the file named by --config, else HOLO_CONFIG, else the given file", function () {
      const a = writeJson("a.json", { port: 1 });
      const b = writeJson("b.json", { port: 2 });
      const c = writeJson("c.json", { port: 3 });
      const load = (env: Record<string, string>, flags: string[]) =>
        loadConfig(schema, { env: { ...REQUIRED_ENV, ...env }, flags, file: c }).port;
      expect(load({}, [])).to.equal(3);
      expect(load({ HOLO_CONFIG: b }, [])).to.equal(2);
      expect(load({ HOLO_CONFIG: b }, ["--config", a])).to.equal(1);
      expect(loadConfig(schema, { env: REQUIRED_ENV, flags: { config: a } }).port).to.equal(1);
      const missing = nodePath.join(dir, "nope.json");
      expect(configError(() => load({}, [`--config=${missing}`])).issues[0].source).to.equal(
        `file ${missing}`,
      );
      expect(() => loadConfig(z.object({ config: z.string().describe("x") }), {})).to.throw(
        TypeError,
        "loadConfig: `config` cannot be a setting",
      );
    });

    it("refuses a schema that is not a zod object", function () {
      expect(() => loadConfig(z.string() as unknown as typeof schema, {})).to.throw(
        TypeError,
        "loadConfig: the schema must be a zod object (z.object({...})) of settings",
      );
    });
  });

  describe("field helpers", function () {
    const one = <T extends z.ZodType>(s: T, value: unknown) => z.object({ v: s }).safeParse({ v: value });
    const accepts = <T extends z.ZodType>(s: T, value: unknown, expected: unknown) => {
      const r = one(s, value);
      expect(r.success, `${JSON.stringify(value)}: ${r.error?.message}`).to.equal(true);
      expect((r.data as { v: unknown }).v).to.deep.equal(expected);
    };
    const rejects = <T extends z.ZodType>(s: T, value: unknown, message: RegExp) => {
      const r = one(s, value);
      expect(r.success, `${JSON.stringify(value)} accepted`).to.equal(false);
      expect(r.error!.issues[0].message).to.match(message);
    };

    it("url: http, https, ws, wss only", function () {
      accepts(url(), "https://arweave.net", "https://arweave.net");
      accepts(url(), "ws://127.0.0.1:8546", "ws://127.0.0.1:8546");
      accepts(url(), "wss://node.example/ws", "wss://node.example/ws");
      rejects(url(), "ftp://x.test", /URL scheme ftp: is not allowed/);
      rejects(url(), "not a url", /not a URL: "not a url"/);
      rejects(url(), 8545, /expected a URL string, got number 8545/);
      rejects(url({ protocols: ["https"] }), "http://x.test", /use https\)/);
    });

    it("address: 40 hex digits; checksum enforced on mixed case; output checksummed", function () {
      accepts(address(), ADDRESS.toLowerCase(), ADDRESS);
      accepts(address(), ADDRESS, ADDRESS);
      rejects(address(), ADDRESS.replace("F", "f"), /bad EIP-55 checksum/);
      rejects(address(), "0x1234", /not an Ethereum address \(0x followed by 40 hex digits\): "0x1234"/);
    });

    it("privateKey: 0x + 64 hex digits within the curve order, lower-cased", function () {
      accepts(privateKey(), KEY.toUpperCase().replace("0X", "0x"), KEY);
      rejects(privateKey(), KEY.slice(2), /expected 0x followed by 64 hex digits \(64 characters given\)/);
      rejects(
        privateKey(),
        "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
        /outside \[1, secp256k1 order\)/,
      );
    });

    it("positiveInt and nonNegativeInt", function () {
      accepts(positiveInt(), "12", 12);
      accepts(positiveInt(), 1, 1);
      rejects(positiveInt(), 0, /positive integer/);
      rejects(positiveInt(), "1.5", /positive integer/);
      rejects(positiveInt(), "abc", /positive integer/);
      rejects(positiveInt(), 2 ** 60, /positive integer/);
      accepts(nonNegativeInt(), "0", 0);
      rejects(nonNegativeInt(), -1, /an integer >= 0, got -1/);
    });

    it("duration: units ms, s, m, h, d, or milliseconds", function () {
      const cases: [unknown, number | undefined][] = [
        ["30s", 30_000],
        ["5m", 300_000],
        ["2h", 7_200_000],
        ["1d", 86_400_000],
        ["250ms", 250],
        ["1.5s", 1500],
        ["1500", 1500],
        [1500, 1500],
        [" 10 s ", 10_000],
        ["-1s", undefined],
        ["1w", undefined],
        ["s", undefined],
        [1.5, undefined],
        [true, undefined],
      ];
      for (const [input, ms] of cases) expect(parseDuration(input), String(input)).to.equal(ms);
      accepts(duration(), "5m", 300_000);
      rejects(duration(), "soon", /expected a duration/);
    });

    it("byteSize: B, KB/MB/GB (1000) and KiB/MiB/GiB (1024)", function () {
      const cases: [unknown, number | undefined][] = [
        ["64KiB", 65_536],
        ["1MiB", 1_048_576],
        ["2GiB", 2 * 1024 ** 3],
        ["10MB", 10_000_000],
        ["1kb", 1000],
        ["512B", 512],
        ["512", 512],
        [4096, 4096],
        ["1.5KiB", 1536],
        ["0.3B", undefined],
        ["64 furlongs", undefined],
        [-1, undefined],
      ];
      for (const [input, bytes] of cases) expect(parseByteSize(input), String(input)).to.equal(bytes);
      accepts(byteSize(), "64KiB", 65_536);
      rejects(byteSize(), "big", /expected a byte size/);
    });

    it("path: resolved against the working directory; :memory: kept", function () {
      accepts(path(), "data/su.sqlite", nodePath.resolve("data/su.sqlite"));
      accepts(path(), "/abs/file", "/abs/file");
      accepts(path(), ":memory:", ":memory:");
      rejects(path(), "", /expected a non-empty path/);
      rejects(path(), "a\0b", /NUL/);
    });

    it("bool, logLevel and list", function () {
      for (const t of [true, "true", "1", "yes", "ON"]) accepts(bool(), t, true);
      for (const f of [false, "false", "0", "no", "off"]) accepts(bool(), f, false);
      rejects(bool(), "maybe", /expected true or false, got "maybe"/);
      accepts(logLevel(), "debug", "debug");
      rejects(logLevel(), "verbose", /expected a log level/);
      accepts(list(positiveInt()), "1, 2,3", [1, 2, 3]);
      accepts(list(positiveInt()), "[4,5]", [4, 5]);
      accepts(list(positiveInt()), [6], [6]);
      accepts(list(positiveInt()), "", []);
      rejects(list(positiveInt()), "1,x", /positive integer/);
    });
  });

  describe("names", function () {
    it("maps keys to HOLO_ upper snake case and --kebab-case", function () {
      expect(envName("rpcUrl")).to.equal("HOLO_RPC_URL");
      expect(envName("l2ChainId")).to.equal("HOLO_L2_CHAIN_ID");
      expect(envName("arweaveURL")).to.equal("HOLO_ARWEAVE_URL");
      expect(envName("port", "SU_")).to.equal("SU_PORT");
      expect(flagName("rpcUrl")).to.equal("--rpc-url");
      expect(flagName("maxInFlight")).to.equal("--max-in-flight");
    });
  });

  describe("describeConfig", function () {
    it("lists every setting with flag, environment variable, default and description", function () {
      const { settings } = describeConfig(schema);
      expect(settings.map((s) => s.key)).to.deep.equal(Object.keys(schema.shape));
      const byKey = Object.fromEntries(settings.map((s) => [s.key, s]));
      expect(byKey.rpcUrl).to.deep.equal({
        key: "rpcUrl",
        env: "HOLO_RPC_URL",
        flag: "--rpc-url",
        required: true,
        description: "The chain's JSON-RPC endpoint",
        secret: false,
      });
      expect(byKey.pollInterval).to.include({ required: false, default: "30s" });
      expect(byKey.confirmations).to.include({ required: false, default: 0 });
      expect(byKey.privateKey).to.include({ required: true, secret: true });
      expect(byKey.label).to.include({ required: false }).and.not.to.have.property("default");
    });

    it("renders --help text and a Markdown table", function () {
      const description = describeConfig(schema);
      const text = description.text();
      expect(text).to.match(/--poll-interval, HOLO_POLL_INTERVAL +30s\n {6}How often the chain is polled/);
      expect(text).to.match(/--private-key, HOLO_PRIVATE_KEY +\(required\) \(secret\)/);
      expect(text).to.match(/--label, HOLO_LABEL +\(unset\)/);
      const md = description.markdown().split("\n");
      expect(md).to.have.length(3 + Object.keys(schema.shape).length);
      expect(md[2]).to.match(/^\| \| `--config` \| `HOLO_CONFIG` \| \(unset\) \| A JSON file of settings/);
      expect(text.split("\n")[0]).to.match(/^ {2}--config, HOLO_CONFIG +\(unset\)$/);
      expect(md).to.include(
        "| `bodyLimit` | `--body-limit` | `HOLO_BODY_LIMIT` | 64KiB | The largest HTTP request body |",
      );
      expect(md).to.include(
        "| `gateways` | `--gateways` | `HOLO_GATEWAYS` | [] | Arweave gateways, in order of preference |",
      );
    });

    it("refuses settings without a .describe() text, naming them", function () {
      const undocumented = z.object({ a: z.string(), b: url(), c: z.number().describe("c") });
      expect(() => describeConfig(undocumented)).to.throw(
        TypeError,
        "describeConfig: settings without a .describe() text: a, b",
      );
    });
  });

  it("redactConfig hides secrets for logging", function () {
    const config = loadConfig(schema, { env: REQUIRED_ENV });
    const shown = redactConfig(schema, config);
    expect(shown.privateKey).to.equal("[redacted]");
    expect(shown.rpcUrl).to.equal("http://127.0.0.1:8545");
    expect(JSON.stringify(shown)).not.to.include(KEY.slice(2));
  });
});

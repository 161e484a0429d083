/**
 * What the agents' launchers (agents/<agent>/bin/holo-*.js) share: a require hook that compiles the
 * TypeScript sources file by file (TypeScript's `transpileModule`, as ts-node's transpile-only mode does)
 * and keeps each output in a cache keyed by the file's content, the compiler's version and tsconfig.json.
 *
 * Why: an agent restarted by its supervisor after a crash must be back quickly. Compiling every source
 * at every start took ≈ 4 s of CPU, and 45–50 s on the loaded soak machine (docs/reliability.md); with
 * the cache warm a start loads JavaScript only. The cache is `node_modules/.cache/holo-ts` (override:
 * `HOLO_TS_CACHE`); a file that cannot be written there is compiled in memory, so a read-only install still
 * starts. Stack traces keep the TypeScript lines (inline source maps, Node's source-map support).
 */
"use strict";

const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const repoRoot = path.resolve(__dirname, "..", "..");

/** Installs the `.ts` hook once per process; returns the cache directory. */
function register() {
  if (register.dir !== undefined) return register.dir;
  const dir = process.env.HOLO_TS_CACHE || path.join(repoRoot, "node_modules", ".cache", "holo-ts");
  const tsconfig = path.join(repoRoot, "tsconfig.json");
  const tsVersion = JSON.parse(
    fs.readFileSync(require.resolve("typescript/package.json", { paths: [repoRoot] }), "utf8"),
  ).version;
  // Anything that changes the output changes the key: the compiler, the settings, this hook.
  const salt = crypto
    .createHash("sha256")
    .update(
      `${tsVersion}\0${fs.readFileSync(tsconfig, "utf8")}\0${fs.readFileSync(path.join(__dirname, "launcher.js"), "utf8")}`,
    )
    .digest();
  let ts;
  let compilerOptions;
  const compile = (source, filename) => {
    if (ts === undefined) {
      ts = require(require.resolve("typescript", { paths: [repoRoot] }));
      const read = ts.readConfigFile(tsconfig, ts.sys.readFile);
      if (read.error !== undefined) {
        throw new Error(
          `holo launcher: ${tsconfig}: ${ts.flattenDiagnosticMessageText(read.error.messageText, "\n")}`,
        );
      }
      compilerOptions = {
        ...ts.parseJsonConfigFileContent(read.config, ts.sys, repoRoot).options,
        module: ts.ModuleKind.CommonJS,
        sourceMap: false,
        inlineSourceMap: true,
        inlineSources: false,
        declaration: false,
        noEmit: false,
      };
      // The map's source is then the .ts file itself (an outDir would make it relative to that).
      delete compilerOptions.outDir;
      delete compilerOptions.rootDir;
    }
    return ts.transpileModule(source, { compilerOptions, fileName: filename }).outputText;
  };
  process.setSourceMapsEnabled(true);
  require.extensions[".ts"] = function loadTs(module, filename) {
    const source = fs.readFileSync(filename, "utf8");
    const key = crypto
      .createHash("sha256")
      .update(salt)
      .update(filename)
      .update("\0")
      .update(source)
      .digest("hex");
    const cached = path.join(dir, `${key}.js`);
    let code;
    try {
      code = fs.readFileSync(cached, "utf8");
    } catch {
      code = compile(source, filename);
      try {
        fs.mkdirSync(dir, { recursive: true });
        const tmp = `${cached}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, code);
        fs.renameSync(tmp, cached); // atomic: a concurrent start reads a whole file or none
      } catch {
        // not writable: compiled in memory only
      }
    }
    module._compile(code, filename);
  };
  register.dir = dir;
  return dir;
}

/**
 * Runs an agent's `main(argv)` (from `mainFile`, a .ts file) with the hook installed and exits with its
 * code; `name` prefixes a failure of the launcher itself.
 */
function launch(name, mainFile) {
  register();
  const { main } = require(mainFile);
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`${name}: ${String(error)}\n`);
      process.exit(1);
    },
  );
}

module.exports = { launch, register };

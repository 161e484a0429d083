/**
 * Builds every example process (processes/<name>/assembly/index.ts → build/processes/<name>.wasm) with
 * the AssemblyScript compiler and checks each module with `loadWasm` (the machine's subset, host ABI
 * imports only). Writes build/processes/manifest.json (size, keccak of the binary, module root).
 *
 *   npx ts-node --transpile-only scripts/build-processes.ts [name ...] [--force]
 *
 * A module is rebuilt only when a source under sdk/assembly/ or its process folder is newer than it
 * (or with --force). Exits non-zero if a build or a check fails.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { loadWasm } from "../machine/wasm";
import { HOST_IMPORTS, Process } from "../machine/process";
import { keccak, toHex } from "../machine/code/hash";

export const ROOT = path.resolve(__dirname, "..");
export const PROCESSES_DIR = path.join(ROOT, "processes");
export const SDK_DIR = path.join(ROOT, "sdk", "assembly");
export const BUILD_DIR = path.join(ROOT, "build", "processes");

/**
 * The compiler flags every process is built with. `--use abort=…` routes AssemblyScript's `abort`
 * (throw, assert, runtime failures) to the SDK's error path, so no `env.*` import appears. No
 * `--noAssert`: the SDK's error path relies on `assert`.
 */
export const ASC_FLAGS: readonly string[] = [
  "--runtime",
  "incremental",
  "--optimizeLevel",
  "3",
  "--shrinkLevel",
  "0",
  "--use",
  "abort=sdk/assembly/error/abort",
  "--noColors",
];

/** Names of the processes: every processes/<name>/assembly/index.ts. */
export function processNames(): string[] {
  return fs
    .readdirSync(PROCESSES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(PROCESSES_DIR, d.name, "assembly", "index.ts")))
    .map((d) => d.name)
    .sort();
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.name.endsWith(".ts")) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Compiles an AssemblyScript entry file (path relative to the repository root) to `outFile`, unless
 * `outFile` is newer than every source in `sourceDirs` and `force` is false. Returns the binary.
 */
export function compileModule(
  entry: string,
  outFile: string,
  sourceDirs: readonly string[],
  force = false,
): Uint8Array {
  const upToDate =
    !force &&
    fs.existsSync(outFile) &&
    fs.statSync(outFile).mtimeMs >=
      Math.max(...sourceDirs.map((d) => newestMtime(d)), fs.statSync(__filename).mtimeMs);
  if (!upToDate) {
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    const asc = path.join(ROOT, "node_modules", ".bin", "asc");
    execFileSync(asc, [entry, "-o", outFile, ...ASC_FLAGS], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  }
  return new Uint8Array(fs.readFileSync(outFile));
}

/** Checks a process module as the machine will load it (throws WasmLoadError). */
export function checkModule(bytes: Uint8Array): void {
  loadWasm(bytes, { allowedImports: HOST_IMPORTS });
}

export interface BuiltProcess {
  name: string;
  file: string;
  bytes: number;
  /** keccak256 of the binary. */
  keccak: string;
  /** The module root (the module's on-chain identity, docs/machine.md §3). */
  moduleRoot: string;
}

/** Builds (if needed) and checks one process. */
export function buildProcess(name: string, force = false): BuiltProcess {
  const file = path.join(BUILD_DIR, `${name}.wasm`);
  const bytes = compileModule(
    path.join("processes", name, "assembly", "index.ts"),
    file,
    [SDK_DIR, path.join(PROCESSES_DIR, name)],
    force,
  );
  checkModule(bytes);
  const moduleRoot = toHex(Process.fromWasm(bytes).moduleRoot);
  return {
    name,
    file: path.relative(ROOT, file),
    bytes: bytes.length,
    keccak: toHex(keccak(bytes)),
    moduleRoot,
  };
}

/** Builds and checks every process (or `names`), writes the manifest, and returns what it built. */
export function buildProcesses(names: readonly string[] = processNames(), force = false): BuiltProcess[] {
  const built = names.map((n) => buildProcess(n, force));
  const manifestFile = path.join(BUILD_DIR, "manifest.json");
  const manifest: Record<string, Omit<BuiltProcess, "name">> = fs.existsSync(manifestFile)
    ? JSON.parse(fs.readFileSync(manifestFile, "utf8"))
    : {};
  for (const { name, ...rest } of built) manifest[name] = rest;
  fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + "\n");
  return built;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const force = args.includes("--force");
  const names = args.filter((a) => !a.startsWith("--"));
  try {
    for (const b of buildProcesses(names.length > 0 ? names : processNames(), force)) {
      console.log(
        `${b.name.padEnd(10)} ${String(b.bytes).padStart(7)} bytes  ${b.file}  moduleRoot ${b.moduleRoot}`,
      );
    }
  } catch (e) {
    const err = e as Error & { stderr?: Buffer };
    console.error(err.stderr?.toString() || err.message);
    process.exit(1);
  }
}

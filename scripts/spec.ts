/**
 * The WebAssembly spec-suite runner: runs every wast2json folder under DIR through the Holoproof machine
 * (our decoder, flattener and step interpreter — never V8).
 *
 *   npx ts-node --transpile-only scripts/spec.ts DIR [--verbose]
 *
 * Prints one line per folder and ends with exactly `N passed, N failed, N skipped`; exits non-zero iff
 * something failed.
 *
 * Counting (docs/machine.md has the full rules):
 * - `module` passes when it loads and instantiates. A module refused by the subset check (floats, …) is
 *   skipped, and so is every later command that uses it.
 * - `assert_invalid`/`assert_malformed` with a binary module pass when `loadWasm` refuses it; the text
 *   format cases (`.wat`) are skipped with reason "text format": our binary path is never involved.
 * - `assert_return`, `assert_trap`, `assert_exhaustion`, `action` run the export on the machine.
 * - `assert_uninstantiable` passes when instantiation fails; `assert_unlinkable` when loading or linking
 *   refuses the module (we do no cross-module linking: an import of another module is refused).
 * - `register` passes when the module exists (we record the name; nothing imports it).
 */
import fs from "node:fs";
import path from "node:path";
import { decodeModule, loadWasm, SPECTEST_IMPORTS, WasmLoadError, WasmSubsetError } from "../machine/wasm";
import { Instance, InstantiationError } from "../machine/process/instance";
import { FlattenError } from "../machine/flatten";
import { ERROR_BY_CODE, ERROR_CODE } from "../machine/spec";
import type { Value } from "../machine/interp/semantics";

export interface SpecValue {
  type: string;
  value?: string;
}
export interface SpecAction {
  type: "invoke" | "get";
  module?: string;
  field: string;
  args?: SpecValue[];
}
export interface SpecCommand {
  type: string;
  line: number;
  filename?: string;
  name?: string;
  as?: string;
  action?: SpecAction;
  expected?: SpecValue[];
  text?: string;
  module_type?: string;
}

type Slot = { kind: "ok"; inst: Instance } | { kind: "skipped"; reason: string };

class Tally {
  passed = 0;
  failed = 0;
  skipped = 0;
  failures: string[] = [];
  skipReasons = new Map<string, number>();
  subsetRefusals = 0;
  pass(): void {
    this.passed++;
  }
  fail(msg: string): void {
    this.failed++;
    this.failures.push(msg);
  }
  skip(reason: string): void {
    this.skipped++;
    this.skipReasons.set(reason, (this.skipReasons.get(reason) ?? 0) + 1);
  }
}

export function parseArg(v: SpecValue): Value {
  if (v.type === "i32") return Number(BigInt.asIntN(32, BigInt(v.value!)));
  if (v.type === "i64") return BigInt.asIntN(64, BigInt(v.value!));
  throw new Error(`value type ${v.type}`);
}

function sameValue(actual: Value, expected: SpecValue): boolean {
  if (expected.type === "i32") return typeof actual === "number" && actual >>> 0 === Number(expected.value);
  if (expected.type === "i64") {
    return typeof actual === "bigint" && BigInt.asUintN(64, actual) === BigInt(expected.value!);
  }
  return false;
}

function show(v: Value): string {
  return typeof v === "number" ? `i32:${v >>> 0}` : `i64:${BigInt.asUintN(64, v)}`;
}

const SPECTEST_GLOBALS: Record<string, Value> = { global_i32: 666, global_i64: 666n };

/** Loads and instantiates a spec-suite module with the `spectest` host imports. */
export function instantiate(bytes: Uint8Array): Instance {
  const mod = loadWasm(bytes, { allowedImports: SPECTEST_IMPORTS });
  return new Instance(mod, {
    resolveImport: (module, name) => (module === "spectest" && name.startsWith("print") ? "nop" : undefined),
    importGlobal: (module, name) => (module === "spectest" ? SPECTEST_GLOBALS[name] : undefined),
    importLimits: (module, name) =>
      module !== "spectest"
        ? undefined
        : name === "memory"
          ? { min: 1, max: 2 }
          : name === "table"
            ? { min: 10, max: 20 }
            : undefined,
  });
}

function runFolder(dir: string, name: string, t: Tally): void {
  const json = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), "utf8")) as {
    commands: SpecCommand[];
  };
  let current: Slot | undefined;
  const named = new Map<string, Slot>();
  /** Registered name → the `$name` of the module registered under it. */
  const registered = new Map<string, string>();
  const where = (c: SpecCommand): string => `${name}.wast:${c.line}`;
  const target = (a: SpecAction): Slot | undefined => (a.module ? named.get(a.module) : current);

  for (const c of json.commands) {
    try {
      switch (c.type) {
        case "module": {
          const bytes = fs.readFileSync(path.join(dir, c.filename!));
          try {
            current = { kind: "ok", inst: instantiate(bytes) };
            t.pass();
          } catch (e) {
            if (e instanceof WasmSubsetError) {
              current = { kind: "skipped", reason: `outside the subset (${e.feature ?? e.reason})` };
              t.skip(current.reason);
              // A skipped module that imports from a registered one may have changed it (a shared
              // table or memory): the registered module's later commands are skipped too.
              for (const imp of decodeModule(bytes).imports) {
                const exporter = registered.get(imp.module);
                if (exporter !== undefined && named.get(exporter)?.kind === "ok") {
                  named.set(exporter, { kind: "skipped", reason: "linked to a module outside the subset" });
                }
              }
            } else if (e instanceof FlattenError && e.unsupported !== undefined) {
              current = { kind: "skipped", reason: `outside the machine subset (${e.unsupported})` };
              t.skip(current.reason);
            } else {
              current = { kind: "skipped", reason: "module failed to load" };
              t.fail(`${where(c)}: module ${c.filename} refused: ${(e as Error).message}`);
            }
          }
          if (c.name) named.set(c.name, current);
          break;
        }
        case "register": {
          const slot = c.name ? named.get(c.name) : current;
          if (c.name && c.as) registered.set(c.as, c.name);
          if (slot?.kind === "ok") t.pass();
          else t.skip(slot?.reason ?? "no module");
          break;
        }
        case "assert_return":
        case "action":
        case "assert_trap":
        case "assert_exhaustion": {
          const a = c.action!;
          const slot = target(a);
          if (!slot || slot.kind === "skipped") {
            t.skip(slot?.reason ?? "no module");
            break;
          }
          const inst = slot.inst;
          if (a.type === "get") {
            const v = inst.exportedGlobal(a.field);
            const e = c.expected ?? [];
            if (v !== undefined && e.length === 1 && sameValue(v, e[0])) t.pass();
            else t.fail(`${where(c)}: get ${a.field} = ${v === undefined ? "none" : show(v)}`);
            break;
          }
          const args = (a.args ?? []).map(parseArg);
          const r = inst.invoke(a.field, args);
          if (c.type === "assert_return" || c.type === "action") {
            const e = c.expected ?? [];
            if (r.status !== "halted") {
              t.fail(`${where(c)}: ${a.field} errored ${r.errorName}`);
            } else if (
              c.type === "action" ||
              (r.values.length === e.length && r.values.every((v, i) => sameValue(v, e[i])))
            ) {
              t.pass();
            } else {
              t.fail(
                `${where(c)}: ${a.field} returned [${r.values.map(show)}], expected [${e.map((x) => `${x.type}:${x.value}`)}]`,
              );
            }
          } else if (c.type === "assert_trap") {
            const text = r.error === undefined ? undefined : ERROR_BY_CODE.get(r.error)?.specText;
            if (r.status === "errored" && text !== undefined && c.text!.startsWith(text)) t.pass();
            else
              t.fail(
                `${where(c)}: ${a.field} expected trap "${c.text}", got ${r.status} ${r.errorName ?? ""}`,
              );
          } else {
            const ok =
              r.status === "errored" &&
              (r.error === ERROR_CODE.CallStackExhausted || r.error === ERROR_CODE.ValueStackExhausted);
            if (ok) t.pass();
            else t.fail(`${where(c)}: ${a.field} expected exhaustion, got ${r.status} ${r.errorName ?? ""}`);
          }
          break;
        }
        case "assert_invalid":
        case "assert_malformed": {
          if (c.module_type === "text") {
            t.skip("text format");
            break;
          }
          const bytes = fs.readFileSync(path.join(dir, c.filename!));
          try {
            loadWasm(bytes, { allowedImports: SPECTEST_IMPORTS });
            t.fail(`${where(c)}: ${c.type} module ${c.filename} was accepted (${c.text})`);
          } catch (e) {
            if (!(e instanceof WasmLoadError)) throw e;
            if (e instanceof WasmSubsetError) t.subsetRefusals++;
            t.pass();
          }
          break;
        }
        case "assert_uninstantiable":
        case "assert_unlinkable": {
          const bytes = fs.readFileSync(path.join(dir, c.filename!));
          let mod;
          try {
            mod = loadWasm(bytes, { allowedImports: SPECTEST_IMPORTS });
          } catch (e) {
            if (e instanceof WasmSubsetError && c.type === "assert_uninstantiable") {
              t.skip(`outside the subset (${e.feature ?? e.reason})`);
            } else if (e instanceof WasmSubsetError) {
              t.pass();
            } else {
              t.fail(`${where(c)}: ${c.type} module refused at load: ${(e as Error).message}`);
            }
            break;
          }
          try {
            instantiate(bytes);
            t.fail(`${where(c)}: ${c.type} module instantiated (${c.text})`);
          } catch (e) {
            if (e instanceof InstantiationError) t.pass();
            else throw e;
          }
          void mod;
          break;
        }
        default:
          t.skip(`command ${c.type}`);
      }
    } catch (e) {
      t.fail(`${where(c)}: ${c.type} crashed: ${(e as Error).stack ?? e}`);
    }
  }
}

function main(): void {
  const argv = process.argv.slice(2);
  const verbose = argv.includes("--verbose");
  const dir = argv.find((a) => !a.startsWith("--"));
  if (!dir) {
    console.error("usage: spec.ts DIR [--verbose]");
    process.exit(2);
  }
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    console.error(`spec: ${dir} is not a directory (expected wast2json folders, e.g. ../shared/wasm-spec)`);
    process.exit(2);
  }
  const total = new Tally();
  const folders = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(dir, d.name, `${d.name}.json`)))
    .map((d) => d.name)
    .sort();
  if (folders.length === 0) {
    console.error(`spec: ${dir} holds no wast2json folder (NAME/NAME.json)`);
    process.exit(2);
  }
  for (const name of folders) {
    const t = new Tally();
    runFolder(path.join(dir, name), name, t);
    const reasons = [...t.skipReasons].map(([r, n]) => `${n} ${r}`).join("; ");
    console.log(
      `${name}: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped` +
        (reasons ? ` (${reasons})` : ""),
    );
    for (const f of verbose ? t.failures : t.failures.slice(0, 5)) console.log(`  FAIL ${f}`);
    if (!verbose && t.failures.length > 5) console.log(`  … ${t.failures.length - 5} more failures`);
    total.passed += t.passed;
    total.failed += t.failed;
    total.skipped += t.skipped;
    total.subsetRefusals += t.subsetRefusals;
  }
  console.log(
    `(${total.subsetRefusals} assert_invalid/assert_malformed modules were refused by the subset check)`,
  );
  console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  process.exit(total.failed > 0 ? 1 : 0);
}

if (require.main === module) main();

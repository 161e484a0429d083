/**
 * The agents' launcher (agents/common/launcher.js): TypeScript compiled once per file content and cached, so
 * a restarted agent loads JavaScript only; a changed file is compiled again; stack traces keep the TypeScript
 * lines; an unwritable cache still starts.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const LAUNCHER = path.join(ROOT, "agents", "common", "launcher.js");

/** Runs `node -e script` with the cache at `cache`; returns its exit code and output. */
function node(script: string, cache: string, args: string[] = []) {
  const r = spawnSync(process.execPath, ["-e", script, ...args], {
    cwd: ROOT,
    env: { ...process.env, HOLO_TS_CACHE: cache },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe("agents/common/launcher", function () {
  this.timeout(300_000);
  let dir: string;

  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "holo-launcher-"));
  });

  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("an agent's launcher compiles its sources into the cache on the first start and reads them after", function () {
    const cache = path.join(dir, "cache");
    const su = path.join(ROOT, "agents", "scheduler", "bin", "holo-su.js");
    const first = spawnSync(process.execPath, [su, "--help"], {
      cwd: ROOT,
      env: { ...process.env, HOLO_TS_CACHE: cache },
      encoding: "utf8",
    });
    expect(first.status, first.stderr).to.equal(0);
    expect(first.stdout).to.contain("--rpc-url");
    const files = fs.readdirSync(cache).sort();
    expect(files.length).to.be.greaterThan(20);
    expect(files.every((f) => /^[0-9a-f]{64}\.js$/.test(f))).to.equal(true);
    const mtimes = files.map((f) => fs.statSync(path.join(cache, f)).mtimeMs);

    const second = spawnSync(process.execPath, [su, "--help"], {
      cwd: ROOT,
      env: { ...process.env, HOLO_TS_CACHE: cache },
      encoding: "utf8",
    });
    expect(second.status, second.stderr).to.equal(0);
    expect(second.stdout).to.equal(first.stdout);
    expect(fs.readdirSync(cache).sort()).to.deep.equal(files);
    expect(files.map((f) => fs.statSync(path.join(cache, f)).mtimeMs)).to.deep.equal(mtimes);
  });

  it("a changed source is compiled again, never served stale from the cache", function () {
    const cache = path.join(dir, "cache");
    const src = path.join(dir, "value.ts");
    const script = `require(${JSON.stringify(LAUNCHER)}).register(); console.log(require(${JSON.stringify(src)}).value);`;
    fs.writeFileSync(src, "export const value: number = 1;\n");
    expect(node(script, cache).out.trim()).to.equal("1");
    fs.writeFileSync(src, "export const value: number = 2;\n");
    expect(node(script, cache).out.trim()).to.equal("2");
    expect(fs.readdirSync(cache)).to.have.length(2);
  });

  it("stack traces name the TypeScript file and line", function () {
    const src = path.join(dir, "thrower.ts");
    fs.writeFileSync(
      src,
      [
        "interface Unused {",
        "  a: number;",
        "}",
        "export function boom(): never {",
        '  throw new Error("boom");',
        "}",
        "",
      ].join("\n"),
    );
    const script = `require(${JSON.stringify(LAUNCHER)}).register(); try { require(${JSON.stringify(src)}).boom(); } catch (e) { console.log(e.stack.split("\\n")[1]); }`;
    expect(node(script, path.join(dir, "cache")).out).to.contain(`${src}:5:`);
  });

  it("an unwritable cache directory still starts (compiled in memory)", function () {
    const blocked = path.join(dir, "file");
    fs.writeFileSync(blocked, "not a directory");
    const src = path.join(dir, "value.ts");
    fs.writeFileSync(src, "export const value: string = 'in memory';\n");
    const script = `require(${JSON.stringify(LAUNCHER)}).register(); console.log(require(${JSON.stringify(src)}).value);`;
    const r = node(script, path.join(blocked, "cache"));
    expect(r.status, r.err).to.equal(0);
    expect(r.out.trim()).to.equal("in memory");
  });
});

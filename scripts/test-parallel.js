#!/usr/bin/env node
// Runs the mocha suite (`hardhat test --no-compile`) as parallel shards, one Hardhat process each, and sums
// their closing `N passed, N failed, N skipped` lines into one. CI machines have two cores; the suite is part
// CPU-bound machine work (the prover fuzzers, fast mode), part agent work that mostly waits (ArLocal, HTTP,
// polling, child processes starting) and part contract tests, so three shards overlap well on two cores.
//
//   node scripts/test-parallel.js [--jobs N] [extra hardhat test arguments, e.g. --grep foo]
//
// HOLO_TEST_JOBS or --jobs sets the shard count (default: 3, or 1 on a one-core machine; fewer jobs than
// shards merge the trailing shards); 1 runs the whole suite in one process. Every test file is in exactly one shard (the last shard takes the unclaimed ones).
// Contracts must already be compiled (`npm test` compiles first).
"use strict";

const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");

/**
 * The shards, by path prefix: a file goes to the shard with its longest matching prefix, and to the last shard
 * when none matches. The first is the CPU-heavy machine and prover work (its longest file, fast mode's 1,000
 * random messages, runs with the system shard to even them out).
 */
const SHARDS = [
  { name: "machine", prefixes: ["test/osp/", "test/machine/", "test/processes/", "test/sdk/"] },
  { name: "agents", prefixes: ["test/agents/", "test/e2e/"] },
  { name: "system", prefixes: ["test/machine/fast/processes.test.ts"] },
];

/** The index of the shard `file` belongs to. */
function shardOf(file) {
  let best = SHARDS.length - 1;
  let length = -1;
  SHARDS.forEach((s, i) => {
    for (const p of s.prefixes) {
      if (file.startsWith(p) && p.length > length) {
        best = i;
        length = p.length;
      }
    }
  });
  return best;
}

function testFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...testFiles(rel));
    else if (entry.name.endsWith(".test.ts")) out.push(rel);
  }
  return out.sort();
}

function parseArgs(argv) {
  let jobs = Number(process.env.HOLO_TEST_JOBS ?? (os.cpus().length > 1 ? SHARDS.length : 1));
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--jobs") jobs = Number(argv[++i]);
    else rest.push(argv[i]);
  }
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new Error(`--jobs / HOLO_TEST_JOBS must be a positive integer, got ${String(jobs)}`);
  }
  return { jobs, rest };
}

function assign(files, jobs) {
  if (jobs === 1) return [{ name: "all", files }];
  const shards = SHARDS.map((s) => ({ name: s.name, files: [] }));
  for (const f of files) shards[shardOf(f)].files.push(f);
  // Fewer jobs than shards: the trailing shards run together in the last job.
  while (shards.length > jobs) {
    const last = shards.pop();
    const into = shards[shards.length - 1];
    into.name = `${into.name}+${last.name}`;
    into.files.push(...last.files);
  }
  return shards.filter((s) => s.files.length > 0);
}

function run(shard, extra, prefix) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(
      process.execPath,
      [require.resolve("hardhat/internal/cli/bootstrap"), "test", "--no-compile", ...extra, ...shard.files],
      { cwd: ROOT, env: process.env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let totals = null;
    const pipe = (stream, sink) => {
      let buf = "";
      stream.on("data", (chunk) => {
        buf += chunk.toString();
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const m = /^(\d+) passed, (\d+) failed, (\d+) skipped$/.exec(line.trim());
          if (m) totals = { passed: +m[1], failed: +m[2], skipped: +m[3] };
          sink.write(`${prefix}${line}\n`);
        }
      });
      stream.on("end", () => {
        if (buf.length > 0) sink.write(`${prefix}${buf}\n`);
      });
    };
    pipe(child.stdout, process.stdout);
    pipe(child.stderr, process.stderr);
    child.on("close", (code, signal) =>
      resolve({ shard, code: code ?? 1, signal, totals, seconds: (Date.now() - started) / 1000 }),
    );
  });
}

async function main() {
  const { jobs, rest } = parseArgs(process.argv.slice(2));
  const files = testFiles("test");
  const shards = assign(files, Math.min(jobs, SHARDS.length));
  const width = Math.max(...shards.map((s) => s.name.length));
  const results = await Promise.all(
    shards.map((s) => run(s, rest, shards.length === 1 ? "" : `[${s.name.padEnd(width)}] `)),
  );
  const sum = { passed: 0, failed: 0, skipped: 0 };
  let ok = true;
  for (const r of results) {
    const t = r.totals;
    process.stdout.write(
      `shard ${r.shard.name}: ${r.shard.files.length} files, ${r.seconds.toFixed(0)} s, exit ${r.code}` +
        (r.signal ? ` (${r.signal})` : "") +
        (t ? `, ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped\n` : ", no summary line\n"),
    );
    if (r.code !== 0 || t === null) ok = false;
    if (t) for (const k of Object.keys(sum)) sum[k] += t[k];
  }
  process.stdout.write(`\n${sum.passed} passed, ${sum.failed} failed, ${sum.skipped} skipped\n`);
  process.exit(ok ? 0 : 1);
}

main().catch((error) => {
  process.stderr.write(`test-parallel: ${error.message}\n`);
  process.exit(2);
});

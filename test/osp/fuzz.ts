/**
 * The differential fuzzer of the one-step prover (shared by test/osp/fuzz.test.ts and
 * scripts/fuzz-prover.ts): fast-check generates random WebAssembly programs in the machine's subset
 * (typed expression trees over every math operator, loads and stores of every width at in-bounds and
 * out-of-bounds addresses, bulk memory, locals and globals, branches, `select`, calls, `call_indirect`
 * with good, mismatched, null and out-of-range indices, host calls) with random initial memory and
 * globals, and random arguments, messages and step limits. Every step of every run is proven by the
 * TypeScript machine (`proveStep`) and by the contracts; the post-state hashes (and the reference
 * verifier's) must all be equal.
 */
import fc from "fast-check";

import { instanceOf } from "../machine/helpers";
import { messageHash } from "../../machine/process";
import type { Value } from "../../machine/interp/semantics";
import { ERROR_BY_CODE, OPCODE_TABLE, STATUS } from "../../machine/spec";
import { fixtureOf, proveBatch, verifyTs, errorName, type Provers, type StepFixture } from "./helpers";
import { ARITH_BINARY, COMPARISONS, I32_UNARY, I64_UNARY } from "../machine/opcode-names";

const I32_BIN = ARITH_BINARY;
const CMP = COMPARISONS;
const I32_UN = I32_UNARY;
const I64_UN = I64_UNARY;
const LOAD32 = ["i32.load", "i32.load8_s", "i32.load8_u", "i32.load16_s", "i32.load16_u"];
const LOAD64 = [
  "i64.load",
  "i64.load8_s",
  "i64.load8_u",
  "i64.load16_s",
  "i64.load16_u",
  "i64.load32_s",
  "i64.load32_u",
];
const STORE32 = ["i32.store", "i32.store8", "i32.store16"];
const STORE64 = ["i64.store", "i64.store8", "i64.store16", "i64.store32"];

const i32Const = fc.oneof(
  fc.constantFrom(0, 1, -1, 2, 31, 32, 33, 63, 64, 0x7fffffff, -0x80000000, 0xff, 0xffff),
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  fc.integer({ min: 0, max: 300 }),
);
const i64Const = fc.oneof(
  fc.constantFrom(0n, 1n, -1n, 2n, 63n, 64n, 65n, (1n << 63n) - 1n, -(1n << 63n), 0xffffffffn, 0x100000000n),
  fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
);

/** What an expression may refer to. */
interface Scope {
  i32Locals: number[];
  i64Locals: number[];
  calls: boolean;
  host: boolean;
}

function exprArbs(scope: Scope): {
  e32: fc.Arbitrary<string>;
  e64: fc.Arbitrary<string>;
  stmt: fc.Arbitrary<string>;
} {
  const l32 = scope.i32Locals;
  const l64 = scope.i64Locals;
  const arbs = fc.letrec<{ e32: string; e64: string; addr: string; stmt: string }>((tie) => {
    const e32 = tie("e32");
    const e64 = tie("e64");
    const addr = tie("addr");
    const leaf32 = fc.oneof(
      { weight: 3, arbitrary: i32Const.map((v) => `(i32.const ${v})`) },
      { weight: 2, arbitrary: fc.constantFrom(...l32).map((i) => `(local.get ${i})`) },
      { weight: 1, arbitrary: fc.constant(`(global.get $g32)`) },
      { weight: 1, arbitrary: fc.constant(`(memory.size)`) },
      ...(scope.host ? [{ weight: 1, arbitrary: fc.constant(`(call $msg_len)`) }] : []),
    );
    const leaf64 = fc.oneof(
      { weight: 3, arbitrary: i64Const.map((v) => `(i64.const ${v})`) },
      { weight: 2, arbitrary: fc.constantFrom(...l64).map((i) => `(local.get ${i})`) },
      { weight: 1, arbitrary: fc.constant(`(global.get $g64)`) },
    );
    const offset = fc.oneof(
      { weight: 6, arbitrary: fc.constant(0) },
      { weight: 6, arbitrary: fc.integer({ min: 0, max: 40 }) },
      { weight: 1, arbitrary: fc.constant(65530) },
    );
    return {
      addr: fc.oneof(
        { weight: 20, arbitrary: e32.map((e) => `(i32.and ${e} (i32.const 0x3ff))`) },
        { weight: 3, arbitrary: e32.map((e) => `(i32.add (i32.const 65440) (i32.and ${e} (i32.const 63)))`) },
        { weight: 1, arbitrary: e32 },
      ),
      e32: fc.oneof(
        { depthSize: "small", maxDepth: 5 },
        { weight: 4, arbitrary: leaf32 },
        {
          weight: 3,
          arbitrary: fc
            .tuple(fc.constantFrom(...I32_BIN), e32, e32)
            .map(([o, a, b]) => `(i32.${o} ${a} ${b})`),
        },
        {
          weight: 1,
          arbitrary: fc.tuple(fc.constantFrom(...CMP), e32, e32).map(([o, a, b]) => `(i32.${o} ${a} ${b})`),
        },
        {
          weight: 1,
          arbitrary: fc.tuple(fc.constantFrom(...CMP), e64, e64).map(([o, a, b]) => `(i64.${o} ${a} ${b})`),
        },
        {
          weight: 1,
          arbitrary: fc.tuple(fc.constantFrom(...I32_UN), e32).map(([o, a]) => `(i32.${o} ${a})`),
        },
        { weight: 1, arbitrary: e64.map((a) => `(i64.eqz ${a})`) },
        { weight: 1, arbitrary: e64.map((a) => `(i32.wrap_i64 ${a})`) },
        {
          weight: 2,
          arbitrary: fc
            .tuple(fc.constantFrom(...LOAD32), offset, addr)
            .map(([o, k, a]) => `(${o} offset=${k} ${a})`),
        },
        { weight: 1, arbitrary: fc.tuple(e32, e32, e32).map(([a, b, c]) => `(select ${a} ${b} ${c})`) },
        {
          weight: 1,
          arbitrary: fc
            .tuple(e32, e32, e32)
            .map(([c, a, b]) => `(if (result i32) ${c} (then ${a}) (else ${b}))`),
        },
        {
          weight: 1,
          arbitrary: fc
            .tuple(e32, e32, e32)
            .map(([a, c, b]) => `(block (result i32) (drop (br_if 0 ${a} ${c})) ${b})`),
        },
        {
          weight: 1,
          arbitrary: fc.tuple(fc.constantFrom(...l32), e32).map(([l, a]) => `(local.tee ${l} ${a})`),
        },
        { weight: 1, arbitrary: e32.map((a) => `(memory.grow (i32.and ${a} (i32.const 3)))`) },
        ...(scope.calls
          ? [
              {
                weight: 1,
                arbitrary: fc
                  .tuple(fc.constantFrom("$h0", "$h1"), e32, e32)
                  .map(([f, a, b]) => `(call ${f} ${a} ${b})`),
              },
              {
                weight: 1,
                arbitrary: fc
                  .tuple(
                    e32,
                    e32,
                    fc.oneof(
                      fc.integer({ min: 0, max: 9 }).map((i) => `(i32.const ${i})`),
                      e32,
                    ),
                  )
                  .map(([a, b, i]) => `(call_indirect (type $t32) ${a} ${b} ${i})`),
              },
            ]
          : []),
      ),
      e64: fc.oneof(
        { depthSize: "small", maxDepth: 5 },
        { weight: 4, arbitrary: leaf64 },
        {
          weight: 3,
          arbitrary: fc
            .tuple(fc.constantFrom(...I32_BIN), e64, e64)
            .map(([o, a, b]) => `(i64.${o} ${a} ${b})`),
        },
        {
          weight: 1,
          arbitrary: fc.tuple(fc.constantFrom(...I64_UN), e64).map(([o, a]) => `(i64.${o} ${a})`),
        },
        { weight: 1, arbitrary: e32.map((a) => `(i64.extend_i32_s ${a})`) },
        { weight: 1, arbitrary: e32.map((a) => `(i64.extend_i32_u ${a})`) },
        {
          weight: 2,
          arbitrary: fc
            .tuple(fc.constantFrom(...LOAD64), offset, addr)
            .map(([o, k, a]) => `(${o} offset=${k} ${a})`),
        },
        { weight: 1, arbitrary: fc.tuple(e64, e64, e32).map(([a, b, c]) => `(select ${a} ${b} ${c})`) },
        {
          weight: 1,
          arbitrary: fc.tuple(fc.constantFrom(...l64), e64).map(([l, a]) => `(local.tee ${l} ${a})`),
        },
        ...(scope.calls
          ? [{ weight: 1, arbitrary: e64.map((a) => `(call_indirect (type $t64) ${a} (i32.const 8))`) }]
          : []),
      ),
      stmt: fc.oneof(
        { depthSize: "small", maxDepth: 3 },
        {
          weight: 2,
          arbitrary: fc.tuple(fc.constantFrom(...l32), e32).map(([l, a]) => `(local.set ${l} ${a})`),
        },
        {
          weight: 2,
          arbitrary: fc.tuple(fc.constantFrom(...l64), e64).map(([l, a]) => `(local.set ${l} ${a})`),
        },
        { weight: 1, arbitrary: e32.map((a) => `(global.set $g32 ${a})`) },
        { weight: 1, arbitrary: e64.map((a) => `(global.set $g64 ${a})`) },
        {
          weight: 2,
          arbitrary: fc
            .tuple(fc.constantFrom(...STORE32), offset, addr, e32)
            .map(([o, k, a, v]) => `(${o} offset=${k} ${a} ${v})`),
        },
        {
          weight: 2,
          arbitrary: fc
            .tuple(fc.constantFrom(...STORE64), offset, addr, e64)
            .map(([o, k, a, v]) => `(${o} offset=${k} ${a} ${v})`),
        },
        {
          weight: 1,
          arbitrary: fc
            .tuple(addr, e32, e32)
            .map(([d, v, n]) => `(memory.fill ${d} ${v} (i32.and ${n} (i32.const 0x7f)))`),
        },
        {
          weight: 1,
          arbitrary: fc
            .tuple(addr, addr, e32)
            .map(([d, s, n]) => `(memory.copy ${d} ${s} (i32.and ${n} (i32.const 0x7f)))`),
        },
        {
          weight: 1,
          arbitrary: fc
            .tuple(addr, e32, e32)
            .map(
              ([d, s, n]) =>
                `(memory.init $p ${d} (i32.and ${s} (i32.const 0x3f)) (i32.and ${n} (i32.const 0x3f)))`,
            ),
        },
        { weight: 1, arbitrary: fc.constant(`(data.drop $p)`) },
        { weight: 2, arbitrary: e32.map((a) => `(drop ${a})`) },
        { weight: 1, arbitrary: e64.map((a) => `(drop ${a})`) },
        { weight: 1, arbitrary: fc.tuple(e32, tie("stmt")).map(([c, s]) => `(if ${c} (then ${s}))`) },
        { weight: 1, arbitrary: fc.tuple(e32, tie("stmt")).map(([c, s]) => `(block (br_if 0 ${c}) ${s})`) },
        {
          weight: 1,
          arbitrary: fc
            .tuple(e32, tie("stmt"), tie("stmt"))
            .map(
              ([i, s1, s2]) =>
                `(block (block (block (br_table 0 1 2 (i32.and ${i} (i32.const 3)))) ${s1}) ${s2})`,
            ),
        },
        {
          weight: 1,
          arbitrary: fc
            .tuple(e32, e32, e32, e32)
            .map(([a, b, c, d]) => `(drop (block (result i32) ${a} ${b} (br_if 0 ${c} ${d}) (drop) (drop)))`),
        },
        {
          weight: 1,
          arbitrary: e32.map((c) => `(if (i32.eqz (i32.and ${c} (i32.const 7))) (then unreachable))`),
        },
        ...(scope.host
          ? [
              {
                weight: 1,
                arbitrary: fc
                  .tuple(addr, e32, e32)
                  .map(
                    ([d, o, n]) =>
                      `(call $msg_read ${d} (i32.and ${o} (i32.const 0xff)) (i32.and ${n} (i32.const 0x7f)))`,
                  ),
              },
              {
                weight: 1,
                arbitrary: fc
                  .tuple(fc.constantFrom("$output", "$send", "$spawn"), addr, e32)
                  .map(([f, p, n]) => `(call ${f} ${p} (i32.and ${n} (i32.const 0x7f)))`),
              },
            ]
          : []),
      ),
    };
  });
  return { e32: arbs.e32, e64: arbs.e64, stmt: arbs.stmt };
}

const HELPER = exprArbs({ i32Locals: [0, 1], i64Locals: [2], calls: false, host: false });
const HELPER64 = exprArbs({ i32Locals: [1], i64Locals: [0], calls: false, host: false });
const MAIN = exprArbs({ i32Locals: [0, 2], i64Locals: [1, 3], calls: true, host: true });

function watBytes(b: Uint8Array): string {
  return Array.from(b, (x) => "\\" + x.toString(16).padStart(2, "0")).join("");
}

/** A random program: a module and the runs to make of its `main`. */
export interface FuzzProgram {
  wat: string;
  runs: { args: [number, bigint]; stepLimit: number; message: Uint8Array }[];
}

export const programArb: fc.Arbitrary<FuzzProgram> = fc
  .record({
    h0: HELPER.e32,
    h1: HELPER.e32,
    k0: HELPER64.e64,
    body: fc.array(MAIN.stmt, { minLength: 1, maxLength: 6 }),
    loopBody: fc.array(MAIN.stmt, { maxLength: 3 }),
    loops: fc.integer({ min: 0, max: 12 }),
    result: MAIN.e32,
    g32: i32Const,
    g64: i64Const,
    active: fc.uint8Array({ minLength: 0, maxLength: 96 }),
    passive: fc.uint8Array({ minLength: 0, maxLength: 70 }),
    runs: fc.array(
      fc.record({
        args: fc.tuple(i32Const, i64Const),
        stepLimit: fc.oneof(
          { weight: 4, arbitrary: fc.constant(100_000) },
          { weight: 1, arbitrary: fc.integer({ min: 0, max: 80 }) },
        ),
        message: fc.uint8Array({ minLength: 0, maxLength: 200 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  })
  .map((r) => ({
    wat: `(module
  (import "holo" "msg_len" (func $msg_len (result i32)))
  (import "holo" "msg_read" (func $msg_read (param i32 i32 i32)))
  (import "holo" "output" (func $output (param i32 i32)))
  (import "holo" "send" (func $send (param i32 i32)))
  (import "holo" "spawn" (func $spawn (param i32 i32)))
  (type $t32 (func (param i32 i32) (result i32)))
  (type $t64 (func (param i64) (result i64)))
  (memory 1 3)
  (global $g32 (mut i32) (i32.const ${r.g32}))
  (global $g64 (mut i64) (i64.const ${r.g64}))
  (table 10 funcref)
  (elem (i32.const 0) $h0 $h1 $h0 $k0 $h1)
  (elem (i32.const 8) $k0)
  (data (i32.const 64) "${watBytes(r.active)}")
  (data $p "${watBytes(r.passive)}")
  (func $h0 (type $t32) (local i64) ${r.h0})
  (func $h1 (type $t32) (local i64) ${r.h1})
  (func $k0 (type $t64) (local i32) ${r.k0})
  (func (export "main") (param i32 i64) (result i32) (local i32 i64 i32)
    ${r.body.join("\n    ")}
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get 4) (i32.const ${r.loops})))
      ${r.loopBody.join("\n      ")}
      (local.set 4 (i32.add (local.get 4) (i32.const 1)))
      (br $l)))
    ${r.result}))`,
    runs: r.runs.map((x) => ({
      args: x.args as [number, bigint],
      stepLimit: x.stepLimit,
      message: x.message,
    })),
  }));

export interface FuzzReport {
  programs: number;
  runs: number;
  steps: number;
  mismatches: number;
  errors: Map<string, number>;
  opcodes: Set<number>;
  firstMismatch?: string;
}

/** Proves and compares a batch of fixtures; returns the number of mismatches (and records the first). */
async function check(p: Provers, fx: StepFixture[], report: FuzzReport, label: string[]): Promise<void> {
  const { posts, errors } = await proveBatch(p, fx);
  for (let k = 0; k < fx.length; k++) {
    const ts = verifyTs(fx[k].preStateHash, fx[k].proof);
    if (errors[k] !== "0x" || posts[k] !== fx[k].postStateHash || ts !== fx[k].postStateHash) {
      report.mismatches++;
      report.firstMismatch ??=
        `${label[k]}: machine ${fx[k].postStateHash}, contracts ${errors[k] !== "0x" ? errorName(p, errors[k]) : posts[k]}, ` +
        `verifyStep ${typeof ts === "string" ? ts : ts.code}`;
    }
  }
}

/**
 * Runs the fuzzer until `targetSteps` steps have been proven through both the machine and the contracts.
 */
export async function fuzz(
  p: Provers,
  targetSteps: number,
  seed: number,
  log?: (s: string) => void,
): Promise<FuzzReport> {
  const report: FuzzReport = {
    programs: 0,
    runs: 0,
    steps: 0,
    mismatches: 0,
    errors: new Map(),
    opcodes: new Set(),
  };
  let pending: StepFixture[] = [];
  let labels: string[] = [];
  let round = 0;
  while (report.steps < targetSteps) {
    const programs = fc.sample(programArb, { numRuns: 20, seed: seed + round++ });
    for (const prog of programs) {
      if (report.steps >= targetSteps) break;
      const inst = await instanceOf(prog.wat);
      report.programs++;
      for (const run of prog.runs) {
        report.runs++;
        const message = run.message;
        inst.beginInvoke(inst.exportedFunc("main")!, run.args as Value[], run.stepLimit, {
          message,
          messageHash: messageHash(message),
        });
        const m = inst.machine;
        let n = 0;
        while (m.status === STATUS.Running && n < 5000) {
          const f = fixtureOf(m);
          if (f.opcode !== undefined) report.opcodes.add(f.opcode);
          pending.push(f);
          labels.push(`program ${report.programs} run ${report.runs} step ${n}`);
          n++;
        }
        if (m.status === STATUS.Running) m.run();
        pending.push(fixtureOf(m));
        labels.push(`program ${report.programs} run ${report.runs} no-op`);
        const name =
          m.status === STATUS.Halted ? "halted" : (ERROR_BY_CODE.get(m.error)?.name ?? `error ${m.error}`);
        report.errors.set(name, (report.errors.get(name) ?? 0) + 1);
        inst.finish();
        report.steps += n + 1;
        if (pending.length >= 2000) {
          await check(p, pending, report, labels);
          pending = [];
          labels = [];
          log?.(`  ${report.steps} steps, ${report.programs} programs, ${report.mismatches} mismatches`);
        }
      }
    }
  }
  if (pending.length) await check(p, pending, report, labels);
  return report;
}

/** A one-line summary of a report. */
export function summary(r: FuzzReport): string {
  const missing = OPCODE_TABLE.filter((o) => !r.opcodes.has(o.opcode)).map((o) => o.name);
  const outcomes = [...r.errors.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  return (
    `${r.steps} steps (${r.programs} programs, ${r.runs} runs), ${r.mismatches} mismatches; ` +
    `${r.opcodes.size} of ${OPCODE_TABLE.length} opcodes executed` +
    (missing.length ? ` (not: ${missing.join(", ")})` : "") +
    `; outcomes: ${outcomes}`
  );
}

import { expect } from "chai";
import fc from "fast-check";
import { instanceOf, wat } from "../helpers";
import { ARITH_BINARY, COMPARISONS, I32_UNARY, I64_UNARY } from "../opcode-names";
import type { Instance } from "../../../machine/process/instance";
import type { Value } from "../../../machine/interp/semantics";

const I32_BIN = [...ARITH_BINARY, ...COMPARISONS];
const I32_UN = I32_UNARY;
const I64_BIN = I32_BIN;
const I64_UN = [...I64_UNARY, "eqz"];

function numericModule(): string {
  const f: string[] = [];
  for (const op of I32_BIN)
    f.push(
      `(func (export "i32.${op}") (param i32 i32) (result i32) (i32.${op} (local.get 0) (local.get 1)))`,
    );
  for (const op of I32_UN)
    f.push(`(func (export "i32.${op}") (param i32) (result i32) (i32.${op} (local.get 0)))`);
  for (const op of I64_BIN) {
    const cmp = ["eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"].includes(op);
    f.push(
      `(func (export "i64.${op}") (param i64 i64) (result ${cmp ? "i32" : "i64"}) (i64.${op} (local.get 0) (local.get 1)))`,
    );
  }
  for (const op of I64_UN)
    f.push(
      `(func (export "i64.${op}") (param i64) (result ${op === "eqz" ? "i32" : "i64"}) (i64.${op} (local.get 0)))`,
    );
  f.push(`(func (export "wrap") (param i64) (result i32) (i32.wrap_i64 (local.get 0)))`);
  f.push(`(func (export "extend_s") (param i32) (result i64) (i64.extend_i32_s (local.get 0)))`);
  f.push(`(func (export "extend_u") (param i32) (result i64) (i64.extend_i32_u (local.get 0)))`);
  return `(module ${f.join("\n")})`;
}

type V8Fn = (...a: (number | bigint)[]) => number | bigint;

/** V8's WebAssembly (the oracle), typed locally: the project's lib (es2022, no DOM) does not declare it. */
const V8 = (
  globalThis as unknown as {
    WebAssembly: { instantiate(b: Uint8Array): Promise<{ instance: { exports: Record<string, unknown> } }> };
  }
).WebAssembly;

/** Our result or trap vs V8's. */
function compare(inst: Instance, v8: Record<string, V8Fn>, name: string, args: Value[]): void {
  let expected: { trap: boolean; value?: number | bigint };
  try {
    expected = { trap: false, value: v8[name](...args) };
  } catch {
    expected = { trap: true };
  }
  const r = inst.invoke(name, args);
  if (expected.trap) {
    expect(r.status, `${name}(${args}) should trap`).to.equal("errored");
    expect(["IntegerDivideByZero", "IntegerOverflow"]).to.include(r.errorName);
  } else {
    expect(r.status, `${name}(${args})`).to.equal("halted");
    const got = r.values[0];
    const want = expected.value!;
    expect(typeof got === "bigint" ? BigInt.asIntN(64, got) : got, `${name}(${args})`).to.equal(
      typeof want === "bigint" ? BigInt.asIntN(64, want) : want,
    );
  }
}

const i32Arb = fc.oneof(
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  fc.constantFrom(0, 1, -1, 31, 32, 33, 63, 64, -0x80000000, 0x7fffffff, 0xff, 0x80, 0x8000),
);
const i64Arb = fc.oneof(
  fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
  fc.constantFrom(
    0n,
    1n,
    -1n,
    63n,
    64n,
    65n,
    -(1n << 63n),
    (1n << 63n) - 1n,
    0xffn,
    0x80n,
    0x80000000n,
    0xffffffffn,
  ),
);

describe("machine/interp/semantics", () => {
  let inst: Instance;
  let v8: Record<string, V8Fn>;

  before(async () => {
    const src = numericModule();
    inst = await instanceOf(src);
    v8 = (await V8.instantiate(await wat(src))).instance.exports as Record<string, V8Fn>;
  });

  it("agrees with V8 on every i32 operator (random and edge operands)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...I32_BIN), i32Arb, i32Arb, (op, x, y) =>
        compare(inst, v8, `i32.${op}`, [x, y]),
      ),
      { numRuns: 600 },
    );
    fc.assert(
      fc.property(fc.constantFrom(...I32_UN), i32Arb, (op, x) => compare(inst, v8, `i32.${op}`, [x])),
      {
        numRuns: 200,
      },
    );
  });

  it("agrees with V8 on every i64 operator and the conversions", () => {
    fc.assert(
      fc.property(fc.constantFrom(...I64_BIN), i64Arb, i64Arb, (op, x, y) =>
        compare(inst, v8, `i64.${op}`, [x, y]),
      ),
      { numRuns: 600 },
    );
    fc.assert(
      fc.property(fc.constantFrom(...I64_UN), i64Arb, (op, x) => compare(inst, v8, `i64.${op}`, [x])),
      {
        numRuns: 200,
      },
    );
    fc.assert(
      fc.property(i64Arb, (x) => compare(inst, v8, "wrap", [x])),
      { numRuns: 50 },
    );
    fc.assert(
      fc.property(i32Arb, (x) => compare(inst, v8, "extend_s", [x])),
      { numRuns: 50 },
    );
    fc.assert(
      fc.property(i32Arb, (x) => compare(inst, v8, "extend_u", [x])),
      { numRuns: 50 },
    );
  });

  it("traps on division by zero and signed overflow, with the right error", () => {
    expect(inst.invoke("i32.div_s", [1, 0]).errorName).to.equal("IntegerDivideByZero");
    expect(inst.invoke("i32.rem_u", [1, 0]).errorName).to.equal("IntegerDivideByZero");
    expect(inst.invoke("i32.div_s", [-0x80000000, -1]).errorName).to.equal("IntegerOverflow");
    expect(inst.invoke("i32.rem_s", [-0x80000000, -1]).values).to.deep.equal([0]);
    expect(inst.invoke("i64.div_s", [-(1n << 63n), -1n]).errorName).to.equal("IntegerOverflow");
    expect(inst.invoke("i64.div_u", [5n, 0n]).errorName).to.equal("IntegerDivideByZero");
  });

  it("takes shift counts modulo the width and sign-extends", () => {
    expect(inst.invoke("i32.shl", [1, 33]).values).to.deep.equal([2]);
    expect(inst.invoke("i32.shr_s", [-8, 32]).values).to.deep.equal([-8]);
    expect(inst.invoke("i64.shr_u", [-1n, 127n]).values).to.deep.equal([1n]);
    expect(inst.invoke("i64.rotl", [1n, 64n]).values).to.deep.equal([1n]);
    expect(inst.invoke("i32.extend8_s", [0x80]).values).to.deep.equal([-128]);
    expect(inst.invoke("i64.extend32_s", [0x80000000n]).values).to.deep.equal([-0x80000000n]);
  });

  describe("memory", () => {
    let mem: Instance;
    before(async () => {
      mem = await instanceOf(`(module (memory 1 2)
        (func (export "store32") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
        (func (export "load32") (param i32) (result i32) (i32.load (local.get 0)))
        (func (export "load_off") (param i32) (result i32) (i32.load offset=0xffffffff (local.get 0)))
        (func (export "load64") (param i32) (result i64) (i64.load (local.get 0)))
        (func (export "load8_s") (param i32) (result i32) (i32.load8_s (local.get 0)))
        (func (export "load16_u") (param i32) (result i64) (i64.load16_u (local.get 0)))
        (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
        (func (export "size") (result i32) (memory.size))
        (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
        (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2))))`);
    });

    it("loads and stores unaligned little-endian values across leaf boundaries", () => {
      mem.invoke("store32", [30, 0x44332211]);
      expect(mem.invoke("load32", [30]).values).to.deep.equal([0x44332211]);
      expect(mem.invoke("load8_s", [33]).values).to.deep.equal([0x44]);
      expect(mem.invoke("load16_u", [31]).values).to.deep.equal([0x3322n]);
      expect(mem.invoke("load64", [29]).values).to.deep.equal([0x4433221100n]);
    });

    it("traps out of bounds, including offset overflow and the last bytes", () => {
      expect(mem.invoke("load32", [65532]).status).to.equal("halted");
      expect(mem.invoke("load32", [65533]).errorName).to.equal("MemoryOutOfBounds");
      expect(mem.invoke("load64", [-1]).errorName).to.equal("MemoryOutOfBounds");
      expect(mem.invoke("load_off", [1]).errorName).to.equal("MemoryOutOfBounds");
      expect(mem.invoke("store32", [65534, 1]).errorName).to.equal("MemoryOutOfBounds");
    });

    it("fails memory.grow beyond the maximum with -1 and keeps the size", () => {
      expect(mem.invoke("grow", [2]).values).to.deep.equal([-1]);
      expect(mem.invoke("size", []).values).to.deep.equal([1]);
      expect(mem.invoke("grow", [1]).values).to.deep.equal([1]);
      expect(mem.invoke("size", []).values).to.deep.equal([2]);
      expect(mem.invoke("load32", [65536]).values).to.deep.equal([0]);
    });

    it("bulk fill and overlapping copy match byte-wise semantics, and trap before writing", () => {
      mem.invoke("fill", [1000, 7, 100]);
      expect(mem.invoke("load32", [1096]).values).to.deep.equal([0x07070707]);
      for (let i = 0; i < 64; i++) mem.invoke("store32", [2000 + 4 * i, i * 0x01010101]);
      const before = Array.from({ length: 64 }, (_, i) => mem.invoke("load32", [2000 + 4 * i]).values[0]);
      mem.invoke("copy", [2003, 2000, 200]); // overlapping, backward
      expect(mem.invoke("load32", [2003]).values[0]).to.equal(before[0]);
      expect(mem.invoke("load32", [2003 + 196]).values[0]).to.equal(before[49]);
      mem.invoke("copy", [2000, 2003, 200]); // overlapping, forward: back to the original
      expect(mem.invoke("load32", [2000 + 4 * 10]).values[0]).to.equal(before[10]);
      expect(mem.invoke("fill", [131000, 1, 1000]).errorName).to.equal("MemoryOutOfBounds");
      expect(mem.invoke("load32", [131000]).values).to.deep.equal([0]);
    });
  });

  describe("call_indirect and the stack limits", () => {
    let t: Instance;
    before(async () => {
      t = await instanceOf(`(module
        (type $v_i (func (result i32)))
        (type $i_i (func (param i32) (result i32)))
        (table 3 funcref)
        (elem (i32.const 0) $one $id)
        (func $one (result i32) (i32.const 1))
        (func $id (param i32) (result i32) (local.get 0))
        (func (export "call0") (param i32) (result i32) (call_indirect (type $v_i) (local.get 0)))
        (func (export "call1") (param i32 i32) (result i32) (call_indirect (type $i_i) (local.get 1) (local.get 0)))
        (func $deep (export "deep") (param i32) (result i32) (i32.add (i32.const 1) (call $deep (local.get 0))))
        (func $wide (export "wide") (param i32) (result i32)
          (i32.add (i32.add (i32.add (i32.add (i32.add (i32.const 1) (i32.const 2)) (i32.const 3)) (i32.const 4))
            (i32.add (i32.const 5) (i32.add (i32.const 6) (i32.add (i32.const 7) (i32.add (i32.const 8)
              (call $wide (local.get 0))))))) (i32.const 0))))`);
    });

    it("checks the signature, null entries and the table bounds", () => {
      expect(t.invoke("call0", [0]).values).to.deep.equal([1]);
      expect(t.invoke("call1", [1, 42]).values).to.deep.equal([42]);
      expect(t.invoke("call0", [1]).errorName).to.equal("IndirectCallTypeMismatch");
      expect(t.invoke("call0", [2]).errorName).to.equal("NullFunction");
      expect(t.invoke("call0", [3]).errorName).to.equal("TableOutOfBounds");
      expect(t.invoke("call0", [-1]).errorName).to.equal("TableOutOfBounds");
    });

    it("stops unbounded recursion with a resource error, and the state survives it", () => {
      expect(t.invoke("deep", [0]).errorName).to.equal("CallStackExhausted");
      // Five operands wait under each call: the value stack (65,536) runs out before the frames.
      expect(t.invoke("wide", [0]).errorName).to.equal("ValueStackExhausted");
      expect(t.invoke("call1", [1, 7]).values).to.deep.equal([7]);
    });
  });
});

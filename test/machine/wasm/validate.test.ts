import { expect } from "chai";

import {
  decodeModule,
  loadWasm,
  Op,
  SPECTEST_IMPORTS,
  validateModule,
  WasmInvalidError,
  WasmLoadError,
  WasmSubsetError,
} from "../../../machine/wasm";
import {
  mod,
  oneFunc,
  refusal,
  section,
  specFolders,
  TYPE_VOID,
  uleb,
  vec,
  wat,
  type WabtFeatures,
} from "./helpers";

/**
 * Spec cases whose category (assert_invalid) differs from ours. WebAssembly 2.0 allows one memory;
 * a second one is standard since 3.0 ("multi-memory"), and we refuse it as outside the subset.
 */
const CATEGORY_DIFFERS: Record<string, typeof WasmSubsetError> = {
  "memory/memory.6.wasm": WasmSubsetError,
  "memory/memory.7.wasm": WasmSubsetError,
};

describe("wasm validate: spec suite assert_invalid (all folders)", function () {
  let total = 0;
  let asInvalid = 0;
  const differing: string[] = [];

  for (const f of specFolders()) {
    it(`${f.name}: every assert_invalid module is refused as invalid`, function () {
      for (const c of f.commands) {
        if (c.type !== "assert_invalid") continue;
        total++;
        const key = `${f.name}/${c.filename}`;
        let err: unknown;
        try {
          loadWasm(f.read(c.filename as string), { allowedImports: SPECTEST_IMPORTS });
        } catch (e) {
          err = e;
        }
        const expected = CATEGORY_DIFFERS[key] ?? WasmInvalidError;
        expect(err, `${key} (line ${c.line}, "${c.text}") must be refused`).to.be.instanceOf(expected);
        if (expected === WasmInvalidError) asInvalid++;
        else differing.push(`${key} "${c.text}" -> ${(err as Error).message}`);
      }
    });
  }

  after(function () {
    console.log(
      `      assert_invalid: ${total} refused, ${asInvalid} as invalid, ${differing.length} as subset:`,
    );
    for (const d of differing) console.log(`        ${d}`);
  });
});

async function invalid(text: string, features: WabtFeatures = {}): Promise<WasmInvalidError> {
  const bytes = await wat(text, features);
  const m = decodeModule(bytes);
  return refusal(() => validateModule(m), WasmInvalidError);
}

async function valid(text: string, features: WabtFeatures = {}): Promise<void> {
  validateModule(decodeModule(await wat(text, features)));
}

describe("wasm validate: targeted rules", function () {
  it("type mismatch names the function index and the byte offset", async function () {
    const bytes = await wat(`(module
      (import "env" "h" (func))
      (func)
      (func (result i32) (i64.const 1)))`);
    const m = decodeModule(bytes);
    const e = refusal(() => validateModule(m), WasmInvalidError);
    const f = m.funcs[1];
    expect(e.functionIndex).to.equal(2);
    expect(e.byteOffset).to.equal(f.body[f.body.length - 1].offset);
    expect(bytes[e.byteOffset as number]).to.equal(0x0b);
    expect(e.message).to.match(/^invalid module: type mismatch.* in function 2 at byte offset 0x[0-9a-f]+$/);
    expect(e).to.be.instanceOf(WasmLoadError);
  });

  it("operand stack: underflow, leftovers, wrong types", async function () {
    expect((await invalid(`(module (func (drop)))`)).reason).to.match(/type mismatch/);
    expect((await invalid(`(module (func (i32.const 1)))`)).reason).to.match(/type mismatch/);
    expect(
      (await invalid(`(module (func (result i32) (i32.add (i32.const 1) (i64.const 2))))`)).reason,
    ).to.match(/type mismatch/);
    expect((await invalid(`(module (func (block (result i32) (br 0)) (drop)))`)).reason).to.match(
      /type mismatch/,
    );
  });

  it("unreachable code is stack-polymorphic", async function () {
    await valid(`(module (func (result i32) unreachable i32.add))`);
    await valid(`(module (func (result i32) unreachable select))`);
    await valid(
      `(module (func (result i64) (block (result i32) unreachable br_table 0 0) drop unreachable))`,
    );
    // Unknown operands stay unknown across br_table targets of different types.
    await valid(`(module (func (result i32)
      (block (result i64) (block (result i32) unreachable br_table 0 1 0) drop (i64.const 0)) drop (i32.const 0)))`);
    await valid(
      `(module (func (return (i32.const 1)) (drop (i64.const 2)) (i32.add)))`.replace(
        "(func",
        "(func (result i32)",
      ),
    );
    expect((await invalid(`(module (func unreachable (i64.const 0) (i32.add)))`)).reason).to.match(
      /type mismatch/,
    );
    expect((await invalid(`(module (func (result i32) unreachable (f32.const 0) select))`)).reason).to.match(
      /type mismatch/,
    );
  });

  it("branches: labels, arities, br_table consistency", async function () {
    expect((await invalid(`(module (func (br 1)))`)).reason).to.match(/unknown label/);
    expect(
      (
        await invalid(
          `(module (func (block (result i32) (block (br_table 0 1 (i32.const 0) (i32.const 0)))) drop))`,
        )
      ).reason,
    ).to.match(/arities/);
    await valid(`(module (func (result i32) (block (result i32) (br_if 0 (i32.const 1) (i32.const 1)))))`);
    // A loop's label takes the loop's parameters.
    await valid(`(module (type $t (func (param i32) (result i32)))
      (func (result i32) (i32.const 3) (loop (type $t) (i32.const 0) (br_if 0))))`);
  });

  it("multi-value block types and if without else", async function () {
    await valid(`(module (type $t (func (param i32 i64) (result i64 i32)))
      (func (result i32) (i32.const 1) (i64.const 2) (block (type $t) (drop) (drop) (i64.const 3) (i32.const 4))
        (drop) (drop) (i32.const 0)))`);
    await valid(`(module (type $t (func (param i32) (result i32)))
      (func (param i32) (result i32) (local.get 0) (if (type $t) (local.get 0) (then))))`);
    expect(
      (await invalid(`(module (func (result i32) (if (result i32) (i32.const 1) (then (i32.const 2)))))`))
        .reason,
    ).to.match(/type mismatch/);
    const bt9 = oneFunc([0x00, 0x02, 0x09, 0x0b, 0x0b]); // block (type 9)
    expect(refusal(() => validateModule(decodeModule(bt9)), WasmInvalidError).reason).to.equal(
      "unknown type 9",
    );
  });

  it("indices: locals, globals, functions, types, tables, memories, data, elems", async function () {
    expect((await invalid(`(module (func (param i32) (drop (local.get 1))))`)).reason).to.equal(
      "unknown local 1",
    );
    expect((await invalid(`(module (func (drop (global.get 0))))`)).reason).to.equal("unknown global 0");
    expect((await invalid(`(module (func (call 5)))`)).reason).to.equal("unknown function 5");
    expect((await invalid(`(module (func (call_indirect (i32.const 0))))`)).reason).to.equal(
      "unknown table 0",
    );
    expect((await invalid(`(module (func (drop (i32.load (i32.const 0)))))`)).reason).to.equal(
      "unknown memory 0",
    );
    // memory.init / data.drop check the data index against the data count section.
    const dataDrop1 = oneFunc([0x00, 0xfc, 0x09, 0x01, 0x0b], { mid: [section(12, [1])] });
    const withData = new Uint8Array([...dataDrop1, ...section(11, vec([[0x01, 0x00]]))]);
    expect(refusal(() => validateModule(decodeModule(withData)), WasmInvalidError).reason).to.equal(
      "unknown data segment 1",
    );
    expect((await invalid(`(module (table 1 funcref) (func (elem.drop 0)))`)).reason).to.equal(
      "unknown elem segment 0",
    );
  });

  it("globals: mutability and constant expressions", async function () {
    expect(
      (await invalid(`(module (global i32 (i32.const 0)) (func (global.set 0 (i32.const 1))))`)).reason,
    ).to.match(/global is immutable/);
    await valid(`(module (global (mut i32) (i32.const 0)) (func (global.set 0 (i32.const 1))))`);
    // Constant expressions may read imported immutable globals only (WebAssembly 2.0).
    await valid(`(module (import "m" "g" (global i32)) (global i32 (global.get 0)))`);
    expect(
      (await invalid(`(module (global i32 (i32.const 0)) (global i32 (global.get 0)))`)).reason,
    ).to.equal("unknown global 0");
    expect(
      (await invalid(`(module (import "m" "g" (global (mut i32))) (global i32 (global.get 0)))`)).reason,
    ).to.equal("constant expression required");
    expect((await invalid(`(module (global i64 (i32.const 0)))`)).reason).to.equal("type mismatch");
    // Not a single constant instruction: recorded by the decoder, reported by the validator.
    const twoConsts = mod(section(6, vec([[0x7f, 0x00, 0x41, 0x00, 0x41, 0x01, 0x0b]])));
    expect(refusal(() => validateModule(decodeModule(twoConsts)), WasmInvalidError).reason).to.equal(
      "type mismatch",
    );
    const notConst = mod(section(6, vec([[0x7f, 0x00, 0x41, 0x00, 0x41, 0x01, 0x6a, 0x0b]])));
    const e = refusal(() => validateModule(decodeModule(notConst)), WasmInvalidError);
    expect(e.reason).to.equal("constant expression required");
    expect(notConst[e.byteOffset as number]).to.equal(0x6a);
    const empty = mod(section(6, vec([[0x7f, 0x00, 0x0b]])));
    expect(refusal(() => validateModule(decodeModule(empty)), WasmInvalidError).reason).to.equal(
      "type mismatch",
    );
  });

  it("module-level rules: limits, start, exports, alignment, segments, ref.func", async function () {
    expect((await invalid(`(module (memory 2 1))`)).reason).to.equal(
      "size minimum must not be greater than maximum",
    );
    expect(
      refusal(
        () => validateModule(decodeModule(mod(section(5, vec([[0x00, ...uleb(65537)]]))))),
        WasmInvalidError,
      ).reason,
    ).to.match(/at most 65536 pages/);
    expect((await invalid(`(module (func $f (param i32)) (start $f))`)).reason).to.match(/start function/);
    expect(
      (await invalid(`(module (func $f) (export "a" (func $f)) (export "a" (func $f)))`)).reason,
    ).to.match(/duplicate export name/);
    const align = oneFunc([0x00, 0x41, 0x00, 0x28, 0x03, 0x00, 0x1a, 0x0b], {
      mid: [section(5, vec([[0x00, 0x01]]))],
    });
    expect(refusal(() => validateModule(decodeModule(align)), WasmInvalidError).reason).to.equal(
      "alignment must not be larger than natural",
    );
    expect((await invalid(`(module (memory 1) (data (i64.const 0) "x"))`)).reason).to.equal("type mismatch");
    expect((await invalid(`(module (data (i32.const 0) "x"))`)).reason).to.equal("unknown memory 0");
    expect((await invalid(`(module (func $f) (elem (i32.const 0) $f))`)).reason).to.equal("unknown table 0");
    expect(
      (await invalid(`(module (func $f) (func (drop (ref.func $f))))`, { reference_types: true })).reason,
    ).to.match(/undeclared function reference/);
    await valid(`(module (func $f) (elem declare func $f) (func (drop (ref.func $f))))`, {
      reference_types: true,
    });
    expect(TYPE_VOID[0]).to.equal(1);
  });

  it("validates every accepted feature on a realistic module", async function () {
    const bytes = await wat(`(module
      (type $bin (func (param i32 i32) (result i32)))
      (import "env" "log" (func $log (param i32)))
      (memory 1 16) (table 2 funcref) (elem (i32.const 0) $add $sub)
      (global $sp (mut i32) (i32.const 1024)) (data $d "hello")
      (func $add (type $bin) (i32.add (local.get 0) (local.get 1)))
      (func $sub (type $bin) (i32.sub (local.get 0) (local.get 1)))
      (func (export "run") (param i32) (result i32 i64) (local i64)
        (memory.init $d (i32.const 0) (i32.const 0) (i32.const 5)) (data.drop $d)
        (memory.copy (i32.const 8) (i32.const 0) (i32.const 5))
        (memory.fill (i32.const 16) (i32.const 0) (i32.const 4))
        (call $log (i32.extend8_s (local.get 0)))
        (global.set $sp (i32.sub (global.get $sp) (i32.const 16)))
        (call_indirect (type $bin) (i32.const 2) (i32.const 3) (local.get 0))
        (i64.extend16_s (i64.const 7))))`);
    const m = loadWasm(bytes, {
      allowedImports: [{ module: "env", name: "log", kind: "func", params: ["i32"], results: [] }],
    });
    expect(m.funcs.map((f) => f.body.some((i) => i.op === Op.MemoryInit))).to.deep.equal([
      false,
      false,
      true,
    ]);
  });
});

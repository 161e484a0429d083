import { expect } from "chai";

import {
  checkSubset,
  decodeModule,
  loadWasm,
  SPECTEST_IMPORTS,
  WasmLoadError,
  WasmSubsetError,
  type LoadOptions,
} from "../../../machine/wasm";
import { indexOf, mod, refusal, section, specFolders, vec, wat, type WabtFeatures } from "./helpers";

/** Loads wat text and expects a subset refusal. */
async function refused(
  text: string,
  features: WabtFeatures = {},
  opts: LoadOptions = {},
): Promise<{ e: WasmSubsetError; bytes: Uint8Array }> {
  const bytes = await wat(text, features);
  const e = refusal(() => loadWasm(bytes, opts), WasmSubsetError);
  expect(e).to.be.instanceOf(WasmLoadError);
  return { e, bytes };
}

const hex = (n: number) => "0x" + n.toString(16);

describe("wasm subset: spec suite modules (all folders)", function () {
  const refusedByFolder = new Map<string, Map<string, number>>();
  let loaded = 0;
  let total = 0;

  for (const f of specFolders()) {
    it(`${f.name}: every module loads or is refused as outside the subset`, function () {
      for (const c of f.commands) {
        if (c.type !== "module" || !c.filename) continue;
        total++;
        try {
          loadWasm(f.read(c.filename), { allowedImports: SPECTEST_IMPORTS });
          loaded++;
        } catch (e) {
          expect(e, `${f.name}/${c.filename} (line ${c.line})`).to.be.instanceOf(WasmSubsetError);
          const feature = (e as WasmSubsetError).feature as string;
          const byFeature = refusedByFolder.get(f.name) ?? new Map<string, number>();
          byFeature.set(feature, (byFeature.get(feature) ?? 0) + 1);
          refusedByFolder.set(f.name, byFeature);
        }
      }
    });
  }

  after(function () {
    console.log(`      modules: ${total}, loaded ${loaded}, refused for the subset ${total - loaded}`);
    for (const [folder, byFeature] of refusedByFolder) {
      const parts = [...byFeature].map(([k, v]) => `${k} ${v}`).join(", ");
      console.log(`        ${folder}: ${parts}`);
    }
  });
});

describe("wasm subset: floats", function () {
  it("refuses a float instruction, naming it, the function index and the byte offset", async function () {
    const { e, bytes } = await refused(
      `(module
      (import "env" "h" (func)) (func) (func)
      (func (result i32) (drop (f32.add (f32.const 1) (f32.const 2))) (i32.const 0)))`,
      {},
      { allowedImports: (imp) => imp.module === "env" },
    );
    // f32.const 1.0, f32.const 2.0, then f32.add (0x92)
    const at = indexOf(bytes, [0x43, 0x00, 0x00, 0x80, 0x3f, 0x43, 0x00, 0x00, 0x00, 0x40, 0x92]);
    expect(at).to.be.greaterThan(0);
    // The first float construct met is the f32.const before f32.add.
    expect(e.feature).to.equal("float");
    expect(e.functionIndex).to.equal(3);
    expect(e.byteOffset).to.equal(at);
    expect(e.message).to.equal(`module uses f32.const (float) in function 3 at byte offset ${hex(at)}`);
  });

  it("names f32.add itself when it is the first float construct (in unreachable code)", async function () {
    const { e, bytes } = await refused(`(module (func) (func unreachable (f32.add) (drop)))`);
    const at = indexOf(bytes, [0x00, 0x92, 0x1a]) + 1;
    expect(e.message).to.equal(`module uses f32.add (float) in function 1 at byte offset ${hex(at)}`);
    expect([e.what, e.feature, e.functionIndex, e.byteOffset]).to.deep.equal(["f32.add", "float", 1, at]);
  });

  it("refuses saturating float-to-int conversions (0xFC 0x00..0x07)", async function () {
    const { e, bytes } = await refused(`(module (func unreachable (i32.trunc_sat_f32_s) (drop)))`, {
      sat_float_to_int: true,
    });
    expect([e.what, e.feature, e.functionIndex]).to.deep.equal(["i32.trunc_sat_f32_s", "float", 0]);
    expect(e.byteOffset).to.equal(indexOf(bytes, [0x00, 0xfc, 0x00, 0x1a]) + 1);
  });

  it("refuses f32/f64 in signatures, locals, globals, block types and unused types", async function () {
    let r = await refused(`(module (func) (func (param i32 f32)))`);
    expect([r.e.what, r.e.feature, r.e.functionIndex]).to.deep.equal(["an f32 parameter", "float", 1]);
    expect(r.bytes[r.e.byteOffset as number]).to.equal(0x60); // the type entry

    r = await refused(`(module (func (result f64) (f64.const 0)))`);
    expect([r.e.what, r.e.functionIndex]).to.deep.equal(["an f64 result", 0]);

    r = await refused(`(module (func (local i32 f64)))`);
    expect([r.e.what, r.e.feature, r.e.functionIndex]).to.deep.equal(["an f64 local", "float", 0]);
    expect(r.e.byteOffset).to.equal(decodeModule(r.bytes).funcs[0].offset);

    r = await refused(`(module (global (mut f64) (f64.const 0)))`);
    expect([r.e.what, r.e.feature, r.e.functionIndex]).to.deep.equal([
      "global 0 of type f64",
      "float",
      undefined,
    ]);
    expect(r.bytes[r.e.byteOffset as number]).to.equal(0x7c);

    r = await refused(`(module (func unreachable (block (result f32) unreachable) (drop)))`);
    expect([r.e.what, r.e.feature, r.e.functionIndex]).to.deep.equal([
      "block with an f32 block type",
      "float",
      0,
    ]);
    expect(r.bytes[r.e.byteOffset as number]).to.equal(0x02);

    r = await refused(`(module (type (func (param f64))))`);
    expect([r.e.what, r.e.feature, r.e.functionIndex]).to.deep.equal([
      "f64 in the signature of type 0",
      "float",
      undefined,
    ]);

    r = await refused(
      `(module (import "spectest" "global_f32" (global f32)))`,
      {},
      { allowedImports: SPECTEST_IMPORTS },
    );
    expect([r.e.what, r.e.feature]).to.deep.equal(["an imported global of type f32", "float"]);
  });
});

describe("wasm subset: post-MVP features refused at decode", function () {
  it("SIMD (0xFD prefix, v128)", async function () {
    let r = await refused(`(module (func (drop (v128.const i32x4 0 0 0 0))))`, { simd: true });
    expect([r.e.feature, r.e.functionIndex]).to.deep.equal(["simd", 0]);
    expect(r.bytes[r.e.byteOffset as number]).to.equal(0xfd);
    r = await refused(`(module (func) (func (local v128)))`, { simd: true });
    expect([r.e.what, r.e.feature, r.e.functionIndex]).to.deep.equal(["v128", "simd", 1]);
    expect(r.bytes[r.e.byteOffset as number]).to.equal(0x7b);
  });

  it("threads: shared memory and atomics (0xFE prefix)", async function () {
    let r = await refused(`(module (memory 1 1 shared))`, { threads: true });
    expect([r.e.what, r.e.feature]).to.deep.equal(["a shared memory", "threads"]);
    expect(r.bytes[r.e.byteOffset as number]).to.equal(0x03);
    r = await refused(`(module (memory 1) (func (drop (i32.atomic.load (i32.const 0)))))`, { threads: true });
    expect([r.e.feature, r.e.functionIndex]).to.deep.equal(["threads", 0]);
    expect(r.bytes[r.e.byteOffset as number]).to.equal(0xfe);
  });

  it("memory64", async function () {
    const r = await refused(`(module (memory i64 1))`, { memory64: true });
    expect([r.e.what, r.e.feature]).to.deep.equal(["a 64-bit memory", "memory64"]);
  });

  it("exception handling (tag section, try/throw)", async function () {
    let r = await refused(`(module (tag $e) (func (throw $e)))`, { exceptions: true });
    expect([r.e.what, r.e.feature]).to.deep.equal(["a tag section", "exception-handling"]);
    expect(r.bytes[r.e.byteOffset as number]).to.equal(13);
    // An exception opcode in a body (hand-made: `try` = 0x06).
    const bytes = mod(
      section(1, vec([[0x60, 0, 0]])),
      section(3, vec([[0]])),
      section(10, vec([[5, 0x00, 0x06, 0x40, 0x0b, 0x0b]])),
    );
    const e = refusal(() => loadWasm(bytes), WasmSubsetError);
    expect([e.what, e.feature, e.functionIndex, e.byteOffset]).to.deep.equal([
      "try",
      "exception-handling",
      0,
      bytes.length - 4,
    ]);
    r = await refused(`(module (func (try (do) (catch_all))))`, { exceptions: true });
    expect(r.e.feature).to.equal("exception-handling");
  });

  it("tail calls", async function () {
    const r = await refused(`(module (func) (func $f (return_call $f)))`, { tail_call: true });
    expect([r.e.what, r.e.feature, r.e.functionIndex]).to.deep.equal(["return_call", "tail-call", 1]);
    expect(r.bytes[r.e.byteOffset as number]).to.equal(0x12);
  });

  it("GC and typed function references", function () {
    // (type (func (param (ref null func)))) : 0x63 0x70
    const typed = mod(section(1, vec([[0x60, 0x01, 0x63, 0x70, 0x00]])));
    const e = refusal(() => loadWasm(typed), WasmSubsetError);
    expect([e.feature, e.byteOffset]).to.deep.equal(["typed-function-references", 13]);
    // (type (struct)) : 0x5f
    const struct = mod(section(1, vec([[0x5f, 0x00]])));
    expect(refusal(() => loadWasm(struct), WasmSubsetError).feature).to.equal("gc");
    // call_ref (0x14)
    const callRef = mod(
      section(1, vec([[0x60, 0, 0]])),
      section(3, vec([[0]])),
      section(10, vec([[4, 0x00, 0x14, 0x00, 0x0b]])),
    );
    expect(refusal(() => loadWasm(callRef), WasmSubsetError).feature).to.equal("typed-function-references");
  });
});

describe("wasm subset: memories and tables", function () {
  it("refuses a second memory (multi-memory)", async function () {
    const r = await refused(`(module (memory 1) (memory 2))`, { multi_memory: true });
    expect([r.e.what, r.e.feature]).to.deep.equal(["a second memory", "multi-memory"]);
    expect(r.e.byteOffset).to.equal(decodeModule(r.bytes).memories[1].offset);
    const imported = await refused(
      `(module (import "spectest" "memory" (memory 1 2)) (memory 1))`,
      { multi_memory: true },
      { allowedImports: SPECTEST_IMPORTS },
    );
    expect(imported.e.feature).to.equal("multi-memory");
  });

  it("refuses memories above the page limit", async function () {
    const opts = { maxMemoryPages: 16 };
    let r = await refused(`(module (memory 17))`, {}, opts);
    expect([r.e.what, r.e.feature]).to.deep.equal([
      "a memory of at least 17 pages (limit 16)",
      "memory-limit",
    ]);
    r = await refused(`(module (memory 1 32))`, {}, opts);
    expect([r.e.what, r.e.feature]).to.deep.equal(["a memory of up to 32 pages (limit 16)", "memory-limit"]);
    loadWasm(await wat(`(module (memory 1 16))`), opts);
    loadWasm(await wat(`(module (memory 1))`), opts);
    r = await refused(`(module (memory 1))`, {}, { ...opts, requireMemoryMax: true });
    expect(r.e.feature).to.equal("memory-limit");
  });

  it("refuses a second table and a non-funcref table, and large tables if asked", async function () {
    let r = await refused(`(module (table 1 funcref) (table 1 funcref))`, { reference_types: true });
    expect([r.e.what, r.e.feature]).to.deep.equal(["a second table", "multi-table"]);
    r = await refused(`(module (table 1 externref))`, { reference_types: true });
    expect([r.e.what, r.e.feature]).to.deep.equal(["an externref table", "reference-types"]);
    r = await refused(`(module (table 100 funcref))`, {}, { maxTableSize: 64 });
    expect(r.e.feature).to.equal("table-limit");
  });

  it("refuses table instructions and reference values in code", async function () {
    let r = await refused(`(module (table 1 funcref) (func) (func (drop (table.size 0))))`);
    expect([r.e.what, r.e.feature, r.e.functionIndex]).to.deep.equal(["table.size", "table-instructions", 1]);
    expect(r.e.byteOffset).to.equal(indexOf(r.bytes, [0xfc, 0x10, 0x00]));
    r = await refused(`(module (table 1 funcref) (elem $e func) (func (elem.drop $e)))`);
    expect([r.e.what, r.e.feature]).to.deep.equal(["elem.drop", "table-instructions"]);
    r = await refused(`(module (func (drop (ref.null func))))`, { reference_types: true });
    expect([r.e.what, r.e.feature]).to.deep.equal(["ref.null", "reference-types"]);
    expect(r.bytes[r.e.byteOffset as number]).to.equal(0xd0);
    r = await refused(`(module (func (local funcref)))`, { reference_types: true });
    expect([r.e.what, r.e.feature]).to.deep.equal(["a funcref local", "reference-types"]);
    r = await refused(`(module (func (param externref)))`, { reference_types: true });
    expect([r.e.what, r.e.feature]).to.deep.equal(["an externref parameter", "reference-types"]);
  });
});

describe("wasm subset: imports (host ABI)", function () {
  const text = `(module (import "env" "log" (func (param i32))) (import "env" "g" (global (mut i64))))`;

  it("refuses any import by default", async function () {
    const r = await refused(text);
    expect([r.e.what, r.e.feature]).to.deep.equal([`import "env"."log" (func [i32] -> [])`, "import"]);
    expect(r.e.byteOffset).to.equal(decodeModule(r.bytes).imports[0].offset);
  });

  it("accepts imports matching the allowed list by module, name, kind and type", async function () {
    const bytes = await wat(text);
    const log = { module: "env", name: "log", kind: "func", params: ["i32"], results: [] } as const;
    const g = { module: "env", name: "g", kind: "global", type: "i64", mutable: true } as const;
    loadWasm(bytes, { allowedImports: [log, g] });
    let e = refusal(() => loadWasm(bytes, { allowedImports: [log] }), WasmSubsetError);
    expect(e.what).to.equal(`import "env"."g" (global mut i64)`);
    e = refusal(() => loadWasm(bytes, { allowedImports: [{ ...log, params: ["i64"] }, g] }), WasmSubsetError);
    expect(e.feature).to.equal("import");
    e = refusal(() => loadWasm(bytes, { allowedImports: [log, { ...g, mutable: false }] }), WasmSubsetError);
    expect(e.feature).to.equal("import");
  });

  it("accepts a predicate and matches memory/table limits like WebAssembly linking", async function () {
    const bytes = await wat(text);
    loadWasm(bytes, { allowedImports: (imp) => imp.module === "env" });
    refusal(() => loadWasm(bytes, { allowedImports: (imp) => imp.name === "log" }), WasmSubsetError);
    const mem = await wat(`(module (import "spectest" "memory" (memory 1 3)))`);
    loadWasm(mem, { allowedImports: SPECTEST_IMPORTS }); // provided {1,2} fits {1,3}
    const tooSmall = await wat(`(module (import "spectest" "memory" (memory 2)))`);
    refusal(() => loadWasm(tooSmall, { allowedImports: SPECTEST_IMPORTS }), WasmSubsetError);
  });
});

describe("wasm subset: what is accepted", function () {
  it("integer MVP, sign extension, bulk memory, multi-value, mutable globals, one funcref table", async function () {
    const bytes = await wat(`(module
      (type $pair (func (param i32) (result i32 i64)))
      (import "env" "g" (global $g (mut i32)))
      (memory (export "mem") 1 4)
      (table 3 funcref)
      (elem (i32.const 0) funcref (ref.func $a) (ref.null func))
      (elem (i32.const 2) $b)
      (elem $p func $a)
      (elem declare func $b)
      (data $d "xyz") (data (i32.const 100) "abc")
      (global $h (export "h") (mut i64) (i64.const -1))
      (func $a (type $pair) (local.get 0) (i64.extend_i32_s (i32.extend16_s (local.get 0))))
      (func $b (param i32) (result i32)
        (memory.init $d (i32.const 0) (i32.const 0) (i32.const 3)) (data.drop $d)
        (memory.copy (i32.const 1) (i32.const 0) (i32.const 2))
        (memory.fill (i32.const 0) (i32.const 7) (i32.const 1))
        (global.set $g (i32.const 1)) (global.set $h (i64.extend32_s (i64.const 5)))
        (local.get 0) (block (type $pair) (call $a)) (drop) (drop)
        (select (result i32) (i32.const 1) (call_indirect (type $pair) (i32.const 4) (i32.const 0)) (drop) (local.get 0))
        (i32.add (memory.size)) (i32.add (memory.grow (i32.const 0)))
        (i64.extend8_s (i64.const 1)) (drop))
      (export "b" (func $b)) (start $s) (func $s))`);
    const m = loadWasm(bytes, {
      allowedImports: [{ module: "env", name: "g", kind: "global", type: "i32", mutable: true }],
      maxMemoryPages: 4,
    });
    expect(m.elems.map((e) => e.mode)).to.deep.equal(["active", "active", "passive", "declarative"]);
    expect(m.elems[0].funcIndices).to.deep.equal([0, null]);
    expect(m.elems[1].funcIndices).to.deep.equal([1]);
    expect(m.table).to.deep.include({ refType: "funcref", limits: { min: 3 } });
    checkSubset(m, { allowedImports: () => true });
  });

  it("accepts the spectest imports, including the table", async function () {
    const bytes = await wat(`(module (import "spectest" "table" (table 10 funcref))
      (import "spectest" "print_i32" (func (param i32))) (import "spectest" "global_i32" (global i32))
      (elem (global.get 0) func 0))`);
    loadWasm(bytes, { allowedImports: SPECTEST_IMPORTS });
  });
});

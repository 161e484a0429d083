import { expect } from "chai";
import fc from "fast-check";

import {
  decodeModule,
  loadWasm,
  MAX_LOCALS,
  Op,
  SPECTEST_IMPORTS,
  WasmLoadError,
  WasmMalformedError,
  WasmSubsetError,
  type Instr,
} from "../../../machine/wasm";
import {
  indexOf,
  mod,
  name,
  oneFunc,
  refusal,
  section,
  specFolders,
  TYPE_VOID,
  uleb,
  vec,
  wat,
} from "./helpers";

const malformed = (bytes: Uint8Array): WasmMalformedError =>
  refusal(() => decodeModule(bytes), WasmMalformedError);

describe("wasm decode: spec suite assert_malformed (all folders)", function () {
  const folders = specFolders();
  let binary = 0;
  let text = 0;

  it("has the 42 folders listed in the suite's README", function () {
    expect(folders).to.have.length(42);
  });

  for (const f of folders) {
    it(`${f.name}: every binary assert_malformed module is refused as malformed`, function () {
      for (const c of f.commands) {
        if (c.type !== "assert_malformed") continue;
        if (c.module_type === "text") {
          // Text-format cases are malformed *text*: not binary, nothing for a binary loader to refuse.
          text++;
          continue;
        }
        binary++;
        const bytes = f.read(c.filename as string);
        let err: unknown;
        try {
          loadWasm(bytes, { allowedImports: SPECTEST_IMPORTS });
        } catch (e) {
          err = e;
        }
        expect(err, `${f.name}/${c.filename} (line ${c.line}, "${c.text}") must be refused`).to.be.instanceOf(
          WasmMalformedError,
        );
      }
    });
  }

  after(function () {
    console.log(`      assert_malformed: ${binary} binary refused as malformed, ${text} text-format skipped`);
  });
});

describe("wasm decode: header and sections", function () {
  it("refuses a bad magic, a bad version, a truncated header", function () {
    expect(malformed(new Uint8Array([0x00, 0x61, 0x73, 0x6e, 1, 0, 0, 0])).reason).to.equal(
      "magic header not detected",
    );
    expect(malformed(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 2, 0, 0, 0])).reason).to.equal(
      "unknown binary version",
    );
    expect(malformed(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0])).reason).to.equal("unexpected end");
    expect(malformed(new Uint8Array([])).reason).to.equal("unexpected end");
    expect(malformed(new Uint8Array([1, 2, 3])).reason).to.equal("magic header not detected");
  });

  it("decodes the empty module", function () {
    const m = decodeModule(mod());
    expect(m.funcs).to.deep.equal([]);
    expect(m.byteLength).to.equal(8);
  });

  it("enforces section order and uniqueness, allows custom sections anywhere", function () {
    const func = section(3, vec([[0x00]]));
    const code = section(10, vec([[2, 0x00, 0x0b]]));
    const custom = section(0, name("x"));
    decodeModule(mod(custom, TYPE_VOID, custom, func, custom, code, custom));
    expect(malformed(mod(func, TYPE_VOID, code)).reason).to.equal("unexpected content after last section");
    expect(malformed(mod(TYPE_VOID, TYPE_VOID)).reason).to.equal("unexpected content after last section");
    // The data count section (12) goes between element (9) and code (10).
    decodeModule(mod(TYPE_VOID, func, section(12, [0]), code));
    expect(malformed(mod(TYPE_VOID, func, code, section(12, [0]))).reason).to.equal(
      "unexpected content after last section",
    );
    expect(malformed(mod(section(14, []))).reason).to.equal("malformed section id");
  });

  it("checks section sizes", function () {
    // Declared size larger than the module.
    expect(malformed(mod([1, 5, 0])).reason).to.equal("length out of bounds");
    // Type section with trailing junk inside its declared size.
    expect(malformed(mod(section(1, [0x00, 0x00]))).reason).to.equal("section size mismatch");
    // Content running past the declared size.
    expect(malformed(mod(section(1, [0x01, 0x60]))).reason).to.match(/^unexpected end/);
    expect(malformed(mod(section(1, [0x01, 0x60]), section(0, name("x")))).reason).to.equal(
      "unexpected end of section or function",
    );
    // A custom section whose name overruns the section.
    expect(malformed(mod([0, 2, 5, 0x61])).reason).to.equal("length out of bounds");
  });

  it("checks function/code and data-count consistency", function () {
    expect(malformed(mod(TYPE_VOID, section(3, vec([[0x00]])))).reason).to.equal(
      "function and code section have inconsistent lengths",
    );
    expect(malformed(mod(TYPE_VOID, section(10, vec([[2, 0x00, 0x0b]])))).reason).to.equal(
      "function and code section have inconsistent lengths",
    );
    const mem = section(5, vec([[0x00, 0x01]]));
    expect(malformed(mod(mem, section(12, [1]))).reason).to.equal(
      "data count and data section have inconsistent lengths",
    );
    expect(malformed(mod(mem, section(12, [2]), section(11, vec([[0x01, 0x00]])))).reason).to.equal(
      "data count and data section have inconsistent lengths",
    );
    // memory.init / data.drop need a data count section.
    const e = malformed(oneFunc([0x00, 0xfc, 0x09, 0x00, 0x0b])); // data.drop 0
    expect(e.reason).to.equal("data count section required");
  });

  it("refuses unknown opcodes, bad reserved bytes and broken structure", function () {
    expect(malformed(oneFunc([0x00, 0x27, 0x0b])).reason).to.match(/illegal opcode 0x27/);
    expect(malformed(oneFunc([0x00, 0xfc, 0x12, 0x0b])).reason).to.match(/illegal opcode 0xfc 0x12/);
    const mem = [section(5, vec([[0x00, 0x01]]))];
    expect(malformed(oneFunc([0x00, 0x3f, 0x01, 0x1a, 0x0b], { mid: mem })).reason).to.equal(
      "zero byte expected",
    );
    expect(malformed(oneFunc([0x00, 0x05, 0x0b])).reason).to.equal("else without matching if");
    // Missing final end, junk after the final end.
    expect(malformed(oneFunc([0x00, 0x01])).reason).to.match(/^unexpected end/);
    expect(malformed(oneFunc([0x00, 0x0b, 0x01])).reason).to.equal("section size mismatch");
    // Negative block type that is not a value type.
    expect(malformed(oneFunc([0x00, 0x02, 0x41, 0x0b, 0x0b])).reason).to.equal("malformed block type");
    expect(malformed(oneFunc([0x00, 0x0b], { types: section(1, vec([[0x61, 0, 0]])) })).reason).to.equal(
      "malformed function type",
    );
    expect(malformed(mod(section(6, vec([[0x7f, 0x02, 0x41, 0x00, 0x0b]])))).reason).to.equal(
      "malformed mutability",
    );
    expect(malformed(mod(section(1, vec([[0x60, 0x01, 0x7a, 0x00]])))).reason).to.equal(
      "malformed value type",
    );
  });

  it("limits locals: > 2^32-1 is malformed, > MAX_LOCALS is a subset refusal", function () {
    const tooMany = [
      ...vec([
        [...uleb(0xffffffff), 0x7f],
        [...uleb(1), 0x7f],
      ]),
      0x0b,
    ];
    expect(malformed(oneFunc(tooMany)).reason).to.equal("too many locals");
    const many = [...vec([[...uleb(MAX_LOCALS + 1), 0x7f]]), 0x0b];
    const e = refusal(() => decodeModule(oneFunc(many)), WasmSubsetError);
    expect(e.feature).to.equal("too-many-locals");
    expect(e.functionIndex).to.equal(0);
    const ok = [...vec([[...uleb(MAX_LOCALS), 0x7e]]), 0x0b];
    expect(decodeModule(oneFunc(ok)).funcs[0].locals).to.have.length(MAX_LOCALS);
  });
});

describe("wasm decode: LEB128 limits", function () {
  const table = (limits: number[]) => mod(section(4, vec([[0x70, 0x00, ...limits]])));
  const i32c = (enc: number[]) =>
    oneFunc([0x00, 0x41, ...enc, 0x1a, 0x0b], { types: section(1, vec([[0x60, 0, 0]])) });
  const i64c = (enc: number[]) => oneFunc([0x00, 0x42, ...enc, 0x1a, 0x0b]);
  const constOf = (bytes: Uint8Array): number | bigint | undefined =>
    decodeModule(bytes).funcs[0].body[0].value;

  it("u32: max value, non-minimal encodings within 5 bytes, too large, too long", function () {
    expect(decodeModule(table([0xff, 0xff, 0xff, 0xff, 0x0f])).tables[0].limits.min).to.equal(0xffffffff);
    expect(decodeModule(table([0x80, 0x80, 0x80, 0x80, 0x00])).tables[0].limits.min).to.equal(0);
    expect(decodeModule(table([0x85, 0x00])).tables[0].limits.min).to.equal(5);
    expect(malformed(table([0xff, 0xff, 0xff, 0xff, 0x1f])).reason).to.equal("integer too large");
    expect(malformed(table([0x80, 0x80, 0x80, 0x80, 0x40])).reason).to.equal("integer too large");
    expect(malformed(table([0x80, 0x80, 0x80, 0x80, 0x80, 0x00])).reason).to.equal(
      "integer representation too long",
    );
    expect(malformed(table([0x80, 0x80])).reason).to.match(/unexpected end/);
  });

  it("s32: extremes and sign-extension bits", function () {
    expect(constOf(i32c([0x7f]))).to.equal(-1);
    expect(constOf(i32c([0x3f]))).to.equal(63);
    expect(constOf(i32c([0xc0, 0x00]))).to.equal(64);
    expect(constOf(i32c([0x80, 0x80, 0x80, 0x80, 0x78]))).to.equal(-0x80000000);
    expect(constOf(i32c([0xff, 0xff, 0xff, 0xff, 0x07]))).to.equal(0x7fffffff);
    expect(constOf(i32c([0xff, 0xff, 0xff, 0xff, 0x7f]))).to.equal(-1);
    expect(malformed(i32c([0xff, 0xff, 0xff, 0xff, 0x0f])).reason).to.equal("integer too large");
    expect(malformed(i32c([0x80, 0x80, 0x80, 0x80, 0x70])).reason).to.equal("integer too large");
    expect(malformed(i32c([0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])).reason).to.equal(
      "integer representation too long",
    );
  });

  it("s64: extremes and sign-extension bits", function () {
    const max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00];
    const min = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f];
    expect(constOf(i64c(max))).to.equal(2n ** 63n - 1n);
    expect(constOf(i64c(min))).to.equal(-(2n ** 63n));
    expect(constOf(i64c([0x7f]))).to.equal(-1n);
    expect(constOf(i64c([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]))).to.equal(2n ** 35n);
    expect(constOf(i64c([0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]))).to.equal(-1n);
    expect(malformed(i64c([...min.slice(0, 9), 0x01])).reason).to.equal("integer too large");
    expect(malformed(i64c([...max.slice(0, 9), 0x7e])).reason).to.equal("integer too large");
    expect(malformed(i64c([...max.slice(0, 9), 0x80, 0x00])).reason).to.equal(
      "integer representation too long",
    );
  });

  it("s33 block types: type index in 5 bytes, too large", function () {
    const bt = (enc: number[]) => oneFunc([0x00, 0x02, ...enc, 0x0b, 0x0b]);
    const m = decodeModule(bt([0x80, 0x80, 0x80, 0x80, 0x00]));
    expect(m.funcs[0].body[0].blockType).to.deep.equal({ kind: "type", index: 0 });
    expect(decodeModule(bt([0x40])).funcs[0].body[0].blockType).to.deep.equal({ kind: "empty" });
    expect(malformed(bt([0x80, 0x80, 0x80, 0x80, 0x20])).reason).to.equal("integer too large");
    expect(malformed(bt([0x80, 0x80, 0x80, 0x80, 0x80, 0x00])).reason).to.equal(
      "integer representation too long",
    );
  });
});

describe("wasm decode: UTF-8 names", function () {
  const custom = (bytes: number[]) => mod(section(0, [...name(bytes), 1, 2, 3]));
  it("accepts valid UTF-8 (and keeps a BOM)", function () {
    expect(decodeModule(custom(Array.from(Buffer.from("héllo €𝄞", "utf8")))).customSections[0].name).to.equal(
      "héllo €𝄞",
    );
    expect(decodeModule(custom([0xef, 0xbb, 0xbf, 0x61])).customSections[0].name).to.equal("\ufeffa");
  });
  it("refuses invalid, overlong, surrogate and out-of-range encodings", function () {
    for (const bad of [
      [0xff],
      [0xc0, 0x80],
      [0xe0, 0x80, 0x80],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xc3],
    ]) {
      expect(malformed(custom(bad)).reason, bad.join(",")).to.equal("malformed UTF-8 encoding");
    }
  });
  it("checks import and export names too", function () {
    const imp = section(2, vec([[...name([0xc0, 0x80]), ...name("f"), 0x00, 0x00]]));
    expect(malformed(mod(TYPE_VOID, imp)).reason).to.equal("malformed UTF-8 encoding");
  });
});

describe("wasm decode: the IR", function () {
  it("records structure, offsets and immediates", async function () {
    const bytes = await wat(`(module
      (type $v (func (param i32)))
      (type $t2 (func (param i32) (result i32 i64)))
      (import "env" "h" (func $h (type $v)))
      (memory 1)
      (global $g (mut i64) (i64.const -5))
      (table 2 funcref)
      (elem (i32.const 0) $f $f)
      (data (i32.const 8) "hi")
      (func $f (param i32) (result i32)
        (local i64 i64 i32)
        (if (result i32) (local.get 0)
          (then (i32.const 1))
          (else (block $o (block $b (br_table $b 0 1 $b (local.get 0)))) (i32.const 2)))
        (i32.load offset=4 align=4 (i32.const 0))
        drop
        (local.get 0)
        (block (type $t2) (i64.const 0x7fffffffffffffff) (drop) (i64.const 1))
        drop drop
        (call_indirect (type $v) (i32.const 7) (i32.const 1))
      ))`);
    const m = decodeModule(bytes);
    loadWasm(bytes, { allowedImports: () => true }); // and it is valid
    expect(m.numImportedFuncs).to.equal(1);
    expect(m.funcTypeIndices).to.have.length(2);
    const f = m.funcs[0];
    expect(f.index).to.equal(1);
    expect(f.locals).to.deep.equal(["i64", "i64", "i32"]);
    const body = f.body;
    expect(body[body.length - 1].op).to.equal(Op.End);
    expect(body[body.length - 1].offset + 1).to.equal(f.endOffset);
    // Every instruction offset points at its opcode byte.
    for (const ins of body) {
      const byte = bytes[ins.offset];
      expect(byte, `offset 0x${ins.offset.toString(16)}`).to.equal(ins.op > 0xff ? 0xfc : ins.op);
    }
    // Structure: if/else/end and nested block.
    const iff = body.find((i) => i.op === Op.If) as Instr;
    expect(body[iff.elseIndex as number].op).to.equal(Op.Else);
    expect(body[iff.endIndex as number].op).to.equal(Op.End);
    const bt = body.find((i) => i.op === Op.BrTable) as Instr;
    expect(bt.targets).to.deep.equal([0, 0, 1]);
    expect(bt.defaultTarget).to.equal(0);
    const load = body.find((i) => i.op === Op.I32Load) as Instr;
    expect(load.align).to.equal(2);
    expect(load.memOffset).to.equal(4);
    const multi = body.find((i) => i.op === Op.Block && i.blockType?.kind === "type") as Instr;
    expect(multi.blockType).to.deep.equal({ kind: "type", index: 1 });
    expect(body.find((i) => i.op === Op.I64Const)?.value).to.equal(0x7fffffffffffffffn);
    const ci = body.find((i) => i.op === Op.CallIndirect) as Instr;
    expect([ci.index, ci.table]).to.deep.equal([0, 0]);
    expect(m.globals[0].init).to.include({ kind: "i64.const", value: -5n });
    expect(m.elems[0].funcIndices).to.deep.equal([1, 1]);
    expect(m.elems[0].offsetExpr).to.include({ kind: "i32.const", value: 0 });
    expect(Buffer.from(m.datas[0].bytes).toString()).to.equal("hi");
    expect(bytes[m.datas[0].bytesOffset]).to.equal(0x68);
    expect(m.memory?.limits).to.deep.equal({ min: 1 });
    expect(m.table?.refType).to.equal("funcref");
    expect(indexOf(bytes, [0x0b], f.bodyOffset)).to.be.greaterThan(f.bodyOffset);
  });

  it("loads a 1.6 MB module (its time: bench/machine.ts decodeLargeModuleMs)", async function () {
    this.timeout(60_000);
    let block = "";
    for (let i = 0; i < 400; i++) {
      block += `(local.set 0 (i32.add (local.get 0) (i32.mul (local.get 1) (i32.const ${i * 12345}))))
        (if (i32.eqz (local.get 0)) (then (br 1)))\n`;
    }
    let fns = "";
    for (let f = 0; f < 200; f++)
      fns += `(func (param i32 i32) (result i32) (block ${block}) (local.get 0))\n`;
    const bytes = await wat(`(module (memory 1) ${fns})`);
    expect(bytes.length).to.be.greaterThan(1 << 20);
    const m = loadWasm(bytes);
    const instructions = m.funcs.reduce((a, f) => a + f.body.length, 0);
    expect(instructions).to.be.greaterThan(0);
    console.log(`      ${bytes.length} bytes, ${instructions} instructions`);
  });
});

describe("wasm decode: fuzzing (fast-check)", function () {
  it("random mutations of valid modules only ever throw WasmLoadError (2,000 runs)", async function () {
    this.timeout(300_000);
    // Corpus: modules of the spec suite that load, plus hand-written ones exercising more sections.
    const corpus: Uint8Array[] = [];
    for (const f of specFolders()) {
      for (const c of f.commands) {
        if (c.type !== "module" || !c.filename) continue;
        const bytes = f.read(c.filename);
        try {
          loadWasm(bytes, { allowedImports: SPECTEST_IMPORTS });
          if (bytes.length < 20_000) corpus.push(bytes);
        } catch {
          // outside the subset: not a seed
        }
      }
    }
    corpus.push(
      await wat(`(module (memory 1 2) (data $d "abc") (global (mut i32) (i32.const 1))
        (table 1 funcref) (elem (i32.const 0) func $f) (elem declare func $f)
        (func $f (param i32) (result i32) (local i64)
          (memory.init $d (i32.const 0) (i32.const 0) (i32.const 1)) (data.drop $d)
          (memory.copy (i32.const 0) (i32.const 1) (i32.const 1))
          (i64.extend32_s (i64.const 3)) drop
          (block (result i32) (local.get 0) (br_if 0 (i32.const 1))))
        (export "f" (func $f)) (start $s) (func $s))`),
    );
    expect(corpus.length).to.be.greaterThan(50);

    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("set" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({
        kind: fc.constant("insert" as const),
        at: fc.nat(),
        bytes: fc.uint8Array({ maxLength: 8 }),
      }),
      fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
      fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
    );
    let refused = 0;
    let loaded = 0;
    fc.assert(
      fc.property(
        fc.nat({ max: corpus.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (seed, muts) => {
          let b = Array.from(corpus[seed]);
          for (const m of muts) {
            const at = b.length === 0 ? 0 : m.at % b.length;
            if (m.kind === "set") b[at] = m.byte;
            else if (m.kind === "flip") b[at] ^= 1 << m.bit;
            else if (m.kind === "insert") b.splice(at, 0, ...m.bytes);
            else if (m.kind === "delete") b.splice(at, m.len);
            else b = b.slice(0, at);
          }
          try {
            loadWasm(new Uint8Array(b), { allowedImports: SPECTEST_IMPORTS });
            loaded++;
          } catch (e) {
            if (!(e instanceof WasmLoadError)) throw e;
            refused++;
          }
        },
      ),
      { numRuns: 2000 },
    );
    console.log(`      fuzz: ${refused} refused with WasmLoadError, ${loaded} still loaded, 0 other errors`);
  });

  it("arbitrary bytes after a valid header only ever throw WasmLoadError (2,000 runs)", function () {
    this.timeout(120_000);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (tail) => {
        try {
          loadWasm(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...tail]));
        } catch (e) {
          if (!(e instanceof WasmLoadError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });
});

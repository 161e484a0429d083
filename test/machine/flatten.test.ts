import { expect } from "chai";
import { loadWasm } from "../../machine/wasm";
import { flatten } from "../../machine/flatten";
import { OPCODE, OPCODE_TABLE } from "../../machine/spec";
import { instanceOf, wat } from "./helpers";

const STRUCTURED = new Set([0x02, 0x03, 0x04, 0x05, 0x0b, 0x0c, 0x0d, 0x0e]);

describe("machine/flatten", () => {
  it("emits only machine opcodes, with jump targets inside their function", async () => {
    const mod = loadWasm(
      await wat(`(module
        (func (export "f") (param i32) (result i32)
          (block $out (result i32)
            (loop $l
              (br_if $out (i32.const 5) (i32.gt_u (local.get 0) (i32.const 100)))
              (local.set 0 (i32.add (local.get 0) (i32.const 7)))
              (br $l)
              (unreachable))
            (i32.const 1)))
        (func (export "g") (param i32) (result i32)
          (block (block (block (br_table 0 1 2 (local.get 0))) (return (i32.const 10))) (return (i32.const 11)))
          (i32.const 12)))`),
    );
    const prog = flatten(mod);
    const known = new Set(OPCODE_TABLE.map((o) => o.opcode));
    for (const ins of prog.code) {
      expect(known.has(ins.opcode), `opcode ${ins.opcode}`).to.equal(true);
      expect(STRUCTURED.has(ins.opcode) && ins.opcode < 0x10, `structured opcode ${ins.opcode}`).to.equal(
        false,
      );
    }
    const ends = [...prog.funcs.map((f) => f.entryPc), prog.code.length];
    prog.funcs.forEach((f, i) => {
      for (let pc = f.entryPc; pc < ends[i + 1]; pc++) {
        const ins = prog.code[pc];
        if ([OPCODE["jump"], OPCODE["jump_if"], OPCODE["jump_unless"]].includes(ins.opcode)) {
          expect(Number(ins.imm)).to.be.within(f.entryPc, ends[i + 1] - 1);
        }
      }
    });
    // The unreachable after `br $l` is dead code and is not emitted.
    expect(prog.code.filter((i) => i.opcode === OPCODE["unreachable"])).to.have.length(0);
  });

  it("drops the values a branch leaves behind and keeps the carried ones", async () => {
    const inst = await instanceOf(`(module
      (func (export "carry") (param i32) (result i32)
        (i32.const 100) (i32.const 200)
        (block $b (param i32 i32) (result i32 i32)
          (i32.const 1) (i32.const 2) (i32.const 3)
          (br_if $b (local.get 0))
          (drop) (drop) (drop))
        (i32.add))
      (func (export "table") (param i32) (result i32)
        (i32.const 1000)
        (block $x (result i32)
          (block $y (result i32)
            (i32.const 7) (i32.const 8)
            (br_table $x $y $x (local.get 0))))
        (i32.add)))`);
    expect(inst.invoke("carry", [1]).values).to.deep.equal([5]);
    expect(inst.invoke("carry", [0]).values).to.deep.equal([300]);
    expect(inst.invoke("table", [0]).values).to.deep.equal([1008]);
    expect(inst.invoke("table", [1]).values).to.deep.equal([1008]);
    expect(inst.invoke("table", [9]).values).to.deep.equal([1008]);
    expect(inst.machine.valueHeight).to.equal(1);
  });
});

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}

interface GenLabel {
  name: string;
  /** Values a branch to it carries (0 or 1); loops carry none. */
  arity: number;
  loop: boolean;
}

/** Random structured i32 code: nested blocks, ifs, fuel-bounded loops, br/br_if/br_table with values. */
function randomProgram(seed: number): string {
  const r = rng(seed);
  let labelN = 0;
  const ops = ["add", "sub", "mul", "xor", "and", "or", "shl", "shr_u", "shr_s", "rotl", "div_u", "rem_s"];
  const expr = (depth: number, labels: GenLabel[]): string => {
    const k = depth <= 0 ? r(3) : r(13);
    switch (k) {
      case 0:
        return `(i32.const ${r(2000) - 1000})`;
      case 1:
        return `(local.get ${r(3)})`;
      case 2:
        return `(local.tee 2 (i32.add (local.get 2) (i32.const ${r(50)})))`;
      case 3:
      case 4:
        return `(i32.${ops[r(ops.length)]} ${expr(depth - 1, labels)} ${expr(depth - 1, labels)})`;
      case 5: {
        const name = `$b${labelN++}`;
        const inner = [...labels, { name, arity: 1, loop: false }];
        return `(block ${name} (result i32) ${stmt(depth - 1, inner)} ${expr(depth - 1, inner)})`;
      }
      case 6: {
        const name = `$i${labelN++}`;
        const inner = [...labels, { name, arity: 1, loop: false }];
        return `(if ${name} (result i32) ${expr(depth - 1, labels)} (then ${expr(depth - 1, inner)}) (else ${stmt(depth - 1, inner)} ${expr(depth - 1, inner)}))`;
      }
      case 7: {
        const name = `$l${labelN++}`;
        const inner = [...labels, { name, arity: 0, loop: true }];
        return (
          `(loop ${name} (result i32) ${stmt(depth - 1, inner)} ` +
          `(br_if ${name} (i32.and (i32.gt_s (local.tee 3 (i32.sub (local.get 3) (i32.const 1))) (i32.const 0)) ${expr(0, inner)})) ` +
          `${expr(depth - 1, inner)})`
        );
      }
      case 8: {
        // br_if with a value: the operand below it stays on the stack when it branches.
        const targets = labels.filter((l) => !l.loop && l.arity === 1);
        if (targets.length === 0) return expr(depth - 1, labels);
        const t = targets[r(targets.length)];
        return `(i32.add ${expr(depth - 1, labels)} (br_if ${t.name} ${expr(depth - 1, labels)} ${expr(0, labels)}))`;
      }
      case 9: {
        const targets = labels.filter((l) => !l.loop && l.arity === 1);
        if (targets.length === 0) return expr(depth - 1, labels);
        const list = Array.from({ length: 1 + r(4) }, () => targets[r(targets.length)].name).join(" ");
        return `(i32.sub ${expr(depth - 1, labels)} (br_table ${list} ${expr(depth - 1, labels)} ${expr(0, labels)}))`;
      }
      case 10:
        return `(call $g ${expr(depth - 1, labels)})`;
      case 11:
        return `(select ${expr(depth - 1, labels)} ${expr(depth - 1, labels)} ${expr(depth - 1, labels)})`;
      default: {
        const targets = labels.filter((l) => !l.loop && l.arity === 1);
        if (targets.length === 0 || r(3) > 0) return `(i32.eqz ${expr(depth - 1, labels)})`;
        return `(i32.add (i32.const 1) (if (result i32) ${expr(0, labels)} (then (br ${targets[r(targets.length)].name} ${expr(depth - 1, labels)})) (else (i32.const 5))))`;
      }
    }
  };
  const stmt = (depth: number, labels: GenLabel[]): string => {
    const k = r(4);
    if (k === 0) return `(drop ${expr(depth, labels)})`;
    if (k === 1) return `(local.set 2 ${expr(depth, labels)})`;
    if (k === 2) return `(global.set $acc (i32.xor (global.get $acc) ${expr(depth, labels)}))`;
    return "(nop)";
  };
  const body = expr(5, [{ name: "$fn", arity: 1, loop: false }]);
  return `(module
    (global $acc (mut i32) (i32.const 0))
    (func $g (param i32) (result i32) (i32.add (i32.mul (local.get 0) (i32.const 3)) (global.get $acc)))
    (func (export "f") (param i32 i32) (result i32) (local i32 i32)
      (local.set 3 (i32.const 60))
      (block $fn (result i32) ${body}))
    (func (export "acc") (result i32) (global.get $acc)))`;
}

describe("machine/flatten on random structured programs", () => {
  it("agrees with V8 (results, traps and global side effects)", async function () {
    this.timeout(120_000);
    const V8 = (
      globalThis as unknown as {
        WebAssembly: {
          instantiate(b: Uint8Array): Promise<{ instance: { exports: Record<string, unknown> } }>;
        };
      }
    ).WebAssembly;
    let trapped = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const src = randomProgram(seed);
      const bytes = await wat(src);
      for (const args of [
        [0, 0],
        [seed, 7],
        [-seed * 1000, 123456],
      ]) {
        // Fresh instances: after a trap V8 keeps the global writes, the machine restores them.
        const inst = await instanceOf(src);
        const v8 = (await V8.instantiate(bytes)).instance.exports as Record<
          string,
          (...a: number[]) => number
        >;
        let want: number | "trap";
        try {
          want = v8.f(args[0], args[1]);
        } catch {
          want = "trap";
        }
        const got = inst.invoke("f", args);
        if (want === "trap") {
          trapped++;
          expect(got.status, `seed ${seed} ${args}`).to.equal("errored");
        } else {
          expect(got.values, `seed ${seed} ${args}\n${src}`).to.deep.equal([want]);
          expect(inst.invoke("acc", []).values, `seed ${seed} acc`).to.deep.equal([v8.acc()]);
        }
      }
    }
    // Most runs must compare values, not just trap-ness (a handful trap).
    expect(trapped).to.be.lessThan(100);
  });
});

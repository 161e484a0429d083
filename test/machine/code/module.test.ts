import { expect } from "chai";
import { instanceOf, hex } from "../helpers";
import { instructionLeaf, moduleRootOf } from "../../../machine/code/module";
import { vectorRoot } from "../../../machine/code/merkle";
import { TAG } from "../../../machine/code/tags";

const SRC = (k: number): string => `(module (memory 1) (func (export "f") (result i32) (i32.const ${k})))`;

describe("machine/code/module", () => {
  it("derives the module root from the code tree, and any code change changes it", async () => {
    const a = await instanceOf(SRC(1));
    const b = await instanceOf(SRC(1));
    const c = await instanceOf(SRC(2));
    expect(hex(a.image.moduleRoot)).to.equal(hex(b.image.moduleRoot));
    expect(hex(a.image.moduleRoot)).to.not.equal(hex(c.image.moduleRoot));
    const leaves = a.program.code.map((i) => instructionLeaf(i.opcode, i.imm, i.imm2));
    expect(hex(vectorRoot(TAG.codeNode, leaves))).to.equal(hex(a.image.fields.codeRoot));
    expect(hex(moduleRootOf(a.image.fields))).to.equal(hex(a.image.moduleRoot));
  });

  it("commits to the memory limit", async () => {
    const a = await instanceOf(SRC(1), { memoryLimitPages: 2 });
    const b = await instanceOf(SRC(1), { memoryLimitPages: 3 });
    expect(hex(a.image.moduleRoot)).to.not.equal(hex(b.image.moduleRoot));
  });
});

/**
 * The generated constants library and the contract sizes: `contracts/osp/generated/MachineSpec.sol` must
 * equal a fresh generation from machine/spec/machine-spec.json byte for byte, and every prover must
 * stay under the EIP-170 runtime size limit.
 */
import { expect } from "chai";
import fs from "node:fs";
import { artifacts } from "hardhat";

import { generate, GENERATED_PATH } from "../../scripts/gen-osp-constants";
import { LAYOUT, MACHINE_SPEC } from "../../machine/spec";

const EIP170_LIMIT = 24_576;

describe("osp: MachineSpec and sizes", () => {
  it("the committed MachineSpec.sol is what scripts/gen-osp-constants.ts generates", async () => {
    const committed = fs.readFileSync(GENERATED_PATH, "utf8");
    expect(
      committed === (await generate()),
      "run `npx ts-node --transpile-only scripts/gen-osp-constants.ts`",
    ).to.be.true;
    // Spot checks that the table reached the file.
    expect(committed).to.include(`STATE_BYTES = 326;`);
    expect(committed).to.include(`MEMORY_TREE_DEPTH = ${LAYOUT.memoryTreeDepth};`);
    expect(committed).to.include(`OPCODE_COUNT = ${MACHINE_SPEC.opcodes.length};`);
  });

  for (const name of [
    "OneStepProofEntry",
    "OneStepProverControl",
    "OneStepProverMemory",
    "OneStepProverMath",
    "OneStepProverHostIo",
  ]) {
    it(`${name} is under the 24 KiB runtime size limit`, async () => {
      const a = await artifacts.readArtifact(name);
      const size = (a.deployedBytecode.length - 2) / 2;
      expect(size).to.be.lessThan(EIP170_LIMIT);
    });
  }
});

import { expect } from "chai";
import { solidityPackedKeccak256, hexlify } from "ethers";
import { MACHINE_SPEC, OPCODE_TABLE, DOMAIN_TAGS, LAYOUT } from "../../machine/spec";
import { OPCODES } from "../../machine/wasm";
import { stateHashOf, type StateFields } from "../../machine/interp/machine";
import { moduleRootOf, type ModuleFields } from "../../machine/code/module";
import { execute, Trap, type StepState } from "../../machine/interp/semantics";

const SOL: Record<string, string> = {
  u8: "uint8",
  u16: "uint16",
  u32: "uint32",
  u64: "uint64",
  bytes32: "bytes32",
};

function randomBytes32(seed: number): Uint8Array {
  return new Uint8Array(32).map((_, i) => (seed * 31 + i * 7) & 0xff);
}

/** A state that answers every question with zeros (to check that every opcode has semantics). */
function zeroState(): StepState {
  return {
    status: 0,
    error: 0,
    pc: 0,
    steps: 0,
    stepLimit: 10,
    memoryPages: 1,
    memoryMaxPages: 1,
    messageLength: 0,
    valueHeight: 10,
    frameDepth: 2,
    tableLength: 1,
    resultHash: new Uint8Array(32),
    pendingHash: new Uint8Array(32),
    op: 0,
    a: 0,
    b: 0,
    c: 0n,
    fetch() {},
    pop: () => 0,
    push() {},
    getLocal: () => 0,
    setLocal() {},
    getGlobal: () => 0,
    setGlobal() {},
    load: () => 0,
    load64: () => 0n,
    store() {},
    store64() {},
    readChunk: (_ea, len) => new Uint8Array(len),
    writeChunk() {},
    pushFrame() {},
    popFrame: () => 0,
    tableEntry: () => null,
    dataSegment: () => ({ length: 0, chunksRoot: new Uint8Array(32) }),
    dataChunk: () => new Uint8Array(32),
    messageSlice: (_o, len) => new Uint8Array(len),
    restoreSnapshotAndClear() {},
  } as StepState;
}

describe("machine/spec", () => {
  it("has unique opcode numbers and names; WebAssembly opcodes keep their decoder number", () => {
    const nums = new Set(OPCODE_TABLE.map((o) => o.opcode));
    const names = new Set(OPCODE_TABLE.map((o) => o.name));
    expect(nums.size).to.equal(OPCODE_TABLE.length);
    expect(names.size).to.equal(OPCODE_TABLE.length);
    for (const o of OPCODE_TABLE) {
      expect(["control", "memory", "math", "hostio"]).to.include(o.class);
      if (o.opcode < LAYOUT.internalOpcodeBase) expect(OPCODES.get(o.opcode)?.name, o.name).to.equal(o.name);
    }
  });

  it("gives every opcode of the table a semantics", () => {
    for (const o of OPCODE_TABLE) {
      try {
        execute(zeroState(), o.opcode, 0, 0, 0n);
      } catch (e) {
        // Zeros of the wrong JS type may upset an i64 operator; only a missing case matters here.
        if (!(e instanceof Trap) && /no semantics/.test((e as Error).message)) throw new Error(o.name);
      }
    }
  });

  it("hashes the state and the module exactly as Solidity's abi.encodePacked of the table's fields", () => {
    const state: StateFields = {
      status: 1,
      error: 2,
      pc: 123456,
      steps: 2 ** 40 + 5,
      stepLimit: 2 ** 32 - 1,
      valueStackHeight: 9,
      valueStackHash: randomBytes32(1),
      frameDepth: 3,
      frameStackHash: randomBytes32(2),
      globalsRoot: randomBytes32(3),
      memoryRoot: randomBytes32(4),
      memoryPages: 17,
      moduleRoot: randomBytes32(5),
      messageHash: randomBytes32(6),
      messageLength: 700,
      resultHash: randomBytes32(7),
      pendingHash: randomBytes32(8),
      snapshotHash: randomBytes32(9),
    };
    const fields = MACHINE_SPEC.layout.stateFields as [keyof StateFields, string][];
    const sol = solidityPackedKeccak256(
      ["string", ...fields.map(([, t]) => SOL[t])],
      [DOMAIN_TAGS.machine, ...fields.map(([n]) => state[n])],
    );
    expect(hexlify(stateHashOf(state))).to.equal(sol);

    const mod: ModuleFields = {
      codeRoot: randomBytes32(10),
      codeLength: 99,
      tableRoot: randomBytes32(11),
      tableLength: 4,
      globalsCount: 5,
      memoryMaxPages: 256,
      handleEntryPc: 42,
      handleLocals: 3,
      dataRoot: randomBytes32(12),
      dataCount: 2,
    };
    const mfields = MACHINE_SPEC.layout.moduleFields as [keyof ModuleFields, string][];
    const msol = solidityPackedKeccak256(
      ["string", ...mfields.map(([, t]) => SOL[t])],
      [DOMAIN_TAGS.module, ...mfields.map(([n]) => mod[n])],
    );
    expect(hexlify(moduleRootOf(mod))).to.equal(msol);
  });
});

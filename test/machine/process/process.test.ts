import { expect } from "chai";
import { execFileSync } from "node:child_process";
import path from "node:path";
import {
  Process,
  resultHash,
  outputOf,
  RESULT_KIND,
  decodeMessage,
  encodeMessage,
  MAX_MESSAGE_BYTES,
} from "../../../machine/process";
import { hex, wat } from "../helpers";
import { messageStartHash } from "../../../machine/process";
import { keccak256 } from "../../../machine/hash/keccak";
import { ECHO_PROCESS, message } from "../fixtures/echo";
import { scenarioHashes } from "../fixtures/hashes";

async function echo(): Promise<Process> {
  return Process.fromWasm(await wat(ECHO_PROCESS), { memoryLimitPages: 4 });
}

const counter = (p: Process): number => p.instance.machine.globals[0] as number;

describe("machine/process", () => {
  it("encodes and decodes the canonical message", () => {
    const m = message("ehello", 7n);
    const d = decodeMessage(m);
    expect(d.slot).to.equal(7n);
    expect(hex(encodeMessage(d))).to.equal(hex(m));
    expect(d.from.subarray(0, 12)).to.deep.equal(new Uint8Array(12));
  });

  it("reads the message, emits output, messages and spawns, and hashes the result", async () => {
    const p = await echo();
    const o = p.handleMessage(message("ehello world"));
    expect(o.result.ok).to.equal(true);
    if (!o.result.ok) return;
    const items = o.result.items;
    expect(items.map((i) => i.kind)).to.deep.equal([
      RESULT_KIND.output,
      RESULT_KIND.message,
      RESULT_KIND.spawn,
    ]);
    expect(new TextDecoder().decode(outputOf(items))).to.equal("ehello world");
    expect(new TextDecoder().decode(items[1].bytes)).to.equal("hel");
    expect(items[2].bytes).to.deep.equal(new Uint8Array([1, 0, 0, 0]));
    expect(hex(resultHash(o.result))).to.equal(hex(o.resultHash));
    expect(counter(p)).to.equal(1);
  });

  it("refuses a message over the size limit with an error result, state untouched", async () => {
    const p = await echo();
    p.handleMessage(message("e1"));
    const before = hex(p.processHash());
    const big = message(new Uint8Array(MAX_MESSAGE_BYTES));
    expect(big.length).to.be.greaterThan(MAX_MESSAGE_BYTES);
    const o = p.handleMessage(big);
    expect(o.result).to.deep.include({ ok: false, errorName: "MessageTooLarge" });
    expect(o.steps).to.equal(0);
    expect(hex(o.processHash)).to.equal(before);
    expect(hex(resultHash(o.result))).to.equal(hex(o.resultHash));
  });

  for (const [cmd, error, opts] of [
    ["loop", "OutOfSteps", { stepLimit: 10_000 }],
    ["trap", "Unreachable", {}],
    ["grow", "Unreachable", {}],
    ["recurse", "CallStackExhausted", {}],
  ] as const) {
    it(`restores the pre-message state and records ${error} for a process that does "${cmd}"`, async () => {
      const p = await echo();
      p.handleMessage(message("e1"));
      const before = hex(p.processHash());
      const o = p.handleMessage(message(cmd), opts);
      expect(o.result).to.deep.include({ ok: false, errorName: error });
      if (cmd === "loop") expect(o.steps).to.equal(10_000);
      expect(hex(o.processHash)).to.equal(before);
      expect(p.instance.machine.memory.pages).to.equal(1);
      // Nothing lost: the next message sees the state of before the failed one.
      const next = p.handleMessage(message("e2"));
      expect(next.result.ok).to.equal(true);
      expect(counter(p)).to.equal(2);
    });
  }

  it("is deterministic across runs and across processes", async () => {
    const here = await scenarioHashes();
    expect(await scenarioHashes()).to.deep.equal(here);
    const child = execFileSync(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", path.join(__dirname, "..", "fixtures", "hashes.ts")],
      { encoding: "utf8", cwd: path.join(__dirname, "..", "..", "..") },
    );
    expect(JSON.parse(child)).to.deep.equal(here);
  });
});

describe("machine/process/boundary", () => {
  it("computes the message-start state hash from the process state alone", async () => {
    const p = await echo();
    p.handleMessage(message("efirst"));
    const m = p.instance.machine;
    const fields = {
      module: p.instance.image.fields,
      memoryRoot: m.memory.root(),
      memoryPages: m.memory.pages,
      globalsRoot: m.globalsRoot(),
    };
    for (const msg of [message("esecond"), message(new Uint8Array(MAX_MESSAGE_BYTES))]) {
      const expected = messageStartHash(fields, keccak256(msg), msg.length, 1000);
      p.beginMessage(msg, { stepLimit: 1000 });
      expect(hex(m.stateHash())).to.equal(hex(expected));
    }
  });
});

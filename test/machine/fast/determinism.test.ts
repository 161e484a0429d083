/**
 * Determinism: the same messages give the same outcomes and boundary hashes in two FastProcess
 * instances of one module, after a re-creation mid-way, and in a separate Node process.
 */
import { execFileSync } from "child_process";
import * as path from "path";
import { expect } from "chai";
import { FastProcess } from "../../../machine/fast";
import { hex } from "../helpers";
import { dataMessage, wat } from "./helpers";
import { COMPUTE } from "./programs";

function run(wasm: Uint8Array, n: number): string[] {
  const p = FastProcess.create(wasm);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const d = new Uint8Array(16);
    new DataView(d.buffer).setUint32(0, (i * 2654435761) >>> 0, true);
    new DataView(d.buffer).setUint32(4, i % 13, true);
    new DataView(d.buffer).setUint32(8, i % 5, true);
    new DataView(d.buffer).setUint32(12, (i * 977) >>> 0, true);
    const o = p.evaluate(dataMessage(d), i % 3 === 0 ? 400 + i : 0xffffffff);
    out.push(`${o.steps}:${o.status}:${o.error}:${hex(o.resultHash)}:${hex(p.processStateHash())}`);
  }
  return out;
}

describe("fast mode: determinism", function () {
  this.timeout(120_000);
  it("same outcomes in two instances, and in another Node process", async () => {
    const wasm = await wat(COMPUTE);
    const a = run(wasm, 60);
    const b = run(wasm, 60);
    expect(b).to.deep.equal(a);
    const script = `
      const { FastProcess } = require("./machine/fast");
      const { encodeMessage } = require("./machine/process");
      const wasm = Buffer.from(process.argv[1], "base64");
      const p = FastProcess.create(new Uint8Array(wasm));
      const hex = (b) => Buffer.from(b).toString("hex");
      const out = [];
      for (let i = 0; i < 60; i++) {
        const d = new Uint8Array(16);
        const v = new DataView(d.buffer);
        v.setUint32(0, (i * 2654435761) >>> 0, true); v.setUint32(4, i % 13, true);
        v.setUint32(8, i % 5, true); v.setUint32(12, (i * 977) >>> 0, true);
        const m = encodeMessage({ id: new Uint8Array(32).fill(1), from: new Uint8Array(32).fill(2),
          target: new Uint8Array(32).fill(3), slot: 1n, timestamp: 1700000000000n, blockHeight: 1000n,
          tags: [], data: d });
        const o = p.evaluate(m, i % 3 === 0 ? 400 + i : 0xffffffff);
        out.push(o.steps + ":" + o.status + ":" + o.error + ":" + hex(o.resultHash) + ":" + hex(p.processStateHash()));
      }
      console.log(JSON.stringify(out));`;
    const root = path.join(__dirname, "../../..");
    const stdout = execFileSync(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", "-e", script, Buffer.from(wasm).toString("base64")],
      { cwd: root, encoding: "utf8", env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "1" } },
    );
    expect(JSON.parse(stdout.trim().split("\n").pop()!)).to.deep.equal(a);
  });
});

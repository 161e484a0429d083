import { expect } from "chai";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Process, outputOf } from "../../../machine/process";
import { proveStep, verifyStep } from "../../../machine/proof";
import { STATUS } from "../../../machine/spec";
import { hex } from "../helpers";
import { message } from "../fixtures/echo";

const ROOT = path.join(__dirname, "..", "..", "..");
/**
 * An AssemblyScript process: counts how often it saw each message data string, with a Map, strings and
 * the incremental GC. Kept as a string (it is not TypeScript) and compiled with `asc --use abort=`.
 */
const SOURCE = `
@external("holo", "msg_len") declare function msg_len(): i32;
@external("holo", "msg_read") declare function msg_read(dst: usize, off: u32, len: u32): void;
@external("holo", "output") declare function output(ptr: usize, len: u32): void;

const counts = new Map<string, i32>();

export function handle(): void {
  const n = msg_len();
  const buf = new Uint8Array(n);
  msg_read(buf.dataStart, 0, n);
  // A tagless message has its data at offset 127 (docs/process-abi.md).
  const data = String.UTF8.decodeUnsafe(buf.dataStart + 127, n - 127);
  const c = counts.has(data) ? counts.get(data) + 1 : 1;
  counts.set(data, c);
  if (data == "boom") unreachable();
  const out = String.UTF8.encode(data + ":" + c.toString());
  output(changetype<usize>(out), out.byteLength);
}
`;

describe("machine/process with an AssemblyScript process", () => {
  let wasm: Uint8Array;

  before(function () {
    this.timeout(120_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "holo-as-"));
    const source = path.join(dir, "counter.ts");
    fs.writeFileSync(source, SOURCE);
    const out = path.join(dir, "counter.wasm");
    execFileSync(
      process.execPath,
      [
        path.join(ROOT, "node_modules", "assemblyscript", "bin", "asc.js"),
        source,
        "-o",
        out,
        "-O2",
        "--runtime",
        "incremental",
        "--use",
        "abort=",
      ],
      { cwd: ROOT, stdio: "pipe" },
    );
    wasm = new Uint8Array(fs.readFileSync(out));
  });

  const text = (o: ReturnType<Process["handleMessage"]>): string =>
    o.result.ok ? new TextDecoder().decode(outputOf(o.result.items)) : `error ${o.result.errorName}`;

  it("loads (inside the subset: no floats), keeps state across messages and restores it on a trap", () => {
    const p = Process.fromWasm(wasm, { memoryLimitPages: 64 });
    expect(text(p.handleMessage(message("apple")))).to.equal("apple:1");
    expect(text(p.handleMessage(message("pear")))).to.equal("pear:1");
    expect(text(p.handleMessage(message("apple")))).to.equal("apple:2");
    const before = hex(p.processHash());
    expect(text(p.handleMessage(message("boom")))).to.equal("error Unreachable");
    expect(hex(p.processHash())).to.equal(before);
    expect(text(p.handleMessage(message("apple")))).to.equal("apple:3");
  });

  it("proves every step of a message", function () {
    this.timeout(120_000);
    const p = Process.fromWasm(wasm, { memoryLimitPages: 64 });
    p.handleMessage(message("apple"));
    p.beginMessage(message("apple"));
    const m = p.machine;
    const context = { moduleRoot: p.moduleRoot, messageHash: m.messageHash };
    let steps = 0;
    while (m.status === STATUS.Running) {
      const pre = m.stateHash();
      expect(hex(verifyStep(pre, proveStep(m), context))).to.equal(hex(m.stateHash()));
      steps++;
    }
    expect(steps).to.be.greaterThan(1000);
    expect(text(p.settle(m.stateHash()))).to.equal("apple:2");
  });
});

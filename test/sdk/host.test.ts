import { expect } from "chai";
import { Process, encodeMessage, resultHash } from "../../machine/process";
import { WasmSubsetError } from "../../machine/wasm";
import {
  HostInstantiationError,
  ProcessHost,
  decodeOutbound,
  encodeOutbound,
  outbound,
  OutboundEncodingError,
  patchForHost,
} from "../../sdk/host";
import { loadWasm } from "../../machine/wasm";
import { HOST_IMPORTS } from "../../machine/process";
import { Harness, arAddress, bytes32, ethAddress, probeWasm, wat } from "./helpers";

const USER = arAddress("user");

/** Expects `p` to reject with an instance of `cls` whose message matches `re`. */
async function expectRejection(
  p: Promise<unknown>,
  cls: new (...args: never[]) => Error,
  re: RegExp,
): Promise<void> {
  let error: unknown;
  try {
    await p;
  } catch (e) {
    error = e;
  }
  expect(error).to.be.instanceOf(cls);
  expect((error as Error).message).to.match(re);
}

const HOST_FUNCS = `
  (import "holo" "msg_len" (func $msg_len (result i32)))
  (import "holo" "msg_read" (func $msg_read (param i32 i32 i32)))
  (import "holo" "output" (func $output (param i32 i32)))
  (import "holo" "send" (func $send (param i32 i32)))
  (import "holo" "spawn" (func $spawn (param i32 i32)))`;

function msgBytes(data = "x"): Uint8Array {
  return encodeMessage({
    id: bytes32("id"),
    from: bytes32("from"),
    target: bytes32("target"),
    slot: 0n,
    timestamp: 0n,
    blockHeight: 0n,
    tags: [],
    data: new TextEncoder().encode(data),
  });
}

describe("sdk/host: the V8 host", () => {
  it("refuses a module outside the subset or with a non-host import (loadWasm)", async () => {
    const float = await wat(`(module (func (export "handle") (drop (f64.const 1))))`);
    await expectRejection(ProcessHost.instantiate(float), WasmSubsetError, /float/);
    const env = await wat(`(module (import "env" "abort" (func)) (func (export "handle")))`);
    await expectRejection(ProcessHost.instantiate(env), WasmSubsetError, /env/);
  });

  it("refuses a module whose initial memory exceeds the memory limit, or whose start traps", async () => {
    const big = await wat(`(module (memory 5) (func (export "handle")))`);
    await expectRejection(
      ProcessHost.instantiate(big, { memoryLimitPages: 4 }),
      WasmSubsetError,
      /memory-limit/,
    );
    const start = await wat(`(module (func $s unreachable) (start $s) (func (export "handle")))`);
    await expectRejection(ProcessHost.instantiate(start), HostInstantiationError, /Unreachable/);
  });

  it("NoHandle without a handle export; MessageTooLarge without running", async () => {
    const none = await ProcessHost.instantiate(await wat(`(module (memory 1))`));
    expect(none.handle(msgBytes()).result).to.deep.equal({ ok: false, error: 13, errorName: "NoHandle" });
    const p = await ProcessHost.instantiate(probeWasm());
    expect(p.handle(new Uint8Array(65537)).result).to.deep.include({
      error: 12,
      errorName: "MessageTooLarge",
    });
  });

  it("implements msg_len/msg_read/output/send/spawn against memory, in order", async () => {
    const src = `(module ${HOST_FUNCS} (memory (export "memory") 1)
      (func (export "handle")
        (call $msg_read (i32.const 100) (i32.const 0) (call $msg_len))
        (call $output (i32.const 100) (call $msg_len))
        (call $send (i32.const 101) (i32.const 2))
        (call $spawn (i32.const 0) (i32.const 0))
        (call $output (i32.const 65535) (i32.const 1))))`;
    const p = await ProcessHost.instantiate(await wat(src));
    const m = msgBytes("hello");
    const o = p.handle(m);
    expect(o.result.ok).to.equal(true);
    const items = o.result.ok ? o.result.items : [];
    expect(items.map((i) => i.kind)).to.deep.equal([0, 1, 2, 0]);
    expect(Buffer.from(items[0].bytes)).to.deep.equal(Buffer.from(m));
    expect(Buffer.from(items[1].bytes)).to.deep.equal(Buffer.from(m.subarray(1, 3)));
    expect(items[2].bytes.length).to.equal(0);
    expect(items[3].bytes).to.deep.equal(new Uint8Array([0]));
  });

  it("traps as the machine does: MessageReadOutOfBounds, MemoryOutOfBounds, and restores memory", async () => {
    const src = `(module ${HOST_FUNCS} (memory (export "memory") 1)
      (func (export "handle") (local $n i32)
        (local.set $n (call $msg_len))
        (i32.store8 (i32.const 0) (i32.add (i32.load8_u (i32.const 0)) (i32.const 1)))
        (if (i32.eq (local.get $n) (i32.const 128)) (then (call $msg_read (i32.const 0) (i32.const 1) (local.get $n))))
        (if (i32.eq (local.get $n) (i32.const 129)) (then (call $msg_read (i32.const 65535) (i32.const 0) (i32.const 2))))
        (if (i32.eq (local.get $n) (i32.const 130)) (then (call $output (i32.const 65000) (i32.const 537))))
        (if (i32.eq (local.get $n) (i32.const 131)) (then (call $send (i32.const -1) (i32.const 2))))
        (call $output (i32.const 0) (i32.const 1))))`;
    const bytes = await wat(src);
    const p = await ProcessHost.instantiate(bytes);
    const machine = Process.fromWasm(bytes);
    // 127 bytes of header (+ data): 1 byte of data → 128 bytes, and so on.
    const want = [
      [msgBytes("a"), 11, "MessageReadOutOfBounds"],
      [msgBytes("ab"), 4, "MemoryOutOfBounds"],
      [msgBytes("abc"), 4, "MemoryOutOfBounds"],
      [msgBytes("abcd"), 4, "MemoryOutOfBounds"],
    ] as const;
    for (const [m, code, name] of want) {
      const o = p.handle(m);
      expect(o.result).to.deep.equal({ ok: false, error: code, errorName: name });
      expect(machine.handleMessage(m).result).to.deep.equal(o.result);
    }
    // The counter at address 0 was restored after every failure: this run sees 0 and writes 1.
    const ok = p.handle(msgBytes(""));
    expect(ok.result.ok && [...ok.result.items[0].bytes]).to.deep.equal([1]);
  });

  it("maps WebAssembly traps to the machine's error codes", async () => {
    const src = `(module ${HOST_FUNCS} (memory 1) (table 2 funcref) (elem (i32.const 0) $f)
      (type $v (func)) (type $i (func (result i32)))
      (func $f)
      (func $rec (call $rec))
      (func (export "handle") (local $n i32)
        (local.set $n (i32.sub (call $msg_len) (i32.const 127)))
        (if (i32.eq (local.get $n) (i32.const 0)) (then unreachable))
        (if (i32.eq (local.get $n) (i32.const 1)) (then (drop (i32.div_u (i32.const 1) (i32.const 0)))))
        (if (i32.eq (local.get $n) (i32.const 2)) (then (drop (i32.div_s (i32.const 0x80000000) (i32.const -1)))))
        (if (i32.eq (local.get $n) (i32.const 3)) (then (drop (i32.load (i32.const 65536)))))
        (if (i32.eq (local.get $n) (i32.const 4)) (then (call_indirect (type $v) (i32.const 7))))
        (if (i32.eq (local.get $n) (i32.const 5)) (then (call_indirect (type $v) (i32.const 1))))
        (if (i32.eq (local.get $n) (i32.const 6)) (then (drop (call_indirect (type $i) (i32.const 0)))))
        (if (i32.eq (local.get $n) (i32.const 7)) (then (call $rec)))))`;
    const p = await ProcessHost.instantiate(await wat(src));
    const want: [string, boolean][] = [
      ["Unreachable", true],
      ["IntegerDivideByZero", true],
      ["IntegerOverflow", true],
      ["MemoryOutOfBounds", true],
      ["TableOutOfBounds", true],
      ["NullFunction", false],
      ["NullFunction", false], // V8 cannot tell a signature mismatch from a null entry
      ["CallStackExhausted", false],
    ];
    want.forEach(([name, exact], n) => {
      const o = p.handle(msgBytes("x".repeat(n)));
      expect(o.result, name).to.deep.include({ ok: false, errorName: name });
      expect(o.exactError, name).to.equal(exact);
    });
  });

  it("enforces the memory limit on memory.grow (−1 beyond it) and restores a grown memory after a failure", async () => {
    const h = await Harness.create(probeWasm(), { memoryLimitPages: 8 });
    h.send(USER, {});
    h.send(USER, { Action: "Set" }, { data: "state" });
    const pages = h.host.memoryPages;
    const memBefore = h.host.memoryBytes();
    const globalsBefore = h.host.globalValues();
    const failed = h.send(USER, { Action: "Grow", Pages: "2", "Then-Fail": "1" });
    expect(failed.ok).to.equal(false);
    expect(failed.reason).to.equal("failed after growing");
    expect(h.host.memoryPages).to.equal(pages);
    expect(Buffer.from(h.host.memoryBytes())).to.deep.equal(Buffer.from(memBefore));
    expect(h.host.globalValues()).to.deep.equal(globalsBefore);
    expect(h.send(USER, { Action: "Get" }).output).to.equal("state");
    expect(h.send(USER, { Action: "Grow", Pages: String(8 - pages) }).output).to.equal(`${pages}/8`);
    expect(h.send(USER, { Action: "Grow", Pages: "1" }).output).to.equal("-1/8");
    expect(h.send(USER, { Action: "Get" }).output).to.equal("state");
  });

  it("gives the same results, result hashes, memory and globals as the step machine (probe)", async () => {
    const wasm = probeWasm();
    const h = await Harness.create(wasm, { memoryLimitPages: 16 });
    const machine = Process.fromWasm(wasm, { memoryLimitPages: 16 });
    const script: [Record<string, string>, string][] = [
      [{}, ""],
      [{ Action: "Echo", Dup: "1" }, "data"],
      [{ Action: "Set" }, "x".repeat(5000)],
      [{ Action: "Fail" }, "boom"],
      [{ Action: "Grow", Pages: "3", "Then-Fail": "1" }, ""],
      [{ Action: "Grow", Pages: "1" }, ""],
      [{ Action: "Send", To: ethAddress("a"), "Out-X": "y" }, "d"],
      [{ Action: "Spawn", Module: arAddress("m") }, ""],
      [{ Action: "Reply", Reference: "3" }, ""],
      [{ Kind: "C" }, ""],
      [{ Action: "Index" }, ""],
      [{ Action: "Get" }, ""],
    ];
    const mutable = loadWasm(wasm, { allowedImports: HOST_IMPORTS })
      .globalTypes.map((g, i) => (g.mutable ? i : -1))
      .filter((i) => i >= 0);
    for (const [tags, data] of script) {
      const msg = h.message(USER, tags, { data });
      h.nextSlot++;
      const v8 = h.host.handleMessage(msg);
      const m = machine.handleMessage(encodeMessage(msg));
      const what = JSON.stringify(tags);
      expect(v8.result, what).to.deep.equal(m.result);
      expect(Buffer.from(resultHash(v8.result)), what).to.deep.equal(Buffer.from(m.resultHash));
      expect(v8.memoryPages, what).to.equal(machine.machine.memory.pages);
      const mem = h.host.memoryBytes();
      for (let leaf = 0; leaf < mem.length / 32; leaf++) {
        const a = mem.subarray(leaf * 32, leaf * 32 + 32);
        if (!Buffer.from(a).equals(Buffer.from(machine.machine.memory.leaf(leaf)))) {
          expect.fail(`${what}: memory differs at leaf ${leaf}`);
        }
      }
      const g = h.host.globalValues();
      expect(
        g.map((x) => BigInt(x)),
        what,
      ).to.deep.equal(mutable.map((i) => BigInt(machine.machine.globals[i])));
    }
  });
});

describe("sdk/host: outbound encoding (TypeScript)", () => {
  it("round-trips and has the documented layout", () => {
    const o = outbound(
      ethAddress("t"),
      [
        { name: "Action", value: "Transfer" },
        { name: "Ü", value: "" },
      ],
      "data ✓",
    );
    const bytes = encodeOutbound(o);
    const te = new TextEncoder();
    expect(bytes.length).to.equal(
      32 + 2 + (2 + 6 + 2 + 8) + (2 + 2 + 2 + 0) + 4 + te.encode("data ✓").length,
    );
    expect(Buffer.from(bytes.subarray(0, 32))).to.deep.equal(Buffer.from(o.target));
    expect([bytes[32], bytes[33], bytes[34], bytes[35]]).to.deep.equal([0, 2, 0, 6]);
    expect(decodeOutbound(bytes)).to.deep.equal(o);
  });

  it("refuses truncated items, trailing bytes, bad UTF-8 and bad targets", () => {
    const bytes = encodeOutbound(outbound(USER, { A: "b" }, "xyz"));
    expect(() => decodeOutbound(bytes.subarray(0, bytes.length - 1))).to.throw(
      OutboundEncodingError,
      /truncated/,
    );
    expect(() => decodeOutbound(bytes.subarray(0, 20))).to.throw(OutboundEncodingError, /truncated/);
    expect(() => decodeOutbound(new Uint8Array([...bytes, 0]))).to.throw(OutboundEncodingError, /trailing/);
    const bad = bytes.slice();
    bad[36] = 0xff; // the tag name's byte
    expect(() => decodeOutbound(bad)).to.throw(OutboundEncodingError, /UTF-8/);
    expect(() => encodeOutbound({ target: new Uint8Array(20), tags: [], data: new Uint8Array() })).to.throw(
      OutboundEncodingError,
    );
    expect(() => outbound("nobody", {})).to.throw(/not an address/);
  });
});

describe("sdk/host: module patching", () => {
  it("adds a memory maximum and exports memory and mutable globals under reserved names", async () => {
    const src = `(module (memory 2) (global (mut i32) (i32.const 5)) (global i32 (i32.const 1))
      (global (mut i64) (i64.const -3)) (func (export "handle")))`;
    const bin = await wat(src);
    const mod = loadWasm(bin, { allowedImports: HOST_IMPORTS });
    const p = patchForHost(bin, mod, 10);
    expect(p.mutableGlobals).to.deep.equal([0, 2]);
    expect(p.memoryMaxPages).to.equal(10);
    const patched = loadWasm(p.bytes, { allowedImports: HOST_IMPORTS });
    expect(patched.memory!.limits).to.deep.equal({ min: 2, max: 10 });
    expect(patched.exports.map((e) => e.name)).to.deep.equal([
      "handle",
      "__holo_memory",
      "__holo_global_0",
      "__holo_global_2",
    ]);
    const reserved = await wat(`(module (memory (export "__holo_memory") 1) (func (export "handle")))`);
    expect(() => patchForHost(reserved, loadWasm(reserved, { allowedImports: HOST_IMPORTS }), 10)).to.throw(
      /reserved/,
    );
  });
});

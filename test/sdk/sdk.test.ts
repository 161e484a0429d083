import { expect } from "chai";
import { encodeMessage, MAX_MESSAGE_BYTES } from "../../machine/process";
import { decodeOutbound, encodeOutbound, formatAddress, parseAddress } from "../../sdk/host";
import { Harness, arAddress, bytes32, ethAddress, probeWasm, tagPairs, withViews } from "./helpers";

const USER = arAddress("user");
const ETH = ethAddress("eth user");

async function probe(): Promise<Harness> {
  const h = await Harness.create(probeWasm());
  expect(h.send(USER, {}).ok).to.equal(true); // slot 0
  return h;
}

function echo(h: Harness, ...args: Parameters<Harness["send"]>) {
  const o = h.send(...args);
  expect(o.ok, o.reason).to.equal(true);
  return JSON.parse(o.output);
}

describe("sdk: message decoding", () => {
  it("decodes every field of the canonical encoding (big-endian integers)", async () => {
    const h = await probe();
    const id = bytes32("the id");
    const e = echo(
      h,
      USER,
      [
        { name: "Action", value: "Echo" },
        { name: "Héllo", value: "wörld ✓" },
      ],
      {
        data: "some data",
        slot: 0x0102030405060708n,
        id,
        timestamp: 0xfffffffffffffffen,
        blockHeight: 1n << 40n,
      },
    );
    expect(e.Id).to.equal(Buffer.from(id).toString("base64url"));
    expect(e.IdHex).to.equal(Buffer.from(id).toString("hex"));
    expect(e.From).to.equal(USER);
    expect(e.Target).to.equal(h.processId);
    expect(e.Slot).to.equal(0x0102030405060708n.toString());
    expect(e.Timestamp).to.equal(0xfffffffffffffffen.toString());
    expect(e.BlockHeight).to.equal((1n << 40n).toString());
    expect(e.Tags).to.deep.equal([
      ["Action", "Echo"],
      ["Héllo", "wörld ✓"],
    ]);
    expect(e.Data).to.equal("some data");
    expect(e.DataHex).to.equal(Buffer.from("some data").toString("hex"));
  });

  it("decodes empty data, empty tag names and values", async () => {
    const h = await probe();
    const e = echo(h, USER, [
      { name: "Action", value: "Echo" },
      { name: "", value: "" },
      { name: "Empty", value: "" },
    ]);
    expect(e.Tags).to.deep.equal([
      ["Action", "Echo"],
      ["", ""],
      ["Empty", ""],
    ]);
    expect(e.Data).to.equal("");
    expect(e.DataHex).to.equal("");
  });

  it("keeps duplicate tags in order; get() returns the first (as aos's Tab)", async () => {
    const h = await probe();
    const e = echo(h, USER, [
      { name: "Action", value: "Echo" },
      { name: "Dup", value: "one" },
      { name: "Dup", value: "two" },
    ]);
    expect(e.FirstDup).to.equal("one");
    expect(e.AllDup).to.equal("one|two");
  });

  it("decodes a message of exactly the maximum size (65,536 bytes), with a 60,000-byte tag value", async () => {
    const h = await probe();
    const value = "v".repeat(60_000);
    const base = h.message(USER, [
      { name: "Action", value: "Echo" },
      { name: "Big", value },
    ]);
    const fill = MAX_MESSAGE_BYTES - encodeMessage(base).length;
    expect(fill).to.be.greaterThan(0);
    const data = new Uint8Array(fill).fill(0x61);
    const m = { ...base, data };
    const bytes = encodeMessage(m);
    expect(bytes.length).to.equal(MAX_MESSAGE_BYTES);
    const o = withViews(h.host.handle(bytes), m);
    expect(o.ok, o.reason).to.equal(true);
    const e = JSON.parse(o.output);
    expect(e.Tags[1][1]).to.equal(value);
    expect(e.Data.length).to.equal(fill);
  });

  it("refuses a message one byte over the maximum (MessageTooLarge, nothing runs)", async () => {
    const h = await probe();
    const base = h.message(USER, { Action: "Set" });
    const fill = MAX_MESSAGE_BYTES - encodeMessage(base).length + 1;
    const o = h.host.handle(encodeMessage({ ...base, data: new Uint8Array(fill) }));
    expect(o.result).to.deep.equal({ ok: false, error: 12, errorName: "MessageTooLarge" });
  });

  it("decodes many tags (1,000)", async () => {
    const h = await probe();
    const tags = [{ name: "Action", value: "Echo" }];
    for (let i = 0; i < 999; i++) tags.push({ name: `T${i}`, value: String(i) });
    const e = echo(h, USER, tags);
    expect(e.Tags.length).to.equal(1000);
    expect(e.Tags[999]).to.deep.equal(["T998", "998"]);
  });

  it("passes arbitrary binary data through DataBytes", async () => {
    const h = await probe();
    const data = new Uint8Array(256).map((_, i) => i);
    const o = h.send(USER, { Action: "Send", To: USER }, { data });
    expect(o.ok, o.reason).to.equal(true);
    expect(Buffer.from(o.messages[0].DataBytes)).to.deep.equal(Buffer.from(data));
  });

  it("fails a malformed encoding (bad version, trailing bytes, truncation) with the SDK's reason", async () => {
    const h = await probe();
    const good = encodeMessage(h.message(USER, { Action: "Echo" }, { data: "xyz" }));
    const badVersion = good.slice();
    badVersion[0] = 2;
    const cases: [Uint8Array, string][] = [
      [badVersion, "malformed message: unknown version 2"],
      [new Uint8Array([...good, 0]), "malformed message: trailing bytes"],
      [good.subarray(0, good.length - 1), "malformed message: truncated data"],
      [good.subarray(0, good.length - 3), "malformed message: truncated data"],
      [good.subarray(0, good.length - 5), "malformed message: truncated data length"],
      [good.subarray(0, 130), "malformed message: truncated tag"],
      [good.subarray(0, 100), "malformed message: truncated header"],
      [new Uint8Array(0), "malformed message: truncated header"],
    ];
    for (const [bytes, reason] of cases) {
      const o = h.host.handle(bytes);
      expect(o.result).to.deep.include({ ok: false, errorName: "Unreachable" });
      expect(o.reason).to.equal(reason);
    }
  });
});

describe("sdk: From and address formatting", () => {
  it("shows an Ethereum sender (12 leading zero bytes) as 0x + 40 lowercase hex", async () => {
    const h = await probe();
    const from = new Uint8Array(32);
    from.set(Buffer.from("AbCdEf0123456789aBcDeF0123456789ABCDEF01", "hex"), 12);
    const e = echo(h, from, { Action: "Echo" });
    expect(e.From).to.equal("0xabcdef0123456789abcdef0123456789abcdef01");
    expect(e.From).to.equal(formatAddress(from));
  });

  it("shows any other sender as base64url (43 characters)", async () => {
    const h = await probe();
    const from = new Uint8Array(32);
    from[11] = 1; // only 11 leading zero bytes
    const e = echo(h, from, { Action: "Echo" });
    expect(e.From).to.have.length(43);
    expect(e.From).to.equal(Buffer.from(from).toString("base64url"));
    expect(e.From).to.equal(formatAddress(from));
  });

  it("shows the zero address as 0x000…0", async () => {
    const h = await probe();
    expect(echo(h, new Uint8Array(32), { Action: "Echo" }).From).to.equal("0x" + "0".repeat(40));
  });

  it("canonicalises address strings like the TypeScript helpers", async () => {
    const h = await probe();
    const cases: [string, string][] = [
      [ETH.toUpperCase().replace("0X", "0x"), ETH],
      ["0X" + ETH.slice(2), ETH],
      [USER, USER],
      [Buffer.from(new Uint8Array(32)).toString("base64url"), "0x" + "0".repeat(40)],
      ["0x1234", "invalid"],
      [ETH + "00", "invalid"],
      ["0x" + "g".repeat(40), "invalid"],
      [USER.slice(0, 42), "invalid"],
      [USER.slice(0, 42) + "!", "invalid"],
      [USER.slice(0, 42) + "B", "invalid"], // non-canonical: the last character has stray low bits
      ["", "invalid"],
    ];
    for (const [input, want] of cases) {
      const o = h.send(USER, { Action: "Address", Addr: input });
      expect(o.output, input).to.equal(want);
      if (want !== "invalid") expect(formatAddress(parseAddress(input))).to.equal(want);
      else expect(() => parseAddress(input), input).to.throw();
    }
  });
});

describe("sdk: handlers and patterns", () => {
  const run = (h: Harness, tags: Record<string, string>, data = "") => {
    const o = h.send(USER, tags, { data });
    expect(o.ok, o.reason).to.equal(true);
    return o.output.split("\n").filter((l) => l.length > 0);
  };

  it("hasMatchingTag / hasMatchingTagOf break; the default runs when nothing breaks", async () => {
    const h = await probe();
    expect(run(h, { Kind: "A" })).to.deep.equal(["tag-of"]);
    expect(run(h, { Kind: "B" })).to.deep.equal(["tag-of"]);
    expect(run(h, { Kind: "Z" })).to.deep.equal(["everything", "default"]);
  });

  it("continuing patterns run and go on; the default still runs after them (as aos)", async () => {
    const h = await probe();
    expect(run(h, { Kind: "C" })).to.deep.equal(["continue", "continue-2", "everything", "default"]);
    expect(run(h, { Kind: "C2" })).to.deep.equal(["continue-2", "everything", "default"]);
  });

  it("allOf with hasMatchingData, matching(fn), matchingResult, anyOf", async () => {
    const h = await probe();
    expect(run(h, { Kind: "Data" }, "ping")).to.deep.equal(["data"]);
    expect(run(h, { Kind: "Data" }, "pong")).to.deep.equal(["everything", "default"]);
    expect(run(h, { Kind: "Q", Magic: "1" })).to.deep.equal(["fn"]);
    expect(run(h, { Kind: "Q", Both: "1" })).to.deep.equal(["result", "everything", "default"]);
    expect(run(h, { Kind: "Y" })).to.deep.equal(["any"]);
  });

  it("matches the first of duplicate tags only", async () => {
    const h = await probe();
    const o = h.send(USER, [
      { name: "Kind", value: "Z" },
      { name: "Kind", value: "A" },
    ]);
    expect(o.output).to.equal("everything\ndefault\n");
  });

  it("once / maxRuns remove the handler after its runs; prepend puts it first; add replaces by name", async () => {
    const h = await probe();
    expect(run(h, { Kind: "Once" })).to.deep.equal(["once"]);
    expect(run(h, { Kind: "Once" })).to.deep.equal(["everything", "default"]);
    expect(run(h, { Kind: "Twice" })).to.deep.equal(["twice"]);
    expect(run(h, { Kind: "Twice" })).to.deep.equal(["twice"]);
    expect(run(h, { Kind: "Twice" })).to.deep.equal(["everything", "default"]);
    expect(run(h, { Kind: "First" })).to.deep.equal(["first"]);
    expect(run(h, { Kind: "New" })).to.deep.equal(["new"]);
    expect(run(h, { Kind: "Old" })).to.deep.equal(["everything", "default"]);
    const names = h.send(USER, { Action: "Names" }).output.split(",");
    expect(names[0]).to.equal("first");
    expect(names).to.not.include("once");
    expect(names).to.not.include("twice");
    expect(names.filter((n) => n === "replaced")).to.have.length(1);
  });

  it("handlers added and removed by a message persist in memory", async () => {
    const h = await probe();
    expect(run(h, { Kind: "Dyn" })).to.deep.equal(["everything", "default"]);
    h.send(USER, { Action: "Add-Dyn" });
    expect(run(h, { Kind: "Dyn" })).to.deep.equal(["everything", "dyn"]); // added at the end of the list
    expect(h.send(USER, { Action: "Remove-Dyn" }).output).to.equal("removed");
    expect(h.send(USER, { Action: "Remove-Dyn" }).output).to.equal("absent");
  });

  it("a message no handler matches and that the default ignores has an empty result", async () => {
    const h = await probe();
    const o = h.send(USER, { Other: "x" });
    expect(o.result).to.deep.equal({ ok: true, items: [] });
  });
});

describe("sdk: process identity", () => {
  it("the owner is the From of slot 0; the id is the Target; later senders do not change the owner", async () => {
    const h = await Harness.create(probeWasm());
    const before = JSON.parse(h.send(ETH, { Action: "Echo" }, { slot: 5n }).output);
    expect(before.Owner).to.equal("");
    expect(before.ProcessId).to.equal(h.processId);
    h.send(USER, {}); // slot 0
    h.send(ETH, {});
    const e = JSON.parse(h.send(ETH, { Action: "Echo" }).output);
    expect(e.Owner).to.equal(USER);
    expect(e.Handled).to.equal("3");
  });
});

describe("sdk: output, send, spawn, reply", () => {
  it("print appends a newline; each call is one output item", async () => {
    const h = await probe();
    const o = h.send(USER, { Action: "Print" }, { data: "hello" });
    expect(o.output).to.equal("hello\n|second\n");
    expect(o.result.ok && o.result.items.length).to.equal(3);
  });

  it("send: Reference first (1, 2, …), then the tags in order, then the data", async () => {
    const h = await probe();
    const o = h.send(
      USER,
      [
        { name: "Action", value: "Send" },
        { name: "To", value: ETH },
        { name: "Out-Action", value: "Hello" },
        { name: "Out-Dup", value: "1" },
        { name: "Out-Dup", value: "2" },
        { name: "Out-Ünïcode", value: "✓" },
      ],
      { data: "payload" },
    );
    expect(o.ok, o.reason).to.equal(true);
    expect(o.output).to.equal("1");
    expect(o.messages).to.have.length(1);
    const m = o.messages[0];
    expect(m.Target).to.equal(ETH);
    expect(tagPairs(m)).to.deep.equal([
      ["Reference", "1"],
      ["Action", "Hello"],
      ["Dup", "1"],
      ["Dup", "2"],
      ["Ünïcode", "✓"],
    ]);
    expect(m.Data).to.equal("payload");
    const o2 = h.send(USER, { Action: "Send-Text", To: USER }, { data: "text ✓" });
    expect(tagPairs(o2.messages[0])).to.deep.equal([
      ["Reference", "2"],
      ["Action", "Text"],
    ]);
    expect(o2.messages[0].Data).to.equal("text ✓");
  });

  it("the outbound bytes round-trip through the TypeScript decoder and encoder", async () => {
    const h = await probe();
    const o = h.send(USER, { Action: "Send", To: USER, "Out-A": "b" }, { data: new Uint8Array([0, 255, 1]) });
    const raw = o.result.ok ? o.result.items.find((i) => i.kind === 1)!.bytes : new Uint8Array();
    const dec = decodeOutbound(raw);
    expect(Buffer.from(dec.target)).to.deep.equal(Buffer.from(parseAddress(USER)));
    expect(dec.tags).to.deep.equal([
      { name: "Reference", value: "1" },
      { name: "A", value: "b" },
    ]);
    expect([...dec.data]).to.deep.equal([0, 255, 1]);
    expect(Buffer.from(encodeOutbound(dec))).to.deep.equal(Buffer.from(raw));
    // layout: target 32 | u16 count | (u16 len, bytes) pairs | u32 data length | data
    expect(raw.length).to.equal(32 + 2 + (2 + 9 + 2 + 1) + (2 + 1 + 2 + 1) + 4 + 3);
    expect([raw[32], raw[33]]).to.deep.equal([0, 2]);
  });

  it("spawn: target is the module id; shares the Reference counter with send", async () => {
    const h = await probe();
    const module = arAddress("module");
    h.send(USER, { Action: "Send", To: USER });
    const o = h.send(USER, { Action: "Spawn", Module: module, "Out-Name": "child" }, { data: "boot" });
    expect(o.ok, o.reason).to.equal(true);
    expect(o.messages).to.have.length(0);
    expect(o.spawns).to.have.length(1);
    expect(o.spawns[0].Target).to.equal(module);
    expect(tagPairs(o.spawns[0])).to.deep.equal([
      ["Reference", "2"],
      ["Name", "child"],
    ]);
    expect(o.spawns[0].Data).to.equal("boot");
  });

  it("send to a target that is not an address fails the message", async () => {
    const h = await probe();
    const o = h.send(USER, { Action: "Send", To: "nobody" });
    expect(o.ok).to.equal(false);
    expect(o.reason).to.equal("send: Target is not an address: 'nobody'");
  });

  it("reply goes to From with X-Reference = the message's Reference", async () => {
    const h = await probe();
    const o = h.send(USER, { Action: "Reply", Reference: "7", "Out-K": "v" }, { data: "d" });
    const m = o.messages[0];
    expect(m.Target).to.equal(USER);
    expect(tagPairs(m)).to.deep.equal([
      ["Reference", "1"],
      ["Action", "Replied"],
      ["K", "v"],
      ["X-Reference", "7"],
    ]);
    expect(m.Data).to.equal("d");
  });

  it("reply prefers Reply-To and X-Reference, and carries X-Origin (as aos's msg.reply)", async () => {
    const h = await probe();
    const o = h.send(USER, {
      Action: "Reply",
      Reference: "7",
      "X-Reference": "42",
      "X-Origin": "origin",
      "Reply-To": ETH,
    });
    const m = o.messages[0];
    expect(m.Target).to.equal(ETH);
    expect(m.get("X-Reference")).to.equal("42");
    expect(m.get("X-Origin")).to.equal("origin");
  });

  it("reply without any reference tag has no X-Reference; replyData sends data only", async () => {
    const h = await probe();
    const o = h.send(ETH, { Action: "Reply-Data" }, { data: "just data" });
    expect(o.messages[0].Target).to.equal(ETH);
    expect(tagPairs(o.messages[0])).to.deep.equal([["Reference", "1"]]);
    expect(o.messages[0].Data).to.equal("just data");
  });
});

describe("sdk: the error path", () => {
  it("throw: the result is the error Unreachable, the reason is the last output, effects are discarded", async () => {
    const h = await probe();
    h.send(USER, { Action: "Set" }, { data: "kept" });
    const o = h.send(USER, { Action: "Fail" }, { data: "Something went wrong!" });
    expect(o.result).to.deep.equal({ ok: false, error: 1, errorName: "Unreachable" });
    expect(o.reason).to.equal("Something went wrong!");
    expect(o.discarded.map((i) => i.kind)).to.deep.equal([0, 1, 0]);
    expect(h.send(USER, { Action: "Get" }).output).to.equal("kept");
    // The reference counter was restored too: the next send is Reference 1.
    expect(h.send(USER, { Action: "Send", To: USER }).output).to.equal("1");
  });

  it("assert failures and standard-library failures take the same path", async () => {
    const h = await probe();
    expect(h.send(USER, { Action: "Assert" }, { data: "ok" }).output).to.equal("asserted");
    const a = h.send(USER, { Action: "Assert" }, { data: "bad" });
    expect(a.ok).to.equal(false);
    expect(a.reason).to.equal("assertion: bad");
    const i = h.send(USER, { Action: "Index" });
    expect(i.result).to.deep.include({ ok: false, errorName: "Unreachable" });
    expect(i.reason).to.match(/^Index out of range \(~lib\/array\.ts:\d+:\d+\)$/);
  });

  it("a non-ASCII reason is written as UTF-8", async () => {
    const h = await probe();
    const o = h.send(USER, { Action: "Fail" }, { data: "Ungültig ✗ 😀" });
    expect(o.reason).to.equal("Ungültig ✗ 😀");
  });

  it("a WebAssembly trap is an error without a reason from the SDK", async () => {
    const h = await probe();
    const o = h.send(USER, { Action: "Trap" });
    expect(o.result).to.deep.equal({ ok: false, error: 2, errorName: "IntegerDivideByZero" });
  });
});

describe("sdk: U128 quantities", () => {
  const P64 = 1n << 64n;
  const P128 = 1n << 128n;
  let h: Harness;
  before(async () => {
    h = await probe();
  });
  const op = (o: string, a: string, b = "0") => h.send(USER, { Action: "U128", Op: o, A: a, B: b }).output;

  it("parses and formats exactly around 2^64 and 2^128", () => {
    for (const v of [
      0n,
      1n,
      9n,
      10n,
      P64 - 1n,
      P64,
      P64 + 1n,
      10n ** 19n,
      10n ** 20n,
      10n ** 38n,
      P128 - 1n,
    ]) {
      expect(op("parse", v.toString())).to.equal(v.toString());
    }
    expect(op("parse", P128.toString())).to.equal("error: exceeds 2^128 - 1");
    expect(op("parse", (P128 * 10n).toString())).to.equal("error: exceeds 2^128 - 1");
    expect(op("parse", "9".repeat(100))).to.equal("error: exceeds 2^128 - 1");
  });

  it("refuses malformed strings", () => {
    const cases: [string, string][] = [
      ["", "empty"],
      ["-1", "negative"],
      ["-0", "negative"],
      ["-", "not a decimal integer"],
      ["-1a", "not a decimal integer"],
      ["+1", "not a decimal integer"],
      [" 1", "not a decimal integer"],
      ["1 ", "not a decimal integer"],
      ["1.5", "not a decimal integer"],
      ["1e3", "not a decimal integer"],
      ["0x10", "not a decimal integer"],
      ["١٢", "not a decimal integer"],
      ["007", "leading zeros"],
      ["00", "leading zeros"],
    ];
    for (const [s, e] of cases) expect(op("parse", s), JSON.stringify(s)).to.equal("error: " + e);
  });

  it("adds, subtracts and compares with carries across the 64-bit halves", () => {
    const pairs: [bigint, bigint][] = [
      [P64 - 1n, 1n],
      [P64, P64 - 1n],
      [P128 - 1n, 0n],
      [P128 - 2n, 1n],
      [123456789012345678901234567890n, 987654321098765432109876543210n],
      [P64 * 3n + 5n, P64 + 7n],
    ];
    for (const [a, b] of pairs) {
      const sum = a + b;
      expect(op("add", a.toString(), b.toString())).to.equal(sum < P128 ? sum.toString() : "overflow");
      expect(op("sub", a.toString(), b.toString())).to.equal(a >= b ? (a - b).toString() : "underflow");
      expect(op("sub", b.toString(), a.toString())).to.equal(b >= a ? (b - a).toString() : "underflow");
      expect(op("cmp", a.toString(), b.toString())).to.equal(String(a < b ? -1 : a > b ? 1 : 0));
    }
    expect(op("add", (P128 - 1n).toString(), "1")).to.equal("overflow");
    expect(op("add", (P64 * (P64 - 1n)).toString(), P64.toString())).to.equal("overflow");
  });
});

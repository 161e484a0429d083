import { expect } from "chai";
import { Harness, arAddress, processWasm, tagPairs, type Outcome } from "../sdk/helpers";

const USER = arAddress("counter user");
const I64_MAX = (1n << 63n) - 1n;
const I64_MIN = -(1n << 63n);

async function counter(): Promise<Harness> {
  const h = await Harness.create(processWasm("counter"));
  expect(h.send(USER, {}).result).to.deep.equal({ ok: true, items: [] });
  return h;
}

function value(o: Outcome): string {
  expect(o.ok, o.reason).to.equal(true);
  return o.messages[0].get("Count")!;
}

describe("process counter", () => {
  it("Increment, Decrement, Get and Reset reply with the value", async () => {
    const h = await counter();
    const inc = h.send(USER, { Action: "Increment", Reference: "1" });
    expect(inc.messages[0].Target).to.equal(USER);
    expect(tagPairs(inc.messages[0])).to.deep.equal([
      ["Reference", "1"],
      ["Action", "Incremented"],
      ["Count", "1"],
      ["X-Reference", "1"],
    ]);
    expect(inc.messages[0].Data).to.equal("1");
    expect(inc.output).to.equal("Incremented: 1\n");
    expect(value(h.send(USER, { Action: "Increment", By: "41" }))).to.equal("42");
    expect(value(h.send(USER, { Action: "Get" }))).to.equal("42");
    expect(h.send(USER, { Action: "Get" }).messages[0].get("Action")).to.equal("Count");
    expect(value(h.send(USER, { Action: "Decrement" }))).to.equal("41");
    expect(value(h.send(USER, { Action: "Decrement", By: "50" }))).to.equal("-9");
    const reset = h.send(USER, { Action: "Reset" });
    expect(reset.messages[0].get("Action")).to.equal("Reset");
    expect(value(reset)).to.equal("0");
    expect(value(h.send(USER, { Action: "Get" }))).to.equal("0");
  });

  it("keeps the value across messages and senders", async () => {
    const h = await counter();
    for (let i = 0; i < 10; i++) h.send(arAddress(`sender ${i}`), { Action: "Increment" });
    expect(value(h.send(USER, { Action: "Get" }))).to.equal("10");
  });

  it("fails on a bad By and on overflow, leaving the value unchanged", async () => {
    const h = await counter();
    for (const [by, why] of [
      ["-1", "negative"],
      ["x", "not a decimal integer"],
      ["", "empty"],
      ["01", "leading zeros"],
      [(1n << 128n).toString(), "exceeds 2^128 - 1"],
      [(I64_MAX + 1n).toString(), "exceeds 2^63 - 1"],
    ]) {
      const o = h.send(USER, { Action: "Increment", By: by });
      expect(o.result).to.deep.include({ ok: false, errorName: "Unreachable" });
      expect(o.reason).to.equal(`Invalid By: ${why}`);
    }
    expect(value(h.send(USER, { Action: "Increment", By: I64_MAX.toString() }))).to.equal(I64_MAX.toString());
    const over = h.send(USER, { Action: "Increment" });
    expect(over.ok).to.equal(false);
    expect(over.reason).to.equal("Counter overflow");
    expect(value(h.send(USER, { Action: "Get" }))).to.equal(I64_MAX.toString());
    h.send(USER, { Action: "Reset" });
    expect(value(h.send(USER, { Action: "Decrement", By: I64_MAX.toString() }))).to.equal(
      (-I64_MAX).toString(),
    );
    expect(value(h.send(USER, { Action: "Decrement" }))).to.equal(I64_MIN.toString());
    expect(h.send(USER, { Action: "Decrement" }).reason).to.equal("Counter underflow");
    expect(value(h.send(USER, { Action: "Get" }))).to.equal(I64_MIN.toString());
  });

  it("ignores other messages (no default handler)", async () => {
    const h = await counter();
    expect(h.send(USER, { Action: "Multiply" }).result).to.deep.equal({ ok: true, items: [] });
    expect(h.send(USER, {}, { data: "hello" }).result).to.deep.equal({ ok: true, items: [] });
  });
});

/**
 * The V8 host and the step machine agree on the example processes: the same result (items or error)
 * and result hash for every message, and the same memory and memory size after it.
 */
import { expect } from "chai";
import { Process, encodeMessage, resultHash } from "../../machine/process";
import { Harness, arAddress, ethAddress, processWasm, type TagsIn } from "../sdk/helpers";

const OWNER = arAddress("owner");
const ALICE = ethAddress("alice");

async function agree(name: string, script: [string, TagsIn, string?][]): Promise<void> {
  const wasm = processWasm(name);
  const h = await Harness.create(wasm, { memoryLimitPages: 64 });
  const machine = Process.fromWasm(wasm, { memoryLimitPages: 64 });
  for (const [from, tags, data] of script) {
    const msg = h.message(from, tags, { data });
    h.nextSlot++;
    const v8 = h.host.handleMessage(msg);
    const m = machine.handleMessage(encodeMessage(msg));
    const what = `${name} ${JSON.stringify(tags)}`;
    expect(v8.result, what).to.deep.equal(m.result);
    expect(Buffer.from(resultHash(v8.result)).equals(Buffer.from(m.resultHash)), what).to.equal(true);
    expect(v8.memoryPages, what).to.equal(machine.machine.memory.pages);
    const mem = h.host.memoryBytes();
    for (let leaf = 0; leaf < mem.length / 32; leaf++) {
      if (
        !Buffer.from(mem.subarray(leaf * 32, leaf * 32 + 32)).equals(
          Buffer.from(machine.machine.memory.leaf(leaf)),
        )
      ) {
        expect.fail(`${what}: memory differs at leaf ${leaf}`);
      }
    }
  }
}

describe("processes: V8 host = step machine", () => {
  it("token", async () => {
    await agree("token", [
      [OWNER, {}],
      [ALICE, { Action: "Info" }],
      [OWNER, { Action: "Transfer", Recipient: ALICE, Quantity: "18446744073709551616", "X-Id": "1" }],
      [ALICE, { Action: "Transfer", Recipient: OWNER, Quantity: "x" }],
      [ALICE, { Action: "Transfer", Recipient: OWNER, Quantity: "18446744073709551617" }],
      [ALICE, { Action: "Mint", Quantity: "5" }],
      [OWNER, { Action: "Mint", Quantity: "340282366920938463463374607431768211455" }],
      [OWNER, { Action: "Balances" }],
      [ALICE, { Action: "Balance" }],
      [ALICE, { Action: "Total-Supply" }],
      [ALICE, { Action: "Nope" }],
    ]);
  });

  it("counter", async () => {
    await agree("counter", [
      [OWNER, {}],
      [ALICE, { Action: "Increment", By: "9223372036854775807" }],
      [ALICE, { Action: "Increment" }],
      [ALICE, { Action: "Decrement", By: "7" }],
      [ALICE, { Action: "Get" }],
      [ALICE, { Action: "Reset" }],
    ]);
  });

  it("bench", async () => {
    await agree("bench", [
      [OWNER, {}],
      [ALICE, { Action: "Hash-Chain", Iterations: "20" }, "seed"],
      [ALICE, { Action: "Sieve", Limit: "3000" }],
      [ALICE, { Action: "Hash-Chain", Iterations: "0" }],
    ]);
  });
});

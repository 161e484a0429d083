import { expect } from "chai";
import { keccak256 } from "ethers";
import { Harness, arAddress, processWasm } from "../sdk/helpers";

const USER = arAddress("bench user");

function chain(data: Uint8Array, n: number): string {
  let d = keccak256(data);
  for (let i = 1; i < n; i++) d = keccak256(d);
  return d;
}

async function bench(): Promise<Harness> {
  const h = await Harness.create(processWasm("bench"));
  h.send(USER, {});
  return h;
}

describe("process bench", () => {
  it("Hash-Chain computes keccak256 exactly (padding edges: 0, 135, 136, 137, 272 bytes)", async () => {
    const h = await bench();
    for (const len of [0, 1, 31, 32, 135, 136, 137, 271, 272, 1000]) {
      const data = new Uint8Array(len).map((_, i) => (i * 7 + len) & 0xff);
      const o = h.send(USER, { Action: "Hash-Chain" }, { data });
      expect(o.ok, o.reason).to.equal(true);
      expect(o.output, `length ${len}`).to.equal(chain(data, 1));
    }
  });

  it("Hash-Chain iterates Iterations times and replies Digest and Iterations", async () => {
    const h = await bench();
    const data = new TextEncoder().encode("seed");
    for (const n of [1, 2, 3, 1000]) {
      const o = h.send(USER, { Action: "Hash-Chain", Iterations: String(n), Reference: "5" }, { data });
      const want = chain(data, n);
      expect(o.output).to.equal(want);
      expect(o.messages[0].Target).to.equal(USER);
      expect(o.messages[0].get("Digest")).to.equal(want);
      expect(o.messages[0].get("Iterations")).to.equal(String(n));
      expect(o.messages[0].get("X-Reference")).to.equal("5");
      expect(o.messages[0].Data).to.equal(want);
    }
  });

  it("Sieve counts primes up to Limit", async () => {
    const h = await bench();
    const want: [number, number][] = [
      [0, 0],
      [1, 0],
      [2, 1],
      [3, 2],
      [100, 25],
      [7919, 1000],
      [1_000_000, 78_498],
    ];
    for (const [limit, primes] of want) {
      const o = h.send(USER, { Action: "Sieve", Limit: String(limit) });
      expect(o.ok, o.reason).to.equal(true);
      expect(o.output).to.equal(String(primes));
      expect(o.messages[0].get("Primes")).to.equal(String(primes));
    }
    expect(h.send(USER, { Action: "Sieve" }).output).to.equal("25"); // default Limit 100
  });

  it("fails on bad Iterations and Limit", async () => {
    const h = await bench();
    const cases: [Record<string, string>, string][] = [
      [{ Action: "Hash-Chain", Iterations: "0" }, "Invalid Iterations: must be at least 1"],
      [{ Action: "Hash-Chain", Iterations: "-1" }, "Invalid Iterations: negative"],
      [{ Action: "Hash-Chain", Iterations: "1e6" }, "Invalid Iterations: not a decimal integer"],
      [{ Action: "Hash-Chain", Iterations: "4294967296" }, "Invalid Iterations: exceeds 4294967295"],
      [{ Action: "Sieve", Limit: "10000001" }, "Invalid Limit: exceeds 10000000"],
    ];
    for (const [tags, reason] of cases) {
      const o = h.send(USER, tags);
      expect(o.result).to.deep.include({ ok: false, errorName: "Unreachable" });
      expect(o.reason).to.equal(reason);
    }
  });

  it("ignores other messages", async () => {
    const h = await bench();
    expect(h.send(USER, { Action: "Other" }).result).to.deep.equal({ ok: true, items: [] });
  });
});

// A compute-heavy process for benchmarks.
//
//   Action = "Hash-Chain", Iterations = n (1 ≤ n < 2^32, default 1): d_1 = keccak256(Data),
//     d_i = keccak256(d_{i-1}); replies Digest = "0x" + hex(d_n), Iterations = n; outputs the digest.
//   Action = "Sieve", Limit = n (at most 10,000,000): counts the primes ≤ n with a sieve of
//     Eratosthenes in memory; replies Primes = count; outputs the count.
// Other messages are ignored.

import { Handlers, hasMatchingTag, Msg, OutMessage, U128, output, tag, toHex } from "../../../sdk/assembly";
import { keccak256 } from "./keccak";
export { handle } from "../../../sdk/assembly";

const MAX_LIMIT: u32 = 10_000_000;

function u32Tag(msg: Msg, name: string, fallback: u32, max: u32): u32 {
  const s = msg.get(name);
  if (s === null) return fallback;
  const err = U128.parseError(s);
  if (err.length != 0) throw new Error("Invalid " + name + ": " + err);
  const v = U128.parse(s)!;
  if (v.hi != 0 || v.lo > <u64>max) throw new Error("Invalid " + name + ": exceeds " + max.toString());
  return <u32>v.lo;
}

Handlers.add("hash-chain", hasMatchingTag("Action", "Hash-Chain"), (msg: Msg): void => {
  const n = u32Tag(msg, "Iterations", 1, u32.MAX_VALUE);
  if (n == 0) throw new Error("Invalid Iterations: must be at least 1");
  const d = new Uint8Array(32);
  const data = msg.DataBytes;
  keccak256(data.dataStart, data.length, d.dataStart);
  for (let i: u32 = 1; i < n; i++) keccak256(d.dataStart, 32, d.dataStart);
  const digest = "0x" + toHex(d);
  const r = new OutMessage();
  r.Tags = [tag("Digest", digest), tag("Iterations", n.toString())];
  r.Data = digest;
  msg.reply(r);
  output(digest);
});

Handlers.add("sieve", hasMatchingTag("Action", "Sieve"), (msg: Msg): void => {
  const limit = u32Tag(msg, "Limit", 100, MAX_LIMIT);
  let count: u32 = 0;
  if (limit >= 2) {
    const composite = new Uint8Array(limit + 1);
    for (let i: u32 = 2; i <= limit; i++) {
      if (unchecked(composite[i]) != 0) continue;
      count++;
      for (let j: u64 = <u64>i * i; j <= <u64>limit; j += i) unchecked((composite[<i32>j] = 1));
    }
  }
  const r = new OutMessage();
  r.Tags = [tag("Primes", count.toString()), tag("Limit", limit.toString())];
  r.Data = count.toString();
  msg.reply(r);
  output(count.toString());
});

/**
 * Contract fuzzing (issue 8): random arguments to every function of StakeManager, ProcessRegistry,
 * ResultRegistry, DisputeGame and OneStepProofEntry (enumerated from their typechain interfaces; arguments
 * drawn by fast-check per ABI type and encoded with the interface), from random callers, plus raw random
 * calldata. A call that succeeds is sent for real (the state moves on, so later calls meet a changed
 * system); a call that reverts must revert with a custom error declared by one of the system's contracts
 * (decoded against their interfaces). A panic, a revert string or an undecodable revert is a failure, with
 * one documented exception: calldata that does not decode (an unknown selector, or arguments that are not
 * canonical ABI for the selector) reverts with no data — Solidity's dispatcher and ABI decoder do that, and
 * no contract of the system has a fallback. After the runs the StakeManager is solvent (its token balance
 * is bonded + unbonding + payouts).
 *
 * Prints `fuzz: <target> <N> runs` (the counts go into docs/reliability.md).
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import {
  ErrorFragment,
  FunctionFragment,
  Interface,
  isError,
  type BaseContract,
  type ParamType,
  type Signer,
} from "ethers";

import {
  DisputeGame__factory,
  ERC20Mock__factory,
  OneStepProofEntry__factory,
  ProcessRegistry__factory,
  ResultRegistry__factory,
  StakeManager__factory,
} from "../../typechain-types";
import {
  assignMessages,
  deployGameSystem,
  postClaim,
  stakeSolvent,
  traceOf,
  type GameSystem,
} from "../helpers/game";

const TYPED_RUNS = 600;
const RAW_RUNS = 300;

const PANIC = "0x4e487b71";
const ERROR_STRING = "0x08c379a0";

/** Every custom error the system can revert with (nested calls bubble their callee's errors). */
function errorInterface(): Interface {
  const seen = new Set<string>();
  const fragments: ErrorFragment[] = [];
  for (const f of [
    StakeManager__factory,
    ProcessRegistry__factory,
    ResultRegistry__factory,
    DisputeGame__factory,
    OneStepProofEntry__factory,
    ERC20Mock__factory,
  ]) {
    for (const e of f.createInterface().fragments) {
      if (e instanceof ErrorFragment && !seen.has(e.selector)) {
        seen.add(e.selector);
        fragments.push(e);
      }
    }
  }
  return new Interface(fragments);
}

/** The revert data of a failed call, or undefined when the error is not a revert. */
function revertData(error: unknown): string | undefined {
  if (isError(error, "CALL_EXCEPTION")) return error.data ?? "0x";
  const e = error as { data?: unknown; error?: { data?: unknown } };
  if (typeof e?.data === "string") return e.data;
  if (typeof e?.error?.data === "string") return e.error.data;
  return undefined;
}

interface Outcome {
  kind: "ok" | "custom" | "empty" | "panic" | "string" | "unknown";
  name?: string;
}

describe("adversarial: contract fuzzing", function () {
  this.timeout(300_000);

  let sys: GameSystem;
  let errors: Interface;
  const tally = new Map<string, Map<string, number>>();

  before(async function () {
    sys = await deployGameSystem("counter");
    errors = errorInterface();
    // Some state to hit: a commitment with a game on it.
    const log = await assignMessages(sys, 0n, [
      { tags: { Action: "Increment" }, data: "a" },
      { tags: { Action: "Get" }, data: "b" },
    ]);
    await postClaim(sys, sys.cu, traceOf(sys, log));
  });

  after(function () {
    for (const [target, t] of tally) {
      console.log(`      outcomes ${target}: ${JSON.stringify(Object.fromEntries(t))}`);
    }
  });

  function count(target: string, key: string) {
    const t = tally.get(target) ?? new Map<string, number>();
    t.set(key, (t.get(key) ?? 0) + 1);
    tally.set(target, t);
  }

  /** Calls `data` on `to` as `from`; sends it for real when the call succeeds. */
  async function attempt(from: Signer, to: string, data: string): Promise<Outcome> {
    try {
      await ethers.provider.call({ from: await from.getAddress(), to, data, gasLimit: 25_000_000 });
    } catch (error) {
      const d = revertData(error);
      if (d === undefined) throw error;
      if (d === "0x") return { kind: "empty" };
      if (d.startsWith(PANIC)) return { kind: "panic", name: d };
      if (d.startsWith(ERROR_STRING)) return { kind: "string", name: d };
      const parsed = errors.parseError(d);
      return parsed === null ? { kind: "unknown", name: d } : { kind: "custom", name: parsed.name };
    }
    const tx = await from.sendTransaction({ to, data, gasLimit: 25_000_000 });
    const receipt = await tx.wait().catch((e: unknown) => e);
    // (a call that succeeded can fail when mined only if the state moved in between: not here, one at a time)
    expect((receipt as { status?: number } | null)?.status, `mined ${data.slice(0, 10)}`).to.equal(1);
    return { kind: "ok" };
  }

  /** Known values of each ABI type: the system's addresses and ids, next to random ones. */
  function pools() {
    const addresses = [
      ...sys.signers.slice(0, 8).map((s) => s.address),
      sys.stake.target as string,
      sys.processes.target as string,
      sys.results.target as string,
      sys.game.target as string,
      sys.token.target as string,
      ethers.ZeroAddress,
    ];
    const words = [sys.process, sys.moduleId, sys.moduleRoot, sys.initialStateHash, ethers.ZeroHash];
    return { addresses, words };
  }

  function arbitraryFor(p: ParamType, depth = 0): fc.Arbitrary<unknown> {
    const { addresses, words } = pools();
    if (p.baseType === "array") {
      const child = arbitraryFor(p.arrayChildren!, depth + 1);
      const len = p.arrayLength ?? -1;
      return len >= 0
        ? fc.array(child, { minLength: len, maxLength: len })
        : fc.array(child, { maxLength: depth > 0 ? 2 : 5 });
    }
    if (p.baseType === "tuple") return fc.tuple(...p.components!.map((c) => arbitraryFor(c, depth + 1)));
    if (p.type === "address")
      return fc.oneof(
        fc.constantFrom(...addresses),
        fc.uint8Array({ minLength: 20, maxLength: 20 }).map(ethers.hexlify),
      );
    if (p.type === "bool") return fc.boolean();
    if (p.type === "string") return fc.string({ maxLength: 40 });
    if (p.type === "bytes") return fc.uint8Array({ maxLength: 300 }).map(ethers.hexlify);
    const fixed = /^bytes(\d+)$/.exec(p.type);
    if (fixed) {
      const n = Number(fixed[1]);
      const random = fc.uint8Array({ minLength: n, maxLength: n }).map(ethers.hexlify);
      return n === 32 ? fc.oneof(fc.constantFrom(...words), random) : random;
    }
    const int = /^(u?)int(\d*)$/.exec(p.type);
    if (int) {
      const bits = BigInt(int[2] === "" ? 256 : Number(int[2]));
      const unsigned = int[1] === "u";
      const min = unsigned ? 0n : -(1n << (bits - 1n));
      const max = unsigned ? (1n << bits) - 1n : (1n << (bits - 1n)) - 1n;
      return fc.oneof(
        fc.bigInt({ min: unsigned ? 0n : -16n, max: 16n }),
        fc.constantFrom(
          ...[min, max, 10n ** 18n, 100n * 10n ** 18n, 3_600n].filter((c) => c >= min && c <= max),
        ),
        fc.bigInt({ min, max }),
      );
    }
    throw new Error(`no arbitrary for ABI type ${p.type}`);
  }

  const targets = () => [
    { name: "StakeManager", contract: sys.stake as unknown as BaseContract },
    { name: "ProcessRegistry", contract: sys.processes as unknown as BaseContract },
    { name: "ResultRegistry", contract: sys.results as unknown as BaseContract },
    { name: "DisputeGame", contract: sys.game as unknown as BaseContract },
    { name: "OneStepProofEntry", contract: sys.provers.entry as unknown as BaseContract },
  ];

  for (const name of [
    "StakeManager",
    "ProcessRegistry",
    "ResultRegistry",
    "DisputeGame",
    "OneStepProofEntry",
  ]) {
    it(`${name}: random arguments to every function revert only with declared custom errors`, async function () {
      const { contract } = targets().find((t) => t.name === name)!;
      const iface = contract.interface;
      const functions = iface.fragments.filter((f): f is FunctionFragment => f instanceof FunctionFragment);
      expect(functions.length).to.be.greaterThan(0);
      const to = contract.target as string;
      const callers = sys.signers.slice(0, 8);
      // Mostly functions that change state (views are cheap to satisfy), every function some of the time.
      const mutating = functions.filter((f) => !f.constant);
      const pick =
        mutating.length === 0
          ? fc.constantFrom(...functions)
          : fc.oneof(
              { arbitrary: fc.constantFrom(...mutating), weight: 3 },
              { arbitrary: fc.constantFrom(...functions), weight: 1 },
            );
      const call = pick.chain((f) =>
        fc.record({
          f: fc.constant(f),
          args: fc.tuple(...f.inputs.map((i) => arbitraryFor(i))),
          caller: fc.nat({ max: callers.length - 1 }),
        }),
      );
      let runs = 0;
      const hit = new Set<string>();
      await fc.assert(
        fc.asyncProperty(call, async ({ f, args, caller }) => {
          runs += 1;
          const data = iface.encodeFunctionData(f, args);
          const out = await attempt(callers[caller], to, data);
          hit.add(f.name);
          count(name, out.kind === "custom" ? out.name! : out.kind);
          const what = `${name}.${f.format()} from signer ${caller}: ${out.kind} ${out.name ?? ""}`;
          // Well-formed calldata: a success or a declared custom error, nothing else.
          expect(["ok", "custom"], what).to.include(out.kind);
        }),
        { numRuns: TYPED_RUNS, seed: 8_100 + name.length },
      );
      console.log(`      fuzz: ${name} typed ${runs} runs (${hit.size}/${functions.length} functions)`);
      expect(runs).to.equal(TYPED_RUNS);
      expect(await stakeSolvent(sys)).to.equal(true);
    });

    it(`${name}: raw random calldata reverts with a declared error, or with no data only when it does not decode`, async function () {
      const { contract } = targets().find((t) => t.name === name)!;
      const iface = contract.interface;
      const functions = iface.fragments.filter((f): f is FunctionFragment => f instanceof FunctionFragment);
      const to = contract.target as string;
      const raw = fc.oneof(
        fc.uint8Array({ maxLength: 400 }).map(ethers.hexlify),
        fc
          .tuple(fc.constantFrom(...functions), fc.uint8Array({ maxLength: 400 }))
          .map(([f, rest]) => ethers.concat([f.selector, rest])),
        fc
          .tuple(
            fc.constantFrom(...functions),
            fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 8 }),
          )
          .map(([f, ws]) => ethers.concat([f.selector, ...ws])),
      );
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(raw, fc.nat({ max: 7 }), async (data, caller) => {
          runs += 1;
          const out = await attempt(sys.signers[caller], to, data);
          count(`${name} raw`, out.kind === "custom" ? out.name! : out.kind);
          const what = `${name} raw ${data.slice(0, 74)}…: ${out.kind} ${out.name ?? ""}`;
          if (out.kind === "empty") {
            // Only calldata that is not canonical ABI for a known selector may revert without data.
            let canonical = false;
            try {
              const f = iface.getFunction(data.slice(0, 10));
              if (f !== null) {
                const decoded = iface.decodeFunctionData(f, data);
                canonical = iface.encodeFunctionData(f, decoded) === data.toLowerCase();
              }
            } catch {
              canonical = false;
            }
            expect(canonical, what).to.equal(false);
          } else {
            expect(["ok", "custom"], what).to.include(out.kind);
          }
        }),
        { numRuns: RAW_RUNS, seed: 8_200 + name.length },
      );
      console.log(`      fuzz: ${name} raw ${runs} runs`);
      expect(runs).to.equal(RAW_RUNS);
      expect(await stakeSolvent(sys)).to.equal(true);
    });
  }

  // Found by this fuzz: `subSegment` with a segment past 2^256 panicked (0x11); it now refuses it by name.
  it("DisputeGame.subSegment with an overflowing segment reverts with a declared error, not a panic", async function () {
    const max = ethers.MaxUint256;
    const out = await attempt(
      sys.signers[0],
      sys.game.target as string,
      sys.game.interface.encodeFunctionData("subSegment", [max - 1n, max, 14n]),
    );
    expect(out.kind).to.equal("custom");
    expect(out.name).to.equal("DisputeGameInvalidParameter");
  });
});

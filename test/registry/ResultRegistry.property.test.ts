/**
 * Property test of the ResultRegistry over random commitment trees of one process: random posts (by
 * two compute units, on random parents), challenges opened and resolved both ways, time travel,
 * finalizations, prunes and equivocation freezes, in random orders. After every command:
 * - no Finalized commitment has a Rejected or Pending ancestor, and at most one child per parent is
 *   Finalized;
 * - the stake the registry holds locked for each compute unit equals the sum of the stakes of its
 *   Pending commitments;
 * - every call's success or named failure matches a TypeScript model of the rules;
 * and finally, after draining (resolving every game, time travel, finalizing/pruning until nothing
 * moves), every stake was unlocked exactly once (one terminal event per commitment, nothing locked)
 * and the StakeManager is solvent.
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";

import { signAssignment } from "../../sdk/ts/assignments";
import { commitmentArgs, deployRegistries, makeAssignment } from "../helpers/registry";
import { STAKE_PARAMS } from "../helpers/stake";

type Fixture = Awaited<ReturnType<typeof deployRegistries>>;
type St = "Pending" | "Finalized" | "Rejected";
interface C {
  parent: number;
  first: bigint;
  last: bigint;
  poster: number;
  deadline: bigint;
  open: number;
  status: St;
  terminalEvents: number;
  stake: bigint;
}

type Cmd =
  | { kind: "post"; parentPick: number; len: number; cu: number }
  | { kind: "finalize"; pick: number }
  | { kind: "prune"; pick: number }
  | { kind: "open"; pick: number }
  | { kind: "resolve"; pick: number; challengerWon: boolean }
  | { kind: "travel"; seconds: number }
  | { kind: "freeze"; slot: number };

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("post" as const),
      parentPick: fc.nat(),
      len: fc.integer({ min: 1, max: 4 }),
      cu: fc.integer({ min: 0, max: 1 }),
    }),
  },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("finalize" as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("prune" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("open" as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("resolve" as const),
      pick: fc.nat(),
      challengerWon: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("travel" as const),
      seconds: fc.integer({ min: 1, max: 5_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("freeze" as const), slot: fc.integer({ min: 0, max: 30 }) }),
  },
);

const U64_MAX = 2n ** 64n - 1n;

class Run {
  readonly cs: C[] = [undefined as unknown as C]; // ids from 1
  finalizedChild = new Map<number, number>();
  frozenFrom = U64_MAX;
  frozenOnce = false;
  constructor(readonly f: Fixture) {}

  get cus() {
    return [this.f.cu1, this.f.cu2];
  }
  pick(n: number): number {
    return this.cs.length === 1 ? 1 : 1 + (n % (this.cs.length - 1));
  }
  async now(): Promise<bigint> {
    return BigInt(await time.latest());
  }

  /** Sends `send` and checks it fails with `error` (or succeeds when undefined). */
  async outcome(send: () => Promise<unknown>, error: string | undefined): Promise<void> {
    if (error === undefined) {
      await send();
    } else {
      const target = error.startsWith("ProcessRegistry") ? this.f.processes : this.f.results;
      await expect(send()).to.be.revertedWithCustomError(target, error);
    }
  }

  async run(cmd: Cmd): Promise<void> {
    const { results, game } = this.f;
    const next = (await this.now()) + 1n;
    switch (cmd.kind) {
      case "post": {
        // Parent: 0 (genesis) or an existing commitment.
        const parent = cmd.parentPick % this.cs.length;
        const p = parent === 0 ? undefined : this.cs[parent];
        const first = p ? p.last + 1n : 0n;
        const last = first + BigInt(cmd.len - 1);
        const error =
          p && p.status === "Rejected"
            ? "ResultRegistryParentRejected"
            : this.finalizedChild.has(parent)
              ? "ResultRegistryParentHasFinalizedChild"
              : last >= this.frozenFrom
                ? "ResultRegistrySlotBeyondFreeze"
                : undefined;
        await time.setNextBlockTimestamp(next);
        await this.outcome(
          () =>
            results
              .connect(this.cus[cmd.cu])
              .postCommitment(
                ...commitmentArgs(this.f.process, BigInt(parent), first, last, `c${this.cs.length}`),
              ),
          error,
        );
        if (!error) {
          this.cs.push({
            parent,
            first,
            last,
            poster: cmd.cu,
            deadline: next + STAKE_PARAMS.challengeWindow,
            open: 0,
            status: "Pending",
            terminalEvents: 0,
            stake: 10n ** 19n,
          });
        }
        break;
      }
      case "finalize": {
        const id = this.pick(cmd.pick);
        const c = this.cs[id];
        const error = this.finalizeError(c, next);
        await time.setNextBlockTimestamp(next);
        await this.outcome(() => this.terminal(id, results.finalize(id)), error);
        if (!error) {
          c.status = "Finalized";
          this.finalizedChild.set(c.parent, id);
        }
        break;
      }
      case "prune": {
        const id = this.pick(cmd.pick);
        const c = this.cs[id];
        const prunable =
          c &&
          c.status === "Pending" &&
          ((c.parent !== 0 && this.cs[c.parent].status === "Rejected") ||
            this.finalizedChild.has(c.parent) ||
            c.last >= this.frozenFrom);
        const error = !c
          ? "ResultRegistryUnknownCommitment"
          : c.status !== "Pending"
            ? "ResultRegistryNotPending"
            : prunable
              ? undefined
              : "ResultRegistryNotPrunable";
        await this.outcome(() => this.terminal(id, results.prune(id)), error);
        if (!error) c.status = "Rejected";
        break;
      }
      case "open": {
        const id = this.pick(cmd.pick);
        const c = this.cs[id];
        const error = !c
          ? "ResultRegistryUnknownCommitment"
          : c.status !== "Pending"
            ? "ResultRegistryNotPending"
            : next >= c.deadline
              ? "ResultRegistryWindowElapsed"
              : undefined;
        await time.setNextBlockTimestamp(next);
        await this.outcome(() => results.connect(game).onChallengeOpened(id), error);
        if (!error) c.open++;
        break;
      }
      case "resolve": {
        const id = this.pick(cmd.pick);
        const c = this.cs[id];
        const error = !c
          ? "ResultRegistryUnknownCommitment"
          : c.open === 0
            ? "ResultRegistryNoOpenChallenge"
            : undefined;
        const rejects = !error && cmd.challengerWon && c.status === "Pending";
        await this.outcome(
          () =>
            rejects
              ? this.terminal(id, results.connect(game).onChallengeResolved(id, true))
              : results.connect(game).onChallengeResolved(id, cmd.challengerWon),
          error,
        );
        if (!error) {
          c.open--;
          if (rejects) c.status = "Rejected";
        }
        break;
      }
      case "travel":
        await time.increase(cmd.seconds);
        break;
      case "freeze": {
        const slot = BigInt(cmd.slot);
        if (slot >= this.frozenFrom) break;
        const a = makeAssignment(this.f.process, slot, "a");
        const b = makeAssignment(this.f.process, slot, "b");
        const { processes, scheduler, domain, watcher } = this.f;
        await processes
          .connect(watcher)
          .proveEquivocation(
            a,
            await signAssignment(scheduler, domain, a),
            b,
            await signAssignment(scheduler, domain, b),
          );
        this.frozenFrom = slot;
        break;
      }
    }
    await this.checkInvariants();
  }

  finalizeError(c: C | undefined, at: bigint): string | undefined {
    if (!c) return "ResultRegistryUnknownCommitment";
    if (c.status !== "Pending") return "ResultRegistryNotPending";
    if (at < c.deadline) return "ResultRegistryWindowNotElapsed";
    if (c.open > 0) return "ResultRegistryChallengeOpen";
    if (c.parent !== 0 && this.cs[c.parent].status !== "Finalized") return "ResultRegistryParentNotFinalized";
    if (this.finalizedChild.has(c.parent)) return "ResultRegistrySiblingFinalized";
    if (c.last >= this.frozenFrom) return "ResultRegistrySlotBeyondFreeze";
    return undefined;
  }

  /** Sends a transaction that must take `id` out of Pending, and counts its terminal events. */
  async terminal(id: number, tx: Promise<{ wait(): Promise<unknown> }>): Promise<void> {
    const receipt = (await (await tx).wait()) as { logs: { topics: readonly string[]; data: string }[] };
    const { results } = this.f;
    for (const log of receipt.logs) {
      const parsed = results.interface.parseLog(log);
      if (
        parsed &&
        (parsed.name === "CommitmentFinalized" || parsed.name === "CommitmentRejected") &&
        parsed.args[0] === BigInt(id)
      ) {
        this.cs[id].terminalEvents++;
      }
    }
  }

  async checkInvariants(): Promise<void> {
    const { results, stake } = this.f;
    const registry = await results.getAddress();
    const statusName: St[] = ["Pending", "Pending", "Finalized", "Rejected"];
    const pendingStake = [0n, 0n];
    for (let id = 1; id < this.cs.length; id++) {
      const c = this.cs[id];
      const onChain = await results.commitment(id);
      expect(statusName[Number(onChain.status)], `status of ${id}`).to.equal(c.status);
      expect(Number(onChain.openChallenges)).to.equal(c.open);
      if (c.status === "Pending") pendingStake[c.poster] += c.stake;
      expect(c.terminalEvents).to.equal(c.status === "Pending" ? 0 : 1);
      if (c.status === "Finalized") {
        for (let a = c.parent; a !== 0; a = this.cs[a].parent) {
          expect(this.cs[a].status, `ancestor ${a} of finalized ${id}`).to.equal("Finalized");
        }
        expect(this.finalizedChild.get(c.parent)).to.equal(id);
      }
    }
    for (const [i, cu] of this.cus.entries()) {
      expect(await stake.lockedBy(registry, cu.address), `locked for cu${i}`).to.equal(pendingStake[i]);
    }
  }

  /** Resolves every game, waits out every window, then finalizes or prunes until nothing moves. */
  async drain(): Promise<void> {
    for (let id = 1; id < this.cs.length; id++) {
      while (this.cs[id].open > 0) await this.run({ kind: "resolve", pick: id - 1, challengerWon: false });
    }
    await time.increase(STAKE_PARAMS.challengeWindow + 1n);
    for (let moved = true; moved;) {
      moved = false;
      for (let id = 1; id < this.cs.length; id++) {
        if (this.cs[id].status !== "Pending") continue;
        const before = this.cs[id].status;
        if (this.finalizeError(this.cs[id], (await this.now()) + 1n) === undefined) {
          await this.run({ kind: "finalize", pick: id - 1 });
        } else {
          await this.run({ kind: "prune", pick: id - 1 });
        }
        if (this.cs[id].status !== before) moved = true;
      }
    }
  }
}

describe("ResultRegistry (property)", function () {
  it("test_commitmentTree_randomOrders_keepInvariants_succeeds", async function () {
    this.timeout(600_000);
    await fc.assert(
      fc.asyncProperty(fc.array(cmdArb, { minLength: 10, maxLength: 40 }), async (cmds) => {
        const f = await loadFixture(deployRegistries);
        const run = new Run(f);
        for (const cmd of cmds) await run.run(cmd);
        await run.drain();
        // Everything reached a terminal state, each exactly once, and nothing is locked any more.
        for (let id = 1; id < run.cs.length; id++) {
          const c = run.cs[id];
          // A pending commitment left after draining could only be one that can neither finalize nor be pruned.
          expect(c.status, `commitment ${id} left pending`).to.not.equal("Pending");
          expect(c.terminalEvents).to.equal(1);
        }
        const { stake, token } = f;
        expect(await stake.lockedBy(await f.results.getAddress(), f.cu1.address)).to.equal(0n);
        expect(await stake.lockedBy(await f.results.getAddress(), f.cu2.address)).to.equal(0n);
        expect(await token.balanceOf(await stake.getAddress())).to.equal(
          (await stake.totalBonded()) + (await stake.totalUnbonding()) + (await stake.totalPayouts()),
        );
      }),
      { numRuns: 50 },
    );
  });
});

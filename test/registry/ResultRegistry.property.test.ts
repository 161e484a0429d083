/**
 * Property test of the ResultRegistry over random commitment trees of one process: random posts (by
 * two compute units, on random parents, some repeating an earlier content), challenges opened and
 * resolved both ways, time travel, finalizations, prunes (of real and of tampered content),
 * equivocation freezes, reservations and releases, slashes of compute units and changes of the
 * commitment stake, in random orders. A TypeScript model predicts every call's success or named error.
 * After every command:
 * - finalized is one chain: the tip's parent links lead to 0 through exactly the Finalized
 *   commitments, covering slots 0 … tip.lastSlot without gap; `latestFinalized` names that tip;
 * - locks match obligations: per compute unit, `StakeManager.lockedBy(registry, cu) == reserved ≥
 *   pending == Σ stake of its Pending commitments`, and the registry's records match the model;
 * - exactly-once: a Pending commitment has no terminal event, any other has exactly one;
 * - timing: every finalization happened at or after its deadline with no game open, and every game
 *   was opened before the deadline;
 * - the StakeManager is solvent (its balance is `bonded + unbonding + payouts`).
 * Finally a drain (resolve every game, wait out every window, finalize or prune until nothing is
 * Pending, release every reservation) must leave nothing Pending and nothing locked.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import fc from "fast-check";

import { signAssignment } from "../../sdk/ts/assignments";
import type { Commitment } from "../../sdk/ts/results";
import { commitmentId } from "../../sdk/ts/results";
import { commitmentArgs, commitmentOf, deployRegistries, makeAssignment } from "../helpers/registry";
import { ONE, STAKE_PARAMS } from "../helpers/stake";

type Fixture = Awaited<ReturnType<typeof deployRegistries>>;
type St = "Pending" | "Finalized" | "Rejected";
interface C {
  content: Commitment;
  id: string;
  /** Index of the parent in `cs`, 0 for the initial state. */
  parent: number;
  poster: number;
  deadline: bigint;
  open: number;
  status: St;
  terminalEvents: number;
  /** Block time of every game opened against it, and of its finalization. */
  openedAt: bigint[];
  finalizedAt?: bigint;
}

type Cmd =
  | { kind: "post"; parentPick: number; len: number; cu: number; repeat: boolean }
  | { kind: "finalize"; pick: number; tamper: boolean }
  | { kind: "prune"; pick: number }
  | { kind: "open"; pick: number }
  | { kind: "resolve"; pick: number; challengerWon: boolean }
  | { kind: "travel"; seconds: number }
  | { kind: "freeze"; slot: number }
  | { kind: "reserve"; cu: number; tokens: number }
  | { kind: "release"; cu: number; part: number }
  | { kind: "slash"; cu: number; tokens: number }
  | { kind: "setStake"; tokens: number };

const cu = fc.integer({ min: 0, max: 1 });
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("post" as const),
      parentPick: fc.nat(),
      len: fc.integer({ min: 1, max: 4 }),
      cu,
      repeat: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant("finalize" as const), pick: fc.nat(), tamper: fc.boolean() }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("prune" as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("open" as const), pick: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("resolve" as const),
      pick: fc.nat(),
      challengerWon: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("travel" as const),
      seconds: fc.integer({ min: 1, max: 4_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("freeze" as const), slot: fc.integer({ min: 0, max: 30 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("reserve" as const),
      cu,
      tokens: fc.integer({ min: 1, max: 80 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("release" as const), cu, part: fc.integer({ min: 0, max: 4 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("slash" as const),
      cu,
      tokens: fc.integer({ min: 1, max: 60 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("setStake" as const), tokens: fc.integer({ min: 1, max: 20 }) }),
  },
);

const U64_MAX = 2n ** 64n - 1n;
const ZERO = ethers.ZeroHash;

class Run {
  readonly cs: C[] = [undefined as unknown as C]; // indices from 1
  readonly byId = new Map<string, number>();
  tip = 0;
  frozenFrom = U64_MAX;
  commitmentStake = 10n * ONE;
  readonly reserved = [0n, 0n];
  readonly bonded = [100n * ONE, 100n * ONE];
  private posts = 0;
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
  pendingOf(cu: number): bigint {
    let sum = 0n;
    for (const c of this.cs.slice(1)) if (c.status === "Pending" && c.poster === cu) sum += c.content.stake;
    return sum;
  }
  unlocked(cu: number): bigint {
    return this.bonded[cu] > this.reserved[cu] ? this.bonded[cu] - this.reserved[cu] : 0n;
  }

  /** Sends `send` and checks it fails with `error` (or succeeds when undefined). */
  async outcome(send: () => Promise<unknown>, error: string | undefined): Promise<void> {
    if (error === undefined) {
      await send();
    } else {
      await expect(send()).to.be.revertedWithCustomError(this.f.results, error);
    }
  }

  async run(cmd: Cmd): Promise<void> {
    const { results, game } = this.f;
    const next = (await this.now()) + 1n;
    switch (cmd.kind) {
      case "post": {
        // Parent: 0 (the initial state) or an existing commitment; or the very content of an
        // earlier commitment again.
        const earlier = cmd.repeat && this.cs.length > 1 ? this.cs[this.pick(cmd.parentPick)] : undefined;
        const parent = earlier ? earlier.parent : cmd.parentPick % this.cs.length;
        const poster = earlier ? earlier.poster : cmd.cu;
        const p = parent === 0 ? undefined : this.cs[parent];
        const first = p ? p.content.lastSlot + 1n : 0n;
        const content = earlier
          ? { ...earlier.content, stake: this.commitmentStake }
          : commitmentOf(
              commitmentArgs(
                this.f.process,
                p ? p.id : ZERO,
                first,
                first + BigInt(cmd.len - 1),
                `c${++this.posts}`,
              ),
              this.cus[poster].address,
              this.commitmentStake,
            );
        const id = commitmentId(content);
        const free = this.reserved[poster] - this.pendingOf(poster);
        const shortfall = free >= content.stake ? 0n : content.stake - free;
        const error =
          p && p.status === "Rejected"
            ? "ResultRegistryParentRejected"
            : content.lastSlot >= this.frozenFrom
              ? "ResultRegistrySlotBeyondFreeze"
              : this.byId.has(id)
                ? "ResultRegistryCommitmentExists"
                : shortfall === 0n && this.bonded[poster] < this.reserved[poster]
                  ? "ResultRegistryReservationUnbacked"
                  : shortfall > this.unlocked(poster)
                    ? "ResultRegistryInsufficientStake"
                    : undefined;
        const sendArgs = [
          content.process,
          content.parent,
          content.firstSlot,
          content.lastSlot,
          content.lastAssignmentHash,
          content.stateHash,
          content.resultsRoot,
          content.arweaveRef,
        ] as const;
        await time.setNextBlockTimestamp(next);
        await this.outcome(() => results.connect(this.cus[poster]).postCommitment(...sendArgs), error);
        if (!error) {
          this.reserved[poster] += shortfall;
          this.byId.set(id, this.cs.length);
          this.cs.push({
            content,
            id,
            parent,
            poster,
            deadline: next + STAKE_PARAMS.challengeWindow,
            open: 0,
            status: "Pending",
            terminalEvents: 0,
            openedAt: [],
          });
        }
        break;
      }
      case "finalize": {
        const i = this.pick(cmd.pick);
        const c = this.cs[i];
        if (c && cmd.tamper) {
          // A content no post created: refused as unknown, whatever the state.
          const forged = { ...c.content, resultsRoot: ethers.id(`forged ${c.id}`) };
          await expect(results.finalize(forged))
            .to.be.revertedWithCustomError(results, "ResultRegistryUnknownCommitment")
            .withArgs(commitmentId(forged));
          break;
        }
        const error = this.finalizeError(c, next);
        await time.setNextBlockTimestamp(next);
        await this.outcome(() => this.terminal(i, results.finalize(c ? c.content : this.unknown())), error);
        if (!error) {
          c.status = "Finalized";
          c.finalizedAt = next;
          this.tip = i;
        }
        break;
      }
      case "prune": {
        const i = this.pick(cmd.pick);
        const c = this.cs[i];
        const error = !c ? "ResultRegistryUnknownCommitment" : this.pruneError(c);
        await this.outcome(() => this.terminal(i, results.prune(c ? c.content : this.unknown())), error);
        if (!error) c.status = "Rejected";
        break;
      }
      case "open": {
        const i = this.pick(cmd.pick);
        const c = this.cs[i];
        const error = !c
          ? "ResultRegistryUnknownCommitment"
          : c.status !== "Pending"
            ? "ResultRegistryNotPending"
            : next >= c.deadline
              ? "ResultRegistryWindowElapsed"
              : undefined;
        await time.setNextBlockTimestamp(next);
        await this.outcome(
          () => results.connect(game).onChallengeOpened(c ? c.content : this.unknown()),
          error,
        );
        if (!error) {
          c.open++;
          c.openedAt.push(next);
        }
        break;
      }
      case "resolve": {
        const i = this.pick(cmd.pick);
        const c = this.cs[i];
        const error = !c
          ? "ResultRegistryUnknownCommitment"
          : c.open === 0
            ? "ResultRegistryNoOpenChallenge"
            : undefined;
        const rejects = !error && cmd.challengerWon && c.status === "Pending";
        const content = c ? c.content : this.unknown();
        await this.outcome(
          () =>
            rejects
              ? this.terminal(i, results.connect(game).onChallengeResolved(content, true))
              : results.connect(game).onChallengeResolved(content, cmd.challengerWon),
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
      case "reserve": {
        const amount = BigInt(cmd.tokens) * ONE;
        const error = amount > this.unlocked(cmd.cu) ? "ResultRegistryInsufficientStake" : undefined;
        await this.outcome(() => results.connect(this.cus[cmd.cu]).reserve(amount), error);
        if (!error) this.reserved[cmd.cu] += amount;
        break;
      }
      case "release": {
        // Part 0 asks for one token more than is free; parts 1–4 for a quarter … all of the free part.
        const free = this.reserved[cmd.cu] - this.pendingOf(cmd.cu);
        const amount = cmd.part === 0 ? free + ONE : (free * BigInt(cmd.part)) / 4n;
        if (amount === 0n) break;
        const error = amount > free ? "ResultRegistryReservationInUse" : undefined;
        await this.outcome(() => results.connect(this.cus[cmd.cu]).release(amount), error);
        if (!error) this.reserved[cmd.cu] -= amount;
        break;
      }
      case "slash": {
        // What a dispute game does to a losing poster: the lock stays, the stake shrinks.
        const amount = BigInt(cmd.tokens) * ONE;
        await this.f.stake
          .connect(this.f.admin)
          .slash(this.cus[cmd.cu].address, amount, this.f.watcher.address);
        this.bonded[cmd.cu] -= amount < this.bonded[cmd.cu] ? amount : this.bonded[cmd.cu];
        break;
      }
      case "setStake": {
        this.commitmentStake = BigInt(cmd.tokens) * ONE;
        await results.connect(this.f.admin).setCommitmentStake(this.commitmentStake);
        break;
      }
    }
    await this.checkInvariants();
  }

  /** A content no post created (used when there is no commitment to pick yet). */
  unknown(): Commitment {
    return commitmentOf(commitmentArgs(this.f.process, ZERO, 0n, 0n, "unknown"), this.f.cu1.address, 1n);
  }

  finalizeError(c: C | undefined, at: bigint): string | undefined {
    if (!c) return "ResultRegistryUnknownCommitment";
    if (c.status !== "Pending") return "ResultRegistryNotPending";
    if (at < c.deadline) return "ResultRegistryWindowNotElapsed";
    if (c.open > 0) return "ResultRegistryChallengeOpen";
    if (c.parent !== this.tip) return "ResultRegistryParentNotTip";
    if (c.content.lastSlot >= this.frozenFrom) return "ResultRegistrySlotBeyondFreeze";
    return undefined;
  }

  pruneError(c: C): string | undefined {
    if (c.status !== "Pending") return "ResultRegistryNotPending";
    if (c.parent !== 0 && this.cs[c.parent].status === "Rejected") return undefined;
    if (this.tip !== 0 && this.cs[this.tip].content.lastSlot >= c.content.firstSlot) return undefined;
    if (c.content.lastSlot >= this.frozenFrom) return undefined;
    return "ResultRegistryNotPrunable";
  }

  /** Sends a transaction that must take commitment `i` out of Pending, and counts its terminal events. */
  async terminal(i: number, tx: Promise<ContractTransactionResponse>): Promise<void> {
    const receipt = await (await tx).wait();
    const { results } = this.f;
    for (const log of receipt!.logs) {
      const parsed = results.interface.parseLog(log);
      if (
        parsed &&
        (parsed.name === "CommitmentFinalized" || parsed.name === "CommitmentRejected") &&
        parsed.args[0] === this.cs[i].id
      ) {
        this.cs[i].terminalEvents++;
      }
    }
  }

  async checkInvariants(): Promise<void> {
    const { results, stake, token } = this.f;
    const registry = await results.getAddress();
    const statusName: St[] = ["Pending", "Pending", "Finalized", "Rejected"];
    const pendingStake = [0n, 0n];
    for (let i = 1; i < this.cs.length; i++) {
      const c = this.cs[i];
      const r = await results.record(c.id);
      expect(statusName[Number(r.status)], `status of ${i}`).to.equal(c.status);
      expect(r.status).to.not.equal(0n);
      expect(Number(r.openChallenges), `open games of ${i}`).to.equal(c.open);
      expect([r.lastSlot, r.deadline]).to.deep.equal([c.content.lastSlot, c.deadline]);
      if (c.status === "Pending") pendingStake[c.poster] += c.content.stake;
      // Exactly once out of Pending.
      expect(c.terminalEvents, `terminal events of ${i}`).to.equal(c.status === "Pending" ? 0 : 1);
      // Timing.
      for (const t of c.openedAt) expect(t, `game opened late on ${i}`).to.be.lessThan(c.deadline);
      if (c.finalizedAt !== undefined) {
        expect(c.finalizedAt, `finalized early ${i}`).to.be.greaterThanOrEqual(c.deadline);
        expect(c.open, `finalized ${i} with a game open`).to.equal(0);
      }
    }

    // Finalized is one chain: the tip's ancestors are exactly the Finalized commitments, from slot 0.
    const [tipId, finalizedSlots] = await results.latestFinalized(this.f.process);
    expect(tipId).to.equal(this.tip === 0 ? ZERO : this.cs[this.tip].id);
    const chain = new Set<number>();
    let expectedLast = finalizedSlots - 1n;
    for (let i = this.tip; i !== 0; i = this.cs[i].parent) {
      const c = this.cs[i];
      expect(c.status, `${i} on the finalized chain`).to.equal("Finalized");
      expect(c.content.lastSlot).to.equal(expectedLast);
      expectedLast = c.content.firstSlot - 1n;
      chain.add(i);
    }
    expect(expectedLast).to.equal(-1n);
    const finalized = this.cs.slice(1).filter((c) => c.status === "Finalized").length;
    expect(chain.size, "every Finalized commitment is on the tip's chain").to.equal(finalized);

    // Locks match obligations.
    for (const [i, signer] of this.cus.entries()) {
      const res = await results.reservationOf(signer.address);
      expect(res.reserved, `reserved of cu${i}`).to.equal(this.reserved[i]);
      expect(await stake.lockedBy(registry, signer.address), `lockedBy of cu${i}`).to.equal(res.reserved);
      expect(res.pending, `pending of cu${i}`).to.equal(pendingStake[i]);
      expect(res.pending <= res.reserved).to.equal(true);
    }

    // Solvency.
    expect(await token.balanceOf(await stake.getAddress())).to.equal(
      (await stake.totalBonded()) + (await stake.totalUnbonding()) + (await stake.totalPayouts()),
    );
  }

  /** Resolves every game, waits out every window, finalizes or prunes until nothing is Pending. */
  async drain(): Promise<void> {
    for (let i = 1; i < this.cs.length; i++) {
      while (this.cs[i].open > 0) {
        await this.run({ kind: "resolve", pick: i - 1, challengerWon: false });
      }
    }
    await time.increase(STAKE_PARAMS.challengeWindow + 1n);
    for (let moved = true; moved;) {
      moved = false;
      for (let i = 1; i < this.cs.length; i++) {
        const c = this.cs[i];
        if (c.status !== "Pending") continue;
        if (this.finalizeError(c, (await this.now()) + 1n) === undefined) {
          await this.run({ kind: "finalize", pick: i - 1, tamper: false });
        } else if (this.pruneError(c) === undefined) {
          await this.run({ kind: "prune", pick: i - 1 });
        }
        if (c.status !== "Pending") moved = true;
      }
    }
    for (const i of [0, 1]) await this.run({ kind: "release", cu: i, part: 4 });
  }
}

describe("ResultRegistry (property)", function () {
  async function fixture() {
    const f = await deployRegistries();
    await f.stake.connect(f.admin).grantRole(await f.stake.SLASHER_ROLE(), f.admin.address);
    return f;
  }

  it("test_commitmentTree_randomOrders_keepInvariants_succeeds", async function () {
    this.timeout(900_000);
    await fc.assert(
      fc.asyncProperty(fc.array(cmdArb, { minLength: 15, maxLength: 50 }), async (cmds) => {
        const f = await loadFixture(fixture);
        const run = new Run(f);
        for (const cmd of cmds) await run.run(cmd);
        await run.drain();
        // Everything left Pending exactly once, and nothing is locked any more.
        for (let i = 1; i < run.cs.length; i++) {
          const c = run.cs[i];
          expect(c.status, `commitment ${i} left pending`).to.not.equal("Pending");
          expect(c.terminalEvents).to.equal(1);
        }
        for (const signer of [f.cu1, f.cu2]) {
          expect(await f.results.reservationOf(signer.address)).to.deep.equal([0n, 0n]);
          expect(await f.stake.lockedBy(await f.results.getAddress(), signer.address)).to.equal(0n);
        }
      }),
      { numRuns: 50 },
    );
  });
});

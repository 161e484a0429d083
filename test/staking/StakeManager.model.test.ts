/**
 * Stateful model test of StakeManager (fast-check): random sequences of bond / bondFor / unbond /
 * rebond / time travel / withdraw / lock / unlock / slash / claim across several operators, run
 * against the contract and against a plain TypeScript model. After every command:
 * - the contract's token balance equals everything it owes (bonded + unbonding + unpaid payouts), and
 *   the contract's totals equal the model's;
 * - every account's stake and payouts equal the model's, so no operator ever lost more than what was
 *   slashable when it was slashed, and nothing was withdrawn before its delay (the model refuses such
 *   a withdrawal and the contract must revert it).
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers, network } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import type { ERC20Mock, StakeManager } from "../../typechain-types";
import { deployStakeManager, STAKE_PARAMS } from "../helpers/stake";

const RUNS = Number(process.env.MODEL_RUNS ?? 200);
const BPS = 10_000n;

interface OpModel {
  bonded: bigint;
  unbonding: bigint;
  readyAt: bigint;
  lockedBy: bigint[]; // per locker index
}

class Model {
  ops: OpModel[];
  payouts = new Map<string, bigint>();
  constructor(n: number, lockers: number) {
    this.ops = Array.from({ length: n }, () => ({
      bonded: 0n,
      unbonding: 0n,
      readyAt: 0n,
      lockedBy: Array(lockers).fill(0n),
    }));
  }
  locked(i: number): bigint {
    return this.ops[i].lockedBy.reduce((a, b) => a + b, 0n);
  }
  unlocked(i: number): bigint {
    const o = this.ops[i];
    const l = this.locked(i);
    return o.bonded > l ? o.bonded - l : 0n;
  }
  totals() {
    let bonded = 0n;
    let unbonding = 0n;
    for (const o of this.ops) {
      bonded += o.bonded;
      unbonding += o.unbonding;
    }
    let payouts = 0n;
    for (const v of this.payouts.values()) payouts += v;
    return { bonded, unbonding, payouts };
  }
  credit(account: string, amount: bigint) {
    this.payouts.set(account, (this.payouts.get(account) ?? 0n) + amount);
  }
}

interface Real {
  stake: StakeManager;
  token: ERC20Mock;
  operators: HardhatEthersSigner[];
  lockers: HardhatEthersSigner[];
  slasher: HardhatEthersSigner;
  beneficiaries: HardhatEthersSigner[];
  treasury: string;
  /** Accounts whose payouts the model tracks. */
  accounts: string[];
}

async function fixture(): Promise<Real> {
  const f = await deployStakeManager();
  const [, , , , , , , , , , extraLocker] = await ethers.getSigners();
  await f.stake.grantRole(await f.stake.LOCKER_ROLE(), extraLocker.address);
  // Enough that no sequence can run an operator out of tokens (30 bonds of at most 100 tokens).
  for (const op of f.operators) await f.token.mint(op.address, 10_000n * 10n ** 18n);
  return {
    stake: f.stake,
    token: f.token,
    operators: f.operators,
    lockers: [f.locker, extraLocker],
    slasher: f.slasher,
    beneficiaries: [f.watcher, f.stranger],
    treasury: f.treasury.address,
    accounts: [f.watcher.address, f.stranger.address, f.treasury.address],
  };
}

/** Asserts the contract equals the model and owes exactly what it holds. */
async function checkInvariants(m: Model, r: Real) {
  const addr = await r.stake.getAddress();
  const [balance, tb, tu, tp] = await Promise.all([
    r.token.balanceOf(addr),
    r.stake.totalBonded(),
    r.stake.totalUnbonding(),
    r.stake.totalPayouts(),
  ]);
  const t = m.totals();
  expect(balance, "token balance = bonded + unbonding + payouts").to.equal(tb + tu + tp);
  expect([tb, tu, tp], "totals").to.deep.equal([t.bonded, t.unbonding, t.payouts]);
  for (let i = 0; i < r.operators.length; i++) {
    const info = await r.stake.stakeOf(r.operators[i].address);
    const o = m.ops[i];
    expect([info.bonded, info.locked, info.unbonding], `operator ${i}`).to.deep.equal([
      o.bonded,
      m.locked(i),
      o.unbonding,
    ]);
    if (o.unbonding > 0n) expect(info.unbondReadyAt, `operator ${i} readyAt`).to.equal(o.readyAt);
  }
  for (const a of r.accounts) {
    expect(await r.stake.payoutOf(a), `payout of ${a}`).to.equal(m.payouts.get(a) ?? 0n);
  }
}

/** Runs `send`; expects it to revert with `error` when `error` is given, else to succeed. */
async function expectOutcome(r: Real, send: () => Promise<unknown>, error: string | undefined) {
  if (error) await expect(send()).to.be.revertedWithCustomError(r.stake, error);
  else await send();
}

async function blockTime(): Promise<bigint> {
  return BigInt(await time.latest());
}

type Cmd = fc.AsyncCommand<Model, Real>;
/**
 * An amount: absolute, or a fraction (in basis points, up to 120%) of the quantity the command acts on
 * at run time (the unlocked stake for an unbond, the slashable stake for a slash…), so that sequences
 * reach the interesting states (exactly all, a little more than all) often.
 */
type Amount = bigint | { frac: bigint };
const amountArb: fc.Arbitrary<Amount> = fc.oneof(
  fc.bigInt({ min: 1n, max: 10n }),
  fc.bigInt({ min: 1n, max: 10n ** 20n }),
  fc.constantFrom(1n, 3n, 7n, 10n ** 18n),
  fc
    .oneof(fc.constantFrom(5_000n, 10_000n, 10_001n), fc.bigInt({ min: 1n, max: 12_000n }))
    .map((frac) => ({ frac })),
);
function resolve(a: Amount, base: bigint): bigint {
  if (typeof a === "bigint") return a;
  const v = (base * a.frac) / BPS;
  return v > 0n ? v : 1n;
}
function show(a: Amount): string {
  return typeof a === "bigint" ? String(a) : `${a.frac}bps`;
}

class Bond implements Cmd {
  readonly amount: bigint;
  constructor(
    readonly funder: number,
    readonly op: number,
    amount: Amount,
  ) {
    this.amount = resolve(amount, 10n ** 20n);
  }
  check = () => true;
  async run(m: Model, r: Real) {
    const stake = r.stake.connect(r.operators[this.funder]);
    if (this.funder === this.op) await stake.bond(this.amount);
    else await stake.bondFor(r.operators[this.op].address, this.amount);
    m.ops[this.op].bonded += this.amount;
    await checkInvariants(m, r);
  }
  toString = () => `bond(${this.funder}→${this.op}, ${this.amount})`;
}

class RequestUnbond implements Cmd {
  constructor(
    readonly op: number,
    readonly spec: Amount,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const amount = resolve(this.spec, m.unlocked(this.op));
    const ok = amount <= m.unlocked(this.op);
    await expectOutcome(
      r,
      () => r.stake.connect(r.operators[this.op]).requestUnbond(amount),
      ok ? undefined : "StakeManagerInsufficientUnlocked",
    );
    if (ok) {
      const o = m.ops[this.op];
      o.bonded -= amount;
      o.unbonding += amount;
      o.readyAt = (await blockTime()) + STAKE_PARAMS.unbondingDelay;
    }
    await checkInvariants(m, r);
  }
  toString = () => `requestUnbond(${this.op}, ${show(this.spec)})`;
}

class Rebond implements Cmd {
  constructor(
    readonly op: number,
    readonly spec: Amount,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const o = m.ops[this.op];
    const amount = resolve(this.spec, o.unbonding);
    const ok = amount <= o.unbonding;
    await expectOutcome(
      r,
      () => r.stake.connect(r.operators[this.op]).rebond(amount),
      ok ? undefined : "StakeManagerInsufficientUnbonding",
    );
    if (ok) {
      o.unbonding -= amount;
      o.bonded += amount;
    }
    await checkInvariants(m, r);
  }
  toString = () => `rebond(${this.op}, ${show(this.spec)})`;
}

class TimeTravel implements Cmd {
  constructor(readonly seconds: bigint) {}
  check = () => true;
  async run(m: Model, r: Real) {
    await time.increase(this.seconds);
    await checkInvariants(m, r);
  }
  toString = () => `travel(${this.seconds}s)`;
}

class Withdraw implements Cmd {
  /**
   * @param offset when set, the withdrawal is sent in the block at `readyAt + offset` (if that is not
   * in the past), so that the boundary of the delay is hit exactly; otherwise in the next block.
   */
  constructor(
    readonly op: number,
    readonly offset: bigint | null,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const o = m.ops[this.op];
    const next = (await blockTime()) + 1n;
    const target = this.offset === null || o.unbonding === 0n ? next : o.readyAt + this.offset;
    const at = target > next ? target : next;
    await time.setNextBlockTimestamp(at);
    const error =
      o.unbonding === 0n
        ? "StakeManagerNothingToWithdraw"
        : at <= o.readyAt
          ? "StakeManagerUnbondingNotReady"
          : undefined;
    const to = r.operators[this.op].address;
    const before = await r.token.balanceOf(to);
    await expectOutcome(r, () => r.stake.connect(r.operators[this.op]).withdraw(to), error);
    if (!error) {
      expect(await r.token.balanceOf(to)).to.equal(before + o.unbonding);
      o.unbonding = 0n;
      o.readyAt = 0n;
    }
    await checkInvariants(m, r);
  }
  toString = () =>
    `withdraw(${this.op}${this.offset === null ? "" : `, at readyAt${this.offset >= 0n ? "+" : ""}${this.offset}`})`;
}

class Lock implements Cmd {
  constructor(
    readonly locker: number,
    readonly op: number,
    readonly spec: Amount,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const amount = resolve(this.spec, m.unlocked(this.op));
    const ok = amount <= m.unlocked(this.op);
    await expectOutcome(
      r,
      () => r.stake.connect(r.lockers[this.locker]).lock(r.operators[this.op].address, amount),
      ok ? undefined : "StakeManagerInsufficientUnlocked",
    );
    if (ok) m.ops[this.op].lockedBy[this.locker] += amount;
    await checkInvariants(m, r);
  }
  toString = () => `lock(L${this.locker}, ${this.op}, ${show(this.spec)})`;
}

class Unlock implements Cmd {
  constructor(
    readonly locker: number,
    readonly op: number,
    readonly spec: Amount,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const held = m.ops[this.op].lockedBy[this.locker];
    const amount = resolve(this.spec, held);
    const ok = amount <= held;
    await expectOutcome(
      r,
      () => r.stake.connect(r.lockers[this.locker]).unlock(r.operators[this.op].address, amount),
      ok ? undefined : "StakeManagerUnlockExceedsLock",
    );
    if (ok) m.ops[this.op].lockedBy[this.locker] -= amount;
    await checkInvariants(m, r);
  }
  toString = () => `unlock(L${this.locker}, ${this.op}, ${show(this.spec)})`;
}

class Slash implements Cmd {
  constructor(
    readonly op: number,
    readonly spec: Amount,
    readonly beneficiary: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const o = m.ops[this.op];
    const slashable = o.bonded + o.unbonding;
    const beneficiary = r.beneficiaries[this.beneficiary].address;
    const stake = r.stake.connect(r.slasher);
    const amount = resolve(this.spec, slashable);
    const taken = await stake.slash.staticCall(r.operators[this.op].address, amount, beneficiary);
    expect(taken, "never more than slashable").to.equal(amount < slashable ? amount : slashable);
    await stake.slash(r.operators[this.op].address, amount, beneficiary);
    const fromUnbonding = taken < o.unbonding ? taken : o.unbonding;
    o.unbonding -= fromUnbonding;
    o.bonded -= taken - fromUnbonding;
    const reward = (taken * STAKE_PARAMS.slashRewardBps) / BPS;
    m.credit(beneficiary, reward);
    m.credit(r.treasury, taken - reward);
    await checkInvariants(m, r);
  }
  toString = () => `slash(${this.op}, ${show(this.spec)}, B${this.beneficiary})`;
}

class Claim implements Cmd {
  constructor(readonly account: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const signers = [...r.beneficiaries, await ethers.getSigner(r.treasury)];
    const signer = signers[this.account];
    const owed = m.payouts.get(signer.address) ?? 0n;
    await expectOutcome(
      r,
      () => r.stake.connect(signer).claimPayout(signer.address),
      owed === 0n ? "StakeManagerNothingToClaim" : undefined,
    );
    m.payouts.set(signer.address, 0n);
    await checkInvariants(m, r);
  }
  toString = () => `claim(A${this.account})`;
}

describe("StakeManager (stateful model)", function () {
  this.timeout(600_000);

  it(`test_model_randomSequences_keepAccountsExact_succeeds (${RUNS} runs)`, async function () {
    const op = fc.integer({ min: 0, max: 2 });
    const delay = STAKE_PARAMS.unbondingDelay;
    const bond = fc.tuple(op, op, amountArb).map(([f, o, a]) => new Bond(f, o, a));
    const unbond = fc.tuple(op, amountArb).map(([o, a]) => new RequestUnbond(o, a));
    // Bonds and unbonds are listed more than once so that stake exists to act on in most steps.
    const commands = [
      bond,
      bond,
      bond,
      unbond,
      unbond,
      fc.tuple(op, amountArb).map(([o, a]) => new Rebond(o, a)),
      fc
        .oneof(
          fc.constantFrom(1n, delay - 2n, delay - 1n, delay, delay + 1n),
          fc.bigInt({ min: 1n, max: 3n * delay }),
        )
        .map((s) => new TimeTravel(s)),
      fc
        .tuple(op, fc.constantFrom<bigint | null>(null, -1n, 0n, 1n))
        .map(([o, offset]) => new Withdraw(o, offset)),
      fc.tuple(fc.integer({ min: 0, max: 1 }), op, amountArb).map(([l, o, a]) => new Lock(l, o, a)),
      fc.tuple(fc.integer({ min: 0, max: 1 }), op, amountArb).map(([l, o, a]) => new Unlock(l, o, a)),
      fc.tuple(op, amountArb, fc.integer({ min: 0, max: 1 })).map(([o, a, b]) => new Slash(o, a, b)),
      fc.integer({ min: 0, max: 2 }).map((a) => new Claim(a)),
    ];
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 30, size: "max" }), async (cmds) => {
        runs++;
        const real = await loadFixture(fixture);
        const model = new Model(real.operators.length, real.lockers.length);
        await fc.asyncModelRun(() => ({ model, real }), cmds);
      }),
      { numRuns: RUNS, verbose: 1 },
    );
    expect(runs).to.be.greaterThanOrEqual(RUNS);
    expect(network.name).to.equal("hardhat");
  });
});

/**
 * Gas of every StakeManager entry point, measured on the in-process Hardhat network with a plain
 * ERC-20 stake token, over realistic sequences: operators bond for the first time (cold storage) and
 * again (warm), approve exact amounts (so the allowance is written, as most wallets do), unbond,
 * rebond, withdraw, are locked, unlocked and slashed, and beneficiaries claim.
 *
 * Run: `npm run bench:gas` (= `hardhat run bench/gas.ts`). Merges the key `stakeManager` into
 * bench/results/gas.json: for each entry point, the median and max gas used and the sample count.
 * Gas is deterministic for a given sequence, so these figures do not depend on machine noise, and the
 * committed file is a snapshot: `npm run bench:gas:check` (run by CI) measures again and fails on any
 * difference, so that an unintended gas change shows in review.
 */
import fs from "node:fs";
import path from "node:path";

import { ethers, network } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";

import type { ERC20Mock, StakeManager } from "../typechain-types";

const ONE = 10n ** 18n;
const OPERATORS = 8;
const RESULTS = path.join(__dirname, "results", "gas.json");

const samples = new Map<string, number[]>();

async function measure(name: string, tx: Promise<ContractTransactionResponse>): Promise<void> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error(`no receipt for ${name}`);
  const list = samples.get(name) ?? [];
  list.push(Number(receipt.gasUsed));
  samples.set(name, list);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : Math.round((s[mid - 1] + s[mid]) / 2);
}

async function main() {
  if (network.name !== "hardhat")
    throw new Error(`run on the in-process hardhat network, not ${network.name}`);
  const signers = await ethers.getSigners();
  const [admin, locker, slasher, treasury, watcher, funder] = signers;
  const operators = signers.slice(6, 6 + OPERATORS);

  const token = (await ethers.deployContract("ERC20Mock")) as unknown as ERC20Mock;
  const stake = (await ethers.deployContract("StakeManager", [
    await token.getAddress(),
    admin.address,
    3_600,
    7_200,
    10_800,
    treasury.address,
    5_000,
  ])) as unknown as StakeManager;
  const stakeAddress = await stake.getAddress();
  await stake.grantRole(await stake.LOCKER_ROLE(), locker.address);
  await stake.grantRole(await stake.SLASHER_ROLE(), slasher.address);
  await stake.grantRole(await stake.PAUSER_ROLE(), admin.address);
  for (const s of [...operators, funder]) await token.mint(s.address, 1_000_000n * ONE);

  // Bonds: first (cold) and second (warm), exact approvals.
  for (const [i, op] of operators.entries()) {
    const amount = BigInt(100 + i) * ONE;
    await token.connect(op).approve(stakeAddress, amount);
    await measure("bond", stake.connect(op).bond(amount));
    await token.connect(op).approve(stakeAddress, amount);
    await measure("bond", stake.connect(op).bond(amount));
    await token.connect(funder).approve(stakeAddress, amount);
    await measure("bondFor", stake.connect(funder).bondFor(op.address, amount));
  }
  // Locks and unlocks.
  for (const op of operators) {
    await measure("lock", stake.connect(locker).lock(op.address, 50n * ONE));
    await measure("lock", stake.connect(locker).lock(op.address, 10n * ONE));
    await measure("unlock", stake.connect(locker).unlock(op.address, 10n * ONE));
    await measure("unlock", stake.connect(locker).unlock(op.address, 50n * ONE));
  }
  // Unbonding: first request, a second request, a rebond.
  for (const op of operators) {
    await measure("requestUnbond", stake.connect(op).requestUnbond(20n * ONE));
    await measure("requestUnbond", stake.connect(op).requestUnbond(20n * ONE));
    await measure("rebond", stake.connect(op).rebond(5n * ONE));
  }
  // Slashes: from unbonding only, across unbonding and bonded, bonded only; new and known beneficiaries.
  for (const [i, op] of operators.entries()) {
    const beneficiary = i % 2 === 0 ? watcher.address : signers[14 + (i % 4)].address;
    await measure("slash", stake.connect(slasher).slash(op.address, 10n * ONE, beneficiary));
    await measure("slash", stake.connect(slasher).slash(op.address, 40n * ONE, beneficiary));
    await measure("slash", stake.connect(slasher).slash(op.address, 5n * ONE, beneficiary));
  }
  for (const op of operators) await measure("requestUnbond", stake.connect(op).requestUnbond(10n * ONE));
  await time.increase(10_801);
  for (const op of operators) await measure("withdraw", stake.connect(op).withdraw(op.address));
  for (const b of [watcher, ...signers.slice(14, 18), treasury]) {
    if ((await stake.payoutOf(b.address)) > 0n)
      await measure("claimPayout", stake.connect(b).claimPayout(b.address));
  }
  await measure("setTreasury", stake.connect(admin).setTreasury(ethers.ZeroAddress));
  await measure("slash", stake.connect(slasher).slash(operators[0].address, ONE, watcher.address));
  await measure("flushBurn", stake.connect(watcher).flushBurn());
  await measure("setTreasury", stake.connect(admin).setTreasury(treasury.address));
  await measure("setTimes", stake.connect(admin).setTimes(7 * 86_400, 14 * 86_400, 22 * 86_400));
  await measure("setSlashRewardBps", stake.connect(admin).setSlashRewardBps(4_000));
  await measure("pause", stake.connect(admin).pause());
  await measure("unpause", stake.connect(admin).unpause());

  const stakeManager: Record<string, { median: number; max: number; samples: number }> = {};
  for (const [name, list] of [...samples.entries()].sort()) {
    stakeManager[name] = { median: median(list), max: Math.max(...list), samples: list.length };
  }
  const previous = fs.existsSync(RESULTS) ? JSON.parse(fs.readFileSync(RESULTS, "utf8")) : {};
  if (process.env.GAS_CHECK === "true") {
    const before = JSON.stringify(previous.stakeManager ?? null, null, 2);
    const now = JSON.stringify(stakeManager, null, 2);
    if (before !== now) {
      console.error(`gas snapshot differs from ${RESULTS}:\ncommitted: ${before}\nmeasured: ${now}`);
      console.error("if the change is intended, run `npm run bench:gas` and commit the file");
      process.exitCode = 1;
    } else {
      console.log(
        `gas snapshot matches ${path.relative(process.cwd(), RESULTS)} (${samples.size} entry points)`,
      );
    }
    return;
  }
  const out = {
    ...previous,
    stakeManager,
    stakeManagerMeta: {
      date: new Date().toISOString(),
      solc: (await import("solc/package.json")).version,
      optimizerRuns: 200,
      token: "ERC20Mock (OpenZeppelin ERC20, exact approvals)",
    },
  };
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, JSON.stringify(out, null, 2) + "\n");
  console.table(stakeManager);
  console.log(`wrote ${path.relative(process.cwd(), RESULTS)}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

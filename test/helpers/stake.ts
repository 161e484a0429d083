import { ethers } from "hardhat";

import type { ERC20Mock, StakeManager } from "../../typechain-types";

/** The mock stake tokens of contracts/mocks, all mintable by anyone. */
export type StakeTokenMock = "ERC20Mock" | "FeeOnTransferTokenMock" | "HookTokenMock";

/** Parameters of the StakeManager deployed by {deployStakeManager}, in seconds and basis points. */
export const STAKE_PARAMS = {
  challengeWindow: 3_600n,
  maxGameDuration: 7_200n,
  unbondingDelay: 10_800n,
  slashRewardBps: 5_000n,
} as const;

export const ONE = 10n ** 18n;

/**
 * Deploys a mock stake token and a StakeManager with {STAKE_PARAMS}, grants LOCKER_ROLE and
 * SLASHER_ROLE to two plain accounts (standing in for the result registry and the dispute game), and
 * mints and approves 1,000 tokens for each operator account.
 */
export async function deployStakeManager() {
  return deployStakeManagerOver("ERC20Mock");
}

/** {deployStakeManager} over another mock token (`tokenArgs` are its constructor arguments). */
export async function deployStakeManagerOver(tokenName: StakeTokenMock, tokenArgs: unknown[] = []) {
  const [admin, locker, slasher, pauser, treasury, alice, bob, carol, watcher, stranger] =
    await ethers.getSigners();
  // Every mock token has ERC20Mock's interface (plus its own extras).
  const token = (await ethers.deployContract(tokenName, tokenArgs)) as unknown as ERC20Mock;
  const stake = (await ethers.deployContract("StakeManager", [
    await token.getAddress(),
    admin.address,
    STAKE_PARAMS.challengeWindow,
    STAKE_PARAMS.maxGameDuration,
    STAKE_PARAMS.unbondingDelay,
    treasury.address,
    STAKE_PARAMS.slashRewardBps,
  ])) as unknown as StakeManager;
  await stake.grantRole(await stake.LOCKER_ROLE(), locker.address);
  await stake.grantRole(await stake.SLASHER_ROLE(), slasher.address);
  await stake.grantRole(await stake.PAUSER_ROLE(), pauser.address);
  const operators = [alice, bob, carol];
  for (const op of operators) {
    await token.mint(op.address, 1_000n * ONE);
    await token.connect(op).approve(await stake.getAddress(), ethers.MaxUint256);
  }
  return {
    token,
    stake,
    admin,
    locker,
    slasher,
    pauser,
    treasury,
    alice,
    bob,
    carol,
    watcher,
    stranger,
    operators,
  };
}

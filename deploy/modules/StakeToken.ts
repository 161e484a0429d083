import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * Ignition module `StakeToken`: the devnet stake token (`DevnetStakeToken`, "HOLO-DEV").
 *
 * Local networks only: its owner mints at will and anyone can use its faucet. The owner is the
 * deploying account (account 0 unless Ignition is given another default sender).
 *
 * Parameters: none.
 * Results: `stakeToken`.
 */
const StakeTokenModule = buildModule("StakeToken", (m) => {
  const stakeToken = m.contract("DevnetStakeToken", [m.getAccount(0)]);
  return { stakeToken };
});

export default StakeTokenModule;

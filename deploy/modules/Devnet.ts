import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { buildCore } from "./Holoproof";
import StakeTokenModule from "./StakeToken";

/**
 * Ignition module `Devnet`: the devnet stake token (module `StakeToken`) and the core contracts
 * bonding it. For local networks only (`holo devnet`, tests).
 *
 * Parameters (section `Devnet`): the core's, except `stakeToken`.
 * Results: `stakeToken` and the core's results.
 */
const DevnetModule = buildModule("Devnet", (m) => {
  const { stakeToken } = m.useModule(StakeTokenModule);
  return { stakeToken, ...buildCore(m, stakeToken) };
});

export default DevnetModule;

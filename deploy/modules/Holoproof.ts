import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type {
  AccountRuntimeValue,
  AddressResolvableFuture,
  IgnitionModuleBuilder,
  ModuleParameterRuntimeValue,
} from "@nomicfoundation/ignition-core";
import { id } from "ethers";

/** The zero address: as `treasury`, it means "burn the non-reward share of every slash". */
const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/**
 * Anything Ignition accepts where a contract constructor wants an address: a literal, a module
 * parameter, an account, or the future of a contract deployed in the same deployment.
 */
export type AddressArgument =
  string | ModuleParameterRuntimeValue<string> | AccountRuntimeValue | AddressResolvableFuture;

/** Roles the core contracts grant each other (each contract's `keccak256("<NAME>")` constant). */
export const ROLES = {
  /** `StakeManager.LOCKER_ROLE`: may lock and unlock an operator's stake. */
  LOCKER_ROLE: id("LOCKER_ROLE"),
  /** `StakeManager.SLASHER_ROLE`: may slash an operator's stake. */
  SLASHER_ROLE: id("SLASHER_ROLE"),
  /** `ResultRegistry.DISPUTE_GAME_ROLE`: may open and resolve challenges of commitments. */
  DISPUTE_GAME_ROLE: id("DISPUTE_GAME_ROLE"),
} as const;

/**
 * Every role grant of the core, as `[future id, granting contract, role, grantee]` (the grantees are
 * result names of {@link buildCore}): what tests and `deploy/README.md` check against the chain.
 */
export const CORE_ROLE_GRANTS = [
  ["StakeManager_SLASHER_ROLE_ProcessRegistry", "stakeManager", "SLASHER_ROLE", "processRegistry"],
  ["StakeManager_LOCKER_ROLE_ProcessRegistry", "stakeManager", "LOCKER_ROLE", "processRegistry"],
  ["StakeManager_LOCKER_ROLE_ResultRegistry", "stakeManager", "LOCKER_ROLE", "resultRegistry"],
  ["StakeManager_LOCKER_ROLE_DisputeGame", "stakeManager", "LOCKER_ROLE", "disputeGame"],
  ["StakeManager_SLASHER_ROLE_DisputeGame", "stakeManager", "SLASHER_ROLE", "disputeGame"],
  ["ResultRegistry_DISPUTE_GAME_ROLE_DisputeGame", "resultRegistry", "DISPUTE_GAME_ROLE", "disputeGame"],
] as const;

/**
 * The contracts whose `DEFAULT_ADMIN_ROLE` the deployment holds while it grants roles, and hands to
 * `admin` at the end (`beginDefaultAdminTransfer(admin)`; `admin` accepts after 2 days), with the id
 * of that call.
 */
export const ADMIN_HANDOVERS = [
  ["StakeManager_beginDefaultAdminTransfer", "stakeManager"],
  ["ResultRegistry_beginDefaultAdminTransfer", "resultRegistry"],
] as const;

/**
 * Adds the Holoproof core contracts to the module being built by `m`, wires their roles, and returns
 * their futures.
 *
 * The parameters are read from `m`'s own module section of the parameter file (`Holoproof` when
 * deployed by {@link HoloproofModule}, `Devnet` when deployed by the devnet module); see
 * `deploy/README.md` for each one's meaning and constraints, and `deploy/parameters.ts` for the
 * validation run before every deployment.
 *
 * The deploying account (account 0, "the deployer") is the first `DEFAULT_ADMIN_ROLE` of the
 * `StakeManager` and the `ResultRegistry`, because granting their roles to the other contracts takes
 * that role, and `admin` may be an account Ignition cannot sign for (a multisig). Once every role is
 * granted, the deployer begins the transfer of both to `admin` (`beginDefaultAdminTransfer`);
 * `admin` completes it with `acceptDefaultAdminTransfer()` on each after their 2-day delay. The
 * `ProcessRegistry`, on which nothing is granted, belongs to `admin` from its constructor. When
 * `admin` is the deployer (the default; the devnet), the transfer is to itself and changes nothing.
 *
 * To add a contract to the core: deploy it here with `m.contract(...)` (wiring it to the futures
 * above it), list its role grants in {@link CORE_ROLE_GRANTS} (and a new granting contract in
 * `contracts` below and, if it has an admin, in {@link ADMIN_HANDOVERS}), return its future, add its
 * parameters to `CORE_PARAMETER_NAMES` and their checks to `validateCoreParameters` in
 * `deploy/parameters.ts`, and its address and contract to `deploy/index.ts`.
 *
 * @param m the module builder.
 * @param stakeToken the ERC-20 that operators bond: a parameter (real networks) or the devnet token's
 * future.
 */
export function buildCore(m: IgnitionModuleBuilder, stakeToken: AddressArgument) {
  const deployer: AccountRuntimeValue = m.getAccount(0);
  const admin = m.getParameter("admin", deployer);

  const stakeManager = m.contract("StakeManager", [
    stakeToken,
    deployer, // handed over to `admin` below
    m.getParameter<bigint>("challengeWindow"),
    m.getParameter<bigint>("maxGameDuration"),
    m.getParameter<bigint>("unbondingDelay"),
    m.getParameter<string>("treasury", ZERO_ADDRESS),
    m.getParameter<bigint>("slashRewardBps"),
  ]);

  const processRegistry = m.contract("ProcessRegistry", [
    stakeManager,
    admin,
    m.getParameter<bigint>("minSchedulerStake"),
    m.getParameter<bigint>("maxStepLimit"),
  ]);

  const resultRegistry = m.contract("ResultRegistry", [
    stakeManager,
    processRegistry,
    deployer, // handed over to `admin` below
    m.getParameter<bigint>("commitmentStake"),
  ]);

  // The one-step prover: one prover per instruction class, behind the entry the game calls. They
  // need nothing from the StakeManager; deploying them after it costs no extra round (the registries
  // wait for it too) and keeps the devnet's first addresses what they were: the token at nonce 0,
  // the StakeManager at nonce 1.
  const afterStakeManager = { after: [stakeManager] };
  const oneStepProverControl = m.contract("OneStepProverControl", [], afterStakeManager);
  const oneStepProverMemory = m.contract("OneStepProverMemory", [], afterStakeManager);
  const oneStepProverMath = m.contract("OneStepProverMath", [], afterStakeManager);
  const oneStepProverHostIo = m.contract("OneStepProverHostIo", [], afterStakeManager);
  const oneStepProofEntry = m.contract("OneStepProofEntry", [
    oneStepProverControl,
    oneStepProverMemory,
    oneStepProverMath,
    oneStepProverHostIo,
  ]);

  const disputeGame = m.contract("DisputeGame", [
    stakeManager,
    processRegistry,
    resultRegistry,
    oneStepProofEntry,
    m.getParameter<bigint>("gameDegree"),
    m.getParameter<bigint>("gameClockTime"),
    m.getParameter<bigint>("gameClockExtension"),
    m.getParameter<bigint>("gameStartGrace"),
    m.getParameter<bigint>("gameChallengeBond"),
  ]);

  const contracts = { stakeManager, processRegistry, resultRegistry, disputeGame };
  const grants = CORE_ROLE_GRANTS.map(([callId, granter, role, grantee]) =>
    m.call(contracts[granter], "grantRole", [ROLES[role], contracts[grantee]], {
      id: callId,
      from: deployer,
    }),
  );
  for (const [callId, name] of ADMIN_HANDOVERS) {
    m.call(contracts[name], "beginDefaultAdminTransfer", [admin], {
      id: callId,
      from: deployer,
      after: grants,
    });
  }

  return {
    stakeManager,
    processRegistry,
    resultRegistry,
    disputeGame,
    oneStepProofEntry,
    oneStepProverControl,
    oneStepProverMemory,
    oneStepProverMath,
    oneStepProverHostIo,
  };
}

/**
 * Ignition module `Holoproof`: the core contracts, bonding an existing ERC-20 (`stakeToken`).
 *
 * Deploy with
 * `npx hardhat ignition deploy deploy/modules/Holoproof.ts --parameters deploy/parameters/<net>.json --network <net>`.
 *
 * Parameters (section `Holoproof`): `stakeToken`, `admin` (default: the deploying account),
 * `challengeWindow`, `maxGameDuration`, `unbondingDelay`, `treasury` (default: zero, i.e. burn),
 * `slashRewardBps`, `minSchedulerStake`, `maxStepLimit`, `commitmentStake`, `gameDegree`, `gameClockTime`,
 * `gameClockExtension`, `gameStartGrace`, `gameChallengeBond`.
 * Results: `stakeManager`, `processRegistry`, `resultRegistry`, `disputeGame`, `oneStepProofEntry`,
 * `oneStepProverControl`, `oneStepProverMemory`, `oneStepProverMath`, `oneStepProverHostIo`.
 */
const HoloproofModule = buildModule("Holoproof", (m) => buildCore(m, m.getParameter<string>("stakeToken")));

export default HoloproofModule;

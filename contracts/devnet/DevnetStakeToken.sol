// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/**
 * @title DevnetStakeToken
 * @notice "Holoproof Devnet Stake" (HOLO-DEV): the ERC-20 that operators bond on local development
 * networks (`holo devnet`, the Hardhat network in tests). It has no value and no supply cap.
 *
 * @dev Never deploy this token to a public network: its owner can mint without limit and anyone can
 * draw from {faucet}. Real deployments take the address of an existing ERC-20 as the `stakeToken`
 * parameter instead (see `deploy/README.md`).
 *
 * - The owner mints any amount to anyone ({mint}); `holo devnet` uses this to fund its accounts.
 * - Anyone mints up to {FAUCET_MAX} per call to themselves ({faucet}), so that a freshly created
 *   account can get stake without the owner's key.
 */
contract DevnetStakeToken is ERC20, Ownable {
    /// @notice The most one {faucet} call mints: 10,000 tokens (18 decimals).
    uint256 public constant FAUCET_MAX = 10_000 ether;

    /// @notice A {faucet} call asked for `requested` tokens, more than the per-call maximum `max`.
    /// @param requested The amount asked for, in the token's smallest unit.
    /// @param max The per-call maximum, {FAUCET_MAX}.
    error DevnetStakeTokenFaucetLimit(uint256 requested, uint256 max);

    /**
     * @notice Creates the token with no supply; `initialOwner` may then mint.
     * @dev Reverts with `OwnableInvalidOwner(address(0))` if `initialOwner` is the zero address.
     * @param initialOwner The account allowed to {mint}.
     */
    constructor(address initialOwner) ERC20("Holoproof Devnet Stake", "HOLO-DEV") Ownable(initialOwner) {}

    /**
     * @notice Mints `amount` tokens to `to`.
     * @dev Requirements:
     * - the caller is the owner (else `OwnableUnauthorizedAccount`);
     * - `to` is not the zero address (else `ERC20InvalidReceiver`).
     * @param to The receiver of the new tokens.
     * @param amount The amount to mint, in the token's smallest unit.
     */
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }

    /**
     * @notice Mints `amount` tokens to the caller, at most {FAUCET_MAX} per call.
     * @dev Requirements:
     * - `amount` is at most {FAUCET_MAX} (else `DevnetStakeTokenFaucetLimit`).
     * @param amount The amount to mint, in the token's smallest unit.
     */
    function faucet(uint256 amount) external {
        if (amount > FAUCET_MAX) revert DevnetStakeTokenFaucetLimit(amount, FAUCET_MAX);
        _mint(msg.sender, amount);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/**
 * @notice Test-only: an ERC-20 whose owner-less blacklist refuses every transfer from or to a listed
 * address, the way USDC or USDT freeze an account. Anyone may list or unlist (it is a mock).
 */
contract BlacklistTokenMock is ERC20 {
    /// @notice A transfer touched a listed account.
    error BlacklistTokenBlocked(address account);

    mapping(address account => bool) public blocked;

    constructor() ERC20("Blacklist", "BLK") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setBlocked(address account, bool isBlocked) external {
        blocked[account] = isBlocked;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blocked[from]) revert BlacklistTokenBlocked(from);
        if (blocked[to]) revert BlacklistTokenBlocked(to);
        super._update(from, to, value);
    }
}

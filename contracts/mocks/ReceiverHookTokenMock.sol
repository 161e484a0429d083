// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice The callback {ReceiverHookTokenMock} makes on a contract recipient (ERC-777/1363 style).
interface ITokenReceiverMock {
    function onTokenReceived(address from, uint256 amount) external;
}

/**
 * @notice Test-only: an ERC-20 that calls `onTokenReceived` on every registered receiver of a transfer
 * (not on mints), and bubbles its revert, so a receiver can refuse a transfer to itself.
 */
contract ReceiverHookTokenMock is ERC20 {
    mapping(address account => bool) public hooked;

    constructor() ERC20("ReceiverHook", "RHK") {}

    /// @notice Registers `account` for the receiver callback (anyone may: it is a mock).
    function setHooked(address account, bool isHooked) external {
        hooked[account] = isHooked;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (from != address(0) && hooked[to]) {
            ITokenReceiverMock(to).onTokenReceived(from, value);
        }
    }
}

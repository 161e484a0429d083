// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @dev An ERC-20 with an ERC-777-style hook: on every transfer it calls `hookTarget` with
/// `hookData` (when set), the way a malicious token or receiver would try to re-enter.
contract HookTokenMock is ERC20 {
    address public hookTarget;
    bytes public hookData;
    bool public lastHookSucceeded;
    bytes public lastHookReturn;

    constructor() ERC20("Hook", "HOOK") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setHook(address target, bytes calldata data) external {
        hookTarget = target;
        hookData = data;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        address target = hookTarget;
        if (target != address(0) && from != address(0)) {
            hookTarget = address(0); // one shot, so the hook cannot recurse forever
            (bool ok, bytes memory ret) = target.call(hookData);
            lastHookSucceeded = ok;
            lastHookReturn = ret;
            hookTarget = target;
        }
    }
}

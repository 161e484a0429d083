// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/**
 * @dev A stand-in for the StakeManager, for the registries' reentrancy tests: every call the registries
 * make to it (views included) first calls `reentryTarget` with `reentryData` when armed, and bubbles a revert. It
 * holds nothing and accounts for nothing.
 */
contract ReentrantStakeManagerMock {
    address public reentryTarget;
    bytes public reentryData;
    uint64 public challengeWindow = 3_600;

    function arm(address target_, bytes calldata data_) external {
        reentryTarget = target_;
        reentryData = data_;
    }

    function bondedOf(address) external view returns (uint256) {
        _reenterStatic();
        return type(uint128).max;
    }

    function unlockedOf(address) external view returns (uint256) {
        _reenterStatic();
        return type(uint128).max;
    }

    function lock(address, uint256) external {
        _reenter();
    }

    function unlock(address, uint256) external {
        _reenter();
    }

    function slash(address, uint256, address) external returns (uint256) {
        _reenter();
        return 0;
    }

    function _reenter() private {
        if (reentryTarget == address(0)) return;
        (bool ok, bytes memory ret) = reentryTarget.call(reentryData);
        if (!ok) _bubble(ret);
    }

    function _reenterStatic() private view {
        if (reentryTarget == address(0)) return;
        (bool ok, bytes memory ret) = reentryTarget.staticcall(reentryData);
        if (!ok) _bubble(ret);
    }

    function _bubble(bytes memory ret) private pure {
        assembly ("memory-safe") {
            revert(add(ret, 32), mload(ret))
        }
    }
}

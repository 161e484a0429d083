// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @dev Forwards arbitrary calls, so a test can act as a locker/slasher contract or as a re-entering
/// hook target, and record whether the inner call succeeded.
contract StakeCallerMock {
    bool public lastSucceeded;
    bytes public lastReturn;

    function forward(address target, bytes calldata data) external returns (bool ok, bytes memory ret) {
        (ok, ret) = target.call(data);
        lastSucceeded = ok;
        lastReturn = ret;
    }
}

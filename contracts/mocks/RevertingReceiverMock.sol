// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/**
 * @notice Test-only: an account that is a contract and refuses every token and ether sent to it, and
 * forwards any call its deployer asks for (so it can bond, challenge and claim like an operator).
 */
contract RevertingReceiverMock {
    /// @notice Every incoming transfer is refused with this error.
    error RevertingReceiverRefused();
    /// @notice Only the deployer may make the mock call out.
    error RevertingReceiverNotOwner(address caller);

    address public immutable owner;

    constructor() {
        owner = msg.sender;
    }

    /// @notice Calls `target` with `data` and bubbles a revert.
    function execute(address target, bytes calldata data) external returns (bytes memory ret) {
        if (msg.sender != owner) revert RevertingReceiverNotOwner(msg.sender);
        bool ok;
        // solhint-disable-next-line avoid-low-level-calls
        (ok, ret) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
    }

    /// @notice The receiver callback of {ReceiverHookTokenMock}: always refuses.
    function onTokenReceived(address, uint256) external pure {
        revert RevertingReceiverRefused();
    }

    receive() external payable {
        revert RevertingReceiverRefused();
    }
}

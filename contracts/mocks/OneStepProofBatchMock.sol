// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ExecutionContext, IOneStepProver} from "../interfaces/IOneStepProver.sol";

/**
 * @notice Test-only: proves many steps in one `eth_call` (the differential fuzzer and the fixture
 * replays), returning each post-state hash or the revert data of each refused proof; and proves one
 * step in a transaction that stores the result (gas of a proof as a game would pay it).
 */
contract OneStepProofBatchMock {
    bytes32 public lastPostStateHash;

    function proveAll(
        IOneStepProver prover,
        ExecutionContext[] calldata ctxs,
        bytes32[] calldata preStateHashes,
        bytes[] calldata proofs
    ) external view returns (bytes32[] memory posts, bytes[] memory errors) {
        posts = new bytes32[](proofs.length);
        errors = new bytes[](proofs.length);
        for (uint256 i = 0; i < proofs.length; ++i) {
            try prover.proveStep(ctxs[i], preStateHashes[i], proofs[i]) returns (bytes32 h) {
                posts[i] = h;
            } catch (bytes memory e) {
                errors[i] = e;
            }
        }
    }

    function proveAndStore(
        IOneStepProver prover,
        ExecutionContext calldata ctx,
        bytes32 preStateHash,
        bytes calldata proof
    ) external {
        lastPostStateHash = prover.proveStep(ctx, preStateHash, proof);
    }
}

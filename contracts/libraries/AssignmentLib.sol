// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAssignments} from "../interfaces/IAssignments.sol";

/**
 * @title AssignmentLib
 * @notice EIP-712 struct hashing of a scheduler's {IAssignments-Assignment}.
 *
 * @dev The type string is defined once, in TypeScript (`sdk/ts/assignments.ts`, `ASSIGNMENT_TYPES`),
 * and `test/registry/AssignmentLib.test.ts` checks that {ASSIGNMENT_TYPEHASH} is its keccak256 and
 * that {hash} equals ethers' `TypedDataEncoder.hashStruct`.
 */
library AssignmentLib {
    /// @notice keccak256 of the EIP-712 type string of `Assignment`.
    bytes32 internal constant ASSIGNMENT_TYPEHASH = keccak256(
        "Assignment(bytes32 process,uint64 slot,bytes32 messageId,bytes32 messageHash,uint32 messageLength,"
        "uint64 timestamp,uint64 blockHeight,bytes32 prevAssignmentHash)"
    );

    /// @notice The EIP-712 `hashStruct` of `a` (every member is a static 32-byte word).
    function hash(IAssignments.Assignment calldata a) internal pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    ASSIGNMENT_TYPEHASH,
                    a.process,
                    a.slot,
                    a.messageId,
                    a.messageHash,
                    a.messageLength,
                    a.timestamp,
                    a.blockHeight,
                    a.prevAssignmentHash
                )
            );
    }
}

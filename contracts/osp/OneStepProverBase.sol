// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ExecutionContext, IOneStepProver} from "../interfaces/IOneStepProver.sol";
import {MachineSpec as S} from "./generated/MachineSpec.sol";
import {Step, StepProof} from "./lib/StepProof.sol";

/**
 * @title OneStepProverBase
 * @notice What every class prover shares: the common decoding of a proof (pre-state, context, module,
 * instruction and code path), the steps that need no instruction, the class check, the trap → error
 * transition and the post-state hash. A class prover implements only `_execute` for its opcodes.
 * @dev Each class prover is self-contained: calling it directly with a proof of one of its
 * instructions gives the same answer as the entry contract.
 */
abstract contract OneStepProverBase is IOneStepProver {
    /// @dev The class (MachineSpec.CLASS_*) this prover executes.
    function _class() internal pure virtual returns (uint8);

    /// @dev Executes `st.op` (of this class) on `st`; sets `st.trap` on a trap and returns at once.
    function _execute(Step memory st, bytes calldata proof) internal pure virtual;

    /// @inheritdoc IOneStepProver
    function proveStep(
        ExecutionContext calldata ctx,
        bytes32 preStateHash,
        bytes calldata proof
    ) external pure override returns (bytes32) {
        Step memory st = StepProof.load(ctx, preStateHash, proof);
        (bool settled, bytes32 post) = StepProof.settleWithoutInstruction(st, proof, preStateHash);
        if (settled) return post;
        StepProof.fetch(st, proof);
        uint8 class_ = S.classOf(uint16(st.op));
        if (class_ == 0) revert OneStepProofUnknownOpcode(uint16(st.op));
        if (class_ != _class()) revert OneStepProofWrongClass(uint16(st.op), class_);
        // steps < stepLimit < 2^64 here.
        unchecked {
            ++st.steps;
        }
        _execute(st, proof);
        if (st.trap != 0) StepProof.fail(st, proof, st.trap);
        return StepProof.finish(st, proof);
    }
}

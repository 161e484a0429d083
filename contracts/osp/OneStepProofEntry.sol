// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ExecutionContext, IOneStepProver} from "../interfaces/IOneStepProver.sol";
import {IOneStepProofEntry} from "../interfaces/IOneStepProofEntry.sol";
import {MachineSpec as S} from "./generated/MachineSpec.sol";
import {Step, StepProof} from "./lib/StepProof.sol";

/**
 * @title OneStepProofEntry
 * @notice The one-step prover the dispute game calls (docs/prover.md). It decodes the common parts of a
 * proof: the pre-state preimage (checked against `preStateHash` and the context), then, for a running
 * machine with steps left, the module fields (checked against the state's module root) and the
 * instruction with its code-tree path (checked against the code root). It settles the steps that
 * execute no instruction itself (the no-op step of a halted or errored machine; running out of steps)
 * and hands every other step, by the class of its authenticated opcode, to that class's prover.
 * @dev The class provers are callable on their own with the same arguments, so each of them checks the
 * common parts again: a few thousand gas buys provers that trust no caller.
 */
contract OneStepProofEntry is IOneStepProofEntry {
    IOneStepProver public immutable proverControl;
    IOneStepProver public immutable proverMemory;
    IOneStepProver public immutable proverMath;
    IOneStepProver public immutable proverHostIo;

    constructor(IOneStepProver control, IOneStepProver memory_, IOneStepProver math, IOneStepProver hostIo) {
        proverControl = control;
        proverMemory = memory_;
        proverMath = math;
        proverHostIo = hostIo;
    }

    /// @inheritdoc IOneStepProofEntry
    function prover(uint8 class_) public view returns (IOneStepProver) {
        if (class_ == S.CLASS_MEMORY) return proverMemory;
        if (class_ == S.CLASS_MATH) return proverMath;
        if (class_ == S.CLASS_HOSTIO) return proverHostIo;
        return proverControl;
    }

    /// @inheritdoc IOneStepProver
    function proveStep(
        ExecutionContext calldata ctx,
        bytes32 preStateHash,
        bytes calldata proof
    ) external view override returns (bytes32) {
        Step memory st = StepProof.load(ctx, preStateHash, proof);
        (bool settled, bytes32 post) = StepProof.settleWithoutInstruction(st, proof, preStateHash);
        if (settled) return post;
        StepProof.fetch(st, proof);
        uint8 class_ = S.classOf(uint16(st.op));
        if (class_ == 0) revert OneStepProofUnknownOpcode(uint16(st.op));
        return prover(class_).proveStep(ctx, preStateHash, proof);
    }
}

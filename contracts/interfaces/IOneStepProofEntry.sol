// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IOneStepProver} from "./IOneStepProver.sol";

/**
 * @title IOneStepProofEntry
 * @notice The dispute game's leaf: one contract that accepts any one-step proof, settles the steps that
 * need no instruction (a halted or errored machine's no-op step, running out of steps) itself, and
 * hands every other step to the prover of its instruction's class.
 */
interface IOneStepProofEntry is IOneStepProver {
    /// @notice The prover of class `class_` (MachineSpec.CLASS_*: 1 control, 2 memory, 3 math, 4 host I/O).
    function prover(uint8 class_) external view returns (IOneStepProver);
}

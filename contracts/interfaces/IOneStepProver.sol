// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/**
 * @notice What a dispute game knows about the disputed step independently of the proof: the slot's
 * process and position, and the two fields of the scheduler's signed assignment that the machine state
 * reveals (docs/prover.md, "The execution context").
 * @dev `moduleRoot` and `messageHash` are checked against the pre-state's `moduleRoot` and
 * `messageHash` fields (a mismatch is {IOneStepProver-OneStepProofContextMismatch}), exactly like the
 * `context` argument of the TypeScript `verifyStep`. `process` and `slot` are not part of the machine
 * state: the prover does not read them; the game passes them so that the step it settles is named.
 */
struct ExecutionContext {
    /// @notice The process id (the ANS-104 id of the Process data item, 32 raw bytes).
    bytes32 process;
    /// @notice The slot (assignment `Nonce`) whose message the disputed step runs.
    uint64 slot;
    /// @notice The module root registered for the process (ProcessRegistry).
    bytes32 moduleRoot;
    /// @notice The keccak hash of the canonical message encoding, from the SU-signed assignment.
    bytes32 messageHash;
}

/**
 * @title IOneStepProver
 * @notice One step of the Holoproof machine (docs/machine.md §5, §6), executed on-chain from a
 * one-step proof: given the hash of the pre-state and a proof produced by `proveStep`
 * (machine/proof), returns the hash of the post-state, or reverts with one of the errors below when
 * the proof does not check out. Implemented by the entry contract and by the four class provers
 * (control, memory, math, host I/O); every refusal error mirrors a named error of the TypeScript
 * reference verifier (`ProofX` there is `OneStepProofX` here).
 */
interface IOneStepProver {
    // ─── Errors (one per refusal class) ───────────────────────────────────────────────────────
    /// @notice The proof starts with `version`, not the supported proof version. (`ProofVersion`)
    error OneStepProofVersion(uint8 version);
    /// @notice The proof ends before a field at `offset` of `size` bytes. (`ProofTruncated`)
    error OneStepProofTruncated(uint256 offset, uint256 size);
    /// @notice `remaining` bytes follow the last answer the step asked for. (`ProofTrailingBytes`)
    error OneStepProofTrailingBytes(uint256 remaining);
    /// @notice The revealed pre-state hashes to `revealed`, not to the claimed `preStateHash`.
    /// (`ProofStateMismatch`)
    error OneStepProofStateMismatch(bytes32 preStateHash, bytes32 revealed);
    /// @notice The pre-state's `moduleRoot` or `messageHash` (`revealed`) differs from the context's
    /// (`expected`). (`ProofContextMismatch`)
    error OneStepProofContextMismatch(bytes32 expected, bytes32 revealed);
    /// @notice The module fields do not hash to the state's module root. (`ProofModule`)
    error OneStepProofModule();
    /// @notice The instruction at `pc` is outside the code or its code-tree path is wrong. (`ProofCodePath`)
    error OneStepProofCodePath(uint256 pc);
    /// @notice A revealed value and the rest of the stack do not hash to the value stack, or a value is
    /// badly encoded. (`ProofStackHash`)
    error OneStepProofStackHash();
    /// @notice The step pops a value from an empty stack. (`ProofStackUnderflow`)
    error OneStepProofStackUnderflow();
    /// @notice The revealed frame does not hash to the frame stack, or there is no frame. (`ProofFrameHash`)
    error OneStepProofFrameHash();
    /// @notice Local `index` is out of range or its path is wrong. (`ProofLocalsPath`)
    error OneStepProofLocalsPath(uint256 index);
    /// @notice Global `index` is out of range or its path is wrong. (`ProofGlobalsPath`)
    error OneStepProofGlobalsPath(uint256 index);
    /// @notice Memory leaf `leafIndex` or its path does not hash to the memory root. (`ProofMemoryPath`)
    error OneStepProofMemoryPath(uint256 leafIndex);
    /// @notice Table entry `index` or its path does not hash to the table root. (`ProofTablePath`)
    error OneStepProofTablePath(uint256 index);
    /// @notice Data segment `segment` (or one of its chunks) is out of range or its path is wrong.
    /// (`ProofDataPath`)
    error OneStepProofDataPath(uint256 segment);
    /// @notice The revealed snapshot does not hash to the state's snapshot hash. (`ProofSnapshot`)
    error OneStepProofSnapshot();
    /// @notice The message bytes carried by the proof do not match `messageLength`/`messageHash`.
    /// (`ProofMessageHash`)
    error OneStepProofMessageHash();
    /// @notice The authenticated instruction has an opcode outside the machine's table (a module the
    /// flattener cannot produce; the TypeScript machine refuses it too).
    error OneStepProofUnknownOpcode(uint16 opcode);
    /// @notice A class prover was given an instruction of another class (use the entry contract).
    error OneStepProofWrongClass(uint16 opcode, uint8 class_);
    /// @notice A value popped by the step has type `actual`, not the `expected` type of its operand.
    /// Validation makes such a state unreachable; see docs/prover.md.
    error OneStepProofValueType(uint8 expected, uint8 actual);

    /**
     * @notice Executes one step: checks `proof` against `preStateHash` and `ctx` and returns the
     * post-state hash.
     * @dev Requirements: the proof is a complete, exactly consumed proof of the step from
     * `preStateHash` (docs/machine.md §6); otherwise the call reverts with the error naming the first
     * answer that did not check out, in the order the step asks.
     */
    function proveStep(
        ExecutionContext calldata ctx,
        bytes32 preStateHash,
        bytes calldata proof
    ) external view returns (bytes32 postStateHash);
}

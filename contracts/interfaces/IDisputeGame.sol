// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IResultRegistry} from "./IResultRegistry.sol";
import {IAssignments} from "./IAssignments.sol";

/**
 * @title IDisputeGame
 * @notice One-vs-one interactive fraud-proof games against result commitments: an n-ary bisection over
 * a commitment's fixed-length trace, chess clocks with a last-moment extension, a one-step proof at the
 * leaf, and payouts by slashing the loser's bond or stake. Any number of games run in parallel against
 * one commitment. The whole design, and why an honest side always wins, is in docs/dispute-game.md.
 */
interface IDisputeGame {
    /// @notice A game's sides.
    enum Side {
        Asserter,
        Challenger
    }

    /// @notice Where a game is. `StartProven` waits out the start-step grace before it resolves.
    enum Status {
        None,
        Active,
        StartProven,
        AsserterWon,
        ChallengerWon,
        Cancelled
    }

    /// @notice The kind of one trace step, fixed by its position (docs/dispute-game.md §2).
    enum StepKind {
        Padding,
        Start,
        Inner,
        End
    }

    /**
     * @notice What a game is about; `gameId = keccak256(abi.encode(ctx))`. Every call passes it back.
     * @param commitment the challenged commitment's content (its poster is the asserter).
     * @param challenger who opened the game; @param bond the challenger's stake locked by the game.
     */
    struct GameContext {
        IResultRegistry.Commitment commitment;
        address challenger;
        uint96 bond;
    }

    /// @notice The stored state of a game: two words.
    struct Game {
        bytes32 segmentHash;
        uint64 lastMoveAt;
        uint64 asserterLeft;
        uint64 challengerLeft;
        Side turn;
        Status status;
    }

    /// @notice A segment `[start, start + length]` of the trace with the points its last mover posted.
    struct Segment {
        uint128 start;
        uint128 length;
        bytes32[] points;
    }

    /// @notice The module's hash preimage (docs/machine.md §3, `Holo:Module:`).
    struct ModuleFields {
        bytes32 codeRoot;
        uint32 codeLength;
        bytes32 tableRoot;
        uint32 tableLength;
        uint32 globalsCount;
        uint32 memoryMaxPages;
        uint32 handleEntryPc;
        uint32 handleLocals;
        bytes32 dataRoot;
        uint32 dataCount;
    }

    /**
     * @notice The proof of a start step (`x = 0`): the boundary's preimage (the process state's fields,
     * `T_j`, `A_j`), the module, the signed assignment of the slot and the one-step proof of step 0.
     * No message bytes: the message-start state takes `messageHash` and `messageLength` from the signed
     * assignment, so the step costs the same for a message of any size (docs/dispute-game.md §9).
     */
    struct StartLeaf {
        bytes32 memoryRoot;
        uint32 memoryPages;
        bytes32 globalsRoot;
        bytes32 resultsRoot;
        bytes32 prevAssignmentHash;
        ModuleFields module;
        IAssignments.Assignment assignment;
        bytes signature;
        bytes stepProof;
    }

    /// @notice The proof of an inner step: the inner point's preimage, the assignment it names and the
    /// one-step proof.
    struct StepLeaf {
        bytes32 machineHash;
        bytes32 resultsRoot;
        IAssignments.Assignment assignment;
        bytes stepProof;
    }

    /// @notice The proof of an end step: the step, the 326-byte field preimage of the final machine state
    /// and the siblings of the slot's (still zero) leaf in the results tree.
    struct EndLeaf {
        StepLeaf step;
        bytes finalState;
        bytes32[] resultsSiblings;
    }

    // ─── Errors ────────────────────────────────────────────────────────────────────────────────
    error DisputeGameZeroAddress(string what);
    error DisputeGameInvalidParameter(string what, uint256 value);
    error DisputeGameDurationExceedsMax(uint256 maxDuration, uint256 maxGameDuration);
    error DisputeGameParentMismatch(bytes32 expected, bytes32 got);
    error DisputeGameSelfChallenge(address poster);
    error DisputeGameExists(bytes32 gameId);
    error DisputeGameNotActive(bytes32 gameId, Status status);
    error DisputeGameNotYourTurn(bytes32 gameId, address caller, address expected);
    error DisputeGameClockExpired(bytes32 gameId, Side side);
    error DisputeGameClockNotExpired(bytes32 gameId, Side side, uint256 remaining);
    error DisputeGameSegmentMismatch(bytes32 gameId);
    error DisputeGameInvalidIndex(uint256 index, uint256 parts);
    error DisputeGameNotOneStep(uint256 length);
    error DisputeGameOneStep();
    error DisputeGameInvalidPointCount(uint256 got, uint256 expected);
    error DisputeGameStartMismatch(bytes32 expected, bytes32 got);
    error DisputeGameEndAgrees(bytes32 end);
    error DisputeGameStepAgrees(bytes32 post);
    error DisputeGameWrongLeafKind(StepKind expected, StepKind got);
    error DisputeGameLeafPreimage(StepKind kind, bytes32 expected, bytes32 got);
    error DisputeGameAssignment(string what);
    error DisputeGameAssignmentSigner(address signer, address scheduler);
    error DisputeGameModuleMismatch(bytes32 expected, bytes32 got);
    error DisputeGameFinalState(uint256 length);
    error DisputeGameResultsPath(uint256 index);
    error DisputeGameGraceNotOver(uint64 until);
    error DisputeGameNothingPending(bytes32 gameId);

    // ─── Events ────────────────────────────────────────────────────────────────────────────────
    /// @notice A game opened against `commitmentId`: the asserter's claim is the segment `[0, length]`
    /// with points `(startPoint, endPoint)`, and the challenger moves first (`steps` = the trace length). The game's context is the
    /// commitment (from the registry's `CommitmentPosted`), the challenger and the contract's `challengeBond`.
    event GameOpened(
        bytes32 indexed gameId,
        bytes32 indexed commitmentId,
        address indexed challenger,
        bytes32 startPoint,
        bytes32 endPoint,
        uint256 steps
    );
    /// @notice `mover` bisected: the new segment is `[start, start + length]` with `points`.
    event Bisected(
        bytes32 indexed gameId,
        Side mover,
        uint256 start,
        uint256 length,
        bytes32[] points,
        uint64 asserterLeft,
        uint64 challengerLeft
    );
    /// @notice `mover` proved step `position` (of `kind`): it leads to `post`, not to the opponent's point.
    event StepProven(bytes32 indexed gameId, Side mover, uint256 position, StepKind kind, bytes32 post);
    /// @notice The game ended with `outcome`; `slashed` was taken from the loser (0 when cancelled).
    event GameResolved(bytes32 indexed gameId, bytes32 indexed commitmentId, Status outcome, uint256 slashed);

    // ─── Moves ─────────────────────────────────────────────────────────────────────────────────
    function openChallenge(
        IResultRegistry.Commitment calldata c,
        IResultRegistry.Commitment calldata parent
    ) external returns (bytes32 gameId);

    function bisect(
        GameContext calldata ctx,
        Segment calldata seg,
        uint256 index,
        bytes32[] calldata points
    ) external;

    function provePadding(GameContext calldata ctx, Segment calldata seg, uint256 index) external;

    function proveStart(
        GameContext calldata ctx,
        Segment calldata seg,
        uint256 index,
        StartLeaf calldata leaf
    ) external;

    function proveInner(
        GameContext calldata ctx,
        Segment calldata seg,
        uint256 index,
        StepLeaf calldata leaf
    ) external;

    function proveEnd(
        GameContext calldata ctx,
        Segment calldata seg,
        uint256 index,
        EndLeaf calldata leaf
    ) external;

    function timeout(GameContext calldata ctx) external;

    function resolve(GameContext calldata ctx) external;

    // ─── Views ─────────────────────────────────────────────────────────────────────────────────
    function gameId(GameContext calldata ctx) external pure returns (bytes32);

    function game(bytes32 id) external view returns (Game memory);

    function maxDuration() external view returns (uint256);

    /// @notice The number of steps `2^(32 + ceil(log2 slots))` of a commitment over `slots` slots.
    function traceLength(uint64 slots) external pure returns (uint256);

    /// @notice The kind of step `position` of a commitment over `slots` slots.
    function stepKind(uint64 slots, uint256 position) external pure returns (StepKind);

    /// @notice The start and length of part `index` of the segment `[start, start + length]`.
    function subSegment(
        uint256 start,
        uint256 length,
        uint256 index
    ) external view returns (uint256, uint256);
}

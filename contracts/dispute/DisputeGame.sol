// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IDisputeGame} from "../interfaces/IDisputeGame.sol";
import {IResultRegistry} from "../interfaces/IResultRegistry.sol";
import {IProcessRegistry} from "../interfaces/IProcessRegistry.sol";
import {IAssignments} from "../interfaces/IAssignments.sol";
import {IStakeManager} from "../interfaces/IStakeManager.sol";
import {ExecutionContext, IOneStepProver} from "../interfaces/IOneStepProver.sol";
import {MachineSpec as S} from "../osp/generated/MachineSpec.sol";
import {OspHash} from "../osp/lib/OspHash.sol";
import {ResultsLib} from "../libraries/ResultsLib.sol";
import {GameHash} from "./lib/GameHash.sol";

/**
 * @title DisputeGame
 * @notice One-vs-one fraud-proof games against result commitments (docs/dispute-game.md): n-ary
 * bisection of the commitment's fixed-length trace, a chess clock per side with the last-moment
 * extension, a one-step proof at the leaf, and payouts by slashing the loser's bond or stake.
 *
 * @dev Roles it needs: LOCKER_ROLE and SLASHER_ROLE on the StakeManager, DISPUTE_GAME_ROLE on the
 * ResultRegistry. Its parameters are immutable: a change of parameters is a new game contract, granted
 * the roles next to the old one until the old one's last game ends.
 *
 * Storage: two words per game ({IDisputeGame-Game}); everything else (the commitment, the segment's
 * points) comes back in calldata and is checked against a stored hash.
 */
contract DisputeGame is IDisputeGame, ReentrancyGuardTransient {
    /// @notice Steps per message: `2^K`.
    uint256 private constant K = S.TRACE_LOG2_STEPS;
    uint256 private constant STEP_MASK = (uint256(1) << K) - 1;
    /// @notice The largest degree (a bisection posts `degree + 1` points).
    uint256 public constant MAX_DEGREE = 256;
    /// @notice The step-mode re-execution speed the clock is sized for, in steps per second: the
    /// agents' default `reexecStepsPerSecond` (agents/common/process.ts
    /// `DEFAULT_REEXEC_STEPS_PER_SECOND`, tested equal). The constructor requires the registry's
    /// `stepLimitCeiling` to be re-executable at this speed in half of `clockExtension`.
    uint256 public constant REEXEC_STEPS_PER_SECOND = 10_000_000;

    IStakeManager public immutable stakeManager;
    IProcessRegistry public immutable processRegistry;
    IResultRegistry public immutable resultRegistry;
    IOneStepProver public immutable oneStepProver;

    /// @notice The bisection degree (a power of two).
    uint256 public immutable degree;
    /// @notice Each side's chess clock, in seconds.
    uint64 public immutable clockTime;
    /// @notice The least time a side has to answer any move (the last-moment rule). Long enough to
    /// re-execute a whole message at the registry's `stepLimitCeiling` in half of it (row 29).
    uint64 public immutable clockExtension;
    /// @notice How long a start-step proof waits for an equivocation proof before it resolves.
    uint64 public immutable startGrace;
    /// @notice The challenger's stake locked by a game, slashed if it loses.
    uint96 public immutable challengeBond;

    mapping(bytes32 gameId => Game) private _games;

    constructor(
        IStakeManager stakeManager_,
        IProcessRegistry processRegistry_,
        IResultRegistry resultRegistry_,
        IOneStepProver oneStepProver_,
        uint256 degree_,
        uint64 clockTime_,
        uint64 clockExtension_,
        uint64 startGrace_,
        uint96 challengeBond_
    ) {
        if (address(stakeManager_) == address(0)) revert DisputeGameZeroAddress("stakeManager");
        if (address(processRegistry_) == address(0)) revert DisputeGameZeroAddress("processRegistry");
        if (address(resultRegistry_) == address(0)) revert DisputeGameZeroAddress("resultRegistry");
        if (address(oneStepProver_) == address(0)) revert DisputeGameZeroAddress("oneStepProver");
        if (degree_ < 2 || degree_ > MAX_DEGREE || degree_ & (degree_ - 1) != 0) {
            revert DisputeGameInvalidParameter("degree", degree_);
        }
        if (clockTime_ == 0) revert DisputeGameInvalidParameter("clockTime", clockTime_);
        if (clockExtension_ == 0 || clockExtension_ > clockTime_) {
            revert DisputeGameInvalidParameter("clockExtension", clockExtension_);
        }
        // Proving an OutOfSteps end step re-executes up to a whole message: every process of the
        // registry (`stepLimit ≤ stepLimitCeiling`) must be re-executable in half of the extension,
        // i.e. `ceiling ≤ ⌊clockExtension · REEXEC_STEPS_PER_SECOND / 2⌋` (docs/dispute-game.md §9).
        if (2 * uint256(processRegistry_.stepLimitCeiling()) > clockExtension_ * REEXEC_STEPS_PER_SECOND) {
            revert DisputeGameInvalidParameter("clockExtension", clockExtension_);
        }
        if (startGrace_ == 0) revert DisputeGameInvalidParameter("startGrace", startGrace_);
        if (challengeBond_ == 0) revert DisputeGameInvalidParameter("challengeBond", challengeBond_);
        stakeManager = stakeManager_;
        processRegistry = processRegistry_;
        resultRegistry = resultRegistry_;
        oneStepProver = oneStepProver_;
        degree = degree_;
        clockTime = clockTime_;
        clockExtension = clockExtension_;
        startGrace = startGrace_;
        challengeBond = challengeBond_;
        uint256 bound = maxDuration();
        uint256 allowed = stakeManager_.maxGameDuration();
        if (bound > allowed) revert DisputeGameDurationExceedsMax(bound, allowed);
    }

    // ─── Opening ───────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IDisputeGame
    function openChallenge(
        IResultRegistry.Commitment calldata c,
        IResultRegistry.Commitment calldata parent
    ) external nonReentrant returns (bytes32 id) {
        if (c.poster == msg.sender) revert DisputeGameSelfChallenge(msg.sender);
        bytes32 startState;
        bytes32 startAssignment;
        if (c.parent == bytes32(0)) {
            startState = processRegistry.initialStateOf(c.process);
        } else {
            bytes32 parentId = keccak256(abi.encode(parent));
            if (parentId != c.parent) revert DisputeGameParentMismatch(c.parent, parentId);
            startState = parent.stateHash;
            startAssignment = parent.lastAssignmentHash;
        }
        uint256 depth = ResultsLib.depth(uint256(c.lastSlot - c.firstSlot) + 1);
        uint256 length = uint256(1) << (K + depth);
        bytes32 startPoint = GameHash.boundary(startState, GameHash.zeroResultsRoot(depth), startAssignment);
        bytes32 endPoint = GameHash.boundary(c.stateHash, c.resultsRoot, c.lastAssignmentHash);

        GameContext memory ctx = GameContext({commitment: c, challenger: msg.sender, bond: challengeBond});
        id = keccak256(abi.encode(ctx));
        Game storage g = _games[id];
        if (g.status != Status.None) revert DisputeGameExists(id);
        bytes32[] memory points = new bytes32[](2);
        points[0] = startPoint;
        points[1] = endPoint;
        g.segmentHash = keccak256(abi.encode(uint128(0), uint128(length), points));
        g.lastMoveAt = uint64(block.timestamp);
        g.asserterLeft = clockTime;
        g.challengerLeft = clockTime;
        g.turn = Side.Challenger;
        g.status = Status.Active;

        // The registry refuses an unknown, non-Pending or late commitment; the StakeManager refuses a
        // challenger without the bond unlocked. Both are trusted contracts.
        resultRegistry.onChallengeOpened(c);
        stakeManager.lock(msg.sender, challengeBond);
        emit GameOpened(id, keccak256(abi.encode(c)), msg.sender, startPoint, endPoint, length);
    }

    // ─── Moves ─────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IDisputeGame
    function bisect(
        GameContext calldata ctx,
        Segment calldata seg,
        uint256 index,
        bytes32[] calldata points
    ) external nonReentrant {
        (bytes32 id, Game storage g, Side side, uint64 left) = _beginMove(ctx, seg);
        (uint256 start, uint256 length) = _part(seg, index);
        if (length <= 1) revert DisputeGameOneStep();
        uint256 parts = length < degree ? length : degree;
        if (points.length != parts + 1) revert DisputeGameInvalidPointCount(points.length, parts + 1);
        if (points[0] != seg.points[index]) revert DisputeGameStartMismatch(seg.points[index], points[0]);
        if (points[parts] == seg.points[index + 1]) revert DisputeGameEndAgrees(points[parts]);

        g.segmentHash = keccak256(abi.encode(uint128(start), uint128(length), points));
        _endMove(g, side, left);
        emit Bisected(id, side, start, length, points, g.asserterLeft, g.challengerLeft);
    }

    /// @inheritdoc IDisputeGame
    function provePadding(
        GameContext calldata ctx,
        Segment calldata seg,
        uint256 index
    ) external nonReentrant {
        (Game storage g, Proof memory m) = _beginProof(ctx, seg, index, StepKind.Padding);
        // A padding step changes nothing.
        _won(ctx, g, m, m.pre);
    }

    /// @inheritdoc IDisputeGame
    function proveStart(
        GameContext calldata ctx,
        Segment calldata seg,
        uint256 index,
        StartLeaf calldata leaf
    ) external nonReentrant {
        (Game storage g, Proof memory m) = _beginProof(ctx, seg, index, StepKind.Start);
        _won(ctx, g, m, _startStep(ctx.commitment, m.position, m.pre, leaf));
    }

    /// @inheritdoc IDisputeGame
    function proveInner(
        GameContext calldata ctx,
        Segment calldata seg,
        uint256 index,
        StepLeaf calldata leaf
    ) external nonReentrant {
        (Game storage g, Proof memory m) = _beginProof(ctx, seg, index, StepKind.Inner);
        (bytes32 machineNext, bytes32 assignment) = _machineStep(
            ctx.commitment,
            m.position,
            m.pre,
            leaf,
            m.kind
        );
        _won(ctx, g, m, GameHash.step(machineNext, leaf.resultsRoot, assignment));
    }

    /// @inheritdoc IDisputeGame
    function proveEnd(
        GameContext calldata ctx,
        Segment calldata seg,
        uint256 index,
        EndLeaf calldata leaf
    ) external nonReentrant {
        (Game storage g, Proof memory m) = _beginProof(ctx, seg, index, StepKind.End);
        _won(ctx, g, m, _endStep(ctx.commitment, m.position, m.pre, leaf));
    }

    /// @inheritdoc IDisputeGame
    function timeout(GameContext calldata ctx) external nonReentrant {
        bytes32 id = keccak256(abi.encode(ctx));
        Game storage g = _games[id];
        if (g.status != Status.Active) revert DisputeGameNotActive(id, g.status);
        Side side = g.turn;
        uint256 elapsed = block.timestamp - g.lastMoveAt;
        uint256 left = side == Side.Asserter ? g.asserterLeft : g.challengerLeft;
        if (elapsed < left) revert DisputeGameClockNotExpired(id, side, left - elapsed);
        _finish(ctx, id, g, _other(side));
    }

    /// @inheritdoc IDisputeGame
    function resolve(GameContext calldata ctx) external nonReentrant {
        bytes32 id = keccak256(abi.encode(ctx));
        Game storage g = _games[id];
        if (g.status != Status.StartProven) revert DisputeGameNothingPending(id);
        if (block.timestamp < g.lastMoveAt) revert DisputeGameGraceNotOver(g.lastMoveAt);
        _finish(ctx, id, g, g.turn);
    }

    // ─── Views ─────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IDisputeGame
    function gameId(GameContext calldata ctx) external pure returns (bytes32) {
        return keccak256(abi.encode(ctx));
    }

    /// @inheritdoc IDisputeGame
    function game(bytes32 id) external view returns (Game memory) {
        return _games[id];
    }

    /**
     * @inheritdoc IDisputeGame
     * @dev Each side is charged at most `clockTime` plus one `clockExtension` per move it answers, at
     * most `⌈64 / log2(degree)⌉ + 1` moves (a trace has at most 2^64 steps), and a start-step proof adds
     * the grace.
     */
    function maxDuration() public view returns (uint256) {
        uint256 bits;
        while ((uint256(1) << bits) < degree) ++bits;
        uint256 moves = (64 + bits - 1) / bits + 1;
        return 2 * uint256(clockTime) + 2 * moves * uint256(clockExtension) + uint256(startGrace);
    }

    /// @inheritdoc IDisputeGame
    function traceLength(uint64 slots) external pure returns (uint256) {
        return uint256(1) << (K + ResultsLib.depth(slots));
    }

    /// @inheritdoc IDisputeGame
    function stepKind(uint64 slots, uint256 position) external pure returns (StepKind) {
        return _kind(slots, position);
    }

    /// @inheritdoc IDisputeGame
    function subSegment(
        uint256 start,
        uint256 length,
        uint256 index
    ) external view returns (uint256, uint256) {
        // A segment past 2^256 exists in no game (segments are uint128 inside the trace): refused by name.
        if (length > type(uint256).max - start) revert DisputeGameInvalidParameter("segment", start);
        uint256 parts = length < degree ? length : degree;
        if (index >= parts) revert DisputeGameInvalidIndex(index, parts);
        return _split(start, length, parts, index);
    }

    // ─── Internals: turns and clocks ───────────────────────────────────────────────────────────

    /// @dev Loads an Active game, checks the caller is the side to move with time left and that `seg`
    /// is the stored segment. Returns the mover's remaining time as of now.
    function _beginMove(
        GameContext calldata ctx,
        Segment calldata seg
    ) private view returns (bytes32 id, Game storage g, Side side, uint64 left) {
        id = keccak256(abi.encode(ctx));
        g = _games[id];
        if (g.status != Status.Active) revert DisputeGameNotActive(id, g.status);
        side = g.turn;
        address expected = side == Side.Asserter ? ctx.commitment.poster : ctx.challenger;
        if (msg.sender != expected) revert DisputeGameNotYourTurn(id, msg.sender, expected);
        uint256 elapsed = block.timestamp - g.lastMoveAt;
        uint256 had = side == Side.Asserter ? g.asserterLeft : g.challengerLeft;
        if (elapsed >= had) revert DisputeGameClockExpired(id, side);
        left = uint64(had - elapsed);
        if (keccak256(abi.encode(seg.start, seg.length, seg.points)) != g.segmentHash) {
            revert DisputeGameSegmentMismatch(id);
        }
    }

    /// @dev Charges the mover, applies the last-moment rule to the opponent and passes the turn.
    function _endMove(Game storage g, Side side, uint64 left) private {
        uint64 ext = clockExtension;
        if (side == Side.Asserter) {
            g.asserterLeft = left;
            if (g.challengerLeft < ext) g.challengerLeft = ext;
            g.turn = Side.Challenger;
        } else {
            g.challengerLeft = left;
            if (g.asserterLeft < ext) g.asserterLeft = ext;
            g.turn = Side.Asserter;
        }
        g.lastMoveAt = uint64(block.timestamp);
    }

    /// @dev Part `index` of a stored segment (which has `points.length - 1` parts).
    function _part(Segment calldata seg, uint256 index) private pure returns (uint256, uint256) {
        uint256 parts = seg.points.length - 1;
        if (index >= parts) revert DisputeGameInvalidIndex(index, parts);
        return _split(seg.start, seg.length, parts, index);
    }

    /// @dev `length` steps split in `parts` of `⌊length / parts⌋`, the first taking the remainder.
    function _split(
        uint256 start,
        uint256 length,
        uint256 parts,
        uint256 index
    ) private pure returns (uint256, uint256) {
        uint256 base = length / parts;
        uint256 rem = length % parts;
        if (index == 0) return (start, base + rem);
        return (start + index * base + rem, base);
    }

    /// @dev A proof move in progress: the game, the mover, the step and its two points.
    struct Proof {
        bytes32 id;
        Side side;
        StepKind kind;
        uint256 position;
        bytes32 pre;
        bytes32 post;
    }

    /// @dev Common checks of a proof: the mover, the segment, a one-step part of the expected kind.
    /// Returns the position, the agreed point before it and the opponent's point after it.
    function _beginProof(
        GameContext calldata ctx,
        Segment calldata seg,
        uint256 index,
        StepKind kind
    ) private view returns (Game storage g, Proof memory m) {
        (m.id, g, m.side, ) = _beginMove(ctx, seg);
        uint256 length;
        (m.position, length) = _part(seg, index);
        if (length != 1) revert DisputeGameNotOneStep(length);
        StepKind actual = _kind(ctx.commitment.lastSlot - ctx.commitment.firstSlot + 1, m.position);
        if (actual != kind) revert DisputeGameWrongLeafKind(actual, kind);
        m.kind = kind;
        m.pre = seg.points[index];
        m.post = seg.points[index + 1];
    }

    /// @dev The mover showed `next`, the true successor of the agreed point; it wins if that differs from
    /// the opponent's point. A start step waits out the grace; every other step ends the game now.
    function _won(GameContext calldata ctx, Game storage g, Proof memory m, bytes32 next) private {
        if (next == m.post) revert DisputeGameStepAgrees(next);
        emit StepProven(m.id, m.side, m.position, m.kind, next);
        if (m.kind == StepKind.Start) {
            g.status = Status.StartProven;
            g.turn = m.side;
            g.lastMoveAt = uint64(block.timestamp) + startGrace;
            return;
        }
        _finish(ctx, m.id, g, m.side);
    }

    function _other(Side side) private pure returns (Side) {
        return side == Side.Asserter ? Side.Challenger : Side.Asserter;
    }

    /// @dev Ends a game: the outcome, then the registry hook, the bond's unlock and the loser's slash.
    function _finish(GameContext calldata ctx, bytes32 id, Game storage g, Side winner) private {
        IResultRegistry.Commitment calldata c = ctx.commitment;
        (, uint64 frozenFrom) = processRegistry.processStatus(c.process);
        Status outcome =
            frozenFrom <= c.lastSlot
                ? Status.Cancelled
                : winner == Side.Challenger
                    ? Status.ChallengerWon
                    : Status.AsserterWon;
        g.status = outcome;

        resultRegistry.onChallengeResolved(c, outcome == Status.ChallengerWon);
        stakeManager.unlock(ctx.challenger, ctx.bond);
        uint256 slashed;
        if (outcome == Status.ChallengerWon) {
            slashed = stakeManager.slash(c.poster, c.stake, ctx.challenger);
        } else if (outcome == Status.AsserterWon) {
            slashed = stakeManager.slash(ctx.challenger, ctx.bond, c.poster);
        }
        emit GameResolved(id, keccak256(abi.encode(c)), outcome, slashed);
    }

    // ─── Internals: the trace (docs/dispute-game.md §1–§2) ─────────────────────────────────────

    function _kind(uint256 slots, uint256 position) private pure returns (StepKind) {
        if (position >> K >= slots) return StepKind.Padding;
        uint256 x = position & STEP_MASK;
        if (x == 0) return StepKind.Start;
        if (x == STEP_MASK) return StepKind.End;
        return StepKind.Inner;
    }

    /// @dev The process's module root and step limit, from the registry (never from a proof).
    function _module(bytes32 process) private view returns (bytes32 moduleRoot, uint64 stepLimit) {
        IProcessRegistry.Module memory m = processRegistry.getModule(
            processRegistry.getProcess(process).moduleId
        );
        return (m.moduleRoot, m.stepLimit);
    }

    function _startStep(
        IResultRegistry.Commitment calldata c,
        uint256 position,
        bytes32 pre,
        StartLeaf calldata leaf
    ) private view returns (bytes32) {
        uint64 slot = c.firstSlot + uint64(position >> K);
        (bytes32 s0, bytes32 moduleRoot) = _startState(c.process, pre, leaf);
        bytes32 assignment = _signedAssignment(c.process, slot, leaf);
        bytes32 s1 = oneStepProver.proveStep(
            ExecutionContext({
                process: c.process,
                slot: slot,
                moduleRoot: moduleRoot,
                messageHash: leaf.assignment.messageHash
            }),
            s0,
            leaf.stepProof
        );
        return GameHash.step(s1, leaf.resultsRoot, assignment);
    }

    /// @dev Checks the boundary's preimage and the module; returns the message-start state of the signed
    /// assignment's message (its `messageHash` and `messageLength`; the signature is checked by
    /// {_signedAssignment}).
    function _startState(
        bytes32 process,
        bytes32 pre,
        StartLeaf calldata leaf
    ) private view returns (bytes32 s0, bytes32 moduleRoot) {
        GameHash.StartInputs memory x;
        uint64 stepLimit;
        (x.moduleRoot, stepLimit) = _module(process);
        x.stepLimit = stepLimit;
        bytes32 revealedModule = GameHash.moduleRoot(leaf.module);
        if (revealedModule != x.moduleRoot) revert DisputeGameModuleMismatch(x.moduleRoot, revealedModule);
        x.memoryRoot = leaf.memoryRoot;
        x.memoryPages = leaf.memoryPages;
        x.globalsRoot = leaf.globalsRoot;
        bytes32 revealed = GameHash.boundary(
            OspHash.process(x.moduleRoot, x.memoryRoot, x.memoryPages, x.globalsRoot),
            leaf.resultsRoot,
            leaf.prevAssignmentHash
        );
        if (revealed != pre) revert DisputeGameLeafPreimage(StepKind.Start, pre, revealed);
        // The message as the scheduler signed it: no bytes here, whatever the message's size.
        x.messageHash = leaf.assignment.messageHash;
        x.messageLength = leaf.assignment.messageLength;
        s0 = GameHash.messageStart(x, leaf.module.handleEntryPc, leaf.module.handleLocals);
        moduleRoot = x.moduleRoot;
    }

    /// @dev Checks the start leaf's assignment: this process and slot, chained to `A_j`, signed by the
    /// process's scheduler. Returns its hash `A_{j+1}`.
    function _signedAssignment(
        bytes32 process,
        uint64 slot,
        StartLeaf calldata leaf
    ) private view returns (bytes32) {
        IAssignments.Assignment calldata a = leaf.assignment;
        if (a.process != process) revert DisputeGameAssignment("process");
        if (a.slot != slot) revert DisputeGameAssignment("slot");
        if (a.prevAssignmentHash != leaf.prevAssignmentHash)
            revert DisputeGameAssignment("prevAssignmentHash");
        address signer = processRegistry.assignmentSigner(a, leaf.signature);
        address scheduler = processRegistry.schedulerOf(process);
        if (signer != scheduler) revert DisputeGameAssignmentSigner(signer, scheduler);
        return processRegistry.assignmentHash(a);
    }

    /// @dev The machine part of an inner or end step: checks the inner point's preimage and runs the
    /// one-step prover. Returns the next machine state and the assignment hash `A_{j+1}`.
    function _machineStep(
        IResultRegistry.Commitment calldata c,
        uint256 position,
        bytes32 pre,
        StepLeaf calldata leaf,
        StepKind kind
    ) private view returns (bytes32 next, bytes32 assignment) {
        uint64 slot = c.firstSlot + uint64(position >> K);
        IAssignments.Assignment calldata a = leaf.assignment;
        if (a.process != c.process) revert DisputeGameAssignment("process");
        if (a.slot != slot) revert DisputeGameAssignment("slot");
        assignment = processRegistry.assignmentHash(a);
        bytes32 revealed = GameHash.step(leaf.machineHash, leaf.resultsRoot, assignment);
        if (revealed != pre) revert DisputeGameLeafPreimage(kind, pre, revealed);
        (bytes32 moduleRoot, ) = _module(c.process);
        next = oneStepProver.proveStep(
            ExecutionContext({
                process: c.process,
                slot: slot,
                moduleRoot: moduleRoot,
                messageHash: a.messageHash
            }),
            leaf.machineHash,
            leaf.stepProof
        );
    }

    function _endStep(
        IResultRegistry.Commitment calldata c,
        uint256 position,
        bytes32 pre,
        EndLeaf calldata leaf
    ) private view returns (bytes32) {
        (bytes32 finalHash, bytes32 assignment) = _machineStep(c, position, pre, leaf.step, StepKind.End);
        (bytes32 processState, bytes32 resultHash) = _finalState(leaf.finalState, finalHash);
        return GameHash.boundary(processState, _addResult(c, leaf, position >> K, resultHash), assignment);
    }

    /// @dev Checks the final state's preimage; returns its process-state hash and its result hash.
    function _finalState(
        bytes calldata st,
        bytes32 finalHash
    ) private pure returns (bytes32 processState, bytes32 resultHash) {
        if (st.length != S.STATE_BYTES) revert DisputeGameFinalState(st.length);
        bytes32 revealed = OspHash.taggedCalldata(S.TAG_MACHINE, S.TAG_MACHINE_LENGTH, st, 0, S.STATE_BYTES);
        if (revealed != finalHash) revert DisputeGameLeafPreimage(StepKind.End, finalHash, revealed);
        processState = OspHash.process(
            bytes32(st[S.STATE_MODULE_ROOT_OFFSET:S.STATE_MODULE_ROOT_OFFSET + 32]),
            bytes32(st[S.STATE_MEMORY_ROOT_OFFSET:S.STATE_MEMORY_ROOT_OFFSET + 32]),
            uint32(bytes4(st[S.STATE_MEMORY_PAGES_OFFSET:S.STATE_MEMORY_PAGES_OFFSET + 4])),
            bytes32(st[S.STATE_GLOBALS_ROOT_OFFSET:S.STATE_GLOBALS_ROOT_OFFSET + 32])
        );
        resultHash = bytes32(st[S.STATE_RESULT_HASH_OFFSET:S.STATE_RESULT_HASH_OFFSET + 32]);
    }

    /// @dev Shows that leaf `j` of `T_j` is still zero and returns `T_{j+1}`, with slot `j`'s result there.
    function _addResult(
        IResultRegistry.Commitment calldata c,
        EndLeaf calldata leaf,
        uint256 j,
        bytes32 resultHash
    ) private pure returns (bytes32) {
        if (leaf.resultsSiblings.length != ResultsLib.depth(uint256(c.lastSlot - c.firstSlot) + 1)) {
            revert DisputeGameResultsPath(j);
        }
        if (GameHash.resultsRootFrom(bytes32(0), j, leaf.resultsSiblings) != leaf.step.resultsRoot) {
            revert DisputeGameResultsPath(j);
        }
        return
            GameHash.resultsRootFrom(
                ResultsLib.leaf(c.process, c.firstSlot + uint64(j), resultHash),
                j,
                leaf.resultsSiblings
            );
    }
}

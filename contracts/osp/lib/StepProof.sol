// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ExecutionContext, IOneStepProver} from "../../interfaces/IOneStepProver.sol";
import {MachineSpec as S} from "../generated/MachineSpec.sol";
import {OspHash} from "./OspHash.sol";

/**
 * @notice The state of one step being verified (the Solidity twin of the TypeScript `Verifier` in
 * machine/proof): the pre-state fields the step may change, the module fields, the instruction, the
 * read position in the proof tape, and what the step itself pushed (values, a frame), which later pops
 * take from here, never from the tape.
 * @dev A value is `type << 64 | raw` (type 0x7F i32, raw < 2^32; 0x7E i64).
 */
struct Step {
    // ---- proof tape
    uint256 cur;
    // ---- state fields (docs/machine.md §4)
    uint256 status;
    uint256 err;
    uint256 pc;
    uint256 steps;
    uint256 stepLimit;
    uint256 height;
    bytes32 valuesBelow;
    uint256 depth;
    bytes32 framesBelow;
    bytes32 globalsRoot;
    bytes32 memoryRoot;
    uint256 memoryPages;
    bytes32 moduleRoot;
    bytes32 messageHash;
    uint256 messageLength;
    bytes32 resultHash;
    bytes32 pendingHash;
    bytes32 snapshotHash;
    // ---- module fields (docs/machine.md §3)
    bytes32 codeRoot;
    uint256 codeLength;
    bytes32 tableRoot;
    uint256 tableLength;
    uint256 globalsCount;
    uint256 memoryMaxPages;
    bytes32 dataRoot;
    uint256 dataCount;
    // ---- instruction
    uint256 op;
    uint256 imm;
    uint256 imm2;
    // ---- values pushed by this step (above `valuesBelow`), bottom first
    uint256[] known;
    uint256 nKnown;
    // ---- the current frame, once revealed or pushed by this step (above `framesBelow`)
    bool hasFrame;
    uint256 frameReturnPc;
    uint256 frameLocalsCount;
    bytes32 frameLocalsRoot;
    // ---- a trap raised by the step (error code), 0 if none
    uint256 trap;
    // ---- the message bytes, once carried (msg_read): their offset in the proof
    bool hasMessage;
    uint256 messageAt;
    // ---- the data segment proven by this step (memory.init)
    uint256 segmentLength;
    bytes32 segmentChunksRoot;
}

/**
 * @title StepProof
 * @notice Reading and authenticating a one-step proof (docs/machine.md §6): the pre-state preimage and
 * the context, the module and the instruction with its code path, and every answer of the tape (stack
 * pops, the frame, locals, globals, memory leaves, table entries, data segments and chunks, the
 * snapshot, the message), each checked against the state as it is at that moment; plus the error
 * transition and the post-state hash. Shared by the entry and the four class provers (internal
 * functions, so each contract carries only what it uses).
 */
library StepProof {
    uint256 private constant TWO32 = 1 << 32;
    uint256 private constant MASK32 = TWO32 - 1;
    uint256 private constant MASK64 = (1 << 64) - 1;
    uint256 private constant MEMORY_LEAVES = 1 << S.MEMORY_TREE_DEPTH;
    uint256 private constant MEMORY_PATH_BYTES = 32 * S.MEMORY_TREE_DEPTH;

    // ─── The tape ─────────────────────────────────────────────────────────────────────────────

    /// @dev Takes `size` bytes from the tape and returns their offset; reverts when the proof is shorter.
    function take(Step memory st, bytes calldata proof, uint256 size) internal pure returns (uint256 at) {
        at = st.cur;
        if (at + size > proof.length) revert IOneStepProver.OneStepProofTruncated(at, size);
        st.cur = at + size;
    }

    /// @dev The big-endian unsigned integer of `size` ≤ 32 bytes at `at` (bounds checked by `take`).
    function uintAt(bytes calldata proof, uint256 at, uint256 size) internal pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := shr(sub(256, shl(3, size)), calldataload(add(proof.offset, at)))
        }
    }

    function wordAt(bytes calldata proof, uint256 at) internal pure returns (bytes32 v) {
        assembly ("memory-safe") {
            v := calldataload(add(proof.offset, at))
        }
    }

    function readUint(Step memory st, bytes calldata proof, uint256 size) internal pure returns (uint256) {
        return uintAt(proof, take(st, proof, size), size);
    }

    function readWord(Step memory st, bytes calldata proof) internal pure returns (bytes32) {
        return wordAt(proof, take(st, proof, 32));
    }

    // ─── Pre-state, context, module, instruction ──────────────────────────────────────────────

    /**
     * @notice Reads the version and the pre-state preimage, checks it against `preStateHash` and the
     * context (module root, message hash), and returns the step.
     */
    function load(
        ExecutionContext calldata ctx,
        bytes32 preStateHash,
        bytes calldata proof
    ) internal pure returns (Step memory st) {
        uint256 version = readUint(st, proof, 1);
        if (version != S.PROOF_VERSION) revert IOneStepProver.OneStepProofVersion(uint8(version));
        uint256 b = take(st, proof, S.STATE_BYTES);
        bytes32 revealed = OspHash.taggedCalldata(
            S.TAG_MACHINE,
            S.TAG_MACHINE_LENGTH,
            proof,
            b,
            S.STATE_BYTES
        );
        if (revealed != preStateHash) revert IOneStepProver.OneStepProofStateMismatch(preStateHash, revealed);
        st.status = uintAt(proof, b + S.STATE_STATUS_OFFSET, 1);
        st.err = uintAt(proof, b + S.STATE_ERROR_OFFSET, 1);
        st.pc = uintAt(proof, b + S.STATE_PC_OFFSET, 4);
        st.steps = uintAt(proof, b + S.STATE_STEPS_OFFSET, 8);
        st.stepLimit = uintAt(proof, b + S.STATE_STEP_LIMIT_OFFSET, 8);
        st.height = uintAt(proof, b + S.STATE_VALUE_STACK_HEIGHT_OFFSET, 4);
        st.valuesBelow = wordAt(proof, b + S.STATE_VALUE_STACK_HASH_OFFSET);
        st.depth = uintAt(proof, b + S.STATE_FRAME_DEPTH_OFFSET, 4);
        st.framesBelow = wordAt(proof, b + S.STATE_FRAME_STACK_HASH_OFFSET);
        st.globalsRoot = wordAt(proof, b + S.STATE_GLOBALS_ROOT_OFFSET);
        st.memoryRoot = wordAt(proof, b + S.STATE_MEMORY_ROOT_OFFSET);
        st.memoryPages = uintAt(proof, b + S.STATE_MEMORY_PAGES_OFFSET, 4);
        st.moduleRoot = wordAt(proof, b + S.STATE_MODULE_ROOT_OFFSET);
        st.messageHash = wordAt(proof, b + S.STATE_MESSAGE_HASH_OFFSET);
        st.messageLength = uintAt(proof, b + S.STATE_MESSAGE_LENGTH_OFFSET, 4);
        st.resultHash = wordAt(proof, b + S.STATE_RESULT_HASH_OFFSET);
        st.pendingHash = wordAt(proof, b + S.STATE_PENDING_HASH_OFFSET);
        st.snapshotHash = wordAt(proof, b + S.STATE_SNAPSHOT_HASH_OFFSET);
        if (ctx.moduleRoot != st.moduleRoot) {
            revert IOneStepProver.OneStepProofContextMismatch(ctx.moduleRoot, st.moduleRoot);
        }
        if (ctx.messageHash != st.messageHash) {
            revert IOneStepProver.OneStepProofContextMismatch(ctx.messageHash, st.messageHash);
        }
        st.known = new uint256[](4);
    }

    /**
     * @notice Reads the module fields (checked against the state's module root) and the instruction at
     * `pc` with its code-tree path (checked against the code root), like the verifier's `fetch`.
     */
    function fetch(Step memory st, bytes calldata proof) internal pure {
        uint256 m = take(st, proof, S.MODULE_BYTES);
        if (
            OspHash.taggedCalldata(S.TAG_MODULE, S.TAG_MODULE_LENGTH, proof, m, S.MODULE_BYTES) !=
            st.moduleRoot
        ) {
            revert IOneStepProver.OneStepProofModule();
        }
        st.codeRoot = wordAt(proof, m + S.MODULE_CODE_ROOT_OFFSET);
        st.codeLength = uintAt(proof, m + S.MODULE_CODE_LENGTH_OFFSET, 4);
        st.tableRoot = wordAt(proof, m + S.MODULE_TABLE_ROOT_OFFSET);
        st.tableLength = uintAt(proof, m + S.MODULE_TABLE_LENGTH_OFFSET, 4);
        st.globalsCount = uintAt(proof, m + S.MODULE_GLOBALS_COUNT_OFFSET, 4);
        st.memoryMaxPages = uintAt(proof, m + S.MODULE_MEMORY_MAX_PAGES_OFFSET, 4);
        st.dataRoot = wordAt(proof, m + S.MODULE_DATA_ROOT_OFFSET);
        st.dataCount = uintAt(proof, m + S.MODULE_DATA_COUNT_OFFSET, 4);
        uint256 i = take(st, proof, S.INSTRUCTION_BYTES);
        st.op = uintAt(proof, i + S.INSTRUCTION_OPCODE_OFFSET, 2);
        st.imm = uintAt(proof, i + S.INSTRUCTION_IMM_OFFSET, 8);
        st.imm2 = uintAt(proof, i + S.INSTRUCTION_IMM2_OFFSET, 8);
        uint256 depth = OspHash.depthOf(st.codeLength);
        uint256 path = take(st, proof, 32 * depth);
        if (st.pc >= st.codeLength) revert IOneStepProver.OneStepProofCodePath(st.pc);
        bytes32 leaf = OspHash.taggedCalldata(
            S.TAG_INSTRUCTION,
            S.TAG_INSTRUCTION_LENGTH,
            proof,
            i,
            S.INSTRUCTION_BYTES
        );
        bytes32 root = OspHash.vectorRoot(
            S.TAG_CODE_NODE,
            S.TAG_CODE_NODE_LENGTH,
            leaf,
            st.pc,
            proof,
            path,
            depth
        );
        if (root != st.codeRoot) revert IOneStepProver.OneStepProofCodePath(st.pc);
    }

    // ─── The value stack ──────────────────────────────────────────────────────────────────────

    /// @notice Pops a value of any type: one this step pushed, or the next answer of the tape.
    function pop(Step memory st, bytes calldata proof) internal pure returns (uint256 v) {
        if (st.nKnown > 0) {
            // `height` counts the known values, so it is positive here.
            unchecked {
                --st.height;
                return st.known[--st.nKnown];
            }
        }
        if (st.height == 0) revert IOneStepProver.OneStepProofStackUnderflow();
        uint256 at = take(st, proof, 41);
        uint256 typ = uintAt(proof, at, 1);
        uint256 raw = uintAt(proof, at + 1, 8);
        bytes32 rest = wordAt(proof, at + 9);
        if (!((typ == S.TYPE_I32 && raw < TWO32) || typ == S.TYPE_I64))
            revert IOneStepProver.OneStepProofStackHash();
        if (OspHash.valueStackPush(rest, typ, raw) != st.valuesBelow)
            revert IOneStepProver.OneStepProofStackHash();
        st.valuesBelow = rest;
        // Checked positive above.
        unchecked {
            --st.height;
        }
        return (typ << 64) | raw;
    }

    /// @notice Pops an i32 operand; returns its raw u32.
    function popI32(Step memory st, bytes calldata proof) internal pure returns (uint256) {
        uint256 v = pop(st, proof);
        if (v >> 64 != S.TYPE_I32) revert IOneStepProver.OneStepProofValueType(S.TYPE_I32, uint8(v >> 64));
        return v & MASK64;
    }

    /// @notice Pops an i64 operand; returns its raw u64.
    function popI64(Step memory st, bytes calldata proof) internal pure returns (uint256) {
        uint256 v = pop(st, proof);
        if (v >> 64 != S.TYPE_I64) revert IOneStepProver.OneStepProofValueType(S.TYPE_I64, uint8(v >> 64));
        return v & MASK64;
    }

    /// @notice Pushes an encoded value; traps with ValueStackExhausted at the limit.
    function push(Step memory st, uint256 v) internal pure {
        if (st.trap != 0) return;
        if (st.height >= S.VALUE_STACK_LIMIT) {
            st.trap = S.ERROR_VALUE_STACK_EXHAUSTED;
            return;
        }
        if (st.nKnown == st.known.length) {
            uint256[] memory grown = new uint256[](st.known.length * 2);
            for (uint256 k = 0; k < st.nKnown; ++k) grown[k] = st.known[k];
            st.known = grown;
        }
        st.known[st.nKnown] = v;
        // Both are below the value stack limit (65,536).
        unchecked {
            ++st.nKnown;
            ++st.height;
        }
    }

    /// @notice Pushes an i32 (the low 32 bits of `raw`).
    function pushI32(Step memory st, uint256 raw) internal pure {
        push(st, (uint256(S.TYPE_I32) << 64) | (raw & MASK32));
    }

    /// @notice Pushes an i64 (the low 64 bits of `raw`).
    function pushI64(Step memory st, uint256 raw) internal pure {
        push(st, (uint256(S.TYPE_I64) << 64) | (raw & MASK64));
    }

    // ─── Frames, locals, globals ──────────────────────────────────────────────────────────────

    /// @notice Reveals the current frame (from the tape, once) and checks it against the frame stack.
    function topFrame(Step memory st, bytes calldata proof) internal pure {
        if (st.hasFrame) return;
        if (st.depth == 0) revert IOneStepProver.OneStepProofFrameHash();
        uint256 at = take(st, proof, 72);
        st.frameReturnPc = uintAt(proof, at, 4);
        st.frameLocalsCount = uintAt(proof, at + 4, 4);
        st.frameLocalsRoot = wordAt(proof, at + 8);
        bytes32 below = wordAt(proof, at + 40);
        bytes32 fh = OspHash.frame(st.frameReturnPc, st.frameLocalsCount, st.frameLocalsRoot);
        if (OspHash.frameStackPush(below, fh) != st.framesBelow)
            revert IOneStepProver.OneStepProofFrameHash();
        st.framesBelow = below;
        st.hasFrame = true;
    }

    /// @notice Pushes a fresh frame whose first locals are `args` (the rest zero).
    function pushFrame(
        Step memory st,
        uint256 returnPc,
        uint256 nlocals,
        uint256[] memory args
    ) internal pure {
        if (st.hasFrame) {
            // Fold the frame already known into the stack below; the post-state hash is the same.
            st.framesBelow = OspHash.frameStackPush(
                st.framesBelow,
                OspHash.frame(st.frameReturnPc, st.frameLocalsCount, st.frameLocalsRoot)
            );
        }
        st.hasFrame = true;
        st.frameReturnPc = returnPc;
        st.frameLocalsCount = nlocals;
        st.frameLocalsRoot = freshLocalsRoot(nlocals, args);
        ++st.depth;
    }

    /// @notice Pops the current frame and returns its return pc.
    function popFrame(Step memory st, bytes calldata proof) internal pure returns (uint256) {
        topFrame(st, proof);
        st.hasFrame = false;
        // topFrame reverts when the depth is 0.
        unchecked {
            --st.depth;
        }
        return st.frameReturnPc;
    }

    /**
     * @notice The root of a locals tree of `count` leaves whose first leaves are the raw `args` and the
     * rest zero (the TypeScript `rootWithPrefix`).
     */
    function freshLocalsRoot(uint256 count, uint256[] memory args) internal pure returns (bytes32) {
        uint256 depth = OspHash.depthOf(count);
        uint256 n = args.length;
        bytes32[] memory level = new bytes32[](n);
        for (uint256 k = 0; k < n; ++k) level[k] = bytes32(args[k] & MASK64);
        bytes32 zero;
        for (uint256 d = 0; d < depth; ++d) {
            uint256 next = (n + 1) / 2;
            for (uint256 k = 0; k < next; ++k) {
                bytes32 right = 2 * k + 1 < n ? level[2 * k + 1] : zero;
                level[k] = OspHash.node(S.TAG_LOCALS_NODE, S.TAG_LOCALS_NODE_LENGTH, level[2 * k], right);
            }
            n = next;
            zero = OspHash.node(S.TAG_LOCALS_NODE, S.TAG_LOCALS_NODE_LENGTH, zero, zero);
        }
        return n == 0 ? zero : level[0];
    }

    /// @dev Reads a leaf and its path of `depth` siblings; returns the leaf and the path offset.
    function _leafAndPath(
        Step memory st,
        bytes calldata proof,
        uint256 depth
    ) private pure returns (bytes32 leaf, uint256 path) {
        leaf = readWord(st, proof);
        path = take(st, proof, 32 * depth);
    }

    /// @dev The value of type `typ` held by a locals/globals leaf (its low 8 bytes; i32: the low 4).
    function _leafValue(bytes32 leaf, uint256 typ) private pure returns (uint256) {
        if (typ == S.TYPE_I32) return (uint256(S.TYPE_I32) << 64) | (uint256(leaf) & MASK32);
        return (uint256(S.TYPE_I64) << 64) | (uint256(leaf) & MASK64);
    }

    /// @notice Local `index` of the current frame, read as type `typ`.
    function getLocal(
        Step memory st,
        bytes calldata proof,
        uint256 index,
        uint256 typ
    ) internal pure returns (uint256) {
        topFrame(st, proof);
        uint256 depth = OspHash.depthOf(st.frameLocalsCount);
        (bytes32 leaf, uint256 path) = _leafAndPath(st, proof, depth);
        if (
            index >= st.frameLocalsCount ||
            OspHash.vectorRoot(
                S.TAG_LOCALS_NODE,
                S.TAG_LOCALS_NODE_LENGTH,
                leaf,
                index,
                proof,
                path,
                depth
            ) !=
                st.frameLocalsRoot
        ) revert IOneStepProver.OneStepProofLocalsPath(index);
        return _leafValue(leaf, typ);
    }

    /// @notice Sets local `index` of the current frame to value `v`.
    function setLocal(Step memory st, bytes calldata proof, uint256 index, uint256 v) internal pure {
        topFrame(st, proof);
        uint256 depth = OspHash.depthOf(st.frameLocalsCount);
        (bytes32 leaf, uint256 path) = _leafAndPath(st, proof, depth);
        if (
            index >= st.frameLocalsCount ||
            OspHash.vectorRoot(
                S.TAG_LOCALS_NODE,
                S.TAG_LOCALS_NODE_LENGTH,
                leaf,
                index,
                proof,
                path,
                depth
            ) !=
                st.frameLocalsRoot
        ) revert IOneStepProver.OneStepProofLocalsPath(index);
        st.frameLocalsRoot = OspHash.vectorRoot(
            S.TAG_LOCALS_NODE,
            S.TAG_LOCALS_NODE_LENGTH,
            bytes32(v & MASK64),
            index,
            proof,
            path,
            depth
        );
    }

    /// @notice Global `index`, read as type `typ`.
    function getGlobal(
        Step memory st,
        bytes calldata proof,
        uint256 index,
        uint256 typ
    ) internal pure returns (uint256) {
        uint256 depth = OspHash.depthOf(st.globalsCount);
        (bytes32 leaf, uint256 path) = _leafAndPath(st, proof, depth);
        if (
            index >= st.globalsCount ||
            OspHash.vectorRoot(
                S.TAG_GLOBALS_NODE,
                S.TAG_GLOBALS_NODE_LENGTH,
                leaf,
                index,
                proof,
                path,
                depth
            ) !=
                st.globalsRoot
        ) revert IOneStepProver.OneStepProofGlobalsPath(index);
        return _leafValue(leaf, typ);
    }

    /// @notice Sets global `index` to value `v`.
    function setGlobal(Step memory st, bytes calldata proof, uint256 index, uint256 v) internal pure {
        uint256 depth = OspHash.depthOf(st.globalsCount);
        (bytes32 leaf, uint256 path) = _leafAndPath(st, proof, depth);
        if (
            index >= st.globalsCount ||
            OspHash.vectorRoot(
                S.TAG_GLOBALS_NODE,
                S.TAG_GLOBALS_NODE_LENGTH,
                leaf,
                index,
                proof,
                path,
                depth
            ) !=
                st.globalsRoot
        ) revert IOneStepProver.OneStepProofGlobalsPath(index);
        st.globalsRoot = OspHash.vectorRoot(
            S.TAG_GLOBALS_NODE,
            S.TAG_GLOBALS_NODE_LENGTH,
            bytes32(v & MASK64),
            index,
            proof,
            path,
            depth
        );
    }

    // ─── Memory ───────────────────────────────────────────────────────────────────────────────

    /// @notice Whether `[ea, ea + size)` lies in the memory (else the step traps MemoryOutOfBounds).
    function inBounds(Step memory st, uint256 ea, uint256 size) internal pure returns (bool) {
        return ea + size <= st.memoryPages * S.WASM_PAGE_BYTES;
    }

    /// @dev Reads memory leaf `index` and its path, checked against the current memory root.
    function _memoryLeaf(
        Step memory st,
        bytes calldata proof,
        uint256 index
    ) private pure returns (bytes32 leaf, uint256 path) {
        leaf = readWord(st, proof);
        path = take(st, proof, MEMORY_PATH_BYTES);
        if (index >= MEMORY_LEAVES || OspHash.memoryRootFromPath(leaf, index, proof, path) != st.memoryRoot) {
            revert IOneStepProver.OneStepProofMemoryPath(index);
        }
    }

    /// @dev A mask of bytes `[from, from + n)` of a word (byte 0 is the most significant).
    function _byteMask(uint256 from, uint256 n) private pure returns (uint256) {
        if (n == 0) return 0;
        uint256 ones = n == 32 ? type(uint256).max : ((uint256(1) << (8 * n)) - 1) << (256 - 8 * n);
        return ones >> (8 * from);
    }

    /**
     * @notice Memory bytes `[ea, ea + len)`, `len ≤ 32`, spanning at most two leaves, left-aligned in a
     * word (the rest zero). Each leaf is one tape answer.
     */
    function readChunk(
        Step memory st,
        bytes calldata proof,
        uint256 ea,
        uint256 len
    ) internal pure returns (bytes32) {
        uint256 out;
        uint256 done;
        while (done < len) {
            uint256 at = ea + done;
            uint256 off = at % 32;
            uint256 n = len - done < 32 - off ? len - done : 32 - off;
            (bytes32 leaf, ) = _memoryLeaf(st, proof, at / 32);
            out |= ((uint256(leaf) << (8 * off)) & _byteMask(0, n)) >> (8 * done);
            done += n;
        }
        return bytes32(out);
    }

    /**
     * @notice Writes the `len ≤ 32` left-aligned bytes of `data` at `ea`, leaf by leaf, each leaf
     * checked against the root of the moment and the root updated after it.
     */
    function writeChunk(
        Step memory st,
        bytes calldata proof,
        uint256 ea,
        bytes32 data,
        uint256 len
    ) internal pure {
        uint256 done;
        while (done < len) {
            uint256 at = ea + done;
            uint256 off = at % 32;
            uint256 n = len - done < 32 - off ? len - done : 32 - off;
            _writeLeaf(st, proof, at, bytes32(uint256(data) << (8 * done)), n);
            done += n;
        }
    }

    /// @dev Writes the first `n` bytes of `data` at `at`, all within one leaf.
    function _writeLeaf(
        Step memory st,
        bytes calldata proof,
        uint256 at,
        bytes32 data,
        uint256 n
    ) private pure {
        uint256 index = at / 32;
        (bytes32 leaf, uint256 path) = _memoryLeaf(st, proof, index);
        uint256 mask = _byteMask(at % 32, n);
        bytes32 updated = bytes32((uint256(leaf) & ~mask) | ((uint256(data) >> (8 * (at % 32))) & mask));
        st.memoryRoot = OspHash.memoryRootFromPath(updated, index, proof, path);
    }

    /// @notice The little-endian unsigned value of the `width` ≤ 8 bytes at `ea`.
    function load(
        Step memory st,
        bytes calldata proof,
        uint256 ea,
        uint256 width
    ) internal pure returns (uint256 v) {
        uint256 w = uint256(readChunk(st, proof, ea, width));
        for (uint256 k = 0; k < width; ++k) v |= ((w >> (248 - 8 * k)) & 0xff) << (8 * k);
    }

    /// @notice Stores the low `width` ≤ 8 bytes of `v` little-endian at `ea`.
    function store(Step memory st, bytes calldata proof, uint256 ea, uint256 width, uint256 v) internal pure {
        uint256 w;
        for (uint256 k = 0; k < width; ++k) w |= ((v >> (8 * k)) & 0xff) << (248 - 8 * k);
        writeChunk(st, proof, ea, bytes32(w), width);
    }

    // ─── Module data: table, data segments, message ───────────────────────────────────────────

    /**
     * @notice Table entry `index` (< tableLength) as `[funcIndex, typeId, entryPc, nparams, nlocals]`:
     * `funcIndex` is the null index for a null entry, whose other revealed fields are ignored (the leaf
     * of a null entry has zeros there).
     */
    function tableEntry(
        Step memory st,
        bytes calldata proof,
        uint256 index
    ) internal pure returns (uint256[5] memory e) {
        uint256 at = take(st, proof, S.TABLE_ENTRY_BYTES);
        e[0] = uintAt(proof, at + S.TABLE_ENTRY_FUNC_INDEX_OFFSET, 4);
        if (e[0] != S.NULL_FUNCTION_INDEX) {
            e[1] = uintAt(proof, at + S.TABLE_ENTRY_TYPE_ID_OFFSET, 4);
            e[2] = uintAt(proof, at + S.TABLE_ENTRY_ENTRY_PC_OFFSET, 4);
            e[3] = uintAt(proof, at + S.TABLE_ENTRY_NPARAMS_OFFSET, 4);
            e[4] = uintAt(proof, at + S.TABLE_ENTRY_NLOCALS_OFFSET, 4);
        }
        uint256 depth = OspHash.depthOf(st.tableLength);
        uint256 path = take(st, proof, 32 * depth);
        bytes32 leaf = OspHash.tableEntry(e[0], e[1], e[2], e[3], e[4]);
        if (
            OspHash.vectorRoot(S.TAG_TABLE_NODE, S.TAG_TABLE_NODE_LENGTH, leaf, index, proof, path, depth) !=
            st.tableRoot
        ) revert IOneStepProver.OneStepProofTablePath(index);
    }

    /// @notice Data segment `index`: its length and chunk root, checked against the data root.
    function dataSegment(
        Step memory st,
        bytes calldata proof,
        uint256 index
    ) internal pure returns (uint256) {
        uint256 at = take(st, proof, S.DATA_SEGMENT_BYTES);
        uint256 length = uintAt(proof, at + S.DATA_SEGMENT_LENGTH_OFFSET, 4);
        bytes32 chunksRoot = wordAt(proof, at + S.DATA_SEGMENT_CHUNKS_ROOT_OFFSET);
        uint256 depth = OspHash.depthOf(st.dataCount);
        uint256 path = take(st, proof, 32 * depth);
        if (
            index >= st.dataCount ||
            OspHash.vectorRoot(
                S.TAG_DATA_NODE,
                S.TAG_DATA_NODE_LENGTH,
                OspHash.dataSegment(length, chunksRoot),
                index,
                proof,
                path,
                depth
            ) !=
                st.dataRoot
        ) revert IOneStepProver.OneStepProofDataPath(index);
        st.segmentLength = length;
        st.segmentChunksRoot = chunksRoot;
        return length;
    }

    /// @notice Chunk `chunk` (32 bytes) of the data segment `segment` proven by this step.
    function dataChunk(
        Step memory st,
        bytes calldata proof,
        uint256 segment,
        uint256 chunk
    ) internal pure returns (bytes32 c) {
        c = readWord(st, proof);
        uint256 depth = OspHash.depthOf((st.segmentLength + 31) / 32);
        uint256 path = take(st, proof, 32 * depth);
        if (
            OspHash.vectorRoot(S.TAG_DATA_NODE, S.TAG_DATA_NODE_LENGTH, c, chunk, proof, path, depth) !=
            st.segmentChunksRoot
        ) revert IOneStepProver.OneStepProofDataPath(segment);
    }

    /**
     * @notice Message bytes `[off, off + len)`, `len ≤ 32` and in bounds, left-aligned. The first call
     * reads the whole message from the tape and checks its length and hash against the state.
     */
    function messageSlice(
        Step memory st,
        bytes calldata proof,
        uint256 off,
        uint256 len
    ) internal pure returns (bytes32) {
        if (!st.hasMessage) {
            uint256 n = readUint(st, proof, 4);
            uint256 at = take(st, proof, n);
            if (n != st.messageLength || OspHash.plainCalldata(proof, at, n) != st.messageHash) {
                revert IOneStepProver.OneStepProofMessageHash();
            }
            st.hasMessage = true;
            st.messageAt = at;
        }
        return bytes32(uint256(wordAt(proof, st.messageAt + off)) & _byteMask(0, len));
    }

    // ─── Errors and the post-state ────────────────────────────────────────────────────────────

    /**
     * @notice The error transition (docs/machine.md §5): reads the snapshot (checked against the
     * state's snapshot hash), restores memory and globals from it, clears both stacks and sets the
     * Errored status with `code` and the error result.
     */
    function fail(Step memory st, bytes calldata proof, uint256 code) internal pure {
        uint256 at = take(st, proof, 68);
        bytes32 memoryRoot = wordAt(proof, at);
        uint256 memoryPages = uintAt(proof, at + 32, 4);
        bytes32 globalsRoot = wordAt(proof, at + 36);
        if (OspHash.process(st.moduleRoot, memoryRoot, memoryPages, globalsRoot) != st.snapshotHash) {
            revert IOneStepProver.OneStepProofSnapshot();
        }
        st.memoryRoot = memoryRoot;
        st.memoryPages = memoryPages;
        st.globalsRoot = globalsRoot;
        st.nKnown = 0;
        st.valuesBelow = bytes32(0);
        st.height = 0;
        st.hasFrame = false;
        st.framesBelow = bytes32(0);
        st.depth = 0;
        st.status = S.STATUS_ERRORED;
        st.err = code;
        st.pc = 0;
        st.pendingHash = bytes32(0);
        st.resultHash = OspHash.resultError(code);
    }

    /**
     * @notice Settles the steps that execute no instruction (docs/machine.md §5, steps 1–2): a halted or
     * errored machine's no-op step (the post-state is the pre-state), and a running machine with
     * `steps >= stepLimit`, which errors with OutOfSteps (its proof carries only the snapshot).
     * @return settled whether the step was one of these; then `postStateHash` is its result.
     */
    function settleWithoutInstruction(
        Step memory st,
        bytes calldata proof,
        bytes32 preStateHash
    ) internal pure returns (bool settled, bytes32 postStateHash) {
        if (st.status != S.STATUS_RUNNING) {
            requireConsumed(st, proof);
            return (true, preStateHash);
        }
        if (st.steps >= st.stepLimit) {
            fail(st, proof, S.ERROR_OUT_OF_STEPS);
            return (true, finish(st, proof));
        }
        return (false, bytes32(0));
    }

    /// @notice Requires the proof to be consumed exactly.
    function requireConsumed(Step memory st, bytes calldata proof) internal pure {
        if (st.cur != proof.length) revert IOneStepProver.OneStepProofTrailingBytes(proof.length - st.cur);
    }

    /// @notice Requires the proof to be consumed exactly and returns the post-state hash.
    function finish(Step memory st, bytes calldata proof) internal pure returns (bytes32) {
        requireConsumed(st, proof);
        bytes32 vh = st.valuesBelow;
        for (uint256 k = 0; k < st.nKnown; ++k)
            vh = OspHash.valueStackPush(vh, st.known[k] >> 64, st.known[k] & MASK64);
        bytes32 fh = st.framesBelow;
        if (st.hasFrame) {
            fh = OspHash.frameStackPush(
                fh,
                OspHash.frame(st.frameReturnPc, st.frameLocalsCount, st.frameLocalsRoot)
            );
        }
        bytes memory img = new bytes(S.TAG_MACHINE_LENGTH + S.STATE_BYTES + 32);
        uint256 b;
        assembly ("memory-safe") {
            b := add(img, 32)
        }
        _store(b, uint256(S.TAG_MACHINE), 32);
        b += S.TAG_MACHINE_LENGTH;
        _store(b + S.STATE_STATUS_OFFSET, st.status, 1);
        _store(b + S.STATE_ERROR_OFFSET, st.err, 1);
        _store(b + S.STATE_PC_OFFSET, st.pc, 4);
        _store(b + S.STATE_STEPS_OFFSET, st.steps, 8);
        _store(b + S.STATE_STEP_LIMIT_OFFSET, st.stepLimit, 8);
        _store(b + S.STATE_VALUE_STACK_HEIGHT_OFFSET, st.height, 4);
        _store(b + S.STATE_VALUE_STACK_HASH_OFFSET, uint256(vh), 32);
        _store(b + S.STATE_FRAME_DEPTH_OFFSET, st.depth, 4);
        _store(b + S.STATE_FRAME_STACK_HASH_OFFSET, uint256(fh), 32);
        _store(b + S.STATE_GLOBALS_ROOT_OFFSET, uint256(st.globalsRoot), 32);
        _store(b + S.STATE_MEMORY_ROOT_OFFSET, uint256(st.memoryRoot), 32);
        _store(b + S.STATE_MEMORY_PAGES_OFFSET, st.memoryPages, 4);
        _store(b + S.STATE_MODULE_ROOT_OFFSET, uint256(st.moduleRoot), 32);
        _store(b + S.STATE_MESSAGE_HASH_OFFSET, uint256(st.messageHash), 32);
        _store(b + S.STATE_MESSAGE_LENGTH_OFFSET, st.messageLength, 4);
        _store(b + S.STATE_RESULT_HASH_OFFSET, uint256(st.resultHash), 32);
        _store(b + S.STATE_PENDING_HASH_OFFSET, uint256(st.pendingHash), 32);
        _store(b + S.STATE_SNAPSHOT_HASH_OFFSET, uint256(st.snapshotHash), 32);
        // The preimage is the first TAG_MACHINE_LENGTH + STATE_BYTES bytes (32 spare for the last store).
        return OspHash.prefix(img, S.TAG_MACHINE_LENGTH + S.STATE_BYTES);
    }

    /// @dev Writes the low `size` bytes of `v` big-endian at memory `p`, keeping the bytes after them.
    function _store(uint256 p, uint256 v, uint256 size) private pure {
        assembly ("memory-safe") {
            let shift := sub(256, shl(3, size))
            let keep := shr(shl(3, size), not(0))
            if eq(size, 32) {
                keep := 0
            }
            mstore(p, or(and(mload(p), keep), shl(shift, v)))
        }
    }
}

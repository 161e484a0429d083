// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IResultRegistry} from "../interfaces/IResultRegistry.sol";
import {OspHash} from "../osp/lib/OspHash.sol";

/**
 * @title TokenBridge
 * @notice An integrator example (docs/integrators.md): escrows an ERC-20 on this chain and releases it
 * when a **finalized** result of a Holoproof token process (processes/token) says so. Nobody is trusted:
 * the release is authorized by the process's own output, proven against a finalized commitment of the
 * ResultRegistry, and every commitment could have been challenged in a dispute game first.
 *
 * The release instruction is the token process's standard `Credit-Notice`: a holder on the process
 * sends `Transfer` with `Recipient` = this bridge's process-side address (its EVM address left-padded to
 * 32 bytes) and the tag `X-Recipient` = the EVM address to pay; the process credits the bridge and emits
 * a message item to the bridge with `Action = Credit-Notice`, `Quantity` and the forwarded
 * `X-Recipient`. {release} takes that slot's whole result (every item), recomputes its result hash
 * (docs/process-abi.md), checks it with `ResultRegistry.verifyResult`, and pays `Quantity · scale`.
 *
 * Replay protection: each (slot, item) releases at most once. A result can only be proven for the one
 * process this bridge serves, and only once it is finalized.
 */
contract TokenBridge is ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice One item of a message result: kind 0 output, 1 message, 2 spawn, and its bytes.
    struct ResultItem {
        uint8 kind;
        bytes data;
    }

    uint8 private constant KIND_MESSAGE = 1;
    bytes32 private constant ACTION = keccak256("Action");
    bytes32 private constant CREDIT_NOTICE = keccak256("Credit-Notice");
    bytes32 private constant QUANTITY = keccak256("Quantity");
    bytes32 private constant X_RECIPIENT = keccak256("X-Recipient");

    IERC20 public immutable token;
    IResultRegistry public immutable resultRegistry;
    /// @notice The token process whose results authorize releases.
    bytes32 public immutable process;
    /// @notice Token units per process quantity unit (e.g. 10^6 for an 18-decimal token and a
    /// 12-denomination process).
    uint256 public immutable scale;

    /// @notice Whether item `item` of `slot`'s result was released (keyed by `keccak256(slot, item)`).
    mapping(bytes32 => bool) public released;
    /// @notice The escrow's deposit counter (the `nonce` of the next {Deposited}).
    uint256 public depositCount;

    error TokenBridgeZeroAddress(string what);
    error TokenBridgeZeroAmount();
    error TokenBridgeResultNotFinalized(uint64 slot, bytes32 resultHash);
    error TokenBridgeAlreadyReleased(uint64 slot, uint256 item);
    error TokenBridgeItemIndex(uint256 item, uint256 count);
    error TokenBridgeNotAMessage(uint256 item, uint8 kind);
    error TokenBridgeWrongTarget(bytes32 target, bytes32 expected);
    error TokenBridgeMalformedItem(uint256 offset);
    error TokenBridgeMissingTag(string name);
    error TokenBridgeNotACreditNotice();
    error TokenBridgeBadQuantity();
    error TokenBridgeBadRecipient();

    /// @notice `from` escrowed `amount`, to be credited to `processRecipient` on the process.
    event Deposited(address indexed from, bytes32 indexed processRecipient, uint256 amount, uint256 nonce);
    /// @notice Item `item` of `slot`'s finalized result released `amount` to `recipient`.
    event Released(uint64 indexed slot, uint256 item, address indexed recipient, uint256 amount);

    constructor(IERC20 token_, IResultRegistry resultRegistry_, bytes32 process_, uint256 scale_) {
        if (address(token_) == address(0)) revert TokenBridgeZeroAddress("token");
        if (address(resultRegistry_) == address(0)) revert TokenBridgeZeroAddress("resultRegistry");
        if (process_ == bytes32(0)) revert TokenBridgeZeroAddress("process");
        if (scale_ == 0) revert TokenBridgeZeroAmount();
        token = token_;
        resultRegistry = resultRegistry_;
        process = process_;
        scale = scale_;
    }

    /// @notice This bridge's address on the process side: its EVM address left-padded to 32 bytes.
    function processAddress() public view returns (bytes32) {
        return bytes32(uint256(uint160(address(this))));
    }

    /**
     * @notice Escrows `amount` of the token for `processRecipient`. The process-side credit is the job
     * of the process's operator (it mints on the process after this event is final on this chain);
     * this example only shows the release direction trustlessly.
     */
    function deposit(uint256 amount, bytes32 processRecipient) external nonReentrant {
        if (amount == 0) revert TokenBridgeZeroAmount();
        uint256 nonce = depositCount++;
        token.safeTransferFrom(msg.sender, address(this), amount);
        emit Deposited(msg.sender, processRecipient, amount, nonce);
    }

    /**
     * @notice Releases what item `item` of `slot`'s result orders: `Quantity · scale` to `X-Recipient`.
     * @param items the whole result of `slot` (published by the compute unit; its hash is checked).
     * @param proof the finalized commitment covering `slot` and the results-tree siblings
     * (`buildBridgeRelease` in sdk/ts/bridge.ts builds it).
     */
    function release(
        uint64 slot,
        ResultItem[] calldata items,
        uint256 item,
        IResultRegistry.ResultProof calldata proof
    ) external nonReentrant returns (address recipient, uint256 amount) {
        bytes32 key = keccak256(abi.encode(slot, item));
        if (released[key]) revert TokenBridgeAlreadyReleased(slot, item);
        if (item >= items.length) revert TokenBridgeItemIndex(item, items.length);
        bytes32 resultHash = resultHashOf(items);
        if (!resultRegistry.verifyResult(process, slot, resultHash, proof)) {
            revert TokenBridgeResultNotFinalized(slot, resultHash);
        }
        if (items[item].kind != KIND_MESSAGE) revert TokenBridgeNotAMessage(item, items[item].kind);
        uint256 quantity;
        (recipient, quantity) = _creditNotice(items[item].data);
        amount = quantity * scale;

        released[key] = true;
        emit Released(slot, item, recipient, amount);
        token.safeTransfer(recipient, amount);
    }

    /// @notice The result hash of a successful result (docs/process-abi.md): items folded in order, each
    /// the chain hash of its 32-byte chunks.
    function resultHashOf(ResultItem[] calldata items) public pure returns (bytes32 r) {
        for (uint256 i = 0; i < items.length; ++i) {
            bytes calldata b = items[i].data;
            bytes32 h;
            for (uint256 at = 0; at < b.length; at += 32) {
                bytes32 chunk;
                assembly ("memory-safe") {
                    chunk := calldataload(add(b.offset, at))
                }
                uint256 n = b.length - at;
                if (n < 32) chunk &= bytes32(~(type(uint256).max >> (8 * n)));
                h = OspHash.resultChunk(h, chunk);
            }
            r = OspHash.resultItem(r, items[i].kind, b.length, h);
        }
    }

    /// @dev Parses an outbound message item (target 32 bytes, u16 tag count, tags as u16-length-prefixed
    /// name and value, u32 data length, data) addressed to this bridge; returns `X-Recipient` and
    /// `Quantity` of a `Credit-Notice`.
    function _creditNotice(bytes calldata m) private view returns (address recipient, uint256 quantity) {
        if (m.length < 34) revert TokenBridgeMalformedItem(0);
        bytes32 target = bytes32(m[0:32]);
        if (target != processAddress()) revert TokenBridgeWrongTarget(target, processAddress());
        uint256 count = uint16(bytes2(m[32:34]));
        uint256 at = 34;
        bool credit;
        bool hasQuantity;
        bool hasRecipient;
        for (uint256 t = 0; t < count; ++t) {
            bytes calldata name;
            bytes calldata value;
            (name, at) = _field(m, at);
            (value, at) = _field(m, at);
            bytes32 nameHash = keccak256(name);
            // The first value of a name counts, as the process's own tag lookup does.
            if (nameHash == ACTION && !credit) {
                if (keccak256(value) != CREDIT_NOTICE) revert TokenBridgeNotACreditNotice();
                credit = true;
            } else if (nameHash == QUANTITY && !hasQuantity) {
                quantity = _decimal(value);
                hasQuantity = true;
            } else if (nameHash == X_RECIPIENT && !hasRecipient) {
                recipient = _address(value);
                hasRecipient = true;
            }
        }
        if (!credit) revert TokenBridgeMissingTag("Action");
        if (!hasQuantity) revert TokenBridgeMissingTag("Quantity");
        if (!hasRecipient) revert TokenBridgeMissingTag("X-Recipient");
    }

    /// @dev A u16-length-prefixed field at `at`; returns it and the offset after it.
    function _field(bytes calldata m, uint256 at) private pure returns (bytes calldata f, uint256 next) {
        if (at + 2 > m.length) revert TokenBridgeMalformedItem(at);
        uint256 n = uint16(bytes2(m[at:at + 2]));
        next = at + 2 + n;
        if (next > m.length) revert TokenBridgeMalformedItem(at);
        f = m[at + 2:next];
    }

    /// @dev A canonical non-zero decimal quantity (no sign, no leading zero, at most 39 digits).
    function _decimal(bytes calldata s) private pure returns (uint256 v) {
        if (s.length == 0 || s.length > 39 || (s[0] == "0")) revert TokenBridgeBadQuantity();
        for (uint256 i = 0; i < s.length; ++i) {
            uint8 c = uint8(s[i]);
            if (c < 48 || c > 57) revert TokenBridgeBadQuantity();
            v = v * 10 + (c - 48);
        }
    }

    /// @dev `0x` followed by 40 hex digits (either case), not the zero address.
    function _address(bytes calldata s) private pure returns (address) {
        if (s.length != 42 || s[0] != "0" || (s[1] != "x" && s[1] != "X")) revert TokenBridgeBadRecipient();
        uint256 v;
        for (uint256 i = 2; i < 42; ++i) {
            uint8 c = uint8(s[i]);
            uint8 d;
            if (c >= 48 && c <= 57) d = c - 48;
            else if (c >= 97 && c <= 102) d = c - 87;
            else if (c >= 65 && c <= 70) d = c - 55;
            else revert TokenBridgeBadRecipient();
            v = (v << 4) | d;
        }
        if (v == 0) revert TokenBridgeBadRecipient();
        return address(uint160(v));
    }
}

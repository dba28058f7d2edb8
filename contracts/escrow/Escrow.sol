// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IEscrow} from "../interfaces/IEscrow.sol";

/// @title Escrow vault with internal balances.
/// @notice Deals move numbers between `available` and `locked` instead of moving tokens, so a deal costs one
/// storage write per party per step. Invariant: token.balanceOf(this) == sum of available + locked.
/// @dev Storage layout (gas depends on it): one slot per account, `available` in the low 128 bits and
/// `locked` in the high 128 bits, always read and written whole.
abstract contract Escrow is IEscrow, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    uint256 private constant HALF = 128;
    uint256 private constant AVAILABLE_MASK = type(uint128).max;

    IERC20 private immutable _token;
    /// @dev available | locked << 128
    mapping(address account => uint256) private _accounts;

    constructor(IERC20 token_) {
        _token = token_;
    }

    /// @inheritdoc IEscrow
    function deposit(uint256 amount) external nonReentrant {
        _deposit(amount);
    }

    /// @inheritdoc IEscrow
    function depositWithPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        nonReentrant
    {
        // A front-run permit leaves the allowance in place, so a failed permit must not block the deposit.
        try IERC20Permit(address(_token)).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        _deposit(amount);
    }

    /// @inheritdoc IEscrow
    function withdraw(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 a = _accounts[msg.sender];
        uint256 available = a & AVAILABLE_MASK;
        if (available < amount) revert InsufficientBalance(msg.sender, amount, available);
        _accounts[msg.sender] = a - amount;
        emit Withdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IEscrow
    function balanceOf(address account) external view returns (uint256 available, uint256 locked) {
        uint256 a = _accounts[account];
        return (a & AVAILABLE_MASK, a >> HALF);
    }

    /// @inheritdoc IEscrow
    function token() external view returns (address) {
        return address(_token);
    }

    function _deposit(uint256 amount) private {
        if (amount == 0) revert ZeroAmount();
        uint256 a = _accounts[msg.sender];
        // Keeping every account's total below 2^128 lets the two halves never overflow into each other.
        if (amount > AVAILABLE_MASK - (a & AVAILABLE_MASK) - (a >> HALF)) revert BalanceOverflow(msg.sender);
        _accounts[msg.sender] = a + amount;
        emit Deposited(msg.sender, amount);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @dev Moves `amount` of `account` from available to locked.
    function _lock(address account, uint256 amount) internal {
        bytes memory shortfall = _tryLock(account, amount);
        if (shortfall.length != 0) {
            assembly ("memory-safe") {
                revert(add(shortfall, 0x20), mload(shortfall))
            }
        }
    }

    /// @dev `_lock` that returns the `InsufficientBalance` error instead of reverting (empty when locked).
    function _tryLock(address account, uint256 amount) internal returns (bytes memory shortfall) {
        uint256 a = _accounts[account];
        uint256 available = a & AVAILABLE_MASK;
        if (available < amount) return abi.encodeWithSelector(InsufficientBalance.selector, account, amount, available);
        // available - amount + (locked + amount) << 128; locked + amount stays below 2^128 (see `_deposit`).
        unchecked {
            _accounts[account] = a - amount + (amount << HALF);
        }
    }

    /// @dev Releases `unlock` from `account`'s locked balance and credits `credit` to its available balance.
    /// Settlement calls it once per party with amounts whose credits sum to their unlocks, which keeps the
    /// vault's invariant; the checks turn any accounting bug into a revert instead of lost funds.
    function _settle(address account, uint256 unlock, uint256 credit) internal {
        uint256 a = _accounts[account];
        uint256 locked = a >> HALF;
        uint256 available = (a & AVAILABLE_MASK) + credit;
        if (locked < unlock || available > AVAILABLE_MASK) revert BalanceOverflow(account);
        _accounts[account] = available | ((locked - unlock) << HALF);
    }
}

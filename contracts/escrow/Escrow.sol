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

    struct Account {
        uint128 available;
        uint128 locked;
    }

    IERC20 private immutable _token;
    mapping(address account => Account) private _accounts;

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
        Account memory a = _accounts[msg.sender];
        if (a.available < amount) revert InsufficientBalance(msg.sender, amount, a.available);
        a.available -= uint128(amount);
        _accounts[msg.sender] = a;
        emit Withdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IEscrow
    function balanceOf(address account) external view returns (uint256 available, uint256 locked) {
        Account memory a = _accounts[account];
        return (a.available, a.locked);
    }

    /// @inheritdoc IEscrow
    function token() external view returns (address) {
        return address(_token);
    }

    function _deposit(uint256 amount) private {
        if (amount == 0) revert ZeroAmount();
        Account memory a = _accounts[msg.sender];
        uint256 next = uint256(a.available) + amount;
        if (next + a.locked > type(uint128).max) revert BalanceOverflow(msg.sender);
        a.available = uint128(next);
        _accounts[msg.sender] = a;
        emit Deposited(msg.sender, amount);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @dev Moves `amount` of `account` from available to locked.
    function _lock(address account, uint256 amount) internal {
        Account memory a = _accounts[account];
        if (a.available < amount) revert InsufficientBalance(account, amount, a.available);
        // Both halves stay within 128 bits: their sum is bounded by the deposits, checked in `_deposit`.
        unchecked {
            a.available -= uint128(amount);
            a.locked += uint128(amount);
        }
        _accounts[account] = a;
    }

    /// @dev Releases `unlock` from `account`'s locked balance and credits `credit` to its available balance.
    /// Settlement calls it once per party with amounts whose credits sum to their unlocks, which keeps the
    /// vault's invariant; the checked arithmetic turns any accounting bug into a revert instead of lost funds.
    function _settle(address account, uint256 unlock, uint256 credit) internal {
        Account memory a = _accounts[account];
        a.locked -= uint128(unlock);
        a.available += uint128(credit);
        _accounts[account] = a;
    }
}

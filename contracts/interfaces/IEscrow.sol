// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Escrow: token balances held for the market, split into available and locked.
interface IEscrow {
    /// @notice Tokens moved from `account`'s wallet into its available balance.
    event Deposited(address indexed account, uint256 amount);
    /// @notice Tokens moved from `account`'s available balance back to its wallet.
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice `account` has `available` but an operation needs `needed`.
    error InsufficientBalance(address account, uint256 needed, uint256 available);
    /// @notice Zero amounts are refused so that every event moves value.
    error ZeroAmount();
    /// @notice A balance would no longer fit the 128-bit accounting.
    error BalanceOverflow(address account);

    /// @notice Moves `amount` tokens from the caller's wallet into its available balance (needs an allowance).
    /// @param amount Token amount in wei.
    function deposit(uint256 amount) external;

    /// @notice Like `deposit`, with an ERC-2612 permit instead of a prior approval.
    /// @param amount Token amount in wei.
    /// @param deadline The permit's deadline.
    /// @param v Permit signature v.
    /// @param r Permit signature r.
    /// @param s Permit signature s.
    function depositWithPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;

    /// @notice Moves `amount` from the caller's available balance back to its wallet.
    /// @param amount Token amount in wei.
    function withdraw(uint256 amount) external;

    /// @notice The caller-independent view of an account.
    /// @param account The address to read.
    /// @return available Free to withdraw or to lock in a new deal.
    /// @return locked Held by open deals.
    function balanceOf(address account) external view returns (uint256 available, uint256 locked);

    /// @notice The escrowed ERC-20 token.
    /// @return The token's address.
    function token() external view returns (address);
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDealTypes} from "./IDealTypes.sol";

/// @title Implemented by a contract job creator that asks to be told when its deal closes.
interface IDealCallback {
    /// @notice Called by the market, with a fixed gas allowance, once the deal has settled.
    /// @param dealId The deal that closed.
    /// @param outcome How it closed.
    /// @param resultCidDigest The result's CID digest (CIDv1 dag-pb sha2-256), zero when no result was accepted.
    /// @param refund What returned to the creator's available escrow balance in this settlement.
    function onDealClosed(bytes32 dealId, IDealTypes.Outcome outcome, bytes32 resultCidDigest, uint256 refund)
        external;
}

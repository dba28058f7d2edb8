// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Implemented by a contract that asks the network for jobs through the OnChainJobCreator.
interface IJobClient {
    /// @notice Delivered by the protocol when the job's deal closes.
    /// @param requestId The id `requestJob` returned.
    /// @param ok True when a result was accepted (by the creator, optimistically or by a mediator).
    /// @param resultCidDigest The result directory's CID digest (CIDv1 dag-pb sha2-256); zero when `ok` is false.
    function onJobResult(uint256 requestId, bool ok, bytes32 resultCidDigest) external;
}

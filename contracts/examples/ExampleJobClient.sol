// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IJobClient} from "../interfaces/IJobClient.sol";
import {IOnChainJobCreator} from "../interfaces/IOnChainJobCreator.sol";

/// @title Example: a contract that asks the network to run a job and stores the result CID it gets back.
contract ExampleJobClient is IJobClient {
    using SafeERC20 for IERC20;

    IOnChainJobCreator public immutable jobCreator;
    IERC20 public immutable token;
    address public immutable owner;

    /// @notice Result CID digests by request id (zero until delivered or when the job failed).
    mapping(uint256 requestId => bytes32) public resultOf;
    /// @notice Whether the job's result was accepted.
    mapping(uint256 requestId => bool) public succeeded;
    /// @notice Whether the protocol has called back for the request.
    mapping(uint256 requestId => bool) public delivered;

    /// @notice The protocol delivered the outcome of `requestId`.
    event ResultReceived(uint256 indexed requestId, bool ok, bytes32 resultCidDigest);

    /// @notice Only the job creator contract may deliver results.
    error NotJobCreator(address caller);
    /// @notice Only the deployer may spend this contract's tokens.
    error NotOwner(address caller);

    /// @param jobCreator_ The network's OnChainJobCreator.
    /// @param token_ The payment token (the contract must hold some).
    constructor(IOnChainJobCreator jobCreator_, IERC20 token_) {
        jobCreator = jobCreator_;
        token = token_;
        owner = msg.sender;
    }

    /// @notice Asks for a job, paying from this contract's token balance.
    /// @param request The job request.
    /// @return requestId The request's id.
    function requestJob(IOnChainJobCreator.JobRequest calldata request) external returns (uint256 requestId) {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        token.forceApprove(address(jobCreator), uint256(request.payment) + request.mediationFee);
        return jobCreator.requestJob(request);
    }

    /// @inheritdoc IJobClient
    function onJobResult(uint256 requestId, bool ok, bytes32 resultCidDigest) external {
        if (msg.sender != address(jobCreator)) revert NotJobCreator(msg.sender);
        delivered[requestId] = true;
        succeeded[requestId] = ok;
        resultOf[requestId] = resultCidDigest;
        emit ResultReceived(requestId, ok, resultCidDigest);
    }

    /// @notice Pulls this contract's leftover payments back from the job creator.
    /// @notice Owner only: cancels a request no deal took before its expiry; its payment becomes claimable.
    /// @param requestId The request.
    function cancel(uint256 requestId) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        jobCreator.cancel(requestId);
    }

    /// @notice Pulls this client's refunds (unspent payments, cancelled requests) back from the job creator.
    function claimRefunds() external {
        jobCreator.claimRefunds();
    }
}

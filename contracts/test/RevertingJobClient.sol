// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IJobClient} from "../interfaces/IJobClient.sol";
import {IOnChainJobCreator} from "../interfaces/IOnChainJobCreator.sol";

/// @title Test only: a job client whose callback fails, to check that a misbehaving client cannot block
/// settlement. Never deploy it on a real network.
contract RevertingJobClient is IJobClient {
    using SafeERC20 for IERC20;

    /// @notice How `onJobResult` fails.
    enum Mode {
        Revert, // reverts with `Refused`
        BurnGas, // loops until its gas allowance runs out
        ReturnBomb // reverts with as much revert data as its gas allowance can pay for
    }

    IOnChainJobCreator public immutable jobCreator;
    IERC20 public immutable token;
    Mode public immutable mode;

    /// @notice What `onJobResult` reverts with in `Mode.Revert`.
    error Refused(uint256 requestId);

    /// @param jobCreator_ The network's OnChainJobCreator.
    /// @param token_ The payment token (the contract must hold some).
    /// @param mode_ How the callback fails.
    constructor(IOnChainJobCreator jobCreator_, IERC20 token_, Mode mode_) {
        jobCreator = jobCreator_;
        token = token_;
        mode = mode_;
    }

    /// @notice Asks for a job, paying from this contract's token balance (anyone may call: test only).
    /// @param request The job request.
    /// @return requestId The request's id.
    function requestJob(IOnChainJobCreator.JobRequest calldata request) external returns (uint256 requestId) {
        token.forceApprove(address(jobCreator), uint256(request.payment) + request.mediationFee);
        return jobCreator.requestJob(request);
    }

    /// @notice Cancels one of this contract's expired, unmatched requests.
    /// @param requestId The request.
    function cancel(uint256 requestId) external {
        jobCreator.cancel(requestId);
    }

    /// @notice Pulls this contract's leftover payments back from the job creator.
    function claimRefunds() external {
        jobCreator.claimRefunds();
    }

    /// @inheritdoc IJobClient
    function onJobResult(uint256 requestId, bool, bytes32) external view {
        if (mode == Mode.Revert) revert Refused(requestId);
        if (mode == Mode.ReturnBomb) {
            // 200 KB of revert data costs the callee about 100,000 gas of memory expansion; a caller that
            // copies it into its own memory pays about as much again.
            assembly ("memory-safe") {
                revert(0, 200000)
            }
        }
        // Spin until the allowance is gone (an out-of-gas failure, not a revert).
        uint256 i;
        while (gasleft() > 0) {
            unchecked {
                ++i;
            }
        }
    }
}

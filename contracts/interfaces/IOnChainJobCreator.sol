// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDealTypes} from "./IDealTypes.sol";

/// @title On-chain job creator: lets another contract request a job and receive its result by callback.
/// @notice This contract is the deal's job creator. It approves its own job offers through EIP-1271, so the
/// off-chain job-creator service only relays offers to the solver: it cannot alter one, spend the client's
/// payment elsewhere, or fake the result, which the market delivers itself when the deal closes.
/// Its jobs get the protection any job creator has: only the request's submitter (its solver) may open the
/// deal, the market prices no more than the request's instruction ceiling, and the request's judge (an
/// account that checks results off chain, as the SDK does, or the client itself) may accept or challenge,
/// with the mediation fee paid from the client's deposit.
interface IOnChainJobCreator {
    /// @notice What a client contract asks for.
    struct JobRequest {
        bytes32 moduleId;
        string inputs; // canonical JSON of the module inputs; the offer commits to keccak256(bytes(inputs))
        uint96 maxBasePrice;
        uint96 maxPricePerMInstr;
        uint96 payment; // pulled from the client and locked as the deal's payment collateral
        uint96 minTimeoutCollateral;
        uint16 minCollateralMultiple;
        address[4] mediators; // ascending, zero-padded at the end
        uint32 resultTimeout;
        uint32 judgingWindow;
        uint32 mediationTimeout;
        uint64 expiry; // after this, an unmatched request can be cancelled
        uint64 maxInstructions; // the most instructions the market will price (the module's own limit)
        uint96 mediationFee; // pulled with the payment; returned unless the judge challenges
        address submitter; // the only account that may open the deal (the solver); zero for anyone
        address judge; // may accept or challenge the result; zero for the client itself
    }

    /// @notice Where a request is.
    enum RequestStatus {
        None,
        Pending,
        Completed,
        Cancelled
    }

    /// @notice A client asked for a job; relayers forward `offer`, signed for `submitter`, to that solver.
    event JobRequested(
        uint256 indexed requestId,
        address indexed client,
        bytes32 indexed dealId,
        IDealTypes.JobOffer offer,
        address submitter,
        string inputs
    );
    /// @notice The job's deal closed and the client was called back.
    event JobCompleted(
        uint256 indexed requestId, bytes32 indexed dealId, IDealTypes.Outcome outcome, bytes32 resultCidDigest
    );
    /// @notice The client has no code, or its callback reverted or ran out of gas; the result stays readable in
    /// `JobCompleted` and any refund is claimable.
    event ClientCallbackFailed(uint256 indexed requestId, address indexed client);
    /// @notice An unmatched, expired request was cancelled and its payment made claimable.
    event JobCancelled(uint256 indexed requestId);
    /// @notice `client` withdrew `amount` of refunds.
    event RefundClaimed(address indexed client, uint256 amount);

    /// @notice Only the market may deliver deal outcomes.
    error NotMarket(address caller);
    /// @notice Only the client that made the request may do this.
    error NotClient(address caller);
    /// @notice The request cannot be cancelled: already matched or finished, or not expired yet.
    error NotCancellable(uint256 requestId);
    /// @notice Nothing to claim.
    error NothingToClaim();
    /// @notice The request's payment is zero or its expiry is in the past.
    error InvalidRequest();
    /// @notice Only the request's judge may accept or challenge its result.
    error NotJudge(address caller);

    /// @notice Requests a job; pulls `request.payment + request.mediationFee` tokens from the caller (needs an
    /// allowance).
    /// @param request The job.
    /// @return requestId Its id (the job offer's lane is its low 32 bits).
    function requestJob(JobRequest calldata request) external returns (uint256 requestId);

    /// @notice Judge only: accepts the result posted for the request's deal (the RP is paid at once).
    /// @param requestId The request.
    /// @param deal The deal's packed terms.
    /// @param result The posted result.
    function accept(uint256 requestId, uint256[5] calldata deal, IDealTypes.Result calldata result) external;

    /// @notice Judge only: challenges the result posted for the request's deal; the mediation fee comes from
    /// the client's deposit.
    /// @param requestId The request.
    /// @param deal The deal's packed terms.
    /// @param result The posted result.
    function challenge(uint256 requestId, uint256[5] calldata deal, IDealTypes.Result calldata result) external;

    /// @notice Client only: cancels a request that no deal took before its expiry.
    /// @param requestId The request.
    function cancel(uint256 requestId) external;

    /// @notice Sends the caller the refunds its finished or cancelled requests left over.
    function claimRefunds() external;

    /// @notice Refunds waiting for `client`.
    /// @param client The client contract.
    /// @return amount Token wei.
    function claimable(address client) external view returns (uint256 amount);
}

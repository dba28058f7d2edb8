// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IDealTypes} from "../interfaces/IDealTypes.sol";
import {IDealCallback} from "../interfaces/IDealCallback.sol";
import {IJobClient} from "../interfaces/IJobClient.sol";
import {IOnChainJobCreator} from "../interfaces/IOnChainJobCreator.sol";
import {ILilypadMarket} from "../interfaces/ILilypadMarket.sol";
import {IEscrow} from "../interfaces/IEscrow.sol";

/// @title On-chain job creator (see IOnChainJobCreator).
contract OnChainJobCreator is IOnChainJobCreator, IDealCallback, IERC1271, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Gas a client's `onJobResult` receives (the market gives this contract 200,000 in all).
    uint256 public constant CLIENT_CALLBACK_GAS = 120_000;

    struct Request {
        address client;
        RequestStatus status;
        bool challenged;
        uint64 expiry;
        uint96 payment;
        address judge;
        uint96 mediationFee;
        bytes32 dealId;
    }

    ILilypadMarket public immutable market;
    IERC20 public immutable token;

    uint256 private _nextRequestId = 1;
    mapping(uint256 requestId => Request) private _requests;
    mapping(bytes32 dealId => uint256) private _requestOfDeal;
    mapping(address client => uint256) private _claimable;

    /// @param market_ The market whose deals this contract creates.
    constructor(ILilypadMarket market_) {
        market = market_;
        token = IERC20(IEscrow(address(market_)).token());
    }

    /// @inheritdoc IOnChainJobCreator
    function requestJob(JobRequest calldata request) external nonReentrant returns (uint256 requestId) {
        if (request.payment == 0 || request.expiry <= block.timestamp) revert InvalidRequest();
        requestId = _nextRequestId++;
        IDealTypes.JobOffer memory offer = IDealTypes.JobOffer({
            creator: address(this),
            moduleId: request.moduleId,
            inputsHash: keccak256(bytes(request.inputs)),
            maxBasePrice: request.maxBasePrice,
            maxPricePerMInstr: request.maxPricePerMInstr,
            paymentCollateral: request.payment,
            mediationFee: request.mediationFee,
            minTimeoutCollateral: request.minTimeoutCollateral,
            minCollateralMultiple: request.minCollateralMultiple,
            mediators: request.mediators,
            targetProvider: address(0),
            resultTimeout: request.resultTimeout,
            judgingWindow: request.judgingWindow,
            mediationTimeout: request.mediationTimeout,
            callback: true,
            // A fresh lane per request; after 2^32 requests the lanes are reused with the next sequence number.
            lane: _laneOf(requestId),
            seq: _seqOf(requestId),
            expiry: request.expiry,
            maxInstructions: request.maxInstructions
        });
        bytes32 dealId = market.hashJobOffer(offer, request.submitter);
        address judge = request.judge == address(0) ? msg.sender : request.judge;
        _requests[requestId] = Request(
            msg.sender, RequestStatus.Pending, false, request.expiry, request.payment, judge, request.mediationFee, dealId
        );
        _requestOfDeal[dealId] = requestId;
        emit JobRequested(requestId, msg.sender, dealId, offer, request.submitter, request.inputs);

        uint256 deposit = uint256(request.payment) + request.mediationFee;
        token.safeTransferFrom(msg.sender, address(this), deposit);
        token.forceApprove(address(market), deposit);
        IEscrow(address(market)).deposit(deposit);
    }

    /// @inheritdoc IOnChainJobCreator
    function accept(uint256 requestId, uint256[5] calldata deal, IDealTypes.Result calldata result)
        external
        nonReentrant
    {
        Request storage r = _judged(requestId);
        market.accept(r.dealId, deal, result);
    }

    /// @inheritdoc IOnChainJobCreator
    function challenge(uint256 requestId, uint256[5] calldata deal, IDealTypes.Result calldata result)
        external
        nonReentrant
    {
        Request storage r = _judged(requestId);
        r.challenged = true;
        market.challenge(r.dealId, deal, result);
    }

    function _judged(uint256 requestId) private view returns (Request storage r) {
        r = _requests[requestId];
        if (msg.sender != r.judge) revert NotJudge(msg.sender);
    }

    /// @notice EIP-1271: approves exactly the job offers of pending requests.
    /// @param hash The EIP-712 digest of a job offer.
    /// @return magic 0x1626ba7e when approved.
    function isValidSignature(bytes32 hash, bytes calldata) external view returns (bytes4 magic) {
        uint256 requestId = _requestOfDeal[hash];
        if (requestId != 0 && _requests[requestId].status == RequestStatus.Pending) {
            return IERC1271.isValidSignature.selector;
        }
        return 0xffffffff;
    }

    /// @inheritdoc IDealCallback
    function onDealClosed(bytes32 dealId, IDealTypes.Outcome outcome, bytes32 resultCidDigest, uint256 refund)
        external
    {
        if (msg.sender != address(market)) revert NotMarket(msg.sender);
        uint256 requestId = _requestOfDeal[dealId];
        Request storage r = _requests[requestId];
        address client = r.client;
        r.status = RequestStatus.Completed;
        // A fee never locked for a challenge is still in this contract's escrow balance: it goes back too.
        _claimable[client] += r.challenged ? refund : refund + r.mediationFee;
        emit JobCompleted(requestId, dealId, outcome, resultCidDigest);
        // Solidity checks that the callee has code before the call, and that check's revert escapes the
        // `try` below: it would undo the refund credited above and strand it in escrow for good. A client
        // without code (an externally owned account) is simply not called back.
        if (client.code.length == 0) {
            emit ClientCallbackFailed(requestId, client);
            return;
        }
        bool ok = outcome == IDealTypes.Outcome.Accepted || outcome == IDealTypes.Outcome.Finalized
            || outcome == IDealTypes.Outcome.ProviderRight;
        try IJobClient(client).onJobResult{gas: CLIENT_CALLBACK_GAS}(requestId, ok, ok ? resultCidDigest : bytes32(0)) {}
        catch {
            emit ClientCallbackFailed(requestId, client);
        }
    }

    /// @inheritdoc IOnChainJobCreator
    function cancel(uint256 requestId) external nonReentrant {
        Request storage r = _requests[requestId];
        if (r.client != msg.sender) revert NotClient(msg.sender);
        (,, uint32 laneSeq) = market.laneStatus(address(this), _laneOf(requestId));
        bool opened = laneSeq >= _seqOf(requestId);
        // Once the offer has expired no deal can open from it, so the payment is free again.
        if (r.status != RequestStatus.Pending || opened || block.timestamp <= r.expiry) {
            revert NotCancellable(requestId);
        }
        r.status = RequestStatus.Cancelled;
        _claimable[msg.sender] += uint256(r.payment) + r.mediationFee;
        emit JobCancelled(requestId);
    }

    /// @inheritdoc IOnChainJobCreator
    function claimRefunds() external nonReentrant {
        uint256 amount = _claimable[msg.sender];
        if (amount == 0) revert NothingToClaim();
        _claimable[msg.sender] = 0;
        emit RefundClaimed(msg.sender, amount);
        IEscrow(address(market)).withdraw(amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IOnChainJobCreator
    function claimable(address client) external view returns (uint256) {
        return _claimable[client];
    }

    function _laneOf(uint256 requestId) private pure returns (uint32) {
        return uint32(requestId);
    }

    function _seqOf(uint256 requestId) private pure returns (uint32) {
        return uint32(requestId >> 32) + 1;
    }

    /// @notice A request's client, status, payment and deal id.
    /// @param requestId The request.
    /// @return The request.
    function requestOf(uint256 requestId) external view returns (Request memory) {
        return _requests[requestId];
    }
}

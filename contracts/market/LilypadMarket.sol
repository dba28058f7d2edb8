// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ILilypadMarket} from "../interfaces/ILilypadMarket.sol";
import {IDealCallback} from "../interfaces/IDealCallback.sol";
import {Escrow} from "../escrow/Escrow.sol";
import {ModuleRegistry} from "../registry/ModuleRegistry.sol";

/// @title Lilypad market: escrow, module registry and the whole deal lifecycle in one contract.
/// @notice No trusted party: the owner (governance) can only block modules. Funds move only by the rules below.
/// @dev Storage layout (gas depends on it): one slot per deal, keyed by the deal id (the EIP-712 digest of the
/// job offer):
///   bits 0..7    DealState
///   bits 8..47   deadline of the current step (unix seconds)
///   bits 48..255 commitment: the top 208 bits of keccak256(abi.encode(deal)) while open, then of
///                keccak256(abi.encode(deal, result)) once a result is posted.
/// A closed deal keeps a non-zero slot (so its job offer cannot reopen it) until the offer has expired; a deal
/// closed after its offer's expiry clears the slot and earns the storage refund.
contract LilypadMarket is ILilypadMarket, Escrow, ModuleRegistry, EIP712 {
    /// @notice Most mediators an offer may list.
    uint256 public constant MAX_MEDIATORS = 16;
    /// @notice Longest timeout an offer may set.
    uint32 public constant MAX_TIMEOUT = 30 days;
    /// @notice Gas every creator callback receives.
    uint256 public constant CALLBACK_GAS = 200_000;
    /// @notice Longest result CID accepted, in bytes.
    uint256 public constant MAX_CID_LENGTH = 128;

    bytes32 private constant JOB_OFFER_TYPEHASH = keccak256(
        "JobOffer(address creator,bytes32 moduleId,bytes32 inputsHash,uint96 maxBasePrice,uint96 maxPricePerMInstr,"
        "uint96 paymentCollateral,uint96 mediationFee,uint96 minTimeoutCollateral,uint16 minCollateralMultiple,"
        "address[] mediators,address targetProvider,uint32 resultTimeout,uint32 judgingWindow,"
        "uint32 mediationTimeout,bool callback,uint64 nonce,uint64 expiry)"
    );
    bytes32 private constant RESOURCE_OFFER_TYPEHASH = keccak256(
        "ResourceOffer(address provider,bytes32 jobOfferHash,uint96 basePrice,uint96 pricePerMInstr,"
        "uint96 timeoutCollateral,uint16 collateralMultiple,address[] mediators,uint64 expiry)"
    );

    uint256 private constant STATE_MASK = 0xff;
    uint256 private constant DEADLINE_SHIFT = 8;
    uint256 private constant COMMITMENT_SHIFT = 48;

    mapping(bytes32 dealId => uint256) private _deals;

    /// @param token_ The escrowed ERC-20 token.
    /// @param governance The only address that can block modules.
    constructor(IERC20 token_, address governance) Escrow(token_) Ownable(governance) EIP712("Lilypad", "1") {}

    // ------------------------------------------------------------------------------------------------ open

    /// @inheritdoc ILilypadMarket
    function openDeal(
        JobOffer calldata job,
        bytes calldata jobSignature,
        ResourceOffer calldata resource,
        bytes calldata resourceSignature
    ) external nonReentrant returns (bytes32) {
        return _openDeal(job, jobSignature, resource, resourceSignature);
    }

    /// @inheritdoc ILilypadMarket
    function openDeals(
        JobOffer[] calldata jobs,
        bytes[] calldata jobSignatures,
        ResourceOffer[] calldata resources,
        bytes[] calldata resourceSignatures
    ) external nonReentrant returns (bytes32[] memory dealIds) {
        uint256 n = jobs.length;
        if (jobSignatures.length != n || resources.length != n || resourceSignatures.length != n) {
            revert LengthMismatch();
        }
        dealIds = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            dealIds[i] = _openDeal(jobs[i], jobSignatures[i], resources[i], resourceSignatures[i]);
        }
    }

    function _openDeal(
        JobOffer calldata job,
        bytes calldata jobSignature,
        ResourceOffer calldata resource,
        bytes calldata resourceSignature
    ) private returns (bytes32 dealId) {
        if (job.expiry < block.timestamp) revert OfferExpired(job.expiry);
        if (resource.expiry < block.timestamp) revert OfferExpired(resource.expiry);
        dealId = _hashTypedDataV4(_jobOfferStructHash(job));
        if (_deals[dealId] != 0) revert DealExists(dealId);
        if (resource.jobOfferHash != dealId) revert ResourceOfferMismatch(dealId, resource.jobOfferHash);
        if (!SignatureChecker.isValidSignatureNow(job.creator, dealId, jobSignature)) {
            revert InvalidSignature(job.creator);
        }
        bytes32 resourceDigest = _hashTypedDataV4(_resourceOfferStructHash(resource));
        if (!SignatureChecker.isValidSignatureNow(resource.provider, resourceDigest, resourceSignature)) {
            revert InvalidSignature(resource.provider);
        }
        _checkCompatible(job, resource);
        if (isModuleBlocked(job.moduleId)) revert ModuleIsBlocked(job.moduleId);

        Deal memory deal = Deal({
            creator: job.creator,
            provider: resource.provider,
            mediator: _drawMediator(dealId, job.mediators, resource.mediators),
            basePrice: resource.basePrice,
            pricePerMInstr: resource.pricePerMInstr,
            paymentCollateral: job.paymentCollateral,
            timeoutCollateral: resource.timeoutCollateral,
            mediationFee: job.mediationFee,
            collateralMultiple: resource.collateralMultiple,
            judgingWindow: job.judgingWindow,
            mediationTimeout: job.mediationTimeout,
            offerExpiry: job.expiry,
            callback: job.callback
        });
        _lock(deal.creator, deal.paymentCollateral);
        _lock(deal.provider, deal.timeoutCollateral);
        uint40 deadline = uint40(block.timestamp) + job.resultTimeout;
        _deals[dealId] = _pack(DealState.Open, deadline, _commitment(abi.encode(deal)));
        emit DealOpened(dealId, deal.creator, deal.provider, job.moduleId, job.inputsHash, deal, deadline);
    }

    function _checkCompatible(JobOffer calldata job, ResourceOffer calldata resource) private pure {
        if (job.creator == resource.provider) revert SelfDeal();
        if (job.targetProvider != address(0) && job.targetProvider != resource.provider) {
            revert ProviderNotTargeted(job.targetProvider, resource.provider);
        }
        if (resource.basePrice > job.maxBasePrice || resource.pricePerMInstr > job.maxPricePerMInstr) {
            revert PriceTooHigh();
        }
        if (
            resource.timeoutCollateral < job.minTimeoutCollateral
                || resource.collateralMultiple < job.minCollateralMultiple
        ) revert CollateralTooLow();
        if (
            job.resultTimeout == 0 || job.judgingWindow == 0 || job.mediationTimeout == 0
                || job.resultTimeout > MAX_TIMEOUT || job.judgingWindow > MAX_TIMEOUT
                || job.mediationTimeout > MAX_TIMEOUT
        ) revert InvalidTimeout();
    }

    /// @dev Draws the deal's mediator from those both offers list (each list sorted ascending, so that
    /// repeating a name cannot weight the draw). The seed mixes the deal id with the block's randomness,
    /// which neither party knows when it signs.
    function _drawMediator(bytes32 dealId, address[] calldata a, address[] calldata b)
        private
        view
        returns (address)
    {
        if (a.length > MAX_MEDIATORS || b.length > MAX_MEDIATORS) revert TooManyMediators();
        address[] memory common = new address[](a.length);
        uint256 n;
        uint256 j;
        address previous;
        for (uint256 i; i < a.length; ++i) {
            address m = a[i];
            if (m <= previous) revert MediatorsNotSorted();
            previous = m;
            // Both lists are sorted: advance through b in one merge pass.
            while (j < b.length && b[j] < m) ++j;
            if (j < b.length && b[j] == m) common[n++] = m;
        }
        for (uint256 k = 1; k < b.length; ++k) {
            if (b[k] <= b[k - 1]) revert MediatorsNotSorted();
        }
        if (n == 0) revert NoCommonMediator();
        if (n == 1) return common[0];
        return common[uint256(keccak256(abi.encode(dealId, block.prevrandao))) % n];
    }

    // ---------------------------------------------------------------------------------------------- result

    /// @inheritdoc ILilypadMarket
    function postResult(bytes32 dealId, Deal calldata deal, Result calldata result) external nonReentrant {
        _postResult(dealId, deal, result);
    }

    /// @inheritdoc ILilypadMarket
    function postResults(bytes32[] calldata dealIds, Deal[] calldata deals, Result[] calldata results)
        external
        nonReentrant
    {
        uint256 n = dealIds.length;
        if (deals.length != n || results.length != n) revert LengthMismatch();
        for (uint256 i; i < n; ++i) {
            _postResult(dealIds[i], deals[i], results[i]);
        }
    }

    function _postResult(bytes32 dealId, Deal calldata deal, Result calldata result) private {
        _requireCaller(deal.provider);
        uint40 deadline = _requireState(dealId, DealState.Open, _commitment(abi.encode(deal)));
        if (block.timestamp > deadline) revert DeadlinePassed(dealId, deadline);
        if (result.cid.length == 0 || result.cid.length > MAX_CID_LENGTH) revert InvalidResult();
        uint256 cost = _cost(deal, result.instructions);
        uint256 resultsCollateral = cost * deal.collateralMultiple;
        _lock(deal.provider, resultsCollateral);
        uint40 next = uint40(block.timestamp) + deal.judgingWindow;
        _deals[dealId] = _pack(DealState.ResultPosted, next, _commitment(abi.encode(deal, result)));
        emit ResultPosted(dealId, result, cost, resultsCollateral, next);
    }

    // --------------------------------------------------------------------------------------------- judging

    /// @inheritdoc ILilypadMarket
    function accept(bytes32 dealId, Deal calldata deal, Result calldata result) external nonReentrant {
        _requireCaller(deal.creator);
        _requireState(dealId, DealState.ResultPosted, _commitment(abi.encode(deal, result)));
        _payProvider(dealId, deal, result, Outcome.Accepted, 0);
    }

    /// @inheritdoc ILilypadMarket
    function challenge(bytes32 dealId, Deal calldata deal, Result calldata result) external nonReentrant {
        _requireCaller(deal.creator);
        uint256 commitment = _commitment(abi.encode(deal, result));
        uint40 deadline = _requireState(dealId, DealState.ResultPosted, commitment);
        if (block.timestamp > deadline) revert DeadlinePassed(dealId, deadline);
        _lock(deal.creator, deal.mediationFee);
        uint40 next = uint40(block.timestamp) + deal.mediationTimeout;
        _deals[dealId] = _pack(DealState.Challenged, next, commitment);
        emit DealChallenged(dealId, deal.mediator, next);
    }

    /// @inheritdoc ILilypadMarket
    function rule(bytes32 dealId, Deal calldata deal, Result calldata result, bool providerRight)
        external
        nonReentrant
    {
        _requireCaller(deal.mediator);
        uint40 deadline = _requireState(dealId, DealState.Challenged, _commitment(abi.encode(deal, result)));
        if (block.timestamp > deadline) revert DeadlinePassed(dealId, deadline);
        if (providerRight) {
            _payProvider(dealId, deal, result, Outcome.ProviderRight, deal.mediationFee);
            return;
        }
        // The RP's results collateral compensates the JC, who pays nothing for the job.
        uint256 resultsCollateral = _cost(deal, result.instructions) * deal.collateralMultiple;
        uint256 refund = uint256(deal.paymentCollateral) + resultsCollateral;
        _settle(deal.creator, uint256(deal.paymentCollateral) + deal.mediationFee, refund);
        _settle(deal.provider, uint256(deal.timeoutCollateral) + resultsCollateral, deal.timeoutCollateral);
        _settle(deal.mediator, 0, deal.mediationFee);
        _close(dealId, deal, "", Outcome.ProviderWrong, 0, refund);
    }

    // ------------------------------------------------------------------------------------------- timeouts

    /// @inheritdoc ILilypadMarket
    function finalize(bytes32 dealId, Deal calldata deal, Result calldata result) external nonReentrant {
        _finalize(dealId, deal, result);
    }

    /// @inheritdoc ILilypadMarket
    function finalizeMany(bytes32[] calldata dealIds, Deal[] calldata deals, Result[] calldata results)
        external
        nonReentrant
    {
        uint256 n = dealIds.length;
        if (deals.length != n || results.length != n) revert LengthMismatch();
        for (uint256 i; i < n; ++i) {
            _finalize(dealIds[i], deals[i], results[i]);
        }
    }

    function _finalize(bytes32 dealId, Deal calldata deal, Result calldata result) private {
        DealState state = DealState(_deals[dealId] & STATE_MASK);
        if (state == DealState.Open) {
            _requireExpired(dealId, _requireState(dealId, state, _commitment(abi.encode(deal))));
            // The RP never answered: the JC gets its collateral back plus the RP's timeout collateral.
            uint256 refund = uint256(deal.paymentCollateral) + deal.timeoutCollateral;
            _settle(deal.creator, deal.paymentCollateral, refund);
            _settle(deal.provider, deal.timeoutCollateral, 0);
            _close(dealId, deal, "", Outcome.ResultTimeout, 0, refund);
        } else if (state == DealState.ResultPosted) {
            _requireExpired(dealId, _requireState(dealId, state, _commitment(abi.encode(deal, result))));
            _payProvider(dealId, deal, result, Outcome.Finalized, 0);
        } else if (state == DealState.Challenged) {
            _requireExpired(dealId, _requireState(dealId, state, _commitment(abi.encode(deal, result))));
            // The mediator never ruled: nobody is paid, every lock is released, the fee returns to the JC.
            uint256 refund = uint256(deal.paymentCollateral) + deal.mediationFee;
            uint256 providerLocked =
                uint256(deal.timeoutCollateral) + _cost(deal, result.instructions) * deal.collateralMultiple;
            _settle(deal.creator, refund, refund);
            _settle(deal.provider, providerLocked, providerLocked);
            _close(dealId, deal, "", Outcome.MediationTimeout, 0, refund);
        } else {
            revert WrongState(dealId, state);
        }
    }

    // ----------------------------------------------------------------------------------------- settlement

    /// @dev Pays the RP the job's cost, releases its collateral and returns the JC's unspent collateral;
    /// `fee` (if any) moves from the JC's lock to the mediator.
    function _payProvider(bytes32 dealId, Deal calldata deal, Result calldata result, Outcome outcome, uint256 fee)
        private
    {
        uint256 cost = _cost(deal, result.instructions);
        uint256 providerLocked = uint256(deal.timeoutCollateral) + cost * deal.collateralMultiple;
        uint256 refund = deal.paymentCollateral - cost;
        _settle(deal.creator, uint256(deal.paymentCollateral) + fee, refund);
        _settle(deal.provider, providerLocked, providerLocked + cost);
        if (fee != 0) _settle(deal.mediator, 0, fee);
        _close(dealId, deal, result.cid, outcome, cost, refund);
    }

    function _close(
        bytes32 dealId,
        Deal calldata deal,
        bytes memory resultCid,
        Outcome outcome,
        uint256 payment,
        uint256 refund
    ) private {
        // Once the job offer has expired its signature can no longer open a deal, so the slot may be freed.
        _deals[dealId] = deal.offerExpiry < block.timestamp ? 0 : uint256(DealState.Closed);
        emit DealClosed(dealId, outcome, payment, refund);
        if (deal.callback) _notifyCreator(dealId, deal.creator, outcome, resultCid, refund);
    }

    /// @dev The creator's callback runs last, with a fixed allowance, and cannot undo the settlement.
    function _notifyCreator(bytes32 dealId, address creator, Outcome outcome, bytes memory cid, uint256 refund)
        private
    {
        if (creator.code.length == 0) {
            emit CallbackFailed(dealId, creator);
            return;
        }
        // The caller picks the transaction's gas: make sure the callback gets its whole allowance, so nobody
        // can settle a deal while starving the creator's callback on purpose (EIP-150 keeps 1/64 back).
        if (gasleft() < (CALLBACK_GAS * 64) / 63 + 10_000) revert CallbackGasTooLow();
        try IDealCallback(creator).onDealClosed{gas: CALLBACK_GAS}(dealId, outcome, cid, refund) {}
        catch {
            emit CallbackFailed(dealId, creator);
        }
    }

    // -------------------------------------------------------------------------------------------- helpers

    function _requireCaller(address expected) private view {
        if (msg.sender != expected) revert Unauthorized(msg.sender, expected);
    }

    /// @dev Checks the deal's state and that the terms passed back match the stored commitment.
    function _requireState(bytes32 dealId, DealState expected, uint256 commitment) private view returns (uint40) {
        uint256 slot = _deals[dealId];
        DealState state = DealState(slot & STATE_MASK);
        if (state != expected) revert WrongState(dealId, state);
        if (slot >> COMMITMENT_SHIFT != commitment) revert DealMismatch(dealId);
        return uint40(slot >> DEADLINE_SHIFT);
    }

    function _requireExpired(bytes32 dealId, uint40 deadline) private view {
        if (block.timestamp <= deadline) revert DeadlineNotReached(dealId, deadline);
    }

    function _pack(DealState state, uint40 deadline, uint256 commitment) private pure returns (uint256) {
        return uint256(state) | (uint256(deadline) << DEADLINE_SHIFT) | (commitment << COMMITMENT_SHIFT);
    }

    function _commitment(bytes memory encoded) private pure returns (uint256) {
        return uint256(keccak256(encoded)) >> COMMITMENT_SHIFT;
    }

    function _cost(Deal calldata deal, uint64 instructions) private pure returns (uint256) {
        uint256 cost = uint256(deal.basePrice) + (uint256(deal.pricePerMInstr) * instructions) / 1_000_000;
        return cost < deal.paymentCollateral ? cost : deal.paymentCollateral;
    }

    function _jobOfferStructHash(JobOffer calldata j) private pure returns (bytes32) {
        return keccak256(
            bytes.concat(
                abi.encode(
                    JOB_OFFER_TYPEHASH,
                    j.creator,
                    j.moduleId,
                    j.inputsHash,
                    j.maxBasePrice,
                    j.maxPricePerMInstr,
                    j.paymentCollateral,
                    j.mediationFee,
                    j.minTimeoutCollateral
                ),
                abi.encode(
                    j.minCollateralMultiple,
                    keccak256(abi.encodePacked(j.mediators)),
                    j.targetProvider,
                    j.resultTimeout,
                    j.judgingWindow,
                    j.mediationTimeout,
                    j.callback,
                    j.nonce,
                    j.expiry
                )
            )
        );
    }

    function _resourceOfferStructHash(ResourceOffer calldata r) private pure returns (bytes32) {
        return keccak256(
            abi.encode(
                RESOURCE_OFFER_TYPEHASH,
                r.provider,
                r.jobOfferHash,
                r.basePrice,
                r.pricePerMInstr,
                r.timeoutCollateral,
                r.collateralMultiple,
                keccak256(abi.encodePacked(r.mediators)),
                r.expiry
            )
        );
    }

    // ---------------------------------------------------------------------------------------------- views

    /// @inheritdoc ILilypadMarket
    function hashJobOffer(JobOffer calldata job) external view returns (bytes32) {
        return _hashTypedDataV4(_jobOfferStructHash(job));
    }

    /// @inheritdoc ILilypadMarket
    function hashResourceOffer(ResourceOffer calldata resource) external view returns (bytes32) {
        return _hashTypedDataV4(_resourceOfferStructHash(resource));
    }

    /// @inheritdoc ILilypadMarket
    function dealStatus(bytes32 dealId) external view returns (DealState state, uint40 deadline) {
        uint256 slot = _deals[dealId];
        return (DealState(slot & STATE_MASK), uint40(slot >> DEADLINE_SHIFT));
    }

    /// @inheritdoc ILilypadMarket
    function costOf(Deal calldata deal, uint64 instructions) external pure returns (uint256) {
        return _cost(deal, instructions);
    }
}

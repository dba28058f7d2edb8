// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ILilypadMarket} from "../interfaces/ILilypadMarket.sol";
import {IDealCallback} from "../interfaces/IDealCallback.sol";
import {Escrow} from "../escrow/Escrow.sol";
import {ModuleRegistry} from "../registry/ModuleRegistry.sol";

/// @title Lilypad market: escrow, module registry and the whole deal lifecycle in one contract.
/// @notice No trusted party: the owner (governance) can only block modules. Funds move only by the rules below.
/// @dev Storage layout (gas depends on it): one slot per (creator, lane), reused by the lane's deals in turn:
///   bits 0..7    DealState
///   bits 8..39   deadline of the current step (unix seconds)
///   bits 40..71  sequence number of the lane's current deal (offers must exceed it: the replay guard)
///   bits 72..255 commitment: the top 184 bits of keccak256(abi.encode(dealId, deal)) while open, then of
///                _resultDigest(dealId, deal, result) once a result is posted; zero once closed.
/// The deal id is the EIP-712 digest of the job offer. A closed lane keeps its sequence number, so its slot
/// changes from non-zero to non-zero when the next deal opens. `revokeOffers` raises only the sequence number of
/// a lane in None or Closed (deadline and commitment are zero there), so a revoked lane keeps its state: one never
/// used stays None with a non-zero slot, one closed stays Closed.
contract LilypadMarket is ILilypadMarket, Escrow, ModuleRegistry, EIP712 {
    /// @notice Longest timeout an offer may set.
    uint32 public constant MAX_TIMEOUT = 30 days;
    /// @notice Shortest result timeout: time to run a small job and get the post mined on a busy chain. A
    /// shorter one would let a JC sign terms no provider can meet and collect its timeout collateral.
    uint32 public constant MIN_RESULT_TIMEOUT = 60;
    /// @notice Shortest judging window: time for the JC to fetch and check a result before it is paid for.
    uint32 public constant MIN_JUDGING_WINDOW = 60;
    /// @notice Shortest mediation timeout: time for a mediator nobody asked to fetch, re-run and rule. A
    /// shorter one would turn the mediator's unavoidable silence into a free result for the challenger.
    uint32 public constant MIN_MEDIATION_TIMEOUT = 600;
    /// @notice Gas every creator callback receives.
    uint256 public constant CALLBACK_GAS = 200_000;
    /// @notice The most gas a contract creator's EIP-1271 check may use: a creator whose check burns gas
    /// cannot sink the batch it is in.
    uint256 public constant SIGNATURE_CHECK_GAS = 50_000;

    bytes32 private constant JOB_OFFER_TYPEHASH = keccak256(
        "JobOffer(address creator,bytes32 moduleId,bytes32 inputsHash,uint96 maxBasePrice,uint96 maxPricePerMInstr,"
        "uint96 paymentCollateral,uint96 mediationFee,uint96 minTimeoutCollateral,uint16 minCollateralMultiple,"
        "address[4] mediators,address targetProvider,uint32 resultTimeout,uint32 judgingWindow,"
        "uint32 mediationTimeout,bool callback,uint32 lane,uint32 seq,uint64 expiry,uint64 maxInstructions,"
        "address submitter)"
    );
    bytes32 private constant RESOURCE_OFFER_TYPEHASH = keccak256(
        "ResourceOffer(bytes32 jobOfferHash,uint96 basePrice,uint96 pricePerMInstr,"
        "uint96 timeoutCollateral,uint16 collateralMultiple,uint64 expiry)"
    );

    uint256 private constant DEADLINE_SHIFT = 8;
    uint256 private constant SEQ_SHIFT = 40;
    uint256 private constant COMMITMENT_SHIFT = 72;

    /// @dev Keyed by `creator << 32 | lane` (see `_laneKey`): one keccak per access instead of two.
    mapping(uint256 laneKey => uint256) private _lanes;

    /// @param token_ The escrowed ERC-20 token.
    /// @param governance The only address that can block modules.
    constructor(IERC20 token_, address governance) Escrow(token_) Ownable(governance) EIP712("Lilypad", "1") {}

    // ------------------------------------------------------------------------------------------------ open

    /// @inheritdoc ILilypadMarket
    function openDeal(
        JobOffer calldata job,
        Signature calldata jobSignature,
        ResourceOffer calldata resource,
        Signature calldata resourceSignature
    ) external nonReentrant returns (bytes32) {
        return _openDeal(job, jobSignature, resource, resourceSignature);
    }

    /// @inheritdoc ILilypadMarket
    function openDeals(
        JobOffer[] calldata jobs,
        Signature[] calldata jobSignatures,
        ResourceOffer[] calldata resources,
        Signature[] calldata resourceSignatures
    ) external nonReentrant returns (bytes32[] memory dealIds) {
        uint256 n = jobs.length;
        if (jobSignatures.length != n || resources.length != n || resourceSignatures.length != n) {
            revert LengthMismatch();
        }
        dealIds = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            uint256 memoryMark = _memoryMark();
            dealIds[i] = _openDeal(jobs[i], jobSignatures[i], resources[i], resourceSignatures[i]);
            _releaseMemory(memoryMark);
        }
    }

    /// @dev The job offer's digest is computed with the caller as its `submitter` (the market fills it in, as it
    /// fills in the resource offer's `jobOfferHash`), so a signature made for one submitter fails for any other: nobody
    /// can front-run the JC's solver. An offer signed with submitter zero is open to anyone.
    /// In a batch (`openDeals`), what a third party can change between the submitter's simulation and the
    /// block (a lane used, a balance withdrawn, an expiry passed, a contract signer's answer, a module blocked)
    /// skips the item with `DealSkipped` instead of reverting everyone's deals; it returns a zero id. What the
    /// offers themselves get wrong reverts: a simulation always catches it.
    function _openDeal(
        JobOffer calldata job,
        Signature calldata jobSignature,
        ResourceOffer calldata resource,
        Signature calldata resourceSignature
    ) private returns (bytes32 dealId) {
        dealId = _hashTypedDataV4(_jobOfferStructHash(job, msg.sender));
        if (!_isValidSignature(job.creator, dealId, jobSignature)) {
            bytes32 openToAnyone = _hashTypedDataV4(_jobOfferStructHash(job, address(0)));
            if (!_isValidSignature(job.creator, openToAnyone, jobSignature)) {
                return _reject(dealId, abi.encodeWithSelector(InvalidSignature.selector, job.creator));
            }
            dealId = openToAnyone;
        }
        address provider = _recoverSigner(_hashTypedDataV4(_resourceOfferStructHash(resource, dealId)), resourceSignature);
        _checkCompatible(job, resource, provider);
        if (job.expiry < block.timestamp) return _reject(dealId, abi.encodeWithSelector(OfferExpired.selector, job.expiry));
        if (resource.expiry < block.timestamp) {
            return _reject(dealId, abi.encodeWithSelector(OfferExpired.selector, resource.expiry));
        }
        uint256 lane = _lanes[_laneKey(job.creator, job.lane)];
        DealState laneState = _stateOf(lane);
        if (laneState != DealState.None && laneState != DealState.Closed) {
            return _reject(dealId, abi.encodeWithSelector(LaneBusy.selector, job.creator, job.lane));
        }
        if (job.seq <= _seqOf(lane)) {
            return _reject(
                dealId, abi.encodeWithSelector(StaleSequence.selector, job.creator, job.lane, job.seq, _seqOf(lane))
            );
        }
        if (isModuleBlocked(job.moduleId)) {
            return _reject(dealId, abi.encodeWithSelector(ModuleIsBlocked.selector, job.moduleId));
        }
        bytes memory shortfall = _tryLock(job.creator, job.paymentCollateral);
        if (shortfall.length != 0) return _reject(dealId, shortfall);
        shortfall = _tryLock(provider, resource.timeoutCollateral);
        if (shortfall.length != 0) {
            _settle(job.creator, job.paymentCollateral, job.paymentCollateral);
            return _reject(dealId, shortfall);
        }
        // The deal's terms, packed straight from the offers (layout in IDealTypes.Deal).
        uint256[5] memory packed = [
            uint256(uint160(job.creator)) | (uint256(resource.basePrice) << 160),
            uint256(uint160(provider)) | (uint256(resource.pricePerMInstr) << 160),
            uint256(uint160(_drawMediator(dealId, job.mediators, job.creator, provider)))
                | (uint256(job.mediationFee) << 160),
            uint256(job.paymentCollateral) | (uint256(resource.timeoutCollateral) << 96)
                | (uint256(job.lane) << 192) | (uint256(job.judgingWindow) << 224),
            uint256(job.mediationTimeout) | (uint256(resource.collateralMultiple) << 32)
                | (job.callback ? 1 << 48 : 0) | (uint256(job.resultTimeout) << 56)
                | (uint256(job.maxInstructions) << 88)
        ];
        _lanes[_laneKey(job.creator, job.lane)] = _laneSlot(
            DealState.Open,
            uint32(block.timestamp) + job.resultTimeout,
            job.seq,
            _commit(keccak256(abi.encode(dealId, packed)))
        );
        emit DealOpened(dealId, provider, job.moduleId, job.inputsHash, packed);
    }

    /// @dev Reverts with `reason` outside a batch; inside one, records the skipped deal and returns a zero id. (Read
    /// from the call's selector rather than passed down: an extra parameter costs every deal stack shuffling.)
    function _reject(bytes32 dealId, bytes memory reason) private returns (bytes32) {
        if (msg.sig != this.openDeals.selector) {
            assembly ("memory-safe") {
                revert(add(reason, 0x20), mload(reason))
            }
        }
        emit DealSkipped(dealId, reason);
        return bytes32(0);
    }

    /// @dev ECDSA first: for the usual externally owned signer that avoids probing its code (a cold
    /// EXTCODESIZE). Contracts (such as OnChainJobCreator) approve through EIP-1271, with bounded gas and
    /// only the first word of their answer read, so a hostile creator can burn neither the batch's gas nor
    /// its memory.
    function _isValidSignature(address signer, bytes32 digest, Signature calldata signature)
        private
        view
        returns (bool valid)
    {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature.r, signature.vs);
        if (err == ECDSA.RecoverError.NoError && recovered == signer) return true;
        if (signer.code.length == 0) return false;
        // EIP-150 keeps 1/64 back: make sure the check gets its whole allowance, or a submitter could starve
        // an honest contract creator's check on purpose.
        if (gasleft() < (SIGNATURE_CHECK_GAS * 64) / 63 + 5_000) revert SignatureCheckGasTooLow();
        bytes memory query = abi.encodeCall(IERC1271.isValidSignature, (digest, abi.encodePacked(signature.r, signature.vs)));
        uint256 gasAllowed = SIGNATURE_CHECK_GAS;
        assembly ("memory-safe") {
            mstore(0, 0)
            let ok := staticcall(gasAllowed, signer, add(query, 0x20), mload(query), 0, 0x20)
            valid := and(and(ok, gt(returndatasize(), 0x1f)), eq(mload(0), shl(224, 0x1626ba7e)))
        }
    }

    /// @dev The resource offer's signer is its provider.
    function _recoverSigner(bytes32 digest, Signature calldata signature) private pure returns (address signer) {
        ECDSA.RecoverError err;
        (signer, err,) = ECDSA.tryRecover(digest, signature.r, signature.vs);
        if (err != ECDSA.RecoverError.NoError) revert InvalidSignature(address(0));
    }

    function _checkCompatible(JobOffer calldata job, ResourceOffer calldata resource, address provider)
        private
        pure
    {
        if (job.creator == provider) revert SelfDeal();
        if (job.targetProvider != address(0) && job.targetProvider != provider) {
            revert ProviderNotTargeted(job.targetProvider, provider);
        }
        if (resource.basePrice > job.maxBasePrice || resource.pricePerMInstr > job.maxPricePerMInstr) {
            revert PriceTooHigh();
        }
        // The timeout collateral also covers the mediation fee, so a JC that catches a cheat never ends poorer.
        if (
            resource.timeoutCollateral < job.minTimeoutCollateral || resource.timeoutCollateral < job.mediationFee
                || resource.collateralMultiple < job.minCollateralMultiple
        ) revert CollateralTooLow();
        if (
            job.resultTimeout < MIN_RESULT_TIMEOUT || job.judgingWindow < MIN_JUDGING_WINDOW
                || job.mediationTimeout < MIN_MEDIATION_TIMEOUT || job.resultTimeout > MAX_TIMEOUT
                || job.judgingWindow > MAX_TIMEOUT || job.mediationTimeout > MAX_TIMEOUT
        ) revert InvalidTimeout();
    }

    /// @dev Draws the deal's mediator from the job offer's list, which the RP accepted whole by signing the
    /// offer's digest: no mask, so neither party can narrow the draw to the one it wants. The list must be
    /// ascending without repeats (no name weighs the draw) and name neither party. The seed mixes the deal
    /// id with the previous block's hash and `prevrandao`, which neither party knows when it signs; on chains
    /// where `prevrandao` is constant the block hash still varies.
    function _drawMediator(bytes32 dealId, address[4] calldata list, address creator, address provider)
        private
        view
        returns (address)
    {
        uint256 count;
        address previous;
        bool ended;
        for (uint256 i; i < 4; ++i) {
            address m = list[i];
            if (m == address(0)) {
                ended = true;
                continue;
            }
            if (ended || m <= previous) revert MediatorsNotSorted();
            if (m == creator || m == provider) revert MediatorIsParty(m);
            previous = m;
            ++count;
        }
        if (count == 0) revert NoCommonMediator();
        if (count == 1) return list[0];
        return list[uint256(keccak256(abi.encode(dealId, blockhash(block.number - 1), block.prevrandao))) % count];
    }

    // ------------------------------------------------------------------------------------------- revoke

    /// @inheritdoc ILilypadMarket
    function revokeOffers(uint32 lane, uint32 seq) external {
        uint256 key = _laneKey(msg.sender, lane);
        uint256 slot = _lanes[key];
        DealState state = _stateOf(slot);
        if (state != DealState.None && state != DealState.Closed) revert LaneBusy(msg.sender, lane);
        if (seq <= _seqOf(slot)) revert NothingToRevoke(msg.sender, lane, seq, _seqOf(slot));
        _lanes[key] = _laneSlot(state, 0, seq, 0);
        emit OffersRevoked(msg.sender, lane, seq);
    }

    // ---------------------------------------------------------------------------------------------- result

    /// @inheritdoc ILilypadMarket
    function postResult(bytes32 dealId, uint256[5] calldata deal, Result calldata result) external nonReentrant {
        _postResult(dealId, deal, result);
    }

    /// @inheritdoc ILilypadMarket
    function postResults(bytes32[] calldata dealIds, uint256[5][] calldata deals, Result[] calldata results)
        external
        nonReentrant
    {
        _forEachDeal(dealIds, deals, results, _postResult);
    }

    function _postResult(bytes32 dealId, uint256[5] calldata deal, Result calldata result) private {
        _requireCaller(_provider(deal));
        uint256 lane = _requireState(dealId, deal, DealState.Open, _dealDigest(dealId, deal));
        _requireBefore(dealId, lane);
        if (result.cidDigest == bytes32(0)) revert InvalidResult();
        if (result.instructions > _maxInstructions(deal)) {
            revert InstructionsAboveCeiling(dealId, result.instructions, _maxInstructions(deal));
        }
        uint256 resultsCollateral = _cost(deal, result.instructions) * _collateralMultiple(deal);
        // The timeout collateral already locked backs the result; lock more only if the result is worth more.
        if (resultsCollateral > _timeoutCollateral(deal)) _lock(_provider(deal), resultsCollateral - _timeoutCollateral(deal));
        _lanes[_laneKey(_creator(deal), _lane(deal))] = _laneSlot(
            DealState.ResultPosted,
            uint32(block.timestamp) + _judgingWindow(deal),
            _seqOf(lane),
            _commit(_resultDigest(dealId, deal, result))
        );
        emit ResultPosted(dealId, result);
    }

    // --------------------------------------------------------------------------------------------- judging

    /// @inheritdoc ILilypadMarket
    function accept(bytes32 dealId, uint256[5] calldata deal, Result calldata result) external nonReentrant {
        _accept(dealId, deal, result);
    }

    /// @inheritdoc ILilypadMarket
    function acceptMany(bytes32[] calldata dealIds, uint256[5][] calldata deals, Result[] calldata results)
        external
        nonReentrant
    {
        _forEachDeal(dealIds, deals, results, _accept);
    }

    function _accept(bytes32 dealId, uint256[5] calldata deal, Result calldata result) private {
        _requireCaller(_creator(deal));
        uint256 lane = _requireState(dealId, deal, DealState.ResultPosted, _resultDigest(dealId, deal, result));
        _payProvider(dealId, deal, result, _seqOf(lane), Outcome.Accepted, 0);
    }

    /// @inheritdoc ILilypadMarket
    function challenge(bytes32 dealId, uint256[5] calldata deal, Result calldata result) external nonReentrant {
        _requireCaller(_creator(deal));
        uint256 lane = _requireState(dealId, deal, DealState.ResultPosted, _resultDigest(dealId, deal, result));
        _requireBefore(dealId, lane);
        _lock(_creator(deal), _mediationFee(deal));
        _lanes[_laneKey(_creator(deal), _lane(deal))] = _laneSlot(
            DealState.Challenged, uint32(block.timestamp) + _mediationTimeout(deal), _seqOf(lane), _commitmentOf(lane)
        );
        emit DealChallenged(dealId, _mediator(deal));
    }

    /// @inheritdoc ILilypadMarket
    function rule(bytes32 dealId, uint256[5] calldata deal, Result calldata result, bool providerRight)
        external
        nonReentrant
    {
        _requireCaller(_mediator(deal));
        uint256 lane = _requireState(dealId, deal, DealState.Challenged, _resultDigest(dealId, deal, result));
        _requireBefore(dealId, lane);
        if (providerRight) {
            _payProvider(dealId, deal, result, _seqOf(lane), Outcome.ProviderRight, _mediationFee(deal));
            return;
        }
        // The RP forfeits its whole stake to the JC, who pays nothing for the job. The stake is at least the
        // timeout collateral (caught costs no less than silent) and the fee (the catcher never ends poorer),
        // whatever prices and instruction count the RP chose.
        uint256 stake = _stake(deal, _cost(deal, result.instructions) * _collateralMultiple(deal));
        uint256 refund = _paymentCollateral(deal) + stake;
        _settle(_creator(deal), _paymentCollateral(deal) + _mediationFee(deal), refund);
        _settle(_provider(deal), stake, 0);
        _settle(_mediator(deal), 0, _mediationFee(deal));
        _close(dealId, deal, _seqOf(lane), bytes32(0), Outcome.ProviderWrong, refund);
    }

    // ------------------------------------------------------------------------------------------- timeouts

    /// @inheritdoc ILilypadMarket
    function finalize(bytes32 dealId, uint256[5] calldata deal, Result calldata result) external nonReentrant {
        _finalize(dealId, deal, result);
    }

    /// @inheritdoc ILilypadMarket
    function finalizeMany(bytes32[] calldata dealIds, uint256[5][] calldata deals, Result[] calldata results)
        external
        nonReentrant
    {
        _forEachDeal(dealIds, deals, results, _finalize);
    }

    function _finalize(bytes32 dealId, uint256[5] calldata deal, Result calldata result) private {
        uint256 lane = _lanes[_laneKey(_creator(deal), _lane(deal))];
        DealState state = _stateOf(lane);
        if (state == DealState.Open) {
            _checkLane(dealId, lane, state, _dealDigest(dealId, deal));
            _requireExpired(dealId, lane);
            _compensateCreator(dealId, deal, _seqOf(lane), Outcome.ResultTimeout);
            return;
        }
        if (state != DealState.ResultPosted && state != DealState.Challenged) revert WrongState(dealId, state);
        _checkLane(dealId, lane, state, _resultDigest(dealId, deal, result));
        _requireExpired(dealId, lane);
        if (state == DealState.ResultPosted) {
            _payProvider(dealId, deal, result, _seqOf(lane), Outcome.Finalized, 0);
            return;
        }
        // The mediator never ruled: nobody is paid, every lock is released, the fee returns to the JC.
        uint256 refund = _paymentCollateral(deal) + _mediationFee(deal);
        uint256 stake = _stake(deal, _cost(deal, result.instructions) * _collateralMultiple(deal));
        _settle(_creator(deal), refund, refund);
        _settle(_provider(deal), stake, stake);
        _close(dealId, deal, _seqOf(lane), bytes32(0), Outcome.MediationTimeout, refund);
    }

    /// @inheritdoc ILilypadMarket
    function decline(bytes32 dealId, uint256[5] calldata deal) external nonReentrant {
        _requireCaller(_provider(deal));
        uint256 lane = _requireState(dealId, deal, DealState.Open, _dealDigest(dealId, deal));
        _compensateCreator(dealId, deal, _seqOf(lane), Outcome.Declined);
    }

    // ----------------------------------------------------------------------------------------- settlement

    /// @dev No result will come: the JC gets its collateral back plus the RP's timeout collateral. Declining
    /// costs what silence costs, so it is never a way to pick jobs for free; it only frees the JC sooner.
    function _compensateCreator(bytes32 dealId, uint256[5] calldata deal, uint32 seq, Outcome outcome) private {
        uint256 compensated = _paymentCollateral(deal) + _timeoutCollateral(deal);
        _settle(_creator(deal), _paymentCollateral(deal), compensated);
        _settle(_provider(deal), _timeoutCollateral(deal), 0);
        _close(dealId, deal, seq, bytes32(0), outcome, compensated);
    }

    /// @dev Pays the RP the job's cost, releases its stake and returns the JC's unspent collateral;
    /// `fee` (if any) moves from the JC's lock to the mediator.
    function _payProvider(
        bytes32 dealId,
        uint256[5] calldata deal,
        Result calldata result,
        uint32 seq,
        Outcome outcome,
        uint256 fee
    ) private {
        uint256 cost = _cost(deal, result.instructions);
        uint256 stake = _stake(deal, cost * _collateralMultiple(deal));
        uint256 refund = _paymentCollateral(deal) - cost;
        _settle(_creator(deal), _paymentCollateral(deal) + fee, refund);
        _settle(_provider(deal), stake, stake + cost);
        if (fee != 0) _settle(_mediator(deal), 0, fee);
        _close(dealId, deal, seq, result.cidDigest, outcome, refund);
    }

    function _close(
        bytes32 dealId,
        uint256[5] calldata deal,
        uint32 seq,
        bytes32 resultCidDigest,
        Outcome outcome,
        uint256 refund
    ) private {
        // The lane keeps its sequence number (the replay guard), so the slot stays non-zero for the next deal.
        _lanes[_laneKey(_creator(deal), _lane(deal))] = _laneSlot(DealState.Closed, 0, seq, 0);
        emit DealClosed(dealId, outcome);
        if (_callback(deal)) _notifyCreator(dealId, _creator(deal), outcome, resultCidDigest, refund);
    }

    /// @dev The creator's callback runs last, with a fixed allowance, and cannot undo the settlement.
    function _notifyCreator(bytes32 dealId, address creator, Outcome outcome, bytes32 cid, uint256 refund)
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

    /// @dev Loads the deal's lane, checks its state and that the terms passed back match the commitment.
    function _requireState(bytes32 dealId, uint256[5] calldata deal, DealState expected, bytes32 digest)
        private
        view
        returns (uint256 lane)
    {
        lane = _lanes[_laneKey(_creator(deal), _lane(deal))];
        _checkLane(dealId, lane, expected, digest);
    }

    function _checkLane(bytes32 dealId, uint256 lane, DealState expected, bytes32 digest) private pure {
        if (_stateOf(lane) != expected) revert WrongState(dealId, _stateOf(lane));
        if (_commitmentOf(lane) != _commit(digest)) revert DealMismatch(dealId);
    }

    /// @dev Runs `step` over the batch, giving back each deal's scratch memory.
    function _forEachDeal(
        bytes32[] calldata dealIds,
        uint256[5][] calldata deals,
        Result[] calldata results,
        function(bytes32, uint256[5] calldata, Result calldata) internal step
    ) private {
        uint256 n = dealIds.length;
        if (deals.length != n || results.length != n) revert LengthMismatch();
        for (uint256 i; i < n; ++i) {
            uint256 memoryMark = _memoryMark();
            step(dealIds[i], deals[i], results[i]);
            _releaseMemory(memoryMark);
        }
    }

    /// @dev Batch loops give back each iteration's scratch memory, so memory (whose cost grows
    /// quadratically) stays the size of one deal however long the batch.
    function _memoryMark() private pure returns (uint256 mark) {
        assembly ("memory-safe") {
            mark := mload(0x40)
        }
    }

    function _releaseMemory(uint256 mark) private pure {
        assembly ("memory-safe") {
            mstore(0x40, mark)
        }
    }

    function _requireBefore(bytes32 dealId, uint256 lane) private view {
        if (block.timestamp > _deadlineOf(lane)) revert DeadlinePassed(dealId, _deadlineOf(lane));
    }

    function _requireExpired(bytes32 dealId, uint256 lane) private view {
        if (block.timestamp <= _deadlineOf(lane)) revert DeadlineNotReached(dealId, _deadlineOf(lane));
    }

    function _laneKey(address creator, uint32 lane) private pure returns (uint256) {
        return (uint256(uint160(creator)) << 32) | lane;
    }

    function _laneSlot(DealState state, uint32 deadline, uint32 seq, uint256 commitment)
        private
        pure
        returns (uint256)
    {
        return uint256(state) | (uint256(deadline) << DEADLINE_SHIFT) | (uint256(seq) << SEQ_SHIFT)
            | (commitment << COMMITMENT_SHIFT);
    }

    function _stateOf(uint256 lane) private pure returns (DealState) {
        return DealState(uint8(lane));
    }

    function _deadlineOf(uint256 lane) private pure returns (uint32) {
        return uint32(lane >> DEADLINE_SHIFT);
    }

    function _seqOf(uint256 lane) private pure returns (uint32) {
        return uint32(lane >> SEQ_SHIFT);
    }

    function _commitmentOf(uint256 lane) private pure returns (uint256) {
        return lane >> COMMITMENT_SHIFT;
    }

    function _commit(bytes32 digest) private pure returns (uint256) {
        return uint256(digest) >> COMMITMENT_SHIFT;
    }

    function _cost(uint256[5] calldata deal, uint64 instructions) private pure returns (uint256) {
        uint256 cost = _basePrice(deal) + (_pricePerMInstr(deal) * instructions) / 1_000_000;
        return cost < _paymentCollateral(deal) ? cost : _paymentCollateral(deal);
    }

    /// @dev What the RP has locked in a deal once its result is posted.
    function _stake(uint256[5] calldata deal, uint256 resultsCollateral) private pure returns (uint256) {
        return resultsCollateral > _timeoutCollateral(deal) ? resultsCollateral : _timeoutCollateral(deal);
    }

    /// @dev EIP-712 struct hash of a job offer, read straight from calldata: the offer is a static struct,
    /// so its words are already the EIP-712 encoding except the mediators array, which becomes its hash, and the
    /// submitter, which the calldata leaves out.
    function _jobOfferStructHash(JobOffer calldata j, address submitter) private pure returns (bytes32 h) {
        bytes32 typehash = JOB_OFFER_TYPEHASH;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, typehash)
            calldatacopy(add(m, 0x20), j, 0x120) // creator .. minCollateralMultiple (9 words)
            calldatacopy(add(m, 0x140), add(j, 0x120), 0x80) // mediators[4]
            mstore(add(m, 0x140), keccak256(add(m, 0x140), 0x80))
            calldatacopy(add(m, 0x160), add(j, 0x1a0), 0x120) // targetProvider .. maxInstructions (9 words)
            mstore(add(m, 0x280), submitter)
            h := keccak256(m, 0x2a0)
        }
    }

    /// @dev EIP-712 struct hash of a resource offer: the job offer's digest, then the offer's calldata words.
    function _resourceOfferStructHash(ResourceOffer calldata r, bytes32 jobOfferHash)
        private
        pure
        returns (bytes32 h)
    {
        bytes32 typehash = RESOURCE_OFFER_TYPEHASH;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, typehash)
            mstore(add(m, 0x20), jobOfferHash)
            calldatacopy(add(m, 0x40), r, 0xa0)
            h := keccak256(m, 0xe0)
        }
    }

    /// @dev keccak256(abi.encode(dealId, deal)), hashed from calldata.
    function _dealDigest(bytes32 dealId, uint256[5] calldata deal) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, dealId)
            calldatacopy(add(m, 0x20), deal, 0xa0)
            h := keccak256(m, 0xc0)
        }
    }

    /// @dev keccak256(abi.encode(dealId, deal, result)), hashed from calldata.
    function _resultDigest(bytes32 dealId, uint256[5] calldata deal, Result calldata result)
        private
        pure
        returns (bytes32 h)
    {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, dealId)
            calldatacopy(add(m, 0x20), deal, 0xa0)
            calldatacopy(add(m, 0xc0), result, 0x60)
            h := keccak256(m, 0x120)
        }
    }

    // Accessors of the packed deal terms (layout in IDealTypes.Deal). Terms not packed by `openDeal` fail the
    // commitment check before any of them is trusted.

    function _creator(uint256[5] calldata d) private pure returns (address) {
        return address(uint160(d[0]));
    }

    function _basePrice(uint256[5] calldata d) private pure returns (uint256) {
        return d[0] >> 160;
    }

    function _provider(uint256[5] calldata d) private pure returns (address) {
        return address(uint160(d[1]));
    }

    function _pricePerMInstr(uint256[5] calldata d) private pure returns (uint256) {
        return d[1] >> 160;
    }

    function _mediator(uint256[5] calldata d) private pure returns (address) {
        return address(uint160(d[2]));
    }

    function _mediationFee(uint256[5] calldata d) private pure returns (uint256) {
        return d[2] >> 160;
    }

    function _paymentCollateral(uint256[5] calldata d) private pure returns (uint256) {
        return uint96(d[3]);
    }

    function _timeoutCollateral(uint256[5] calldata d) private pure returns (uint256) {
        return uint96(d[3] >> 96);
    }

    function _lane(uint256[5] calldata d) private pure returns (uint32) {
        return uint32(d[3] >> 192);
    }

    function _judgingWindow(uint256[5] calldata d) private pure returns (uint32) {
        return uint32(d[3] >> 224);
    }

    function _mediationTimeout(uint256[5] calldata d) private pure returns (uint32) {
        return uint32(d[4]);
    }

    function _collateralMultiple(uint256[5] calldata d) private pure returns (uint256) {
        return uint16(d[4] >> 32);
    }

    function _callback(uint256[5] calldata d) private pure returns (bool) {
        return (d[4] >> 48) & 1 == 1;
    }

    function _maxInstructions(uint256[5] calldata d) private pure returns (uint64) {
        return uint64(d[4] >> 88);
    }

    // ---------------------------------------------------------------------------------------------- views

    /// @inheritdoc ILilypadMarket
    function hashJobOffer(JobOffer calldata job, address submitter) external view returns (bytes32) {
        return _hashTypedDataV4(_jobOfferStructHash(job, submitter));
    }

    /// @inheritdoc ILilypadMarket
    function hashResourceOffer(ResourceOffer calldata resource, bytes32 jobOfferHash) external view returns (bytes32) {
        return _hashTypedDataV4(_resourceOfferStructHash(resource, jobOfferHash));
    }

    /// @inheritdoc ILilypadMarket
    function laneStatus(address creator, uint32 lane)
        external
        view
        returns (DealState state, uint32 deadline, uint32 seq)
    {
        uint256 slot = _lanes[_laneKey(creator, lane)];
        return (_stateOf(slot), _deadlineOf(slot), _seqOf(slot));
    }

    /// @inheritdoc ILilypadMarket
    function costOf(uint256[5] calldata deal, uint64 instructions) external pure returns (uint256) {
        return _cost(deal, instructions);
    }
}

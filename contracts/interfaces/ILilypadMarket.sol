// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDealTypes} from "./IDealTypes.sol";

/// @title The deal lifecycle: open, post a result, accept or challenge, rule, finalize.
/// @notice Every call after `openDeal` passes the deal terms (and the result, once posted) back as calldata;
/// the market checks them against the commitment it stored. Deals live in lanes: each job creator's lane is
/// one storage slot that its deals reuse one after another, so a steady job creator never pays for a fresh slot.
interface ILilypadMarket is IDealTypes {
    /// @notice A deal was opened. Carries everything an indexer needs; nothing else about the deal is stored.
    /// The RP must post a result within the deal's result timeout of this block's timestamp.
    /// Filter by `provider` to find the deals a resource provider must run; the creator knows its deal ids.
    event DealOpened(
        bytes32 indexed dealId,
        address indexed provider,
        bytes32 moduleId,
        bytes32 inputsHash,
        uint256[5] deal
    );
    /// @notice The RP posted its result; its stake in the deal is now max(timeout collateral, results collateral).
    /// The JC may judge until the block's timestamp plus the deal's judging window.
    event ResultPosted(bytes32 indexed dealId, Result result);
    /// @notice The JC challenged the result; `mediator` must rule within the deal's mediation timeout.
    event DealChallenged(bytes32 indexed dealId, address indexed mediator);
    /// @notice The deal settled. What each party received follows from the outcome, the terms and the result
    /// (`costOf` gives the payment).
    event DealClosed(bytes32 indexed dealId, Outcome outcome);
    /// @notice A batch's item could not open (its revert data in `reason`, e.g. `LaneBusy`); the others did.
    event DealSkipped(bytes32 indexed dealId, bytes reason);
    /// @notice The creator's callback reverted or ran out of its gas allowance; settlement stands.
    event CallbackFailed(bytes32 indexed dealId, address indexed creator);
    /// @notice `creator` revoked every unopened offer of `lane` with a sequence number up to `seq`.
    event OffersRevoked(address indexed creator, uint32 indexed lane, uint32 seq);

    /// @notice An offer's expiry has passed.
    error OfferExpired(uint64 expiry);
    /// @notice A signature does not belong to the offer's signer (zero when it recovers to no address).
    error InvalidSignature(address signer);
    /// @notice The lane's previous deal has not closed yet.
    error LaneBusy(address creator, uint32 lane);
    /// @notice The offer's sequence number does not exceed the lane's last one (a replayed or stale offer).
    error StaleSequence(address creator, uint32 lane, uint32 seq, uint32 lastSeq);
    /// @notice The JC named another resource provider.
    error ProviderNotTargeted(address target, address provider);
    /// @notice The JC and RP are the same address.
    error SelfDeal();
    /// @notice The RP's prices exceed what the JC accepts.
    error PriceTooHigh();
    /// @notice The RP's collateral is below what the JC requires.
    error CollateralTooLow();
    /// @notice A timeout is shorter than its protocol minimum or longer than `MAX_TIMEOUT`.
    error InvalidTimeout();
    /// @notice The job offer names no mediator.
    error NoCommonMediator();
    /// @notice A mediator of the job offer is its creator or the provider: no one mediates their own deal.
    error MediatorIsParty(address mediator);
    /// @notice The result claims more instructions than the job offer's ceiling.
    error InstructionsAboveCeiling(bytes32 dealId, uint64 instructions, uint64 maxInstructions);
    /// @notice Too little gas was forwarded to give a contract creator's signature check its allowance.
    error SignatureCheckGasTooLow();
    /// @notice The job offer's mediators are not ascending without repeats, zero-padded at the end.
    error MediatorsNotSorted();
    /// @notice The result's CID digest is zero.
    error InvalidResult();
    /// @notice The deal terms or result passed back do not match the stored commitment.
    error DealMismatch(bytes32 dealId);
    /// @notice The deal is not in a state that allows this call.
    error WrongState(bytes32 dealId, DealState state);
    /// @notice The deadline for this call has passed.
    error DeadlinePassed(bytes32 dealId, uint32 deadline);
    /// @notice The deadline has not passed yet, so the deal cannot be finalized.
    error DeadlineNotReached(bytes32 dealId, uint32 deadline);
    /// @notice The caller is not the party this call belongs to.
    error Unauthorized(address caller, address expected);
    /// @notice Batch arrays differ in length.
    error LengthMismatch();
    /// @notice Too little gas was forwarded to honour the creator's callback allowance.
    error CallbackGasTooLow();
    /// @notice A revocation must raise the lane's sequence number: `seq` does not exceed its last one, so there is
    /// no unopened offer up to `seq` left to revoke (the offer opened its deal, or was revoked already).
    error NothingToRevoke(address creator, uint32 lane, uint32 seq, uint32 lastSeq);

    /// @notice Opens a deal from a JC's and an RP's signed offers; locks the JC's payment collateral and the
    /// RP's timeout collateral. Anyone may submit it (normally the solver); it cannot alter either offer.
    /// @param job The job offer.
    /// @param jobSignature The creator's EIP-712 signature (or EIP-1271 approval for a contract creator).
    /// @param resource The resource offer, bound to this job offer.
    /// @param resourceSignature The provider's EIP-712 signature.
    /// @return dealId The EIP-712 digest of the job offer.
    function openDeal(
        JobOffer calldata job,
        Signature calldata jobSignature,
        ResourceOffer calldata resource,
        Signature calldata resourceSignature
    ) external returns (bytes32 dealId);

    /// @notice Opens many deals in one transaction. An item that a third party could have invalidated after
    /// simulation (lane used, balance withdrawn, expired, creator's approval withdrawn, module blocked) is
    /// skipped with `DealSkipped` and a zero id; an item whose offers are themselves invalid reverts the batch.
    /// @param jobs Job offers.
    /// @param jobSignatures Their signatures.
    /// @param resources Resource offers, one per job.
    /// @param resourceSignatures Their signatures.
    /// @return dealIds The deal ids, in order.
    function openDeals(
        JobOffer[] calldata jobs,
        Signature[] calldata jobSignatures,
        ResourceOffer[] calldata resources,
        Signature[] calldata resourceSignatures
    ) external returns (bytes32[] memory dealIds);

    /// @notice Job creator only, for its own lane: revokes every offer it signed for `lane` with a sequence
    /// number up to `seq` that has not opened a deal, by raising the lane's sequence number to `seq`; `openDeal`
    /// then refuses them with `StaleSequence`. Offers with a higher sequence number still open. Only a lane with no
    /// deal in progress (never used, or its last deal closed) can be revoked: an opened deal runs its course.
    /// Nothing else of the lane changes and no funds move. A contract creator calls it from its own code.
    /// @param lane The caller's lane.
    /// @param seq The highest sequence number revoked; must exceed the lane's last one (it never goes down).
    function revokeOffers(uint32 lane, uint32 seq) external;

    /// @notice RP only: posts the result. Its results collateral (multiple x cost) is covered by the timeout
    /// collateral already locked, and topped up from its available balance when it exceeds it.
    /// @param dealId The deal.
    /// @param deal The packed deal terms as emitted in `DealOpened`.
    /// @param result The result.
    function postResult(bytes32 dealId, uint256[5] calldata deal, Result calldata result) external;

    /// @notice RP only: posts many results in one transaction; reverts whole if any fails.
    /// @param dealIds The deals.
    /// @param deals Their packed terms.
    /// @param results Their results.
    function postResults(bytes32[] calldata dealIds, uint256[5][] calldata deals, Result[] calldata results) external;

    /// @notice RP only, while the deal is open: says it will not post a result (it cannot run the job). The
    /// JC is settled at once as on a result timeout: its collateral back plus the RP's timeout collateral.
    /// @param dealId The deal.
    /// @param deal The packed deal terms.
    function decline(bytes32 dealId, uint256[5] calldata deal) external;

    /// @notice JC only: accepts the result; the RP is paid and every collateral released.
    /// @param dealId The deal.
    /// @param deal The packed deal terms.
    /// @param result The posted result.
    function accept(bytes32 dealId, uint256[5] calldata deal, Result calldata result) external;

    /// @notice `accept` over many deals (a busy JC's results, judged together); reverts whole if any fails.
    /// @param dealIds The deals.
    /// @param deals Their packed terms.
    /// @param results Their posted results.
    function acceptMany(bytes32[] calldata dealIds, uint256[5][] calldata deals, Result[] calldata results) external;

    /// @notice JC only, within the judging window: disputes the result and locks the mediation fee.
    /// @param dealId The deal.
    /// @param deal The packed deal terms.
    /// @param result The posted result.
    function challenge(bytes32 dealId, uint256[5] calldata deal, Result calldata result) external;

    /// @notice The deal's mediator only, before the mediation deadline: rules on a challenged result.
    /// @param dealId The deal.
    /// @param deal The packed deal terms.
    /// @param result The posted result.
    /// @param providerRight True when re-execution reproduced the posted result and instruction count.
    function rule(bytes32 dealId, uint256[5] calldata deal, Result calldata result, bool providerRight) external;

    /// @notice Anyone, after the current deadline: settles a deal whose party went silent. An open deal
    /// refunds the JC with the RP's timeout collateral; a posted result pays the RP (optimistic acceptance);
    /// a challenge the mediator ignored refunds everyone.
    /// @param dealId The deal.
    /// @param deal The packed deal terms.
    /// @param result The posted result (ignored, and may be empty, for a deal still open).
    function finalize(bytes32 dealId, uint256[5] calldata deal, Result calldata result) external;

    /// @notice `finalize` over many deals; reverts whole if any fails.
    /// @param dealIds The deals.
    /// @param deals Their packed terms.
    /// @param results Their results.
    function finalizeMany(bytes32[] calldata dealIds, uint256[5][] calldata deals, Result[] calldata results) external;

    /// @notice The EIP-712 digest of a job offer signed for `submitter`: the id of the deal it opens.
    /// @param job The job offer.
    /// @param submitter The account the offer lets open the deal (zero for anyone).
    /// @return The digest.
    function hashJobOffer(JobOffer calldata job, address submitter) external view returns (bytes32);

    /// @notice The EIP-712 digest of a resource offer signed for the job offer whose digest is `jobOfferHash`.
    /// @param resource The resource offer.
    /// @param jobOfferHash The job offer's digest (the deal id).
    /// @return The digest.
    function hashResourceOffer(ResourceOffer calldata resource, bytes32 jobOfferHash) external view returns (bytes32);

    /// @notice The state of a job creator's lane: where its current (or last) deal is.
    /// @param creator The job creator.
    /// @param lane The lane.
    /// @return state Where the lane's deal is (None for a lane never used).
    /// @return deadline When the current step times out (unix seconds).
    /// @return seq The sequence number of the lane's last deal; the next offer must exceed it.
    function laneStatus(address creator, uint32 lane)
        external
        view
        returns (DealState state, uint32 deadline, uint32 seq);

    /// @notice The price of a result under a deal's terms: base + rate x instructions / 1e6, capped at the
    /// payment collateral.
    /// @param deal The packed deal terms.
    /// @param instructions The metered instruction count.
    /// @return The cost in token wei.
    function costOf(uint256[5] calldata deal, uint64 instructions) external pure returns (uint256);
}

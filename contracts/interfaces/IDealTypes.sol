// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title The shapes that cross the chain boundary: signed offers, agreed deal terms and posted results.
/// @dev The TypeScript schemas in `src/core/` mirror these field for field; the EIP-712 type strings in
/// `DealTypeHashes` must list the fields in exactly this order.
interface IDealTypes {
    /// @notice What a job creator (JC) signs off chain: the job and the most it will pay. The signed EIP-712
    /// `JobOffer` ends with `address submitter` after these fields; calldata leaves it out (the market fills in the
    /// caller), so it costs no calldata and binds the deal to the JC's solver.
    /// @dev Static (no dynamic members) so that decoding and hashing it stay cheap.
    struct JobOffer {
        address creator;
        bytes32 moduleId; // sha2-256 digest of the module manifest (its CIDv1, raw codec)
        bytes32 inputsHash; // keccak256 of the canonical JSON inputs
        uint96 maxBasePrice; // the most the JC accepts as a fixed fee per job
        uint96 maxPricePerMInstr; // the most the JC accepts per million metered instructions
        uint96 paymentCollateral; // locked at open; caps the job's total cost
        uint96 mediationFee; // paid to the mediator by the JC if it challenges
        uint96 minTimeoutCollateral; // the least the RP must lock against never answering
        uint16 minCollateralMultiple; // the least results-collateral multiple the JC accepts
        address[4] mediators; // mediators the JC trusts: ascending, zero-padded at the end
        address targetProvider; // zero for any resource provider
        uint32 resultTimeout; // seconds the RP has to post a result
        uint32 judgingWindow; // seconds the JC has to accept or challenge
        uint32 mediationTimeout; // seconds the mediator has to rule
        bool callback; // call IDealCallback on the creator when the deal closes
        uint32 lane; // the creator's deal lane: one deal at a time, its storage slot reused
        uint32 seq; // must exceed the lane's last sequence number: the replay guard
        uint64 expiry; // unix seconds after which the offer cannot open a deal
        uint64 maxInstructions; // the most instructions a result may claim (and be priced for); 0: per-run only
        // Signed but not in calldata: `address submitter`, the only account that may open the deal (the JC's
        // solver; zero for anyone). The market hashes the offer with the caller as its submitter.
    }

    /// @notice What a resource provider (RP) signs: its price and collateral for one specific job offer.
    /// @dev The signer of this offer is the provider: it is recovered from the signature, so RPs sign with
    /// their own (externally owned) key. The signed EIP-712 `ResourceOffer` starts with `bytes32 jobOfferHash`,
    /// the digest of the job offer the RP agrees to serve (the deal id), which the market fills in from the job
    /// offer it is given. Binding the RP's consent to one job offer makes it single-use without any nonce
    /// storage: a job offer opens at most one deal. Signing the job offer's digest also accepts its whole
    /// mediator list: the market draws the deal's mediator from it, so neither party picks the mediator.
    struct ResourceOffer {
        uint96 basePrice;
        uint96 pricePerMInstr;
        uint96 timeoutCollateral; // locked at open; goes to the JC if no result arrives in time
        uint16 collateralMultiple; // results collateral = multiple x cost
        uint64 expiry;
    }

    /// @notice The agreed terms of an open deal. Only a commitment to it is stored; callers pass it back
    /// packed into five words (`PackedDeal`), which is also how `DealOpened` carries it:
    ///   w0 = creator | basePrice << 160
    ///   w1 = provider | pricePerMInstr << 160
    ///   w2 = mediator | mediationFee << 160
    ///   w3 = paymentCollateral | timeoutCollateral << 96 | lane << 192 | judgingWindow << 224
    ///   w4 = mediationTimeout | collateralMultiple << 32 | callback << 48 | resultTimeout << 56
    ///        | maxInstructions << 88
    /// Packing halves the calldata and log data that every deal pays for three or four times.
    struct Deal {
        address creator;
        address provider;
        address mediator; // drawn at open from the mediators both parties trust
        uint96 basePrice;
        uint96 pricePerMInstr;
        uint96 paymentCollateral;
        uint96 timeoutCollateral;
        uint96 mediationFee;
        uint16 collateralMultiple;
        uint32 resultTimeout;
        uint32 judgingWindow;
        uint32 mediationTimeout;
        uint32 lane;
        bool callback;
        uint64 maxInstructions; // the job offer's ceiling on the result's instruction count
    }

    /// @notice What the RP posts: where the result lives, a hash of its output and the metered work.
    /// @dev Static, so that the deal and its result hash straight from calldata.
    struct Result {
        bytes32 cidDigest; // the result directory's CID is CIDv1(dag-pb, sha2-256, cidDigest)
        bytes32 outputHash; // hash of the deterministic output, compared by the mediator
        uint64 instructions; // metered WebAssembly instruction count (0 for per-run priced modules)
    }

    /// @notice An ERC-2098 compact ECDSA signature (64 bytes). A contract signer (EIP-1271) is asked to
    /// approve the digest and receives these 64 bytes as its signature argument.
    struct Signature {
        bytes32 r;
        bytes32 vs;
    }

    /// @notice Where a lane's current deal is. Stored in the low byte of the lane's slot.
    enum DealState {
        None,
        Open,
        ResultPosted,
        Challenged,
        Closed
    }

    /// @notice How a deal ended.
    enum Outcome {
        Accepted, // JC accepted the result
        Finalized, // judging window passed without a verdict: RP paid (optimistic acceptance)
        ProviderRight, // mediator upheld the result: RP paid, JC pays the fee
        ProviderWrong, // mediator rejected the result: the RP's whole stake goes to the JC
        ResultTimeout, // RP never posted: JC refunded and receives the RP's timeout collateral
        MediationTimeout, // mediator never ruled: everyone refunded, the fee back to the JC
        Declined // RP said it cannot run the job: settled at once, as a result timeout would be
    }
}

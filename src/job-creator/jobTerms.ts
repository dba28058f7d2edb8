// What a job creator is willing to pay, lock and wait, and the defaults the SDK and CLI use.

export interface JobTerms {
  /** Most paid per run (wei). */
  maxBasePrice: bigint;
  /** Most paid per million instructions (wei). */
  maxPricePerMInstr: bigint;
  /** Locked for the job's payment: the most it can cost. */
  paymentCollateral: bigint;
  mediationFee: bigint;
  minTimeoutCollateral: bigint;
  minCollateralMultiple: number;
  /** Seconds the provider has to post a result once the deal is open. */
  resultTimeout: number;
  /** Seconds the creator has to accept or challenge. */
  judgingWindow: number;
  /** Seconds the mediator has to rule. */
  mediationTimeout: number;
  /** Seconds the job may wait for a provider. */
  matchTimeout: number;
}

export const DEFAULT_JOB_TERMS: JobTerms = {
  maxBasePrice: 10n ** 18n,
  maxPricePerMInstr: 10n ** 16n,
  paymentCollateral: 10n * 10n ** 18n,
  mediationFee: 5n * 10n ** 17n,
  minTimeoutCollateral: 10n ** 17n,
  minCollateralMultiple: 2,
  resultTimeout: 120,
  judgingWindow: 120,
  mediationTimeout: 600,
  matchTimeout: 30,
};

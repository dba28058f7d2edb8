// Providers' standing offers, read from the solver's public listing: what the overview shows as providers online
// and capacity. This is the one part of the dashboard that is not on chain (offers are off-chain market data), so
// it is labelled as the solver's, and an unreachable solver only empties it.
import { getAddress } from "viem";
import { API_PREFIX, capacityListingSchema } from "../core/api/solverProtocol.ts";
import { httpRequest, readBody } from "../net/httpRequest.ts";
import type { Logger } from "../core/logger.ts";
import type { OffersByProvider } from "./indexerQueries.ts";

const REQUEST_TIMEOUT_MS = 5_000;
/** The listing of a network with thousands of providers is a few megabytes; a solver may not send more. */
const MAX_LISTING_BYTES = 16 * 1024 * 1024;

/** Where the solver is, and whether its URL was chosen by another party (learned from the chain). */
export interface SolverSource {
  url: string;
  refusePrivateAddresses: boolean;
}

export interface SolverOffersParameters {
  /** The solver now (it may be learned from the chain after the indexer starts). */
  solver: () => SolverSource | undefined;
  log: Logger;
  pollMs?: number;
}

export class SolverOffers {
  readonly #p: SolverOffersParameters;
  #offers: OffersByProvider = new Map();
  #timer: NodeJS.Timeout | undefined;
  #failing = false;

  constructor(params: SolverOffersParameters) {
    this.#p = params;
  }

  get current(): OffersByProvider {
    return this.#offers;
  }

  start(): void {
    const loop = async () => {
      await this.refresh();
      this.#timer = setTimeout(loop, this.#p.pollMs ?? 2_000);
    };
    void loop();
  }

  stop(): void {
    clearTimeout(this.#timer);
  }

  async refresh(): Promise<void> {
    const solver = this.#p.solver();
    if (!solver) return;
    const url = solver.url;
    try {
      const response = await httpRequest(`${url.replace(/\/+$/, "")}${API_PREFIX}/capacity`, {
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        refusePrivateAddresses: solver.refusePrivateAddresses,
      });
      const body = await readBody(response, MAX_LISTING_BYTES);
      if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}`);
      const listing = capacityListingSchema.parse(JSON.parse(body));
      const offers = new Map<string, { offer: ReturnType<typeof toOffer>; online: boolean }>();
      for (const { provider, offer, updatedAt, online } of listing.offers) offers.set(getAddress(provider), { offer: toOffer(offer, updatedAt), online });
      this.#offers = offers;
      if (this.#failing) this.#p.log.info({ solverUrl: url }, "solver's offers readable again");
      this.#failing = false;
    } catch (error) {
      if (!this.#failing) this.#p.log.warn({ solverUrl: url, err: String(error) }, "cannot read the solver's offers; providers online unknown");
      this.#failing = true;
      this.#offers = new Map();
    }
  }
}

function toOffer(offer: ReturnType<typeof capacityListingSchema.parse>["offers"][number]["offer"], updatedAt: number) {
  return {
    cpu: offer.free.cpu,
    ramMiB: offer.free.ramMiB,
    gpu: offer.free.gpu,
    slots: offer.slots,
    modules: offer.modules,
    basePrice: offer.basePrice.toString(),
    pricePerMInstr: offer.pricePerMInstr.toString(),
    timeoutCollateral: offer.timeoutCollateral.toString(),
    collateralMultiple: offer.collateralMultiple,
    expiresAt: offer.expiresAt,
    updatedAt: Math.floor(updatedAt),
  };
}

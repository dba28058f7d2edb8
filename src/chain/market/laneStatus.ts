import type { Address } from "viem";
import type { DealState } from "../../core/dealTypes.ts";
import type { ChainConnection } from "../chainConnection.ts";
import { lilypadMarketAbi } from "../generated/contracts.ts";

export interface LaneStatus {
  state: DealState;
  deadline: number;
  /** The last sequence number used in the lane: the next offer needs a larger one. */
  seq: number;
}

export async function laneStatus(conn: ChainConnection, creator: Address, lane: number): Promise<LaneStatus> {
  const [state, deadline, seq] = await conn.publicClient.readContract({
    address: conn.network.contracts.market,
    abi: lilypadMarketAbi,
    functionName: "laneStatus",
    args: [creator, lane],
  });
  return { state: state as DealState, deadline, seq };
}

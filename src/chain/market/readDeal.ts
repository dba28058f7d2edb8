import { getAbiItem, type Address, type Hex } from "viem";
import type { PackedDeal } from "../../core/dealPacking.ts";
import { emptyResult, type Result } from "../../core/dealTypes.ts";
import type { ChainConnection } from "../chainConnection.ts";
import { lilypadMarketAbi } from "../generated/contracts.ts";

export interface DealOnChain {
  dealId: Hex;
  provider: Address;
  moduleId: Hex;
  inputsHash: Hex;
  deal: PackedDeal;
  /** The last result posted (the empty result when none was). */
  result: Result;
}

/** Reads a deal's terms and result back from the market's events; undefined when no such deal was opened. */
export async function readDeal(conn: ChainConnection, dealId: Hex): Promise<DealOnChain | undefined> {
  const { market } = conn.network.contracts;
  const fromBlock = BigInt(conn.network.deployBlock);
  const [opened] = await conn.publicClient.getLogs({
    address: market,
    event: getAbiItem({ abi: lilypadMarketAbi, name: "DealOpened" }),
    args: { dealId },
    fromBlock,
  });
  if (!opened) return undefined;
  const posted = await conn.publicClient.getLogs({
    address: market,
    event: getAbiItem({ abi: lilypadMarketAbi, name: "ResultPosted" }),
    args: { dealId },
    fromBlock: opened.blockNumber ?? fromBlock,
  });
  const last = posted.at(-1);
  return {
    dealId,
    provider: opened.args.provider as Address,
    moduleId: opened.args.moduleId as Hex,
    inputsHash: opened.args.inputsHash as Hex,
    deal: opened.args.deal as PackedDeal,
    result: (last?.args.result as Result | undefined) ?? emptyResult,
  };
}

import { BaseError, ContractFunctionRevertedError } from "viem";

export interface ContractRevert {
  /** The custom error's name, e.g. "NameTaken". */
  name: string;
  args: readonly unknown[];
}

/** The custom error a contract call reverted with, if that is what `error` is. */
export function contractRevertOf(error: unknown): ContractRevert | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError) || !reverted.data) return undefined;
  return { name: reverted.data.errorName, args: reverted.data.args ?? [] };
}

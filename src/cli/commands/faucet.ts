// `lilypad faucet [ADDRESS]`: on a test network, sends an address gas (the chain's native currency) and tokens, from
// the devnet's faucet account (dev account 0, which holds the token supply) or, elsewhere, from --private-key (the
// account `lilypad deploy` deployed with holds the supply). Once per address per chain every 24 h; never on a mainnet.
import type { Command } from "commander";
import { formatEther, getAddress, isAddress, parseEther, type Address, type Hex } from "viem";
import { InsufficientGasError } from "../../chain/chainErrors.ts";
import { connectChain } from "../../chain/chainConnection.ts";
import { devAccount, DevAccountIndex, devPrivateKey } from "../../chain/devAccounts.ts";
import { lilypadTokenAbi } from "../../chain/generated/contracts.ts";
import { localAccount } from "../../chain/localAccount.ts";
import { waitForReceipt } from "../../chain/waitForReceipt.ts";
import { InvalidArgumentError, LilypadError } from "../../core/errors.ts";
import { MAINNET_CHAINS } from "../../core/mainnetChains.ts";
import { DEV_CHAIN_ID, type NetworkInfo } from "../../core/network.ts";
import { lilypadPaths } from "../../core/paths.ts";
import { probeChain, signingKeyOf } from "../chainAccess.ts";
import { loadCliConfig, type ConfigFlags } from "../config.ts";
import { requireNetwork } from "../connectNetwork.ts";
import type { CliContext } from "../context.ts";
import { FAUCET_INTERVAL_MS, nextGrantAt, recordGrant } from "../faucetLedger.ts";

interface FaucetFlags extends ConfigFlags {
  amount?: string;
  gas?: string;
  json?: boolean;
}

/** Tokens sent when --amount is not given. */
export const FAUCET_TOKENS = "1000";
/** Native currency sent when --gas is not given: plenty on the devnet, a few transactions' worth elsewhere. */
export const FAUCET_GAS_DEVNET = "1";
export const FAUCET_GAS_ELSEWHERE = "0.01";

/** The faucet refused: a mainnet, or an address funded too recently. */
export class FaucetRefusedError extends LilypadError {
  /** When the address may ask again (rate-limited refusals only), ms since the epoch. */
  readonly retryAt: number | undefined;

  constructor(params: { code: "FAUCET_MAINNET" | "FAUCET_RATE_LIMITED" | "FAUCET_EMPTY"; message: string; hint?: string; retryAt?: number }) {
    super({ code: params.code, message: params.message, hint: params.hint });
    this.name = "FaucetRefusedError";
    this.retryAt = params.retryAt;
  }
}

export interface FaucetReport {
  chainId: number;
  address: Address;
  from: Address;
  /** Wei of tokens and of native currency sent, as decimal strings. */
  tokens: string;
  gas: string;
  transactions: { gas: Hex; tokens: Hex };
  /** When the address may ask again (ISO 8601). */
  nextRequestAfter: string;
}

export function registerFaucet(program: Command, ctx: CliContext): Command {
  return program
    .command("faucet")
    .description("fund an address with gas and tokens on a test network (once per address per 24 h)")
    .argument("[address]", "who to fund (default on the devnet: the --private-key's address, else the job creator's dev account)")
    .option("--amount <tokens>", `tokens to send, e.g. 50 (default ${FAUCET_TOKENS})`)
    .option("--gas <ether>", `native currency to send (default ${FAUCET_GAS_DEVNET} on the devnet, ${FAUCET_GAS_ELSEWHERE} elsewhere)`)
    .option("--json", "print one JSON object (amounts in wei)")
    .addHelpText(
      "after",
      "\nOn the devnet the faucet is dev account 0. On another test network it is the key given with --private-key\n(LILYPAD_PRIVATE_KEY or WEB3_PRIVATE_KEY), e.g. the account that ran 'lilypad deploy', and ADDRESS is required.\nMainnet chain ids are refused. Grants are remembered in $LILYPAD_HOME/faucet.json.",
    )
    .action(async (address: string | undefined, flags: FaucetFlags, command: Command) => {
      const report = await runFaucet(ctx, command.optsWithGlobals<FaucetFlags>(), address);
      if (flags.json) ctx.stdout(`${JSON.stringify(report)}\n`);
      else {
        ctx.stdout(
          `sent ${formatEther(BigInt(report.tokens))} LP and ${formatEther(BigInt(report.gas))} ETH to ${report.address} on chain ${report.chainId}\n` +
            `  gas     tx ${report.transactions.gas}\n  tokens  tx ${report.transactions.tokens}\n` +
            `next request for this address after ${report.nextRequestAfter}\n`,
        );
      }
    });
}

function amountOf(flag: string, value: string): bigint {
  let amount: bigint;
  try {
    amount = parseEther(value);
  } catch {
    throw new InvalidArgumentError({ argument: flag, message: `${flag}: "${value}" is not an amount (e.g. 10 or 0.5)` });
  }
  if (amount < 0n) throw new InvalidArgumentError({ argument: flag, message: `${flag} must not be negative` });
  return amount;
}

function refuseMainnet(chainId: number, where: string): void {
  const name = MAINNET_CHAINS.get(chainId);
  if (name) {
    throw new FaucetRefusedError({ code: "FAUCET_MAINNET", message: `the faucet refuses chain ${chainId} (${name} mainnet${where}): it only funds test networks`, hint: "move real funds with a wallet" });
  }
}

export async function runFaucet(ctx: CliContext, flags: FaucetFlags, recipient: string | undefined, now: () => number = Date.now): Promise<FaucetReport> {
  const config = loadCliConfig(ctx, flags);
  const network: NetworkInfo = await requireNetwork(ctx, config);
  refuseMainnet(network.chainId, "");
  const devnet = network.chainId === DEV_CHAIN_ID;
  const key = signingKeyOf(config);
  if (recipient !== undefined && !isAddress(recipient, { strict: false })) {
    throw new InvalidArgumentError({ argument: "[address]", message: `"${recipient}" is not an address (0x followed by 40 hex digits)` });
  }
  let to: Address;
  let funderKey: Hex;
  if (devnet) {
    funderKey = devPrivateKey(DevAccountIndex.deployer);
    to = recipient ? getAddress(recipient) : key ? localAccount(key).address : devAccount(DevAccountIndex.jobCreator).address;
  } else {
    if (!key) throw new InvalidArgumentError({ argument: "--private-key", message: `on network ${network.name} the faucet sends from the key given with --private-key`, hint: "pass the funding account's key (e.g. the deployer's) with --private-key, LILYPAD_PRIVATE_KEY or WEB3_PRIVATE_KEY" });
    if (!recipient) throw new InvalidArgumentError({ argument: "[address]", message: `on network ${network.name} say which address to fund` });
    funderKey = key;
    to = getAddress(recipient);
  }
  const tokens = amountOf("--amount", flags.amount ?? FAUCET_TOKENS);
  const gas = amountOf("--gas", flags.gas ?? (devnet ? FAUCET_GAS_DEVNET : FAUCET_GAS_ELSEWHERE));
  if (tokens === 0n && gas === 0n) throw new InvalidArgumentError({ argument: "--amount", message: "nothing to send: --amount and --gas are both 0" });

  // The chain itself must agree that it is not a mainnet, whatever the file says.
  const { publicClient, chainId } = await probeChain(network.rpcUrl);
  refuseMainnet(chainId, ` at ${network.rpcUrl}`);
  const genesis = await publicClient.getBlock({ blockNumber: 0n });
  if (!genesis.hash) throw new LilypadError({ code: "FAUCET_NO_GENESIS", message: `the chain at ${network.rpcUrl} has no genesis block hash` });
  const grantKey = { chainId, genesisHash: genesis.hash, address: to };
  const paths = lilypadPaths({ env: ctx.env, homedir: ctx.homedir });
  const ledger = `${paths.home}/faucet.json`;
  const retryAt = nextGrantAt(ledger, grantKey, now());
  if (retryAt !== undefined) {
    const hours = Math.ceil((retryAt - now()) / 3_600_000);
    throw new FaucetRefusedError({
      code: "FAUCET_RATE_LIMITED",
      message: `${to} was funded on chain ${chainId} less than 24 h ago; ask again after ${new Date(retryAt).toISOString()} (in about ${hours} h)`,
      retryAt,
    });
  }

  const conn = connectChain({ network, privateKey: funderKey });
  const [native, held] = await Promise.all([
    conn.publicClient.getBalance({ address: conn.address }),
    conn.publicClient.readContract({ address: network.contracts.token, abi: lilypadTokenAbi, functionName: "balanceOf", args: [conn.address] }),
  ]);
  if (held < tokens) {
    throw new FaucetRefusedError({ code: "FAUCET_EMPTY", message: `the faucet account ${conn.address} holds ${formatEther(held)} LP, less than the ${formatEther(tokens)} LP asked for`, hint: "ask for less with --amount, or fund the faucet account" });
  }
  const { maxFeePerGas } = await conn.publicClient.estimateFeesPerGas();
  const fees = 200_000n * maxFeePerGas;
  if (native < gas + fees) throw new InsufficientGasError({ address: conn.address, balance: native, needed: gas + fees, chainId, what: `sending ${formatEther(gas)} ETH and ${formatEther(tokens)} LP` });

  ctx.stderr(`funding ${to} from ${conn.address} on chain ${chainId}…\n`);
  const gasTx = await conn.wallet.sendTransaction({ to, value: gas });
  const tokensTx = await conn.wallet.writeContract({ address: network.contracts.token, abi: lilypadTokenAbi, functionName: "transfer", args: [to, tokens] });
  for (const hash of [gasTx, tokensTx]) {
    const receipt = await waitForReceipt(conn, { hash });
    if (receipt.status !== "success") throw new LilypadError({ code: "FAUCET_TX_FAILED", message: `the faucet's transaction ${hash} reverted` });
  }
  const at = now();
  recordGrant(ledger, grantKey, at);
  return {
    chainId,
    address: to,
    from: conn.address,
    tokens: tokens.toString(),
    gas: gas.toString(),
    transactions: { gas: gasTx, tokens: tokensTx },
    nextRequestAfter: new Date(at + FAUCET_INTERVAL_MS).toISOString(),
  };
}

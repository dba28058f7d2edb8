// What the multi-host test does on the chain from one of its hosts (the test process itself is on no host's
// network): `node chainTool.ts <command> <network file> [args]`, printing one JSON object on stdout.
//
//   warp <network file> <seconds>      moves the dev chain's clock forward and mines a block
//   onchain-job <network file> <judge> <message>
//        deploys the ExampleJobClient (dev account 9), funds it from dev account 0, has it request cowsay through
//        the OnChainJobCreator with <judge> as its judge, waits for the market's callback, and fetches the result's
//        stdout from the URL the deal's provider registered
import { readFileSync } from "node:fs";
import { CID } from "multiformats/cid";
import { bytesToHex, createTestClient, getAddress, parseEther, parseEventLogs, zeroAddress, type Address, type Hash, type Hex } from "viem";
import { connectChain, type ChainConnection } from "../../../src/chain/chainConnection.ts";
import { devPrivateKey } from "../../../src/chain/devAccounts.ts";
import { exampleJobClientAbi, exampleJobClientBytecode, lilypadTokenAbi, onChainJobCreatorAbi } from "../../../src/chain/generated/contracts.ts";
import { jsonRpcHttpTransport } from "../../../src/chain/jsonRpcHttpTransport.ts";
import { readDeal } from "../../../src/chain/market/readDeal.ts";
import { serviceUrlOf, ServiceRole } from "../../../src/chain/serviceRegistry.ts";
import { canonicalJsonBytes } from "../../../src/core/canonicalJson.ts";
import { networkSchema, type NetworkInfo } from "../../../src/core/network.ts";
import { resultCidOfDigest } from "../../../src/core/resultCid.ts";
import { readShippedCatalog } from "../../../src/modules/moduleCatalog.ts";

const CLIENT_OWNER = 9;
const FAUCET = 0;
/** The dev account the solver acts as (it submits the contract's job offers). */
const SOLVER = 1;

const [command, file, ...rest] = process.argv.slice(2);
if (!command || !file) throw new Error("usage: chainTool.ts <warp|onchain-job> <network file> ...");
const network: NetworkInfo = networkSchema.parse(JSON.parse(readFileSync(file, "utf8")));

async function send(conn: ChainConnection, tx: Promise<Hash>) {
  const receipt = await conn.publicClient.waitForTransactionReceipt({ hash: await tx });
  if (receipt.status !== "success") throw new Error(`transaction ${receipt.transactionHash} reverted`);
  return receipt;
}

async function waitFor<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function warp(seconds: number): Promise<unknown> {
  const testClient = createTestClient({ mode: "anvil", transport: jsonRpcHttpTransport(network.rpcUrl) });
  await testClient.increaseTime({ seconds });
  await testClient.mine({ blocks: 1 });
  return { warped: seconds };
}

async function onChainJob(judge: Address, message: string): Promise<unknown> {
  const owner = connectChain({ network, privateKey: devPrivateKey(CLIENT_OWNER) });
  const faucet = connectChain({ network, privateKey: devPrivateKey(FAUCET) });
  const { token, jobCreator } = network.contracts;
  const deployed = await send(owner, owner.wallet.deployContract({ abi: exampleJobClientAbi, bytecode: exampleJobClientBytecode, args: [jobCreator, token] }));
  const client = getAddress(deployed.contractAddress!);
  await send(faucet, faucet.wallet.writeContract({ address: token, abi: lilypadTokenAbi, functionName: "transfer", args: [client, parseEther("20")] }));
  const cowsay = readShippedCatalog()["cowsay:v1"];
  if (!cowsay) throw new Error("no cowsay:v1 in the shipped catalog");
  const now = (await owner.publicClient.getBlock({ blockTag: "latest" })).timestamp;
  const mediators = network.mediators ?? [];
  const request = {
    moduleId: bytesToHex(CID.parse(cowsay).multihash.digest),
    inputs: new TextDecoder().decode(canonicalJsonBytes({ Message: message })),
    maxBasePrice: parseEther("0.1"),
    maxPricePerMInstr: parseEther("0.01"),
    payment: parseEther("10"),
    minTimeoutCollateral: parseEther("1"),
    minCollateralMultiple: 2,
    mediators: [mediators[0] ?? zeroAddress, mediators[1] ?? zeroAddress, mediators[2] ?? zeroAddress, mediators[3] ?? zeroAddress] as const,
    resultTimeout: 60,
    judgingWindow: 60,
    mediationTimeout: 600,
    expiry: now + 600n,
    maxInstructions: 10n ** 10n,
    mediationFee: 0n,
    submitter: connectChain({ network, privateKey: devPrivateKey(SOLVER) }).address,
    judge,
  };
  const t0 = performance.now();
  const receipt = await send(owner, owner.wallet.writeContract({ address: client, abi: exampleJobClientAbi, functionName: "requestJob", args: [request] }));
  const event = parseEventLogs({ abi: onChainJobCreatorAbi, logs: receipt.logs, eventName: "JobRequested" })[0];
  if (!event) throw new Error("no JobRequested event");
  const { requestId, dealId } = event.args;
  const read = (functionName: "delivered" | "succeeded") =>
    owner.publicClient.readContract({ address: client, abi: exampleJobClientAbi, functionName, args: [requestId] });
  await waitFor(`the callback for request ${requestId} (deal ${dealId})`, 90_000, async () => ((await read("delivered")) ? true : undefined));
  const callbackMs = Math.round(performance.now() - t0);
  const resultCidDigest: Hex = await owner.publicClient.readContract({ address: client, abi: exampleJobClientAbi, functionName: "resultOf", args: [requestId] });
  const deal = await readDeal(owner, dealId);
  if (!deal) throw new Error(`no deal ${dealId} on chain`);
  const providerUrl = await serviceUrlOf(owner, { service: deal.provider, role: ServiceRole.ResourceProvider });
  const resultCid = resultCidOfDigest(resultCidDigest).toString();
  const stdout = providerUrl ? await (await fetch(`${providerUrl}/ipfs/${resultCid}/stdout`, { signal: AbortSignal.timeout(10_000) })).text() : "";
  return {
    client,
    requestId: requestId.toString(),
    dealId,
    succeeded: await read("succeeded"),
    provider: deal.provider,
    providerUrl,
    resultCid,
    stdout,
    callbackMs,
  };
}

const output =
  command === "warp"
    ? await warp(Number(rest[0]))
    : command === "onchain-job"
      ? await onChainJob(getAddress(rest[0] ?? ""), rest[1] ?? "hello")
      : (() => {
          throw new Error(`unknown command ${command}`);
        })();
process.stdout.write(`${JSON.stringify(output)}\n`);
process.exit(0);

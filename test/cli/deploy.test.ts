// `lilypad deploy` with the real binary against a separate anvil that mines a block every 2 s (not on arrival) under
// a chain id that is not the devnet's: the contracts deploy and answer, the network file is valid and every role
// reads it by name, the faucet funds from the deployer's key there; and every bad input gets its own clear error.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createPublicClient, http, parseEther, type Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { DEV_MNEMONIC, devAccount, devPrivateKey } from "../../src/chain/devAccounts.ts";
import { lilypadMarketAbi, lilypadTokenAbi } from "../../src/chain/generated/contracts.ts";
import { networkSchema } from "../../src/core/network.ts";
import { spawnAnvil, type RunningAnvil } from "../../src/devnet/spawnAnvil.ts";

const execFileAsync = promisify(execFile);
const BIN = join(fileURLToPath(new URL("../../", import.meta.url)), "bin", "lilypad.js");
const CHAIN_ID = 412346;
const DEPLOYER = devPrivateKey(0);

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

describe("lilypad deploy", () => {
  let anvil: RunningAnvil;
  let home: string;
  let deployed: { contracts: Record<"token" | "market" | "serviceRegistry" | "jobCreator", { address: Address; transaction: `0x${string}` }>; networkFile: string; name: string };

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "lilypad-deploy-"));
    anvil = await spawnAnvil({ host: "127.0.0.1", port: 0, args: ["--chain-id", String(CHAIN_ID), "--mnemonic", DEV_MNEMONIC, "--accounts", "3", "--block-time", "2"] });
  });
  after(async () => {
    await anvil.close();
    await rm(home, { recursive: true, force: true });
  });

  const lilypad = async (args: string[], env: Record<string, string> = {}): Promise<Ran> => {
    try {
      const { stdout, stderr } = await execFileAsync(process.execPath, [BIN, ...args], { cwd: home, env: { ...process.env, LILYPAD_PRIVATE_KEY: "", WEB3_PRIVATE_KEY: "", LILYPAD_HOME: home, ...env }, timeout: 120_000 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  const client = () => createPublicClient({ transport: http(anvil.url), cacheTime: 0 });

  it("deploys to a chain that mines every 2 s, waits for a confirmation, and writes a network file whose contracts answer", async () => {
    const ran = await lilypad(["deploy", "--rpc-url", anvil.url, "--confirmations", "1", "--json"], { WEB3_PRIVATE_KEY: DEPLOYER });
    assert.equal(ran.code, 0, ran.stderr);
    deployed = JSON.parse(ran.stdout) as typeof deployed;
    assert.equal(deployed.name, `chain-${CHAIN_ID}`);
    assert.equal(deployed.networkFile, join(home, "networks", `chain-${CHAIN_ID}.json`));
    assert.match(ran.stderr, /token: sent 0x[0-9a-f]{64}/);
    assert.match(ran.stderr, /jobCreator: deployed at 0x[0-9a-fA-F]{40}/);

    const file = networkSchema.parse(JSON.parse(await readFile(deployed.networkFile, "utf8")));
    assert.equal(file.chainId, CHAIN_ID);
    assert.equal(file.rpcUrl, anvil.url);
    assert.equal(file.confirmations, 1);
    const chain = client();
    for (const [name, { address, transaction }] of Object.entries(deployed.contracts)) {
      assert.equal(file.contracts[name as keyof typeof file.contracts], address);
      const receipt = await chain.getTransactionReceipt({ hash: transaction });
      assert.equal(receipt.contractAddress?.toLowerCase(), address.toLowerCase(), `${name}'s transaction created it`);
      assert.ok(await chain.getBlockNumber() >= receipt.blockNumber + 1n, `${name} has a confirmation`);
    }
    assert.equal(file.deployBlock, Number((await chain.getTransactionReceipt({ hash: deployed.contracts.token.transaction })).blockNumber));
    assert.equal(await chain.readContract({ address: file.contracts.market, abi: lilypadMarketAbi, functionName: "token" }), file.contracts.token);
    assert.equal(await chain.readContract({ address: file.contracts.token, abi: lilypadTokenAbi, functionName: "balanceOf", args: [devAccount(0).address] }), parseEther("1000000000"));
  });

  it("the roles read the deployed network by name", async () => {
    const ran = await lilypad(["balance", "--network", deployed.name, "--private-key", DEPLOYER, "--json"]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(BigInt((JSON.parse(ran.stdout) as { wallet: string }).wallet), parseEther("1000000000"));
  });

  it("off the devnet the faucet sends from --private-key (the deployer), to a named address only, once a day", async () => {
    const to = privateKeyToAccount(generatePrivateKey()).address;
    const noAddress = await lilypad(["faucet", "--network", deployed.name, "--private-key", DEPLOYER]);
    assert.equal(noAddress.code, 2);
    assert.match(noAddress.stderr, /say which address to fund/);
    const noKey = await lilypad(["faucet", to, "--network", deployed.name]);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /sends from the key given with --private-key/);

    const ran = await lilypad(["faucet", to, "--amount", "25", "--network", deployed.name, "--private-key", DEPLOYER]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, new RegExp(`sent 25 LP and 0.01 ETH to ${to} on chain ${CHAIN_ID}`));
    const chain = client();
    assert.equal(await chain.getBalance({ address: to }), parseEther("0.01"));
    assert.equal(await chain.readContract({ address: deployed.contracts.token.address, abi: lilypadTokenAbi, functionName: "balanceOf", args: [to] }), parseEther("25"));
    const again = await lilypad(["faucet", to, "--network", deployed.name, "--private-key", DEPLOYER]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /less than 24 h ago; ask again after \d{4}-\d\d-\d\dT/);
  });

  it("refuses to overwrite a network file that already has contracts, unless --force", async () => {
    const ran = await lilypad(["deploy", "--rpc-url", anvil.url, "--private-key", DEPLOYER]);
    assert.equal(ran.code, 1);
    assert.match(ran.stderr, /already has contracts/);
    assert.match(ran.stderr, /--force/);
  });

  it("deploys from a network file that names the chain but no contracts, keeping its name and confirmations", async () => {
    const template = join(home, "template.json");
    await writeFile(template, JSON.stringify({ name: "staging", chainId: CHAIN_ID, rpcUrl: anvil.url, confirmations: 0, contracts: null, note: "not deployed yet" }));
    const refused = await lilypad(["balance", "--network", template, "--private-key", DEPLOYER]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /network staging \(.*template\.json\) has no contracts deployed yet/);
    assert.match(refused.stderr, /lilypad deploy --network staging/);
    const ran = await lilypad(["deploy", "--network", template, "--private-key", DEPLOYER, "--json"]);
    assert.equal(ran.code, 0, ran.stderr);
    const report = JSON.parse(ran.stdout) as { networkFile: string; confirmations: number };
    assert.equal(report.networkFile, join(home, "networks", "staging.json"));
    assert.equal(report.confirmations, 0);
    assert.equal(networkSchema.parse(JSON.parse(await readFile(report.networkFile, "utf8"))).name, "staging");
  });

  it("the shipped Arbitrum Sepolia file is found by name and refused by the roles until deployed", async () => {
    const ran = await lilypad(["balance", "--network", "arbitrum-sepolia", "--private-key", DEPLOYER]);
    assert.equal(ran.code, 1);
    assert.match(ran.stderr, /network arbitrum-sepolia .* has no contracts deployed yet/);
    assert.match(ran.stderr, /lilypad deploy --network arbitrum-sepolia --private-key KEY/);
  });

  it("says so when the RPC URL does not answer", async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const ran = await lilypad(["deploy", "--rpc-url", `http://127.0.0.1:${port}`, "--private-key", DEPLOYER]);
    assert.equal(ran.code, 4, "4: the chain did not answer");
    assert.match(ran.stderr, new RegExp(`cannot reach the chain at http://127.0.0.1:${port}: .*ECONNREFUSED`));
  });

  it("names the address and its balance when the key has no gas, before sending anything", async () => {
    const key = generatePrivateKey();
    const address = privateKeyToAccount(key).address;
    const chain = client();
    const nonceBefore = await chain.getTransactionCount({ address });
    const ran = await lilypad(["deploy", "--rpc-url", anvil.url, "--network-file", join(home, "poor.json")], { LILYPAD_PRIVATE_KEY: key });
    assert.equal(ran.code, 1);
    assert.match(ran.stderr, new RegExp(`account ${address} has 0 ETH on chain ${CHAIN_ID}; deploying the contracts .* needs about [0-9.]+ ETH`));
    assert.equal(await chain.getTransactionCount({ address }), nonceBefore);
  });

  it("refuses a network file of another chain", async () => {
    const other = join(home, "other-chain.json");
    await writeFile(other, JSON.stringify({ name: "other", chainId: 11155111, rpcUrl: "https://rpc.example/" }));
    const ran = await lilypad(["deploy", "--rpc-url", anvil.url, "--private-key", DEPLOYER, "--network-file", other]);
    assert.equal(ran.code, 1);
    assert.match(ran.stderr, new RegExp(`network file .*other-chain\\.json is for chain 11155111, but ${anvil.url} serves chain ${CHAIN_ID}`));
  });

  it("refuses invalid keys, a missing key or URL, and bad confirmations as usage errors", async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [["deploy", "--rpc-url", anvil.url, "--private-key", "0x12"], {}, /privateKey: must be 0x followed by 64 hex digits/],
      [["deploy", "--rpc-url", anvil.url, "--private-key", `0x${"0".repeat(64)}`], {}, /not a valid secp256k1 key/],
      [["deploy", "--rpc-url", anvil.url], { WEB3_PRIVATE_KEY: "nope" }, /WEB3_PRIVATE_KEY must be 0x followed by 64 hex digits/],
      [["deploy", "--rpc-url", anvil.url], {}, /deploy needs the deployer's key/],
      [["deploy", "--private-key", DEPLOYER], {}, /deploy needs the chain's JSON-RPC URL/],
      [["deploy", "--rpc-url", anvil.url, "--private-key", DEPLOYER, "--confirmations", "-1"], {}, /--confirmations must be a whole number from 0 to 64/],
      [["deploy", "--rpc-url", anvil.url, "--private-key", DEPLOYER, "--name", "../x"], {}, /is not a network name/],
    ];
    const runs = await Promise.all(cases.map(([args, env]) => lilypad(args, env)));
    cases.forEach(([args, , message], i) => {
      assert.equal(runs[i]?.code, 2, `${args.join(" ")}: ${runs[i]?.stderr}`);
      assert.match(runs[i]?.stderr ?? "", message);
    });
  });
});

// `lilypad faucet` with the real binary against a real dev chain: it funds an address with gas and tokens from the
// devnet's faucet account, refuses the same address again within 24 h (saying when it may ask again), refuses a
// mainnet chain id, and refuses bad input as usage errors.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseEther, type Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { devAccount, devPrivateKey } from "../../src/chain/devAccounts.ts";
import { lilypadTokenAbi } from "../../src/chain/generated/contracts.ts";
import { startDevChain, type DevChain } from "../../src/devnet/startDevChain.ts";

const execFileAsync = promisify(execFile);
const BIN = join(fileURLToPath(new URL("../../", import.meta.url)), "bin", "lilypad.js");

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

describe("lilypad faucet", () => {
  let dev: DevChain;
  let home: string;
  let networkFile: string;

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "lilypad-faucet-"));
    networkFile = join(home, "devnet-test.json");
    dev = await startDevChain({ networkFile });
  });
  after(async () => {
    await dev.close();
    await rm(home, { recursive: true, force: true });
  });

  const lilypad = async (args: string[]): Promise<Ran> => {
    try {
      const { stdout, stderr } = await execFileAsync(process.execPath, [BIN, ...args, ...(args.includes("--network") ? [] : ["--network", networkFile])], { cwd: home, env: { ...process.env, LILYPAD_PRIVATE_KEY: "", WEB3_PRIVATE_KEY: "", LILYPAD_HOME: home }, timeout: 60_000 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  const tokensOf = (address: Address) => dev.publicClient.readContract({ address: dev.network.contracts.token, abi: lilypadTokenAbi, functionName: "balanceOf", args: [address] });

  it("funds a new address with 1 ETH and 1000 tokens from dev account 0, then refuses it for 24 h", async () => {
    const to = privateKeyToAccount(generatePrivateKey()).address;
    const faucetBefore = await tokensOf(devAccount(0).address);
    const ran = await lilypad(["faucet", to, "--json"]);
    assert.equal(ran.code, 0, ran.stderr);
    const report = JSON.parse(ran.stdout) as { address: Address; from: Address; tokens: string; gas: string; nextRequestAfter: string };
    assert.equal(report.address, to);
    assert.equal(report.from, devAccount(0).address);
    assert.equal(await dev.publicClient.getBalance({ address: to }), parseEther("1"));
    assert.equal(await tokensOf(to), parseEther("1000"));
    assert.equal(await tokensOf(devAccount(0).address), faucetBefore - parseEther("1000"));
    const next = Date.parse(report.nextRequestAfter);
    assert.ok(Math.abs(next - (Date.now() + 24 * 3_600_000)) < 120_000, "the next request is a day away");

    const again = await lilypad(["faucet", to, "--verbose"]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`${to} was funded on chain 31337 less than 24 h ago; ask again after ${report.nextRequestAfter.slice(0, 16)}`));
    assert.match(again.stderr, /code: FAUCET_RATE_LIMITED/);
    assert.equal(await tokensOf(to), parseEther("1000"), "nothing more was sent");
    const ledger = JSON.parse(await readFile(join(home, "faucet.json"), "utf8")) as { grants: Record<string, unknown> };
    assert.equal(Object.keys(ledger.grants).length, 1);
  });

  it("funds the --private-key's address when no address is given, with the amounts asked for", async () => {
    const key = generatePrivateKey();
    const me = privateKeyToAccount(key).address;
    const ran = await lilypad(["faucet", "--amount", "5", "--gas", "0.5", "--private-key", key]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, new RegExp(`sent 5 LP and 0.5 ETH to ${me} on chain 31337`));
    assert.match(ran.stdout, /next request for this address after \d{4}-/);
    assert.equal(await tokensOf(me), parseEther("5"));
    assert.equal(await dev.publicClient.getBalance({ address: me }), parseEther("0.5"));
  });

  it("refuses a mainnet chain id before sending anything", async () => {
    const mainnet = join(home, "mainnet.json");
    await writeFile(mainnet, JSON.stringify({ ...JSON.parse(await readFile(networkFile, "utf8")), name: "oops", chainId: 1 }));
    const to = privateKeyToAccount(generatePrivateKey()).address;
    const ran = await lilypad(["faucet", to, "--network", mainnet, "--private-key", devPrivateKey(0)]);
    assert.equal(ran.code, 1);
    assert.match(ran.stderr, /the faucet refuses chain 1 \(Ethereum mainnet\): it only funds test networks/);
    assert.equal(await dev.publicClient.getBalance({ address: to }), 0n);
  });

  it("refuses a bad address, a bad amount and an empty request as usage errors, and more tokens than it holds", async () => {
    const to = privateKeyToAccount(generatePrivateKey()).address;
    const cases: [string[], number, RegExp][] = [
      [["faucet", "0x1234"], 2, /"0x1234" is not an address/],
      [["faucet", to, "--amount", "lots"], 2, /--amount: "lots" is not an amount/],
      [["faucet", to, "--amount", "0", "--gas", "0"], 2, /nothing to send/],
      [["faucet", to, "--amount", "2000000000"], 1, /the faucet account 0x[0-9a-fA-F]{40} holds [0-9.]+ LP, less than the 2000000000 LP asked for/],
    ];
    const runs = await Promise.all(cases.map(([args]) => lilypad(args)));
    cases.forEach(([args, code, message], i) => {
      assert.equal(runs[i]?.code, code, `${args.join(" ")}: ${runs[i]?.stderr}`);
      assert.match(runs[i]?.stderr ?? "", message);
    });
    assert.equal(await dev.publicClient.getBalance({ address: to }), 0n);
  });
});

// Downloads from URLs another party chose, off a devnet: loopback, private and link-local addresses are refused,
// as literals in any spelling and after DNS resolution, before any connection is made; without the option (a
// devnet) the same URLs work.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { CID } from "multiformats/cid";
import { httpRequest } from "../../src/net/httpRequest.ts";
import { isPrivateAddress, PrivateAddressError, refusePrivateLiteral, refusePrivateUrl, refusesPrivateAddresses } from "../../src/net/privateAddresses.ts";
import type { Blockstore } from "../../src/storage/createBlockstore.ts";
import { fetchCar } from "../../src/storage/fetchCar.ts";
import { fetchJobInputs } from "../../src/storage/fetchJobInputs.ts";
import { verifyServedCar } from "../../src/storage/verifyServedCar.ts";

describe("isPrivateAddress", () => {
  it("refuses loopback, private, link-local, shared, reserved and multicast addresses, in IPv4 and IPv6", () => {
    for (const address of [
      "127.0.0.1",
      "127.255.255.254",
      "0.0.0.0",
      "10.1.2.3",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "198.18.0.1",
      "224.0.0.1",
      "255.255.255.255",
      "::",
      "::1",
      "[::1]",
      "fe80::1",
      "fe80::1%eth0",
      "fd00::1",
      "fc12:3456::1",
      "ff02::1",
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "::ffff:10.0.0.1",
      "::ffff:169.254.169.254",
      "::127.0.0.1",
      "64:ff9b::a00:1",
      "2002:c0a8:0101::1",
      "2001:db8::1",
      "localhost",
      "not an address",
    ]) {
      assert.equal(isPrivateAddress(address), true, address);
    }
  });

  it("lets public unicast addresses through", () => {
    for (const address of ["1.1.1.1", "8.8.8.8", "93.184.216.34", "172.32.0.1", "172.15.255.255", "100.128.0.1", "192.169.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:0808:0808::1"]) {
      assert.equal(isPrivateAddress(address), false, address);
    }
    assert.doesNotThrow(() => refusePrivateLiteral("93.184.216.34"));
    assert.doesNotThrow(() => refusePrivateLiteral("provider.example.com"), "names are checked when they resolve");
  });
});

describe("refusesPrivateAddresses: the one rule for the SDK, the gateway, the relay judge and the mediator", () => {
  it("allows private addresses on a devnet (chain id 31337) and refuses them on any other chain", () => {
    assert.equal(refusesPrivateAddresses({ chainId: 31337 }), false);
    assert.equal(refusesPrivateAddresses({ chainId: 1 }), true);
    assert.equal(refusesPrivateAddresses({ chainId: 8453 }), true);
    assert.equal(refusesPrivateAddresses({ chainId: 31338 }), true);
  });

  it("allowPrivateAddresses overrides the chain's rule either way", () => {
    assert.equal(refusesPrivateAddresses({ chainId: 31337, allowPrivateAddresses: false }), true);
    assert.equal(refusesPrivateAddresses({ chainId: 1, allowPrivateAddresses: true }), false);
    assert.equal(refusesPrivateAddresses({ chainId: 1, allowPrivateAddresses: undefined }), true);
  });
});

describe("refusePrivateUrl: a URL's host, as a literal or as the addresses its name resolves to", () => {
  it("refuses IPv4, IPv6 and IPv4-mapped IPv6 literals that are not public, in URL spellings", async () => {
    for (const url of [
      "http://127.0.0.1:8080/ipfs/x",
      "http://127.1/",
      "http://0x7f000001/",
      "https://10.0.0.1/",
      "http://192.168.0.10:3000",
      "http://169.254.169.254/latest/meta-data",
      "http://0.0.0.0/",
      "http://[::1]:8080/",
      "http://[::]/",
      "http://[fe80::1]/",
      "http://[fd12:3456::1]/",
      "http://[::ffff:127.0.0.1]/",
      "http://[::ffff:10.1.2.3]/",
      "http://[::ffff:a9fe:a9fe]/",
    ]) {
      await assert.rejects(refusePrivateUrl(url), (error: unknown) => {
        assert.ok(error instanceof PrivateAddressError, `${url}: ${String(error)}`);
        assert.equal(error.code, "PRIVATE_ADDRESS_REFUSED");
        return true;
      });
    }
  });

  it("refuses a name that resolves to a loopback address, saying what it resolved to", async () => {
    await assert.rejects(refusePrivateUrl("http://localhost:8080/jobs"), (error: unknown) => {
      assert.ok(error instanceof PrivateAddressError, String(error));
      assert.equal(error.host, "localhost");
      assert.ok(isPrivateAddress(error.address), error.address);
      assert.match(error.message, /^refusing to connect to localhost \(it resolves to (127\.0\.0\.1|::1)\): a loopback, private or link-local address/);
      return true;
    });
  });

  it("lets public literals through, and leaves a name that does not resolve to the client", async () => {
    for (const url of ["http://93.184.216.34/", "https://8.8.8.8:443/x", "http://[2606:4700:4700::1111]/", "http://[::ffff:8.8.8.8]/", "http://no-such-host.invalid/"]) {
      await assert.doesNotReject(refusePrivateUrl(url), url);
    }
  });
});

describe("httpRequest and fetchCar with refusePrivateAddresses", () => {
  let server: Server;
  let port: number;
  let connections = 0;
  before(async () => {
    server = createServer((_req, res) => res.writeHead(404).end());
    server.on("connection", () => connections++);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("refuses a loopback server in every spelling, and a name that resolves to it, before connecting", async () => {
    for (const host of ["127.0.0.1", "127.1", "0x7f000001", "2130706433", "[::1]", "[::ffff:127.0.0.1]", "localhost", "169.254.169.254", "10.0.0.1"]) {
      await assert.rejects(httpRequest(`http://${host}:${port}/ipfs/x`, { refusePrivateAddresses: true }), (error: unknown) => {
        assert.ok(error instanceof PrivateAddressError, `${host}: ${String(error)}`);
        assert.equal(error.code, "PRIVATE_ADDRESS_REFUSED");
        assert.match(error.message, /loopback, private or link-local address, allowed only on a devnet/);
        return true;
      });
    }
    assert.equal(connections, 0, "no connection was made");
  });

  it("reaches the same server without the option (a devnet)", async () => {
    const response = await httpRequest(`http://localhost:${port}/ipfs/x`);
    response.resume();
    assert.equal(response.statusCode, 404);
    assert.ok(connections > 0);
  });

  it("fetchCar passes the refusal on as itself, not as a failed download", async () => {
    const root = CID.parse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
    // Nothing is ever stored: both downloads fail before the first block.
    const blockstore = { get: () => Promise.reject(new Error("empty")), put: (cid: CID) => Promise.resolve(cid), has: () => Promise.resolve(false) } as unknown as Blockstore;
    await assert.rejects(fetchCar({ url: `http://localhost:${port}`, root, blockstore, refusePrivateAddresses: true }), PrivateAddressError);
    await assert.rejects(fetchCar({ url: `http://localhost:${port}`, root, blockstore }), { code: "CAR_FETCH_FAILED" });
  });

  it("fetchJobInputs and verifyServedCar (the mediator's downloads) refuse too, before connecting, and reach the server without the option", async () => {
    const root = CID.parse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
    const inputsHash = `0x${"ab".repeat(32)}` as const;
    const before = connections;
    await assert.rejects(fetchJobInputs({ url: `http://localhost:${port}`, inputsHash, refusePrivateAddresses: true }), (error: unknown) => {
      assert.equal((error as { code?: string }).code, "JOB_INPUTS_FETCH_FAILED");
      assert.ok((error as Error).cause instanceof PrivateAddressError, String(error));
      assert.match((error as Error).message, /refusing to connect to localhost \(it resolves to/);
      return true;
    });
    await assert.rejects(verifyServedCar({ url: `http://[::ffff:127.0.0.1]:${port}`, root, refusePrivateAddresses: true }), PrivateAddressError);
    assert.equal(connections, before, "no connection was made");
    await assert.rejects(fetchJobInputs({ url: `http://localhost:${port}`, inputsHash }), { code: "JOB_INPUTS_FETCH_FAILED", status: 404 });
    await assert.rejects(verifyServedCar({ url: `http://127.0.0.1:${port}`, root }), { code: "CAR_FETCH_FAILED" });
    assert.ok(connections > before, "without the option, the server was asked");
  });
});

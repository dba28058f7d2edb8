// docs/protocol.md cannot drift: its `protocol:NAME` blocks are compared with the contract (source and ABI), the
// code's EIP-712 types, schemas and error list, and every worked example is recomputed with the code.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { CID } from "multiformats/cid";
import { domainSeparator, encodeAbiParameters, getAddress, hashStruct, keccak256, stringToHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { lilypadMarketAbi } from "../../src/chain/generated/contracts.ts";
import { jobOfferDigest, resourceOfferDigest, toCompactSignature } from "../../src/chain/offers.ts";
import { AUTH_HEADERS, authHeaders, authMessage, verifyRequest } from "../../src/core/api/requestAuth.ts";
import { httpStatusOf, SolverErrorCode } from "../../src/core/api/solverErrors.ts";
import { capacityBodySchema, clientMessageSchema, helloMessageSchema, serverMessageSchema } from "../../src/core/api/solverProtocol.ts";
import { canonicalJson, type JsonValue } from "../../src/core/canonicalJson.ts";
import { packDeal, unpackDeal } from "../../src/core/dealPacking.ts";
import { dealSchema, jobOfferSchema, resourceOfferSchema, signatureSchema } from "../../src/core/dealTypes.ts";
import { EIP712_NAME, EIP712_VERSION, marketDomain, offerTypes } from "../../src/core/eip712.ts";
import { parseManifest } from "../../src/core/moduleId.ts";
import { inputsHashOf, resolveInputs, type InputValue } from "../../src/core/moduleInputs.ts";
import { resultDigestOf } from "../../src/core/resultCid.ts";
import { addBytes } from "../../src/storage/addBytes.ts";
import { addDirectory } from "../../src/storage/addDirectory.ts";
import { createBlockstore } from "../../src/storage/createBlockstore.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const DOC = readFileSync(join(REPO, "docs", "protocol.md"), "utf8");

/** The checked blocks: ```lang protocol:NAME ... ```, by name. */
export function protocolBlocks(markdown: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const match of markdown.matchAll(/^```[a-z]* protocol:([A-Za-z0-9-]+)\n([\s\S]*?)^```$/gm)) {
    const [, name = "", body = ""] = match;
    assert.ok(!blocks.has(name), `protocol:${name} appears twice`);
    blocks.set(name, body);
  }
  return blocks;
}

const BLOCKS = protocolBlocks(DOC);
const EXPECTED = [
  "domain",
  "example-domain",
  "type-JobOffer",
  "type-ResourceOffer",
  "example-job-offer",
  "example-resource-offer",
  "example-canonical-json",
  "example-file-cid",
  "example-inputs",
  "deal-layout",
  "example-deal",
  "example-mediator-draw",
  "example-result",
  "auth-headers",
  "example-request",
  "example-capacity",
  "socket-messages",
  "example-job-submit",
  "example-proposal-signed",
  "error-codes",
];

function text(name: string): string {
  const body = BLOCKS.get(name);
  assert.ok(body !== undefined, `docs/protocol.md has no protocol:${name} block`);
  return body;
}
function json<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(text(name)) as T;
}

const tmp = mkdtempSync(join(tmpdir(), "lilypad-protocol-doc-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** `Name(type name,...)` from the code's EIP-712 field list. */
function typeStringOf(name: keyof typeof offerTypes): string {
  return `${name}(${offerTypes[name].map((f) => `${f.type} ${f.name}`).join(",")})`;
}

/** The type string LilypadMarket.sol hashes into `constantName`: its concatenated string literals. */
function contractTypeString(constantName: string): string {
  const source = readFileSync(join(REPO, "contracts", "market", "LilypadMarket.sol"), "utf8");
  const declaration = new RegExp(`${constantName}\\s*=\\s*keccak256\\(([\\s\\S]*?)\\);`).exec(source)?.[1];
  assert.ok(declaration, `LilypadMarket.sol declares ${constantName}`);
  return [...declaration.matchAll(/"([^"]*)"/g)].map((m) => m[1]).join("");
}

/** The ABI's tuple for an `openDeal` parameter: `type name` of each component, in order. */
function abiFields(parameter: string): string[] {
  const openDeal = lilypadMarketAbi.find((item) => item.type === "function" && item.name === "openDeal");
  assert.ok(openDeal && "inputs" in openDeal);
  const input = openDeal.inputs.find((i) => i.name === parameter);
  assert.ok(input && "components" in input, `openDeal takes a tuple ${parameter}`);
  return input.components.map((c) => `${c.type} ${c.name}`);
}

describe("docs/protocol.md", () => {
  it("has exactly the checked blocks this test knows", () => {
    assert.deepEqual([...BLOCKS.keys()].sort(), [...EXPECTED].sort());
  });

  it("is linked from the README", () => {
    assert.match(readFileSync(join(REPO, "README.md"), "utf8"), /\]\(docs\/protocol\.md\)/);
  });

  describe("EIP-712", () => {
    it("the domain's name and version are the code's and the contract's", () => {
      const domain = json<{ name: string; version: string }>("domain");
      assert.deepEqual(domain, { name: EIP712_NAME, version: EIP712_VERSION });
      const source = readFileSync(join(REPO, "contracts", "market", "LilypadMarket.sol"), "utf8");
      assert.ok(source.includes(`EIP712("${domain.name}", "${domain.version}")`), "LilypadMarket's EIP712 constructor");
    });

    it("the example domain separator", () => {
      const d = json<{ chainId: number; verifyingContract: Hex; domainSeparator: Hex }>("example-domain");
      assert.equal(domainSeparator({ domain: marketDomain(d.chainId, d.verifyingContract) }), d.domainSeparator);
    });

    it("JobOffer: the contract's type string, the code's types, and the ABI's struct plus the unsent submitter", () => {
      const documented = text("type-JobOffer").trim();
      assert.equal(documented, contractTypeString("JOB_OFFER_TYPEHASH"));
      assert.equal(documented, typeStringOf("JobOffer"));
      assert.equal(documented, `JobOffer(${[...abiFields("job"), "address submitter"].join(",")})`);
    });

    it("ResourceOffer: the contract's type string, the code's types, and the unsent jobOfferHash plus the ABI's struct", () => {
      const documented = text("type-ResourceOffer").trim();
      assert.equal(documented, contractTypeString("RESOURCE_OFFER_TYPEHASH"));
      assert.equal(documented, typeStringOf("ResourceOffer"));
      assert.equal(documented, `ResourceOffer(${["bytes32 jobOfferHash", ...abiFields("resource")].join(",")})`);
    });

    it("the worked job offer: type hash, struct hash, digest (the deal id) and signature", async () => {
      const ex = json<{ signer: { privateKey: Hex; address: string }; offer: unknown; typeHash: Hex; structHash: Hex; digest: Hex; signature: unknown }>("example-job-offer");
      const d = json<{ chainId: number; verifyingContract: Hex }>("example-domain");
      const signer = privateKeyToAccount(ex.signer.privateKey);
      assert.equal(signer.address, ex.signer.address);
      const offer = jobOfferSchema.parse(ex.offer);
      // What the doc shows is exactly what is hashed: the schema normalises nothing in it.
      assert.deepEqual(offer.mediators, (ex.offer as { mediators: string[] }).mediators);
      assert.equal(offer.creator, signer.address);
      assert.equal(keccak256(stringToHex(text("type-JobOffer").trim())), ex.typeHash);
      assert.equal(hashStruct({ data: offer, primaryType: "JobOffer", types: offerTypes }), ex.structHash);
      const domain = { chainId: d.chainId, market: d.verifyingContract };
      assert.equal(jobOfferDigest(domain, offer), ex.digest);
      assert.deepEqual(toCompactSignature(await signer.sign({ hash: ex.digest })), signatureSchema.parse(ex.signature));
    });

    it("the worked resource offer: bound to the job offer's digest", async () => {
      const ex = json<{ signer: { privateKey: Hex; address: string }; offer: unknown; typeHash: Hex; structHash: Hex; digest: Hex; signature: unknown }>("example-resource-offer");
      const job = json<{ digest: Hex }>("example-job-offer");
      const d = json<{ chainId: number; verifyingContract: Hex }>("example-domain");
      const signer = privateKeyToAccount(ex.signer.privateKey);
      assert.equal(signer.address, ex.signer.address);
      const offer = resourceOfferSchema.parse(ex.offer);
      assert.equal(offer.jobOfferHash, job.digest);
      assert.equal(keccak256(stringToHex(text("type-ResourceOffer").trim())), ex.typeHash);
      assert.equal(hashStruct({ data: offer, primaryType: "ResourceOffer", types: offerTypes }), ex.structHash);
      assert.equal(resourceOfferDigest({ chainId: d.chainId, market: d.verifyingContract }, offer), ex.digest);
      assert.deepEqual(toCompactSignature(await signer.sign({ hash: ex.digest })), signatureSchema.parse(ex.signature));
    });
  });

  describe("inputs", () => {
    it("canonical JSON: each case as the code writes it", () => {
      for (const c of json<{ value: JsonValue; canonical: string }[]>("example-canonical-json")) {
        assert.equal(canonicalJson(c.value), c.canonical);
      }
    });

    it("a file's CID is what storing its bytes gives", async () => {
      const ex = json<{ bytes: string; cid: string }>("example-file-cid");
      const blockstore = await createBlockstore({ path: join(tmp, "file-blocks") });
      const { cid } = await addBytes({ blockstore, bytes: new TextEncoder().encode(ex.bytes) });
      assert.equal(cid.toString(), ex.cid);
    });

    it("each worked case: resolved against the shipped manifest, canonical bytes, inputs hash", async () => {
      const catalog = JSON.parse(readFileSync(join(REPO, "modules", "catalog.json"), "utf8")) as Record<string, string>;
      const cases = json<{ module: string; given: Record<string, InputValue>; canonical: string; inputsHash: Hex }[]>("example-inputs");
      for (const c of cases) {
        assert.ok(catalog[c.module], `${c.module} is a shipped module`);
        const [name = ""] = c.module.split(":");
        const manifest = parseManifest(JSON.parse(readFileSync(join(REPO, "modules", name, "manifest.json"), "utf8")), name);
        const resolved = resolveInputs({ manifest, given: c.given });
        assert.equal(canonicalJson(resolved), c.canonical, c.module);
        assert.equal(inputsHashOf(resolved), c.inputsHash, c.module);
        assert.equal(keccak256(new TextEncoder().encode(c.canonical)), c.inputsHash);
      }
      // The worked job offer commits to the first case, for the cowsay module the doc names.
      const offer = json<{ offer: { inputsHash: Hex; moduleId: Hex } }>("example-job-offer").offer;
      assert.equal(offer.inputsHash, cases[0]?.inputsHash);
      const cowsay = CID.parse(catalog["cowsay:v1"] ?? "");
      assert.equal(offer.moduleId, `0x${Buffer.from(cowsay.multihash.digest).toString("hex")}`);
      assert.ok(DOC.includes(cowsay.toString()));
    });
  });

  describe("deals", () => {
    it("the layout table names every field of the deal once, with the code's bit positions", () => {
      const layout = text("deal-layout");
      const fields = [...layout.matchAll(/([A-Za-z]+)\s+bits?\s+(\d+)(?:-(\d+))?/g)].map(([, field = "", from = "", to]) => ({ field, from: Number(from), to: Number(to ?? from) }));
      assert.deepEqual(fields.map((f) => f.field).sort(), Object.keys(dealSchema.shape).sort());
      // Each field alone set to its largest value lands exactly on its documented bits.
      const zero = unpackDeal([0n, 0n, 0n, 0n, 0n]);
      const lines = layout.trim().split("\n");
      for (const { field, from, to } of fields) {
        const word = lines.findIndex((line) => new RegExp(`\\b${field}\\b`).test(line));
        const width = to - from + 1;
        const max = (1n << BigInt(width)) - 1n;
        const value = field === "callback" ? true : ["creator", "provider", "mediator"].includes(field) ? getAddress(`0x${"f".repeat(40)}`) : typeof zero[field as keyof typeof zero] === "number" ? Number(max) : max;
        const packed = packDeal({ ...zero, [field]: value });
        packed.forEach((w, i) => assert.equal(w, i === word ? max << BigInt(from) : 0n, `${field}: word ${i}`));
      }
    });

    it("the worked deal packs into the documented words, and back", () => {
      const ex = json<{ deal: unknown; packed: Hex[] }>("example-deal");
      const deal = dealSchema.parse(ex.deal);
      assert.deepEqual(packDeal(deal).map((w) => `0x${w.toString(16).padStart(64, "0")}`), ex.packed);
      assert.deepEqual(unpackDeal(ex.packed.map((w) => BigInt(w))), deal);
      // It is the deal the worked offers open: terms from each side, the drawn (only) mediator.
      const job = jobOfferSchema.parse(json<{ offer: unknown }>("example-job-offer").offer);
      const resource = resourceOfferSchema.parse(json<{ offer: unknown }>("example-resource-offer").offer);
      const provider = json<{ signer: { address: string } }>("example-resource-offer").signer.address;
      assert.deepEqual(deal, {
        creator: job.creator,
        provider,
        mediator: job.mediators[0],
        basePrice: resource.basePrice,
        pricePerMInstr: resource.pricePerMInstr,
        paymentCollateral: job.paymentCollateral,
        timeoutCollateral: resource.timeoutCollateral,
        mediationFee: job.mediationFee,
        collateralMultiple: resource.collateralMultiple,
        judgingWindow: job.judgingWindow,
        resultTimeout: job.resultTimeout,
        mediationTimeout: job.mediationTimeout,
        lane: job.lane,
        callback: job.callback,
        maxInstructions: job.maxInstructions,
      });
    });

    it("the worked mediator draw", () => {
      const ex = json<{ dealId: Hex; previousBlockHash: Hex; prevrandao: string; mediators: string[]; seed: Hex; index: number; mediator: string }>("example-mediator-draw");
      const listed = ex.mediators.filter((m) => BigInt(m) !== 0n);
      assert.deepEqual(listed, [...listed].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)), "ascending");
      for (const m of ex.mediators) assert.equal(getAddress(m), m);
      const seed = keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "bytes32" }, { type: "uint256" }], [ex.dealId, ex.previousBlockHash, BigInt(ex.prevrandao)]));
      assert.equal(seed, ex.seed);
      assert.equal(Number(BigInt(seed) % BigInt(listed.length)), ex.index);
      assert.equal(listed[ex.index], ex.mediator);
      assert.equal(ex.dealId, json<{ digest: Hex }>("example-job-offer").digest);
      // The formula the doc gives is the contract's.
      const source = readFileSync(join(REPO, "contracts", "market", "LilypadMarket.sol"), "utf8");
      assert.ok(source.includes("list[uint256(keccak256(abi.encode(dealId, blockhash(block.number - 1), block.prevrandao))) % count]"));
    });

    it("the worked result: its directory's CID, digest and output hash", async () => {
      const ex = json<{ files: Record<string, string | null>; resultCid: string; cidDigest: Hex; outputHash: Hex }>("example-result");
      const dir = join(tmp, "result");
      for (const [name, content] of Object.entries(ex.files)) {
        if (content === null) mkdirSync(join(dir, name), { recursive: true });
        else {
          mkdirSync(dir, { recursive: true });
          writeFileSync(join(dir, name), content);
        }
      }
      const blockstore = await createBlockstore({ path: join(tmp, "result-blocks") });
      const { cid } = await addDirectory({ blockstore, path: dir });
      assert.equal(cid.toString(), ex.resultCid);
      assert.equal(resultDigestOf(cid), ex.cidDigest);
      assert.equal(keccak256(new TextEncoder().encode(ex.files.stdout ?? "")), ex.outputHash);
    });
  });

  describe("the solver's API", () => {
    it("the auth headers are the code's", () => {
      assert.deepEqual(text("auth-headers").trim().split("\n"), Object.values(AUTH_HEADERS));
    });

    it("the worked signed request: its text, its signature, its headers, and the solver accepts it", async () => {
      const ex = json<{ privateKey: Hex; chainId: number; market: Hex; method: string; path: string; body: string; nonce: string; expiry: number; message: string; headers: Record<string, string> }>("example-request");
      const account = privateKeyToAccount(ex.privateKey);
      const scope = { chainId: ex.chainId, market: ex.market };
      const request = { method: ex.method, path: ex.path, body: ex.body };
      assert.equal(authMessage(scope, request, ex.nonce, ex.expiry), ex.message);
      const signature = await account.signMessage({ message: ex.message });
      assert.deepEqual(authHeaders({ address: account.address, nonce: ex.nonce, expiry: ex.expiry, signature }), ex.headers);
      const verified = await verifyRequest({ headers: ex.headers, scope, request, now: ex.expiry - 60, seenNonce: () => false });
      assert.deepEqual(verified, { ok: true, address: account.address, expiry: ex.expiry, nonce: ex.nonce });
      // The capacity offer's own example is a valid body for that route.
      capacityBodySchema.parse(json("example-capacity"));
    });

    it("the socket's message list is the code's", () => {
      const documented = text("socket-messages")
        .trim()
        .split("\n")
        .map((line) => line.split(/\s+/).slice(0, 2).join(" "))
        .sort();
      const typesOf = (schema: { options: readonly { shape: { type: { value: string } } }[] }) => schema.options.map((o) => o.shape.type.value);
      const fromCode = [
        `client ${helloMessageSchema.shape.type.value}`,
        ...typesOf(clientMessageSchema).map((t) => `client ${t}`),
        ...typesOf(serverMessageSchema).map((t) => `solver ${t}`),
      ].sort();
      assert.deepEqual(documented, fromCode);
    });

    it("the worked socket messages parse, and carry the worked offers", () => {
      const submit = clientMessageSchema.parse(json("example-job-submit"));
      assert.equal(submit.type, "job.submit");
      if (submit.type !== "job.submit") return;
      const ex = json<{ offer: unknown; signature: unknown }>("example-job-offer");
      assert.deepEqual(submit.job.offer, jobOfferSchema.parse(ex.offer));
      assert.deepEqual(submit.job.signature, signatureSchema.parse(ex.signature));
      assert.equal(inputsHashOf(submit.job.inputs), submit.job.offer.inputsHash);
      assert.ok(submit.job.deadline <= Number(submit.job.offer.expiry));
      const signed = clientMessageSchema.parse(json("example-proposal-signed"));
      assert.equal(signed.type, "proposal.signed");
      if (signed.type !== "proposal.signed") return;
      const ro = json<{ offer: unknown; signature: unknown }>("example-resource-offer");
      assert.deepEqual(signed.resource, resourceOfferSchema.parse(ro.offer));
      assert.deepEqual(signed.signature, signatureSchema.parse(ro.signature));
      assert.equal(signed.dealId, json<{ digest: Hex }>("example-job-offer").digest);
    });

    it("the error codes are the code's list, in its order, with its HTTP statuses", () => {
      const documented = text("error-codes")
        .trim()
        .split("\n")
        .map((line) => line.trim());
      assert.deepEqual(
        documented,
        Object.values(SolverErrorCode).map((code) => `${code} ${httpStatusOf(code)}`),
      );
    });
  });
});

describe("protocolBlocks", () => {
  it("reads marked blocks only, and refuses a name used twice", () => {
    const md = "```json protocol:a\n{}\n```\n\n```json\nnot checked\n```\n\n```text protocol:b-2\nx\ny\n```\n";
    assert.deepEqual([...protocolBlocks(md)], [["a", "{}\n"], ["b-2", "x\ny\n"]]);
    assert.throws(() => protocolBlocks("```json protocol:a\n{}\n```\n```json protocol:a\n{}\n```\n"), /appears twice/);
  });
});

// Bad input from every side, generated: module manifests (random JSON, and valid manifests with one field
// changed) through parseManifest and packageModule; `-i Key=Value` inputs for cowsay, in-process and through the
// CLI; and random WebSocket frames to a real solver after a valid hello. Every one must end in a typed answer (a
// LilypadError, a clear CLI error, an error message on the socket) or succeed; nothing may crash, hang or change
// what the solver stores.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import fc from "fast-check";
import { CID } from "multiformats/cid";
import { keccak256, parseEther, toHex, type Hex, type LocalAccount } from "viem";
import { connectChain, type ChainConnection } from "../../src/chain/chainConnection.ts";
import { DevAccountIndex, devAccount, devPrivateKey } from "../../src/chain/devAccounts.ts";
import { depositToEscrow } from "../../src/chain/market/escrow.ts";
import { jobOfferDigest, signJobOffer } from "../../src/chain/offers.ts";
import { startDevChain, type DevChain } from "../../src/devnet/startDevChain.ts";
import { domainOf } from "../../src/chain/verifyOffers.ts";
import { authHeaders, signRequest, type AuthScope } from "../../src/core/api/requestAuth.ts";
import { API_PREFIX, HELLO_REQUEST, type SubmitJobBodyInput } from "../../src/core/api/solverProtocol.ts";
import { toWire, toWireJson } from "../../src/core/api/wire.ts";
import { jobOfferSchema, ZERO_ADDRESS } from "../../src/core/dealTypes.ts";
import { InvalidArgumentError, InvalidInputError, InvalidManifestError, LilypadError } from "../../src/core/errors.ts";
import { createLogger } from "../../src/core/logger.ts";
import { moduleIdOf, parseManifest } from "../../src/core/moduleId.ts";
import { inputsHashOf, resolveInputs, type InputValue } from "../../src/core/moduleInputs.ts";
import type { ModuleManifest } from "../../src/core/moduleManifest.ts";
import { parseInputFlags } from "../../src/cli/parseInputFlags.ts";
import { repoRoot } from "../../src/modules/compileAssemblyScript.ts";
import { packageModule } from "../../src/modules/packageModule.ts";
import { startSolver, type RunningSolver } from "../../src/solver/solverServer.ts";
import { createBlockstore, type Blockstore } from "../../src/storage/createBlockstore.ts";
import { openTestSocket, type TestSocket } from "../solver/testSocket.ts";

const COWSAY_MANIFEST_FILE = join(repoRoot, "modules", "cowsay", "manifest.json");
const COWSAY_MAX_LENGTH = 1000;
const COWSAY_DEFAULT = "Hello from Lilypad!";

// ---- shared generators ----

type Path = (string | number)[];

/** Every place in a JSON value: each container and each leaf. */
function allPaths(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== "object") return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => allPaths(v, [...prefix, k]))];
}

/** Replaces (or, with `remove`, deletes) what is at `path`; the root itself is replaced by returning `value`. */
function mutateAt(root: unknown, path: Path, value: unknown, remove: boolean): unknown {
  if (path.length === 0) return remove ? undefined : value;
  let node: any = root;
  for (const key of path.slice(0, -1)) node = node[key];
  const last = path.at(-1)!;
  if (remove && Array.isArray(node)) node.splice(last as number, 1);
  else if (remove) delete node[last];
  else node[last] = value;
  return root;
}

/** Random JSON, or values of the kinds the schemas expect, near their edges. */
function plausibleValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.boolean(),
    fc.integer(),
    fc.constantFrom(0, 1, -1, 0.5, 64, 65, 1000, 4096, 2 ** 31, 2 ** 53, Number.MAX_SAFE_INTEGER, 1e300, -1e300),
    fc.constantFrom("", "0", "-1", "1e3", "10000000000", "99999999999999999999999", "v1", "wasm", "js", "docker", "metered", "per-run"),
    fc.constantFrom("bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am", "bafy", "Qm", "main.mjs", "../main.mjs", "/etc/passwd", "{{Message}}", "{{Nope}}"),
    // Regular expressions, valid and not, for `pattern`.
    fc.constantFrom("(", ")", "[", "]", "{", "}", "*", "a{2", "\\", "(?<n>a)\\k<m>", "[z-a]", "a+", "\\p{L}+", "(a+)+", ".*"),
    fc.string({ maxLength: 20 }),
    fc.string({ unit: "grapheme", maxLength: 20 }),
    fc.constant(null),
    fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  );
}

// ---- (a) module manifests ----

/** A js manifest using every input type and option, so that mutations reach all of the schema. */
const JS_MANIFEST = {
  manifestVersion: 1,
  name: "every-input",
  version: "v1",
  description: "a module with every kind of input",
  author: "tests",
  engine: "js",
  artifact: { cid: "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am", entry: "main.mjs" },
  inputs: [
    { name: "Text", type: "string", default: "abc", maxLength: 10, pattern: "[a-z]+", description: "text" },
    { name: "Choice", type: "string", enum: ["x", "y"], required: true },
    { name: "Count", type: "integer", default: 3, min: 0, max: 10 },
    { name: "Ratio", type: "number", min: -1.5, max: 1.5 },
    { name: "Flag", type: "boolean", default: false },
    { name: "Data", type: "file", fileName: "data.csv", maxBytes: 1024 },
  ],
  invocation: { args: ["every", "{{Text}}", "{{Count}}"], env: { CHOICE: "{{Choice}}" }, stdin: "{{Ratio}}" },
  resources: { cpu: 1, ramMiB: 256, gpu: 0, diskMiB: 1 },
  limits: { memoryMiB: 256, instructions: "1000000000", timeoutMs: 10000, outputBytes: 1048576 },
  deterministic: true,
  pricing: "per-run",
};

let cowsayTemplate: Record<string, unknown>;
let cowsay: ModuleManifest;

/** A valid manifest (cowsay's or the js one) with one place replaced by a random value or removed. */
function mutatedManifest(): fc.Arbitrary<{ base: "wasm" | "js"; value: unknown; where: string }> {
  return fc
    .constantFrom<"wasm" | "js">("wasm", "js")
    .chain((base) => {
      const template = base === "wasm" ? cowsayTemplate : JS_MANIFEST;
      return fc.record({ base: fc.constant(base), path: fc.constantFrom(...allPaths(template)), value: plausibleValue(), remove: fc.boolean() }).map(({ path, value, remove }) => ({
        base,
        value: mutateAt(structuredClone(template), path, value, remove),
        where: `${remove ? "removed" : "replaced"} ${path.join(".") || "(root)"}${remove ? "" : ` with ${JSON.stringify(value)}`}`,
      }));
    });
}

/** Any JSON object carrying the manifest's own keys, with random values. */
const manifestShapedJson = fc.record(Object.fromEntries(Object.keys(JS_MANIFEST).map((k) => [k, plausibleValue()])), { requiredKeys: [] });

function assertTypedError(error: unknown, what: string): asserts error is LilypadError {
  assert.ok(error instanceof LilypadError, `${what}: expected a LilypadError, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  assert.equal(typeof error.code, "string");
  assert.ok(error.message.length > 0);
}

/** What a parsed manifest is used for next: inputs are resolved against it (on the creator, the RP, the mediator). */
/** The manifest, or undefined when parseManifest refused it with an InvalidManifestError (anything else fails). */
function parsedOrRefused(value: unknown, what: string): ModuleManifest | undefined {
  try {
    return parseManifest(value, "fuzz");
  } catch (error) {
    assertTypedError(error, what);
    assert.ok(error instanceof InvalidManifestError, what);
    return undefined;
  }
}

function useManifest(manifest: ModuleManifest, given: Record<string, InputValue>, what: string): void {
  try {
    const resolved = resolveInputs({ manifest, given });
    inputsHashOf(resolved);
  } catch (error) {
    assert.ok(error instanceof InvalidInputError, `${what}: resolving inputs threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  }
}

const someGiven = fc.dictionary(fc.constantFrom("Message", "Text", "Choice", "Count", "Ratio", "Flag", "Data", "Other"), fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean()), {
  maxKeys: 4,
});

describe("module manifests", () => {
  before(async () => {
    cowsayTemplate = JSON.parse(await readFile(COWSAY_MANIFEST_FILE, "utf8"));
    cowsay = parseManifest(cowsayTemplate, COWSAY_MANIFEST_FILE);
  });

  it("parseManifest: random JSON and manifest-shaped objects get an InvalidManifestError, nothing else", () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), manifestShapedJson), (value) => {
        try {
          parseManifest(value, "fuzz");
        } catch (error) {
          assertTypedError(error, JSON.stringify(value));
          assert.ok(error instanceof InvalidManifestError);
          assert.ok(error.issues.length > 0);
          return;
        }
        // Practically never valid; if it is, it must be usable.
      }),
      { numRuns: 300 },
    );
  });

  it("parseManifest: a valid manifest with one field changed is refused with an InvalidManifestError or is usable", () => {
    let accepted = 0;
    fc.assert(
      fc.property(mutatedManifest(), someGiven, ({ value, where }, given) => {
        const manifest = parsedOrRefused(value, where);
        if (manifest === undefined) return;
        accepted++;
        useManifest(manifest, given, where);
        useManifest(manifest, {}, where);
      }),
      { numRuns: 400 },
    );
    assert.ok(accepted > 0, "some mutations (descriptions, defaults, limits) keep the manifest valid");
  });

  it("parseManifest: inputs with random options are refused with an InvalidManifestError or resolve values without crashing", () => {
    // The input specs are where a manifest's content is executed later (patterns compiled, limits compared), on
    // every party that resolves inputs: the creator, the provider and the mediator.
    // Mostly the right kind of value for each option, sometimes anything.
    const or = <T,>(right: fc.Arbitrary<T>) => fc.oneof({ weight: 12, arbitrary: right }, { weight: 1, arbitrary: plausibleValue() });
    const regex = fc.oneof(
      fc.constantFrom("a|b", "[0-9]{1,3}", "(?:x)", "\\d+", "\\p{L}+", "[a-z]+", "(", "[", "a{2", "\\", "(?<n>a)\\k<m>", "[z-a]", "}", "]"),
      fc.string({ maxLength: 8 }),
    );
    const common = { name: or(fc.constantFrom("Text", "N", "F")), description: or(fc.string({ maxLength: 10 })), required: or(fc.boolean()) };
    const optional = { requiredKeys: ["name", "type"] as ("name" | "type")[] };
    const inputSpec = fc.oneof(
      fc.record({ ...common, type: fc.constant("string"), default: or(fc.string({ maxLength: 6 })), maxLength: or(fc.integer({ min: 0, max: 2000 })), pattern: or(regex), enum: or(fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 })) }, optional),
      fc.record({ ...common, type: fc.constantFrom("integer", "number"), default: or(fc.integer()), min: or(fc.oneof(fc.integer(), fc.double())), max: or(fc.oneof(fc.integer(), fc.double())) }, optional),
      fc.record({ ...common, type: fc.constant("boolean"), default: or(fc.boolean()) }, optional),
      fc.record({ ...common, type: fc.constant("file"), fileName: or(fc.string({ maxLength: 8 })), maxBytes: or(fc.integer({ min: 0, max: 1 << 30 })) }, optional),
      fc.record({ ...common, type: plausibleValue() }, optional),
    );
    let accepted = 0;
    fc.assert(
      fc.property(fc.uniqueArray(inputSpec, { minLength: 1, maxLength: 3, selector: (spec) => JSON.stringify(spec.name) }), someGiven, fc.dictionary(fc.constantFrom("Text", "N", "F"), fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.boolean())), (inputs, given, named) => {
        const value = { ...JS_MANIFEST, inputs, invocation: { args: [] } };
        const where = `inputs ${JSON.stringify(inputs)}`;
        const manifest = parsedOrRefused(value, where);
        if (manifest === undefined) return;
        accepted++;
        useManifest(manifest, given, where);
        useManifest(manifest, named, where);
        useManifest(manifest, {}, where);
      }),
      { numRuns: 400 },
    );
    assert.ok(accepted > 0);
  });

  describe("packageModule on a folder", () => {
    let root: string;
    let blockstore: Blockstore;
    let n = 0;
    before(async () => {
      root = await mkdtemp(join(tmpdir(), "lilypad-badinput-package-"));
      blockstore = await createBlockstore({ path: join(root, "blocks") });
    });
    after(() => rm(root, { recursive: true, force: true }));

    const manifestText = fc.oneof(
      fc.string().map((s) => ({ text: s, where: `text ${JSON.stringify(s)}` })),
      fc.jsonValue().map((v) => ({ text: JSON.stringify(v), where: `JSON ${JSON.stringify(v)}` })),
      manifestShapedJson.map((v) => ({ text: JSON.stringify(v), where: `shaped ${JSON.stringify(v)}` })),
      mutatedManifest().map(({ value, where }) => ({ text: JSON.stringify(value) ?? "", where })),
      fc.constantFrom("", "{", "\u0000", "\uFEFF{}", "null", "[]").map((s) => ({ text: s, where: `text ${JSON.stringify(s)}` })),
    );
    const folder = fc.record({
      manifest: fc.option(manifestText, { freq: 8 }),
      manifestIsFolder: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
      wasm: fc.constantFrom<"none" | "module.wasm" | "build/module.wasm" | "garbage">("none", "module.wasm", "build/module.wasm", "garbage"),
      entry: fc.boolean(),
    });

    it("always resolves with the module's id or rejects with a LilypadError", async () => {
      const wasm = await readFile(join(repoRoot, "modules", "cowsay", "build", "module.wasm")).catch(() => new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
      let packaged = 0;
      await fc.assert(
        fc.asyncProperty(folder, async (f) => {
          const dir = join(root, `m${n++}`);
          await mkdir(join(dir, "build"), { recursive: true });
          if (f.manifestIsFolder) await mkdir(join(dir, "manifest.json"));
          else if (f.manifest) await writeFile(join(dir, "manifest.json"), f.manifest.text);
          if (f.wasm === "garbage") await writeFile(join(dir, "module.wasm"), "not wasm");
          else if (f.wasm !== "none") await writeFile(join(dir, f.wasm), wasm);
          if (f.entry) await writeFile(join(dir, "main.mjs"), "export default () => 0;\n");
          const what = f.manifestIsFolder ? "manifest.json is a folder" : (f.manifest?.where ?? "no manifest.json");
          try {
            const result = await packageModule({ dir, blockstore });
            packaged++;
            assert.equal(result.cid, (await moduleIdOf(result.manifest)).cid, what);
            assert.ok(await blockstore.has(CID.parse(result.cid)), what);
          } catch (error) {
            assertTypedError(error, what);
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        }),
        { numRuns: 250 },
      );
      assert.ok(packaged > 0, "some folders are valid modules");
    });
  });
});

// ---- (b) -i Key=Value inputs for cowsay ----

/** What `-i` flags for cowsay must give: the resolved inputs, or the class of the error and the key it names. */
function expectedForCowsay(flags: string[]): { ok: Record<string, string> } | { error: "argument" } | { error: "input"; keys: string[] } {
  const given = new Map<string, string>();
  for (const flag of flags) {
    const at = flag.indexOf("=");
    if (at <= 0) return { error: "argument" };
    const key = flag.slice(0, at);
    if (given.has(key)) return { error: "argument" };
    given.set(key, flag.slice(at + 1));
  }
  const unknown = [...given.keys()].filter((k) => k !== "Message");
  if (unknown.length > 0) return { error: "input", keys: unknown };
  const message = given.get("Message") ?? COWSAY_DEFAULT;
  if ([...message].length > COWSAY_MAX_LENGTH || message.includes("\0")) return { error: "input", keys: ["Message"] };
  return { ok: { Message: message } };
}

const inputKey = fc.oneof(
  { weight: 6, arbitrary: fc.constant("Message") },
  { weight: 3, arbitrary: fc.constantFrom("message", "MESSAGE", "Message ", " Message", "__proto__", "constructor", "toString", "hasOwnProperty", "0", "Mess=age", "-x", "--input") },
  { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) },
);
const inputValue = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom("", "=", "a=b=c", "\n", "\t", "-", "--", "--help", "-i", "{{Message}}", "${HOME}", "$(id)", "\u0000", "x\u0000y") },
  // Around the 1,000 character limit, counted in code points (an astral character is one).
  { weight: 2, arbitrary: fc.integer({ min: 990, max: 1010 }).chain((n) => fc.constantFrom("x".repeat(n), "😀".repeat(n), `${"é".repeat(n - 1)}\u0000`)) },
);
const inputFlag = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(inputKey, inputValue).map(([k, v]) => `${k}=${v}`) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom("", "=", "=x", "Message")) },
);
const inputFlags = fc.array(inputFlag, { maxLength: 4 });

describe("-i Key=Value inputs for cowsay", () => {
  before(async () => {
    cowsayTemplate ??= JSON.parse(await readFile(COWSAY_MANIFEST_FILE, "utf8"));
    cowsay ??= parseManifest(cowsayTemplate, COWSAY_MANIFEST_FILE);
  });

  it("in-process: parseInputFlags then resolveInputs give the inputs, an InvalidArgumentError or an InvalidInputError naming the key", () => {
    fc.assert(
      fc.property(inputFlags, (flags) => {
        const expected = expectedForCowsay(flags);
        const what = JSON.stringify(flags);
        let resolved: Record<string, InputValue>;
        try {
          resolved = resolveInputs({ manifest: cowsay, given: parseInputFlags(flags) });
        } catch (error) {
          assertTypedError(error, what);
          assert.ok("error" in expected, `${what}: unexpected ${error.name}: ${error.message}`);
          if (expected.error === "argument") {
            assert.ok(error instanceof InvalidArgumentError, `${what}: ${error.name}`);
            assert.equal(error.argument, "-i");
          } else {
            assert.ok(error instanceof InvalidInputError, `${what}: ${error.name}: ${error.message}`);
            assert.ok(expected.keys.includes(error.key), `${what}: names ${JSON.stringify(error.key)}, expected one of ${JSON.stringify(expected.keys)}`);
            assert.ok(error.message.startsWith(`input "${error.key}": `), what);
          }
          return;
        }
        assert.deepEqual(expected, { ok: resolved }, what);
      }),
      { numRuns: 500 },
    );
  });

  describe("through the CLI", () => {
    let home: string;
    let cwd: string;
    before(async () => {
      home = await mkdtemp(join(tmpdir(), "lilypad-badinput-home-"));
      cwd = await mkdtemp(join(tmpdir(), "lilypad-badinput-cwd-"));
    });
    after(async () => {
      await rm(home, { recursive: true, force: true });
      await rm(cwd, { recursive: true, force: true });
    });

    const lilypad = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
      try {
        const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(repoRoot, "bin", "lilypad.js"), ...args], {
          cwd,
          env: { ...process.env, LILYPAD_HOME: home },
          timeout: 60_000,
          maxBuffer: 16 << 20,
        });
        return { code: 0, stdout, stderr };
      } catch (error) {
        const e = error as { code?: unknown; stdout?: string; stderr?: string; killed?: boolean };
        assert.equal(typeof e.code, "number", `lilypad ${JSON.stringify(args).slice(0, 300)} did not exit normally: ${String(error)}`);
        return { code: e.code as number, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
      }
    };

    it("module run cowsay:v1 -i ...: the cow, or a one-line error naming the input or the flag (exit 2: usage)", async () => {
      // Command-line arguments cannot hold NUL; a process per case is slow, so a few cases, several at once. Each
      // sample includes the interesting edges: a fixed prefix of cases, then random ones.
      const fixed: string[][] = [["__proto__=x"], ["Message=a", "Message=b"], ["Message"], [`Message=${"😀".repeat(1000)}`], ["Message=--help"], ["-x=1"]];
      const random = fc.sample(inputFlags.filter((flags) => flags.every((f) => !f.includes("\0"))), { numRuns: 14, seed: Number(process.env.FC_SEED ?? 42) });
      const cases = [...fixed, ...random];
      const outcomes: { flags: string[]; code: number }[] = [];
      const queue = [...cases];
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let flags = queue.shift(); flags; flags = queue.shift()) {
            const args = ["module", "run", "cowsay:v1", ...flags.flatMap((f) => ["-i", f])];
            const { code, stdout, stderr } = await lilypad(args);
            const what = `lilypad ${JSON.stringify(flags).slice(0, 200)}: exit ${code}\n${stderr.slice(0, 500)}`;
            outcomes.push({ flags, code });
            assert.doesNotMatch(stderr, /unexpected internal error|TypeError|\n\s+at /, what);
            const expected = expectedForCowsay(flags);
            if ("ok" in expected) {
              assert.equal(code, 0, what);
              assert.match(stdout, /\(oo\)/, what);
              if (/^[\x21-\x7e]{1,30}$/.test(expected.ok.Message!)) assert.ok(stdout.includes(`< ${expected.ok.Message} >`), what);
            } else if (expected.error === "argument") {
              assert.equal(code, 2, what);
              assert.match(stderr, /^error: input ".*" (is not Key=Value|is given twice)\n/m, what);
            } else {
              assert.equal(code, 2, what);
              const named = /^error: input "(.*)": /m.exec(stderr);
              assert.ok(named, what);
              assert.ok(expected.keys.includes(named[1]!), what);
              assert.equal(stdout, "", what);
            }
          }
        }),
      );
      assert.equal(outcomes.length, cases.length);
    });
  });
});

// ---- (c) random WebSocket frames to the solver ----

describe("random WebSocket frames to the solver after a valid hello", () => {
  const CREATOR = 11;
  let dev: DevChain;
  let dir: string;
  let solver: RunningSolver;
  let scope: AuthScope;
  let creator: ChainConnection;
  let account: LocalAccount;
  let stored: { body: SubmitJobBodyInput; dealId: Hex; record: unknown };

  const signedFetch = async (method: string, path: string, body?: string) => {
    const auth = await signRequest({ account, scope, request: { method, path, body: body ?? "" }, now: Math.floor(Date.now() / 1000) });
    const response = await fetch(`${solver.url}${path}`, {
      method,
      headers: { ...authHeaders(auth), ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body,
    });
    return { status: response.status, json: (await response.json()) as any };
  };
  const health = async () => {
    const response = await fetch(`${solver.url}${API_PREFIX}/health`);
    return { status: response.status, json: (await response.json()) as any };
  };

  before(async () => {
    dev = await startDevChain();
    scope = { chainId: dev.network.chainId, market: dev.network.contracts.market };
    creator = connectChain({ network: dev.network, privateKey: devPrivateKey(CREATOR), transport: dev.transport });
    account = creator.account;
    await depositToEscrow(creator, parseEther("100"));
    dir = await mkdtemp(join(tmpdir(), "lilypad-badinput-solver-"));
    solver = await startSolver({
      conn: connectChain({ network: dev.network, privateKey: devPrivateKey(DevAccountIndex.solver), transport: dev.transport }),
      databasePath: join(dir, "solver.db"),
      log: createLogger({ role: "solver", level: "silent" }),
      port: 0,
    });
    // One stored job: it must come out of all this unchanged.
    const now = Math.floor(Date.now() / 1000);
    const inputs = { Message: "hello" };
    const offer = jobOfferSchema.parse({
      creator: creator.address,
      moduleId: keccak256(toHex("bad input test module")),
      inputsHash: inputsHashOf(inputs),
      maxBasePrice: parseEther("1"),
      maxPricePerMInstr: parseEther("0.01"),
      paymentCollateral: parseEther("10"),
      mediationFee: parseEther("0.5"),
      minTimeoutCollateral: parseEther("1"),
      minCollateralMultiple: 2,
      mediators: [connectChain({ network: dev.network, privateKey: devPrivateKey(DevAccountIndex.mediator), transport: dev.transport }).address],
      targetProvider: ZERO_ADDRESS,
      resultTimeout: 600,
      judgingWindow: 600,
      mediationTimeout: 600,
      callback: false,
      lane: 1,
      seq: 1,
      expiry: BigInt(now + 3600),
      maxInstructions: 10n ** 9n,
      submitter: devAccount(DevAccountIndex.solver).address,
    });
    const body: SubmitJobBodyInput = {
      offer,
      signature: await signJobOffer(creator.wallet, domainOf(creator), offer),
      inputs,
      resources: { cpu: 1, ramMiB: 64, gpu: 0, diskMiB: 1 },
      deadline: now + 1800,
    };
    const submitted = await signedFetch("POST", `${API_PREFIX}/jobs`, toWireJson(body));
    assert.equal(submitted.status, 201, JSON.stringify(submitted.json));
    stored = { body, dealId: jobOfferDigest(domainOf(creator), offer), record: submitted.json };
  });

  after(async () => {
    await solver?.close();
    await dev?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  type Client = TestSocket;

  async function connect(): Promise<Client> {
    const client = openTestSocket(solver.url);
    await client.opened;
    const { ws, messages, until } = client;
    const auth = await signRequest({ account, scope, request: HELLO_REQUEST, now: Math.floor(Date.now() / 1000) });
    ws.send(JSON.stringify({ type: "hello", auth }));
    const welcome = await until("welcome", () => messages[0]);
    assert.deepEqual(welcome, { type: "welcome", address: creator.address });
    return client;
  }

  /**
   * Sends the frames, then a probe (the stored job submitted again over the socket, which answers with its
   * record): every other answer must be an error message (never INTERNAL), or, for a frame that resubmits the
   * stored offer, that same stored record. Answers to frames that wait on the chain may come after the probe's, so
   * they are checked with the next probe; `answered` counts them all.
   */
  let probes = 0;
  let framesSent = 0;
  const checked = new WeakMap<Client, number>();
  async function sendAndProbe(client: Client, frames: (string | Uint8Array)[], what: string): Promise<void> {
    for (const frame of frames) client.ws.send(frame);
    framesSent += frames.length;
    const requestId = `probe-${++probes}`;
    client.ws.send(toWireJson({ type: "job.submit", requestId, job: stored.body }));
    const answer = await client.until(`the answer to ${requestId} after ${what}`, () => client.messages.find((m) => m.requestId === requestId));
    assert.equal(answer.type, "job.submitted", `${what}: ${JSON.stringify(answer)}`);
    assert.deepEqual(answer.record, stored.record, `${what}: the stored job changed`);
    const from = checked.get(client) ?? 1; // after the welcome
    for (const m of client.messages.slice(from)) {
      if (typeof m.requestId === "string" && m.requestId.startsWith("probe-")) continue;
      answered++;
      if (m.type === "job.submitted") {
        assert.deepEqual(m.record, stored.record, `${what}: ${JSON.stringify(m).slice(0, 300)}`);
        continue;
      }
      assert.equal(m.type, "error", `${what}: ${JSON.stringify(m).slice(0, 300)}`);
      assert.equal(typeof m.code, "string", what);
      assert.equal(typeof m.message, "string", what);
      assert.notEqual(m.code, "INTERNAL", `${what}: ${m.message}`);
    }
    checked.set(client, client.messages.length);
  }
  let answered = 0;

  const CLIENT_TYPES = ["job.submit", "proposal.signed", "proposal.declined", "result.ready", "job.log"];
  const OTHER_TYPES = ["hello", "welcome", "job.submitted", "deal.proposal", "deal.opened", "job.update", "error", "", "JOB.LOG", "__proto__"];

  /** Objects with a known type and the protocol's field names holding random (or almost right) values. */
  function typedMessage(): fc.Arbitrary<unknown> {
    const dealId = fc.oneof(fc.constant(stored.dealId), fc.constant(`0x${"11".repeat(32)}`), plausibleValue());
    const job = fc.oneof(
      plausibleValue(),
      // The stored job's body with one place changed.
      fc.tuple(fc.constantFrom(...allPaths(toWire(stored.body))), plausibleValue(), fc.boolean()).map(([path, value, remove]) => mutateAt(toWire(stored.body), path, value, remove)),
    );
    return fc.record(
      {
        type: fc.oneof(fc.constantFrom(...CLIENT_TYPES), fc.constantFrom(...OTHER_TYPES), fc.string({ maxLength: 12 })),
        dealId,
        requestId: fc.oneof(fc.string({ minLength: 1, maxLength: 64 }), plausibleValue()),
        job,
        resource: plausibleValue(),
        signature: plausibleValue(),
        reason: plausibleValue(),
        result: plausibleValue(),
        resultsUrl: fc.oneof(fc.constantFrom("http://127.0.0.1:1/", "not a url", "javascript:alert(1)"), plausibleValue()),
        line: plausibleValue(),
        auth: plausibleValue(),
      },
      { requiredKeys: ["type"] },
    );
  }

  it("answers each random frame with an error or not at all, keeps the socket usable and the stored job unchanged", async () => {
    const client = await connect();
    const runs = { numRuns: 200 };
    // Any JSON value.
    await fc.assert(fc.asyncProperty(fc.jsonValue(), (v) => sendAndProbe(client, [JSON.stringify(v)], `JSON ${JSON.stringify(v).slice(0, 200)}`)), runs);
    // Any text.
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.constantFrom("{", "[1,", '{"type":', "1e400", "\u0000", "{}{}", "null", "")), (s) =>
        sendAndProbe(client, [s], `text ${JSON.stringify(s).slice(0, 200)}`),
      ),
      runs,
    );
    // The protocol's shapes with wrong types and values, one or several frames at once.
    await fc.assert(
      fc.asyncProperty(fc.array(typedMessage(), { minLength: 1, maxLength: 3 }), (messages) =>
        sendAndProbe(client, messages.map((m) => toWireJson(m)), `typed ${toWireJson(messages).slice(0, 300)}`),
      ),
      { numRuns: 300 },
    );
    // Binary frames: random bytes, and JSON sent as binary (the server reads both as UTF-8 text).
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 2048 }), fc.jsonValue().map((v) => new TextEncoder().encode(JSON.stringify(v)))), (bytes) =>
        sendAndProbe(client, [bytes], `binary ${Buffer.from(bytes).toString("hex").slice(0, 200)}`),
      ),
      runs,
    );
    assert.equal(solver.socketCount(), 1);

    // Huge frames, up to the 1 MiB limit (each exactly 1 MiB).
    const MiB = 1 << 20;
    const jobLog = (fill: number) => `{"type":"job.log","dealId":"${stored.dealId}","line":"${"x".repeat(fill)}"}`;
    const logOverhead = jobLog(0).length;
    const bigSubmit = (size: number) => {
      const frame = (fill: number) => toWireJson({ type: "job.submit", requestId: "big", job: { ...(toWire(stored.body) as object), inputs: { Message: "y".repeat(fill) } } });
      return frame(size - frame(0).length);
    };
    const huge: [string, string | Uint8Array][] = [
      ["a job.log line of 1 MiB", jobLog(MiB - logOverhead)],
      ["1 MiB that is not JSON", "x".repeat(MiB)],
      ["a 1 MiB array", `[${"1,".repeat(MiB / 2 - 2)}1]`],
      ["arrays nested 500,000 deep", `${"[".repeat(MiB / 2)}${"]".repeat(MiB / 2)}`],
      ["objects nested deep", `${'{"a":'.repeat(MiB / 6 - 1)}1${"}".repeat(MiB / 6 - 1)}`],
      // The stored offer again with other inputs: resubmitting an offer answers with its stored record.
      ["a job.submit of the stored offer with 1 MiB of inputs", bigSubmit(MiB)],
      ["1 MiB of random bytes", new Uint8Array(MiB).map((_, i) => (i * 2654435761) >>> 24)],
      ["a string of 1 MiB of escapes", `"${"\\u0000".repeat(MiB / 6 - 1)}"`],
    ];
    for (const [what, frame] of huge) {
      const size = typeof frame === "string" ? Buffer.byteLength(frame) : frame.length;
      assert.ok(size <= MiB && size > MiB - 4096, `${what}: ${size} bytes`);
      await sendAndProbe(client, [frame], what);
    }
    assert.equal((await health()).json.ok, true);
    // The protocol allows the solver to ignore a frame; today it answers every one, exactly once.
    await new Promise((r) => setTimeout(r, 200));
    await sendAndProbe(client, [], "settling");
    assert.equal(answered, framesSent, `${answered} answers to ${framesSent} frames`);

    // Over the limit the socket is closed (1009), and only that socket: the solver serves a new one at once.
    const victim = await connect();
    victim.ws.send("x".repeat(MiB + 1));
    const closed = await victim.closed();
    assert.equal(closed.code, 1009);
    await sendAndProbe(client, [], "after another socket was closed for a frame over the limit");
    const again = await connect();
    await sendAndProbe(again, ['{"type":"job.log"}'], "a new socket");
    again.ws.close();
    await again.closed();

    // The solver is healthy and the stored job reads back exactly as it was submitted.
    const h = await health();
    assert.equal(h.status, 200);
    assert.equal(h.json.ok, true);
    const read = await signedFetch("GET", `${API_PREFIX}/jobs/${stored.dealId}`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.json, { record: stored.record, offer: toWire(stored.body.offer), timeline: [{ event: "submitted", at: (stored.record as { createdAt: number }).createdAt }] });
    const list = await signedFetch("GET", `${API_PREFIX}/jobs?limit=1000`);
    assert.deepEqual(list.json, { jobs: [stored.record] }, "nothing else was stored");
    client.ws.close();
    await client.closed();
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { inflateSync } from "node:zlib";
import { PNG } from "pngjs";
import { invocationOf, loadManifest, moduleEntry, moduleWasm, runWasi } from "./runWasi.ts";

async function image(given: Record<string, string | number>) {
  const { args, env } = invocationOf(loadManifest("image"), given);
  const result = await runWasi({ wasm: await moduleWasm(moduleEntry("image")), args, env });
  assert.equal(result.stderr, "");
  assert.equal(result.exitCode, 0);
  const png = result.outputs.get("image.png");
  assert.ok(png, "writes /outputs/image.png");
  return { png, stdout: result.stdout };
}

/** The chunks of a PNG file, by type, checking the signature and every length. */
function chunks(png: Buffer): { type: string; data: Buffer }[] {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const out: { type: string; data: Buffer }[] = [];
  let at = 8;
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    out.push({ type: png.toString("latin1", at + 4, at + 8), data: png.subarray(at + 8, at + 8 + length) });
    at += 12 + length;
  }
  assert.equal(at, png.length);
  return out;
}

describe("image module", () => {
  it("writes a 256x256 RGB PNG that decodes, and describes it on stdout", async () => {
    const { png, stdout } = await image({ Prompt: "lilypads on a pond at sunset", Seed: 42 });
    const decoded = PNG.sync.read(png); // checks every CRC and the zlib stream (with its Adler-32)
    assert.equal(decoded.width, 256);
    assert.equal(decoded.height, 256);
    assert.deepEqual(
      chunks(png).map((c) => c.type),
      ["IHDR", "IDAT", "IEND"],
    );
    const ihdr = chunks(png)[0]!.data;
    assert.deepEqual([...ihdr.subarray(8)], [8, 2, 0, 0, 0], "8-bit RGB, deflate, adaptive filters, no interlace");
    const raw = inflateSync(chunks(png)[1]!.data);
    assert.equal(raw.length, 256 * (1 + 256 * 3), "one filter byte and 768 colour bytes a row");
    assert.ok(png.length < raw.length / 2, `compressed (${png.length} bytes from ${raw.length})`);
    const colours = new Set<number>();
    for (let i = 0; i < decoded.data.length; i += 4) colours.add(decoded.data.readUInt32BE(i));
    assert.ok(colours.size > 100, `a picture, not a flat fill (${colours.size} colours)`);
    assert.match(stdout, /^image: 256x256 RGB PNG, \d+ bytes, written to \/outputs\/image\.png: circles in an? \w+ palette \((#[0-9a-f]{6} ?){5}\) from seed 42\n$/);
    assert.ok(stdout.includes(`${png.length} bytes`));
  });

  it("gives the same bytes for the same prompt and seed, and other bytes for another seed or prompt", async () => {
    const a = await image({ Prompt: "clouds over the ocean", Seed: 7 });
    const b = await image({ Prompt: "clouds over the ocean", Seed: 7 });
    const otherSeed = await image({ Prompt: "clouds over the ocean", Seed: 8 });
    const otherPrompt = await image({ Prompt: "clouds over the sea", Seed: 7 });
    assert.ok(a.png.equals(b.png));
    assert.equal(a.stdout, b.stdout);
    assert.ok(!a.png.equals(otherSeed.png));
    assert.ok(!a.png.equals(otherPrompt.png));
  });

  it("draws each pattern, and uses the manifest's defaults", async () => {
    const patterns = new Set<string>();
    for (const Prompt of ["psychedelic waves", "clouds", "circles"]) {
      const { png, stdout } = await image({ Prompt, Seed: 1 });
      assert.equal(PNG.sync.read(png).width, 256);
      patterns.add(/: (plasma|value noise|circles) in/.exec(stdout)![1]!);
    }
    assert.deepEqual([...patterns].sort(), ["circles", "plasma", "value noise"]);
    const { stdout } = await image({});
    assert.match(stdout, /from seed 42\n$/);
  });
});

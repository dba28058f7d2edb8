// Generates the images the js-engine tests feed to the AI modules, byte for byte the same on every run:
//   test/fixtures/images/hello.png     black text "HELLO LILYPAD 42" on white (for modules/ocr)
//   test/fixtures/images/pattern.png   a smooth coloured pattern (for modules/classify)
// Text is drawn with a tiny built-in 5x7 bitmap font, so no font file or canvas library is needed.
// Usage: node scripts/build-ai-fixtures.ts
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PNG } from "pngjs";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const imagesDir = join(repoRoot, "test", "fixtures", "images");

/** 5x7 glyphs, one string per row, '#' for ink. Only the characters the fixtures use (and a few more). */
const FONT: Record<string, readonly string[]> = {
  " ": [".....", ".....", ".....", ".....", ".....", ".....", "....."],
  A: [".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"],
  D: ["####.", "#...#", "#...#", "#...#", "#...#", "#...#", "####."],
  E: ["#####", "#....", "#....", "####.", "#....", "#....", "#####"],
  H: ["#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"],
  I: [".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."],
  L: ["#....", "#....", "#....", "#....", "#....", "#....", "#####"],
  O: [".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
  P: ["####.", "#...#", "#...#", "####.", "#....", "#....", "#...."],
  Y: ["#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#.."],
  "2": [".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"],
  "4": ["...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."],
};

export interface TextImageParameters {
  text: string;
  /** Pixels per font dot. */
  scale?: number;
  /** White border around the text, in pixels. */
  margin?: number;
}

/** Black text on a white background, as an 8-bit RGB PNG. */
export function textImage({ text, scale = 4, margin = 24 }: TextImageParameters): Buffer {
  const advance = 6 * scale; // 5 dots of glyph and 1 of spacing
  const width = margin * 2 + text.length * advance - scale;
  const height = margin * 2 + 7 * scale;
  const png = new PNG({ width, height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.alloc(width * height * 3, 255);
  [...text].forEach((ch, index) => {
    const glyph = FONT[ch];
    if (!glyph) throw new Error(`the fixture font has no glyph for ${JSON.stringify(ch)}`);
    glyph.forEach((row, gy) => {
      [...row].forEach((dot, gx) => {
        if (dot !== "#") return;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const x = margin + index * advance + gx * scale + dx;
            const y = margin + gy * scale + dy;
            png.data.fill(0, (y * width + x) * 3, (y * width + x) * 3 + 3);
          }
        }
      });
    });
  });
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}

/** A 96x96 picture of soft colour gradients with a disc in the middle. */
export function patternImage(): Buffer {
  const size = 96;
  const png = new PNG({ width: size, height: size, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      const inDisc = (x - 48) ** 2 + (y - 52) ** 2 < 26 ** 2;
      png.data[i] = inDisc ? 230 : Math.round((x / size) * 120 + 60);
      png.data[i + 1] = inDisc ? 180 - y : Math.round((y / size) * 140 + 80);
      png.data[i + 2] = inDisc ? 40 : 200 - Math.round(((x + y) / (2 * size)) * 100);
    }
  }
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  mkdirSync(imagesDir, { recursive: true });
  writeFileSync(join(imagesDir, "hello.png"), textImage({ text: "HELLO LILYPAD 42" }));
  writeFileSync(join(imagesDir, "pattern.png"), patternImage());
  console.log(`wrote hello.png and pattern.png to ${imagesDir}`);
}

// image: a deterministic 256x256 RGB PNG from a prompt and a seed.
//
//   image --prompt <text> --seed <integer> [--out /outputs/image.png]
//
// A 64-bit hash of the prompt's UTF-8 bytes and the seed drives a small PRNG (splitmix64) that picks a palette
// (five colours around a base hue) and a pattern: plasma (sums of sines), value noise (five octaves) or
// overlapping circles. A few words in the prompt steer the choice ("circles", "clouds", "waves", "sunset",
// "ocean", ...). Only arithmetic is used (AssemblyScript's Math is software, so identical everywhere): no clock,
// no randomness from the host.
import { encodePng } from "./png";
import { lastErrorName, writeFile } from "../../shared/assembly/wasi_fs";
import { parseDigits } from "../../shared/assembly/digits";

const SIZE = 256;

// ---- hashing and the PRNG ----

function fnv1a64(bytes: Uint8Array): u64 {
  let h: u64 = 0xcbf29ce484222325;
  for (let i = 0; i < bytes.length; i++) {
    h ^= <u64>bytes[i];
    h *= 0x100000001b3;
  }
  return h;
}

function mix64(z: u64): u64 {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

let rngState: u64 = 0;

function nextU64(): u64 {
  rngState += 0x9e3779b97f4a7c15;
  return mix64(rngState);
}

/** Uniform in [0, 1). */
function nextUnit(): f64 {
  return <f64>(nextU64() >> 11) * (1.0 / 9007199254740992.0);
}

function nextRange(lo: f64, hi: f64): f64 {
  return lo + (hi - lo) * nextUnit();
}

// ---- colour ----

const STOPS = 5;
const palette = new StaticArray<f64>(STOPS * 3);

function hsvToRgb(h: f64, s: f64, v: f64, out: StaticArray<f64>, at: i32): void {
  h = h - Math.floor(h / 360.0) * 360.0;
  const c = v * s;
  const hp = h / 60.0;
  const x = c * (1.0 - Math.abs((hp - Math.floor(hp / 2.0) * 2.0) - 1.0));
  let r = 0.0;
  let g = 0.0;
  let b = 0.0;
  if (hp < 1.0) {
    r = c;
    g = x;
  } else if (hp < 2.0) {
    r = x;
    g = c;
  } else if (hp < 3.0) {
    g = c;
    b = x;
  } else if (hp < 4.0) {
    g = x;
    b = c;
  } else if (hp < 5.0) {
    r = x;
    b = c;
  } else {
    r = c;
    b = x;
  }
  const m = v - c;
  out[at] = r + m;
  out[at + 1] = g + m;
  out[at + 2] = b + m;
}

function toByte(v: f64): u8 {
  const x = Math.floor(v * 255.0 + 0.5);
  return <u8>(x < 0.0 ? 0 : x > 255.0 ? 255 : <i32>x);
}

function hex2(v: u8): string {
  return (v < 16 ? "0" : "") + v.toString(16);
}

/** Samples the palette as a gradient at t in [0, 1]. */
function shade(t: f64, rgb: Uint8Array, at: i32): void {
  t = t < 0.0 ? 0.0 : t > 1.0 ? 1.0 : t;
  const pos = t * <f64>(STOPS - 1);
  let i = <i32>Math.floor(pos);
  if (i >= STOPS - 1) i = STOPS - 2;
  const f = pos - <f64>i;
  for (let k = 0; k < 3; k++) {
    const a = palette[i * 3 + k];
    const b = palette[(i + 1) * 3 + k];
    unchecked((rgb[at + k] = toByte(a + (b - a) * f)));
  }
}

// ---- patterns: each gives a value in [0, 1] per pixel ----

function plasma(values: Float64Array): void {
  const f1 = nextRange(0.02, 0.07);
  const f2 = nextRange(0.02, 0.07);
  const f3 = nextRange(0.01, 0.05);
  const f4 = nextRange(0.03, 0.09);
  const p1 = nextRange(0.0, 6.283185307179586);
  const p2 = nextRange(0.0, 6.283185307179586);
  const p3 = nextRange(0.0, 6.283185307179586);
  const cx = nextRange(0.0, <f64>SIZE);
  const cy = nextRange(0.0, <f64>SIZE);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const fx = <f64>x;
      const fy = <f64>y;
      const dx = fx - cx;
      const dy = fy - cy;
      const v =
        Math.sin(fx * f1 + p1) + Math.sin(fy * f2 + p2) + Math.sin((fx + fy) * f3 + p3) + Math.sin(Math.sqrt(dx * dx + dy * dy) * f4);
      values[y * SIZE + x] = v;
    }
  }
  stretch(values);
}

let noiseSeed: u64 = 0;

function lattice(ix: i32, iy: i32, octave: i32): f64 {
  const h = mix64(noiseSeed ^ (<u64>(<u32>ix) * 0x9e3779b1) ^ (<u64>(<u32>iy) << 32) ^ (<u64>octave * 0x85ebca77c2b2ae63));
  return <f64>(h >> 11) * (1.0 / 9007199254740992.0);
}

function smooth(t: f64): f64 {
  return t * t * (3.0 - 2.0 * t);
}

function valueNoise(values: Float64Array): void {
  noiseSeed = nextU64();
  const warp = nextRange(0.0, 24.0);
  let cell = 64;
  let amplitude = 0.5;
  values.fill(0.0);
  for (let octave = 0; octave < 5; octave++) {
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        // A gentle domain warp so the noise does not look aligned to its grid.
        const wx = <f64>x + warp * Math.sin(<f64>y * 0.045);
        const wy = <f64>y + warp * Math.cos(<f64>x * 0.045);
        const gx = wx / <f64>cell;
        const gy = wy / <f64>cell;
        const ix = <i32>Math.floor(gx);
        const iy = <i32>Math.floor(gy);
        const tx = smooth(gx - <f64>ix);
        const ty = smooth(gy - <f64>iy);
        const a = lattice(ix, iy, octave);
        const b = lattice(ix + 1, iy, octave);
        const c = lattice(ix, iy + 1, octave);
        const d = lattice(ix + 1, iy + 1, octave);
        const top = a + (b - a) * tx;
        const bottom = c + (d - c) * tx;
        values[y * SIZE + x] += amplitude * (top + (bottom - top) * ty);
      }
    }
    amplitude *= 0.5;
    cell >>= 1;
  }
  stretch(values);
}

/** Stretches values linearly to cover [0, 1]. */
function stretch(values: Float64Array): void {
  let lo = values[0];
  let hi = values[0];
  for (let i = 1; i < values.length; i++) {
    lo = min(lo, values[i]);
    hi = max(hi, values[i]);
  }
  const range = hi - lo;
  if (range <= 0.0) return;
  for (let i = 0; i < values.length; i++) values[i] = (values[i] - lo) / range;
}

function circles(values: Float64Array): void {
  // Background: a soft vertical gradient in the darker half of the palette.
  const top = nextRange(0.0, 0.25);
  const bottom = nextRange(0.15, 0.45);
  for (let y = 0; y < SIZE; y++) {
    const v = top + (bottom - top) * (<f64>y / <f64>(SIZE - 1));
    for (let x = 0; x < SIZE; x++) values[y * SIZE + x] = v;
  }
  const count = 10 + <i32>(nextU64() % 15);
  for (let k = 0; k < count; k++) {
    const cx = nextRange(-20.0, <f64>SIZE + 20.0);
    const cy = nextRange(-20.0, <f64>SIZE + 20.0);
    const r = nextRange(10.0, 64.0);
    const level = nextRange(0.4, 1.0);
    const x0 = max(0, <i32>Math.floor(cx - r - 1.0));
    const x1 = min(SIZE - 1, <i32>Math.ceil(cx + r + 1.0));
    const y0 = max(0, <i32>Math.floor(cy - r - 1.0));
    const y1 = min(SIZE - 1, <i32>Math.ceil(cy + r + 1.0));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const dx = <f64>x + 0.5 - cx;
        const dy = <f64>y + 0.5 - cy;
        const d = Math.sqrt(dx * dx + dy * dy);
        // Coverage: 1 inside, a one-pixel ramp at the edge (anti-aliasing).
        let cover = r + 0.5 - d;
        if (cover <= 0.0) continue;
        if (cover > 1.0) cover = 1.0;
        // Lit from the top left: lighter towards the highlight.
        const light = level * (1.0 - 0.35 * (d / r)) + 0.08 * (-(dx + dy) / r);
        const i = y * SIZE + x;
        values[i] = values[i] + (light - values[i]) * cover;
      }
    }
  }
}

// ---- arguments ----

function fail(message: string, code: i32): void {
  process.stderr.write("image: " + message + "\n");
  process.exit(code);
}


function contains(text: string, words: string[]): bool {
  for (let i = 0; i < words.length; i++) if (text.includes(words[i])) return true;
  return false;
}

function run(): void {
  const argv = process.argv;
  let prompt = "";
  let seedText = "42";
  let out = "/outputs/image.png";
  for (let i = 1; i < argv.length; i++) {
    const flag = argv[i];
    if (i + 1 >= argv.length) {
      fail(`${flag} needs a value`, 2);
      return;
    }
    const value = argv[++i];
    if (flag == "--prompt") prompt = value;
    else if (flag == "--seed") seedText = value;
    else if (flag == "--out") out = value;
    else {
      fail(`unknown option ${flag} (usage: image --prompt TEXT --seed INTEGER [--out FILE])`, 2);
      return;
    }
  }
  const seed = parseDigits(seedText, 18);
  if (seed < 0) {
    fail(`--seed must be a non-negative integer, got "${seedText}"`, 2);
    return;
  }

  rngState = mix64(fnv1a64(Uint8Array.wrap(String.UTF8.encode(prompt))) ^ mix64(<u64>seed));
  const words = prompt.toLowerCase();

  // Pattern: steered by the prompt's words, else picked by the hash.
  let pattern = <i32>(nextU64() % 3);
  if (contains(words, ["circle", "bubble", "dot", "ring", "orb", "planet", "moon", "lily"])) pattern = 2;
  else if (contains(words, ["cloud", "fog", "mist", "smoke", "marble", "terrain", "noise", "stone"])) pattern = 1;
  else if (contains(words, ["wave", "plasma", "aurora", "ripple", "psychedelic", "water"])) pattern = 0;

  // Palette: a base hue (steered by colour words), a harmony, and a dark-to-light ramp.
  let hue = nextRange(0.0, 360.0);
  if (contains(words, ["sunset", "fire", "autumn", "warm", "lava"])) hue = nextRange(0.0, 40.0);
  else if (contains(words, ["ocean", "sea", "sky", "ice", "night", "blue"])) hue = nextRange(190.0, 240.0);
  else if (contains(words, ["forest", "pond", "lily", "leaf", "grass", "green"])) hue = nextRange(90.0, 150.0);
  const harmony = <i32>(nextU64() % 3);
  const spread = harmony == 0 ? 28.0 : harmony == 1 ? 180.0 : 120.0;
  const harmonyName = harmony == 0 ? "analogous" : harmony == 1 ? "complementary" : "triadic";
  for (let i = 0; i < STOPS; i++) {
    const h = harmony == 0 ? hue + spread * <f64>(i - 2) : hue + spread * <f64>(i % 3);
    const s = nextRange(0.45, 0.9);
    const v = 0.12 + 0.88 * (<f64>i / <f64>(STOPS - 1));
    hsvToRgb(h, s, v, palette, i * 3);
  }

  const values = new Float64Array(SIZE * SIZE);
  if (pattern == 0) plasma(values);
  else if (pattern == 1) valueNoise(values);
  else circles(values);

  const rgb = new Uint8Array(SIZE * SIZE * 3);
  for (let i = 0; i < SIZE * SIZE; i++) shade(values[i], rgb, i * 3);
  const png = encodePng(rgb, SIZE, SIZE);
  if (!writeFile(out, png)) {
    fail(`cannot write ${out} (${lastErrorName()})`, 1);
    return;
  }

  const patternName = pattern == 0 ? "plasma" : pattern == 1 ? "value noise" : "circles";
  let colours = "";
  for (let i = 0; i < STOPS; i++) {
    colours += (i > 0 ? " " : "") + "#" + hex2(toByte(palette[i * 3])) + hex2(toByte(palette[i * 3 + 1])) + hex2(toByte(palette[i * 3 + 2]));
  }
  process.stdout.write(
    `image: ${SIZE}x${SIZE} RGB PNG, ${png.length} bytes, written to ${out}: ${patternName} in ${harmony == 0 ? "an" : "a"} ${harmonyName} palette (${colours}) from seed ${seed}\n`,
  );
}

run();

// Exact fixed-point decimals with 6 fractional digits, so sums, means and printed numbers are the same bytes on
// every machine. A value is whole + micro / 1_000_000 with 0 <= micro < 1_000_000 (floor form: -1.5 is whole -2,
// micro 500000), |whole| <= 9e18.

export const MICRO: i64 = 1_000_000;
const LIMIT: i64 = 9_000_000_000_000_000_000;

export class Decimal {
  constructor(
    public whole: i64 = 0,
    public micro: i64 = 0,
  ) {}

  copyFrom(other: Decimal): void {
    this.whole = other.whole;
    this.micro = other.micro;
  }

  /** this += other; false on overflow (this is then unchanged). */
  add(other: Decimal): bool {
    let micro = this.micro + other.micro;
    let carry: i64 = 0;
    if (micro >= MICRO) {
      micro -= MICRO;
      carry = 1;
    }
    const w = this.whole + other.whole;
    if (((this.whole ^ w) & (other.whole ^ w)) < 0) return false;
    const whole = w + carry;
    if (whole > LIMIT || whole < -LIMIT) return false;
    this.whole = whole;
    this.micro = micro;
    return true;
  }

  compare(other: Decimal): i32 {
    if (this.whole != other.whole) return this.whole < other.whole ? -1 : 1;
    if (this.micro != other.micro) return this.micro < other.micro ? -1 : 1;
    return 0;
  }

  isNegative(): bool {
    return this.whole < 0;
  }

  /** Sets this from a sign and a magnitude. */
  setSignMagnitude(negative: bool, whole: i64, micro: i64): void {
    if (!negative || (whole == 0 && micro == 0)) {
      this.whole = whole;
      this.micro = micro;
    } else if (micro == 0) {
      this.whole = -whole;
      this.micro = 0;
    } else {
      this.whole = -whole - 1;
      this.micro = MICRO - micro;
    }
  }

  magnitudeWhole(): i64 {
    return this.whole >= 0 ? this.whole : this.micro == 0 ? -this.whole : -(this.whole + 1);
  }

  magnitudeMicro(): i64 {
    return this.whole >= 0 || this.micro == 0 ? this.micro : MICRO - this.micro;
  }

  /** out = this / count, rounded to 6 decimals, halves away from zero. */
  divideInto(count: i64, out: Decimal): void {
    const w = this.magnitudeWhole();
    const m = this.magnitudeMicro();
    let q = w / count;
    const r = w % count;
    // r < count <= 2^31 rows, so r * 10^6 + m fits easily.
    const t = r * MICRO + m;
    let qm = t / count;
    const rem = t % count;
    if (rem * 2 >= count) qm++;
    if (qm == MICRO) {
      q++;
      qm = 0;
    }
    out.setSignMagnitude(this.isNegative(), q, qm);
  }
}

/** Why the last parseDecimal failed: "" (not a number) or a reason. */
export let parseProblem = "";

const digits = new Uint8Array(512);

function isBlank(c: u8): bool {
  return c == 0x20 || c == 0x09;
}

/**
 * Parses a decimal number from bytes [ptr, ptr + len): optional blanks, an optional sign, digits with an optional
 * '.', an optional exponent (1.5e3). More than 6 fractional digits are rounded, halves away from zero.
 * Returns false when the bytes are not such a number (parseProblem says why).
 */
export function parseDecimal(ptr: usize, len: i32, out: Decimal): bool {
  parseProblem = "";
  let i = 0;
  while (i < len && isBlank(load<u8>(ptr + i))) i++;
  while (len > i && isBlank(load<u8>(ptr + len - 1))) len--;
  let negative = false;
  if (i < len && (load<u8>(ptr + i) == 0x2d || load<u8>(ptr + i) == 0x2b)) {
    negative = load<u8>(ptr + i) == 0x2d;
    i++;
  }
  // Mantissa digits, without leading zeros; point = how many of them are before the decimal point.
  let count = 0;
  let point = 0;
  let seenDigit = false;
  let seenPoint = false;
  for (; i < len; i++) {
    const c = load<u8>(ptr + i);
    if (c >= 0x30 && c <= 0x39) {
      seenDigit = true;
      if (count == 0 && c == 0x30) {
        if (seenPoint) point--; // 0.00x: leading zeros after the point move it left
        continue;
      }
      if (count == digits.length) {
        parseProblem = "has too many digits";
        return false;
      }
      digits[count++] = c - 0x30;
      if (!seenPoint) point++;
    } else if (c == 0x2e && !seenPoint) {
      seenPoint = true;
    } else {
      break;
    }
  }
  if (!seenDigit) return false;
  if (i < len && (load<u8>(ptr + i) == 0x65 || load<u8>(ptr + i) == 0x45)) {
    i++;
    let expNegative = false;
    if (i < len && (load<u8>(ptr + i) == 0x2d || load<u8>(ptr + i) == 0x2b)) {
      expNegative = load<u8>(ptr + i) == 0x2d;
      i++;
    }
    let exp = 0;
    let expDigits = 0;
    for (; i < len; i++) {
      const c = load<u8>(ptr + i);
      if (c < 0x30 || c > 0x39) break;
      if (exp < 100000) exp = exp * 10 + (c - 0x30);
      expDigits++;
    }
    if (expDigits == 0) return false;
    point += expNegative ? -exp : exp;
  }
  if (i != len) return false;
  if (count == 0) {
    out.whole = 0;
    out.micro = 0;
    return true;
  }
  if (point > 19) {
    parseProblem = "is too large";
    return false;
  }
  // Whole part: digits [0, point); fraction: digits [point, point + 6); the next digit rounds.
  let whole: i64 = 0;
  for (let d = 0; d < point; d++) whole = whole * 10 + (d < count ? <i64>digits[d] : 0);
  let micro: i64 = 0;
  for (let d = point; d < point + 6; d++) micro = micro * 10 + (d >= 0 && d < count ? <i64>digits[d] : 0);
  const next = point + 6;
  if (next >= 0 && next < count && digits[next] >= 5) {
    micro++;
    if (micro == MICRO) {
      micro = 0;
      whole++;
    }
  }
  if (whole > LIMIT || whole < 0) {
    parseProblem = "is too large";
    return false;
  }
  out.setSignMagnitude(negative, whole, micro);
  return true;
}

/** A non-negative decimal integer of 1 to `maxDigits` digits, or -1 when `s` is not one. */
export function parseDigits(s: string, maxDigits: i32): i64 {
  if (s.length == 0 || s.length > maxDigits) return -1;
  let v: i64 = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + (c - 0x30);
  }
  return v;
}

// How figures read: token amounts (wire: decimal strings of wei, 18 decimals), big counts, addresses and times.
// Amounts stay BigInt until the last step, since they exceed 2^53.

/** The Lilypad token's symbol (src/core/formatTokens.ts's TOKEN_SYMBOL; importing it would bundle viem). */
export const TOKEN_SYMBOL = "LP";
const WEI_PER_TOKEN = 10n ** 18n;

/** "1234500000000000000" → "1.2345 LP": at most `digits` decimals, trailing zeros dropped, "<0.0001 LP" for dust. */
export function formatTokens(wei: string | bigint, digits = 4): string {
  const value = typeof wei === "bigint" ? wei : BigInt(wei);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / WEI_PER_TOKEN;
  const scale = 10n ** BigInt(18 - digits);
  const fraction = (abs % WEI_PER_TOKEN) / scale;
  if (whole === 0n && fraction === 0n && abs > 0n) return `<0.${"0".repeat(digits - 1)}1 ${TOKEN_SYMBOL}`;
  const decimals = fraction.toString().padStart(digits, "0").replace(/0+$/, "");
  const text = `${groupDigits(whole.toString())}${decimals ? `.${decimals}` : ""}`;
  return `${negative ? "-" : ""}${text} ${TOKEN_SYMBOL}`;
}

/** Wei as a float of whole tokens, for charts only (precision does not matter on a plot). */
export function tokensAsNumber(wei: string): number {
  return Number(BigInt(wei) / 10n ** 9n) / 1e9;
}

/** "1234567" → "1,234,567". */
export function groupDigits(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** A big count in a few characters: 1234 → "1.23k", 12_345_678 → "12.3M". */
export function formatCompact(value: string | number | bigint): string {
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n)) return String(value);
  const abs = Math.abs(n);
  for (const [limit, suffix] of [
    [1e15, "P"],
    [1e12, "T"],
    [1e9, "G"],
    [1e6, "M"],
    [1e3, "k"],
  ] as const) {
    if (abs >= limit) return `${trimNumber(n / limit)}${suffix}`;
  }
  return trimNumber(n);
}

/** Three significant digits at most, no trailing zeros. */
export function trimNumber(n: number): string {
  if (n === 0) return "0";
  const abs = Math.abs(n);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return Number(n.toFixed(digits)).toString();
}

/** "0x1234…abcd". */
export function shortHex(hex: string, keep = 6): string {
  return hex.length <= keep * 2 + 3 ? hex : `${hex.slice(0, keep)}…${hex.slice(-4)}`;
}

/** MiB as people read memory: 4096 → "4 GiB". */
export function formatMiB(mib: number): string {
  return mib >= 1024 ? `${trimNumber(mib / 1024)} GiB` : `${trimNumber(mib)} MiB`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${trimNumber(bytes / 1024)} KiB`;
  return `${trimNumber(bytes / 1024 / 1024)} MiB`;
}

/** Seconds as "45 s", "3 min", "2 h", "5 d". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${trimNumber(s / 3600)} h`;
  return `${trimNumber(s / 86400)} d`;
}

/** Unix seconds relative to now: "12 s ago", "in 3 min". */
export function formatAgo(unix: number, now = Date.now() / 1000): string {
  const delta = now - unix;
  return delta >= 0 ? `${formatDuration(delta)} ago` : `in ${formatDuration(-delta)}`;
}

/** Unix seconds as a local date and time, to the second. */
export function formatTime(unix: number): string {
  return new Date(unix * 1000).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

// How the dashboard writes figures: token amounts from wei strings (beyond 2^53), counts, sizes and times.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatUnits } from "viem";
import { formatBytes, formatCompact, formatDuration, formatMiB, formatTokens, groupDigits, shortHex, tokensAsNumber } from "../../dashboard/src/format.ts";

describe("dashboard figures", () => {
  it("writes wei as tokens with at most 4 decimals, exactly, whatever the size", () => {
    assert.equal(formatTokens("0"), "0 LP");
    assert.equal(formatTokens("1000000000000000000"), "1 LP");
    assert.equal(formatTokens("282500000000000000"), "0.2825 LP");
    assert.equal(formatTokens("10000000000000000"), "0.01 LP");
    assert.equal(formatTokens("123456789"), "<0.0001 LP", "dust is not shown as zero");
    assert.equal(formatTokens(10n ** 18n * 1_234_567n + 5n * 10n ** 17n), "1,234,567.5 LP");
    assert.equal(formatTokens("3410020000000000000000", 2), "3,410.02 LP");
    // Past 2^64 wei, still exact (truncated, never rounded up to more than was paid).
    const huge = 2n ** 70n + 123n;
    assert.equal(formatTokens(huge, 4), `${groupDigits(formatUnits(huge, 18).split(".")[0]!)}.${formatUnits(huge, 18).split(".")[1]!.slice(0, 4).replace(/0+$/, "")} LP`);
    assert.equal(tokensAsNumber("1500000000000000000"), 1.5);
  });

  it("writes counts, sizes, ids and durations short", () => {
    assert.equal(formatCompact("272563990"), "273M");
    assert.equal(formatCompact("18800"), "18.8k");
    assert.equal(formatCompact(999), "999");
    assert.equal(formatCompact("2440000000000"), "2.44T");
    assert.equal(groupDigits("1234567"), "1,234,567");
    assert.equal(formatMiB(12288), "12 GiB");
    assert.equal(formatBytes(49_050), "47.9 KiB");
    assert.equal(shortHex("0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"), "0x15d3…6A65");
    assert.equal(formatDuration(45), "45 s");
    assert.equal(formatDuration(600), "10 min");
    assert.equal(formatDuration(7200), "2 h");
  });
});

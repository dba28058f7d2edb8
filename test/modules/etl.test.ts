import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { invocationOf, loadManifest, moduleEntry, moduleWasm, runWasi, someFileCid } from "./runWasi.ts";

async function etl(csv: string | Uint8Array, groupBy: string, value: string) {
  const manifest = loadManifest("etl");
  const { args, env } = invocationOf(manifest, { Data: someFileCid, GroupBy: groupBy, Value: value });
  return runWasi({ wasm: await moduleWasm(moduleEntry("etl")), args, env, inputs: { "data.csv": csv } });
}

const sales = [
  "\uFEFFregion,product,amount,note",
  'east,apple,1.5,"plain"',
  'west,pear,2,"has, comma"',
  'east,"kiwi, gold",-3.25,"two',
  'lines"',
  "north,fig,1e2,",
  'west,plum,0.0000005,"quote ""x"""',
  '"Zeta ""z""",fig, 7 ,',
  "",
  "south,date,12.345678,",
].join("\r\n");

describe("etl module", () => {
  it("groups and aggregates a CSV file with quoted fields, CRLF, a BOM and a blank line", async () => {
    const result = await etl(sales, "region", "amount");
    assert.equal(result.stderr, "");
    assert.equal(result.exitCode, 0);
    assert.equal(
      result.stdout,
      'etl: 7 rows, 5 groups by "region", aggregated "amount": wrote /outputs/summary.csv and /outputs/summary.json\n',
    );
    assert.deepEqual([...result.outputs.keys()], ["summary.csv", "summary.json"]);
    assert.equal(
      result.outputs.get("summary.csv")!.toString("utf8"),
      [
        "region,count,sum,mean,min,max",
        '"Zeta ""z""",1,7.000000,7.000000,7.000000,7.000000',
        "east,2,-1.750000,-0.875000,-3.250000,1.500000",
        "north,1,100.000000,100.000000,100.000000,100.000000",
        "south,1,12.345678,12.345678,12.345678,12.345678",
        "west,2,2.000001,1.000001,0.000001,2.000000",
        "",
      ].join("\n"),
    );
    const json = result.outputs.get("summary.json")!.toString("utf8");
    assert.equal(
      json,
      [
        "{",
        '  "groupBy": "region",',
        '  "value": "amount",',
        '  "rows": 7,',
        '  "groups": [',
        '    { "key": "Zeta \\"z\\"", "count": 1, "sum": 7.000000, "mean": 7.000000, "min": 7.000000, "max": 7.000000 },',
        '    { "key": "east", "count": 2, "sum": -1.750000, "mean": -0.875000, "min": -3.250000, "max": 1.500000 },',
        '    { "key": "north", "count": 1, "sum": 100.000000, "mean": 100.000000, "min": 100.000000, "max": 100.000000 },',
        '    { "key": "south", "count": 1, "sum": 12.345678, "mean": 12.345678, "min": 12.345678, "max": 12.345678 },',
        '    { "key": "west", "count": 2, "sum": 2.000001, "mean": 1.000001, "min": 0.000001, "max": 2.000000 }',
        "  ]",
        "}",
        "",
      ].join("\n"),
    );
    assert.equal(JSON.parse(json).groups.length, 5, "the JSON parses");
  });

  it("fails with exit code 1 and names the columns when a column is missing", async () => {
    const result = await etl(sales, "region", "price");
    assert.equal(result.exitCode, 1);
    assert.equal(result.stdout, "");
    assert.equal(result.stderr, 'etl: column "price" not found in /inputs/data.csv; its columns are "region", "product", "amount", "note"\n');
    assert.equal(result.outputs.size, 0, "nothing is written");
  });

  it("fails with exit code 1 and names the line of a value that is not a number", async () => {
    const result = await etl("k,v\na,1\nb,2\r\nc,\"x\ny\"\nd,abc\n", "k", "v");
    assert.equal(result.exitCode, 1);
    assert.equal(result.stderr, 'etl: line 4: value "x\\ny" in column "v" is not a number\n');
    const empty = await etl("k,v\na,1\nb,\n", "k", "v");
    assert.equal(empty.exitCode, 1);
    assert.equal(empty.stderr, 'etl: line 3: value "" in column "v" is not a number\n');
  });

  it("reports a short row, an unclosed quote and an empty file", async () => {
    const short = await etl("k,x,v\na,0,1\nb\n", "k", "v");
    assert.equal(short.exitCode, 1);
    assert.equal(short.stderr, 'etl: line 3: has 1 fields, so no value for column "v"\n');
    const unclosed = await etl('k,v\na,1\n"b,2\n', "k", "v");
    assert.equal(unclosed.exitCode, 1);
    assert.equal(unclosed.stderr, "etl: line 3: a quoted field is not closed\n");
    const empty = await etl("", "k", "v");
    assert.equal(empty.exitCode, 1);
    assert.match(empty.stderr, /data\.csv is empty/);
  });

  it("writes keys as valid UTF-8 (an invalid byte becomes U+FFFD) and escapes them for CSV and JSON", async () => {
    const csv = Buffer.concat([Buffer.from("k,v\na"), Buffer.from([0xff]), Buffer.from('b,1\n"t\tab\u0001",2\n"x,""y""",3\n')]);
    const result = await etl(csv, "k", "v");
    assert.equal(result.exitCode, 0, result.stderr);
    assert.equal(
      result.outputs.get("summary.csv")!.toString("utf8"),
      [
        "k,count,sum,mean,min,max",
        "a\uFFFDb,1,1.000000,1.000000,1.000000,1.000000",
        "t\tab\u0001,1,2.000000,2.000000,2.000000,2.000000",
        '"x,""y""",1,3.000000,3.000000,3.000000,3.000000',
        "",
      ].join("\n"),
    );
    const jsonText = result.outputs.get("summary.json")!.toString("utf8");
    assert.ok(jsonText.includes('"key": "t\\tab\\u0001"'), "control characters are escaped");
    const json = JSON.parse(jsonText);
    assert.deepEqual(
      json.groups.map((g: { key: string }) => g.key),
      ["a\uFFFDb", "t\tab\u0001", 'x,"y"'],
      "groups sort by their bytes",
    );
  });

  it("writes a header and no groups for a file with no records", async () => {
    const result = await etl("k,v\n", "k", "v");
    assert.equal(result.exitCode, 0);
    assert.equal(result.outputs.get("summary.csv")!.toString(), "k,count,sum,mean,min,max\n");
    assert.deepEqual(JSON.parse(result.outputs.get("summary.json")!.toString()).groups, []);
  });

  it("matches a BigInt reference implementation on random data, and gives the same bytes twice", async () => {
    const key = fc.constantFrom("a", "b", "Ω", "x,y", 'q"t', "b ", "\u{1F42E}", "\uE000");
    const amount = fc.tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 13n }), fc.integer({ min: 0, max: 9 })).map(([negative, digits, scale]) => {
      const s = digits.toString().padStart(scale + 1, "0");
      const text = scale === 0 ? s : `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
      return negative ? `-${text}` : text;
    });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(key, amount), { minLength: 1, maxLength: 40 }), async (rows) => {
        const csv = "name,amount\n" + rows.map(([k, v]) => `${csvField(k)},${v}`).join("\n") + "\n";
        const result = await etl(csv, "name", "amount");
        assert.equal(result.stderr, "");
        assert.equal(result.outputs.get("summary.csv")!.toString("utf8"), referenceSummaryCsv(rows));
        const again = await etl(csv, "name", "amount");
        assert.deepEqual(again.outputs, result.outputs);
      }),
      { numRuns: 25, seed: 20261124 },
    );
  });
});

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const MICRO = 1_000_000n;

/** Decimal text to micro-units, more than 6 decimals rounded half away from zero. */
function toMicro(text: string): bigint {
  const negative = text.startsWith("-");
  const [whole = "0", fraction = ""] = text.replace(/^-/, "").split(".");
  let micro = BigInt(whole) * MICRO + BigInt((fraction + "000000").slice(0, 6));
  if (fraction.length > 6 && fraction[6]! >= "5") micro += 1n;
  return negative ? -micro : micro;
}

function divRound(n: bigint, d: bigint): bigint {
  const negative = n < 0n;
  const m = negative ? -n : n;
  let q = m / d;
  if ((m % d) * 2n >= d) q += 1n;
  return negative ? -q : q;
}

function fixed6(micro: bigint): string {
  const negative = micro < 0n;
  const m = negative ? -micro : micro;
  const text = `${m / MICRO}.${(m % MICRO).toString().padStart(6, "0")}`;
  return negative ? `-${text}` : text;
}

function codePointCompare(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

function referenceSummaryCsv(rows: [string, string][]): string {
  const groups = new Map<string, bigint[]>();
  for (const [k, v] of rows) groups.set(k, [...(groups.get(k) ?? []), toMicro(v)]);
  const lines = ["name,count,sum,mean,min,max"];
  for (const k of [...groups.keys()].sort(codePointCompare)) {
    const values = groups.get(k)!;
    const sum = values.reduce((a, b) => a + b, 0n);
    const min = values.reduce((a, b) => (b < a ? b : a));
    const max = values.reduce((a, b) => (b > a ? b : a));
    lines.push([csvField(k), values.length, fixed6(sum), fixed6(divRound(sum, BigInt(values.length))), fixed6(min), fixed6(max)].join(","));
  }
  return lines.join("\n") + "\n";
}

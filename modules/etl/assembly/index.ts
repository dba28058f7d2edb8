// etl: a data job. Reads a CSV file, groups its rows by one column and aggregates a numeric column per group
// (count, sum, mean, min, max), and writes the summary as CSV and JSON, groups sorted by key.
//
//   etl --input /inputs/data.csv --group-by <column> --value <column> --out-dir /outputs
//
// Numbers are exact decimals with 6 fractional digits (see decimal.ts), printed with exactly 6 decimals, so the
// output is the same bytes everywhere. Errors (a missing column, a value that is not a number, bad CSV) go to
// stderr with the line number, and the exit code is 1; wrong arguments exit 2.
import { CsvReader } from "./csv";
import { Decimal, parseDecimal, parseProblem } from "./decimal";
import { GroupTable } from "./groups";
import { lastErrorName, readFile, writeStringFile } from "../../shared/assembly/wasi_fs";

function fail(message: string, code: i32 = 1): void {
  process.stderr.write("etl: " + message + "\n");
  process.exit(code);
}

function quoteCsv(s: string): string {
  if (s.indexOf(",") < 0 && s.indexOf('"') < 0 && s.indexOf("\n") < 0 && s.indexOf("\r") < 0) return s;
  return '"' + s.replaceAll('"', '""') + '"';
}

function quoteJson(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) out += '\\"';
    else if (c == 0x5c) out += "\\\\";
    else if (c == 0x0a) out += "\\n";
    else if (c == 0x0d) out += "\\r";
    else if (c == 0x09) out += "\\t";
    else if (c < 0x20) out += "\\u00" + (c < 0x10 ? "0" : "") + c.toString(16);
    else out += String.fromCharCode(c);
  }
  return out + '"';
}

/** A field's text for an error message, shortened. */
function shown(s: string): string {
  return s.length > 40 ? s.substring(0, 40) + "..." : s;
}

function run(): void {
  const argv = process.argv;
  let input = "/inputs/data.csv";
  let groupBy = "";
  let valueColumn = "";
  let outDir = "/outputs";
  for (let i = 1; i < argv.length; i++) {
    const flag = argv[i];
    if (i + 1 >= argv.length) {
      fail(`${flag} needs a value`, 2);
      return;
    }
    const value = argv[++i];
    if (flag == "--input") input = value;
    else if (flag == "--group-by") groupBy = value;
    else if (flag == "--value") valueColumn = value;
    else if (flag == "--out-dir") outDir = value;
    else {
      fail(`unknown option ${flag} (usage: etl --input FILE --group-by COLUMN --value COLUMN --out-dir DIR)`, 2);
      return;
    }
  }
  if (groupBy.length == 0 || valueColumn.length == 0) {
    fail("--group-by and --value name the columns to group by and to aggregate", 2);
    return;
  }

  const data = readFile(input);
  if (data == null) {
    fail(`cannot read ${input} (${lastErrorName()})`);
    return;
  }
  const csv = new CsvReader(data);
  if (!csv.next()) {
    fail(csv.error.length > 0 ? csv.error : `${input} is empty: it needs a header line naming the columns`);
    return;
  }
  const header = new Array<string>();
  for (let i = 0; i < csv.fieldCount; i++) header.push(csv.fieldString(i));
  const groupIndex = header.indexOf(groupBy);
  const valueIndex = header.indexOf(valueColumn);
  const missing = groupIndex < 0 ? groupBy : valueIndex < 0 ? valueColumn : "";
  if (groupIndex < 0 || valueIndex < 0) {
    const names = new Array<string>();
    for (let i = 0; i < header.length; i++) names.push(quoteJson(header[i]));
    fail(`column ${quoteJson(missing)} not found in ${input}; its columns are ${names.join(", ")}`);
    return;
  }
  const needed = max(groupIndex, valueIndex) + 1;

  // Rows are aggregated without allocating: see groups.ts.
  const groups = new GroupTable();
  const value = new Decimal();
  let rows: i64 = 0;
  while (csv.next()) {
    if (csv.fieldCount < needed) {
      const column = csv.fieldCount <= groupIndex ? groupBy : valueColumn;
      fail(`line ${csv.recordLine}: has ${csv.fieldCount} fields, so no value for column ${quoteJson(column)}`);
      return;
    }
    if (!parseDecimal(csv.fieldPtr(valueIndex), csv.fieldLength(valueIndex), value)) {
      const problem = parseProblem.length > 0 ? parseProblem : "is not a number";
      fail(`line ${csv.recordLine}: value ${quoteJson(shown(csv.fieldString(valueIndex)))} in column ${quoteJson(valueColumn)} ${problem}`);
      return;
    }
    const g = groups.find(csv.fieldPtr(groupIndex), csv.fieldLength(groupIndex));
    if (!groups.add(g, value)) {
      fail(`line ${csv.recordLine}: the sum for ${quoteJson(shown(groups.key(g)))} is too large`);
      return;
    }
    rows++;
  }
  if (csv.error.length > 0) {
    fail(csv.error);
    return;
  }
  const order = groups.sortedByKey();

  const csvLines = new Array<string>();
  csvLines.push(quoteCsv(groupBy) + ",count,sum,mean,min,max");
  const jsonGroups = new Array<string>();
  for (let i = 0; i < order.length; i++) {
    const g = order[i];
    const key = groups.key(g);
    const count = groups.count[g].toString();
    const total = groups.sum(g);
    const sum = total.toFixed6();
    const mean = total.dividedBy(groups.count[g]).toFixed6();
    const lo = groups.min(g).toFixed6();
    const hi = groups.max(g).toFixed6();
    csvLines.push(`${quoteCsv(key)},${count},${sum},${mean},${lo},${hi}`);
    jsonGroups.push(`    { "key": ${quoteJson(key)}, "count": ${count}, "sum": ${sum}, "mean": ${mean}, "min": ${lo}, "max": ${hi} }`);
  }
  const json =
    "{\n" +
    `  "groupBy": ${quoteJson(groupBy)},\n` +
    `  "value": ${quoteJson(valueColumn)},\n` +
    `  "rows": ${rows},\n` +
    (jsonGroups.length == 0 ? '  "groups": []\n' : '  "groups": [\n' + jsonGroups.join(",\n") + "\n  ]\n") +
    "}\n";

  const csvPath = outDir + "/summary.csv";
  const jsonPath = outDir + "/summary.json";
  if (!writeStringFile(csvPath, csvLines.join("\n") + "\n")) {
    fail(`cannot write ${csvPath} (${lastErrorName()})`);
    return;
  }
  if (!writeStringFile(jsonPath, json)) {
    fail(`cannot write ${jsonPath} (${lastErrorName()})`);
    return;
  }
  process.stdout.write(
    `etl: ${rows} rows, ${groups.size} groups by ${quoteJson(groupBy)}, aggregated ${quoteJson(valueColumn)}: wrote ${csvPath} and ${jsonPath}\n`,
  );
}

run();

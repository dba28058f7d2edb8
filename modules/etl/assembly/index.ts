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
import { ByteWriter } from "./writer";
import { lastErrorName, readFile } from "../../shared/assembly/wasi_fs";

function fail(message: string, code: i32 = 1): void {
  process.stderr.write("etl: " + message + "\n");
  process.exit(code);
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

  // summary.csv and summary.json, written as bytes (writer.ts).
  const groupByBytes = String.UTF8.encode(groupBy);
  const valueBytes = String.UTF8.encode(valueColumn);
  const csvPath = outDir + "/summary.csv";
  const jsonPath = outDir + "/summary.json";
  const csvOut = new ByteWriter(csvPath);
  const json = new ByteWriter(jsonPath);
  csvOut.csvField(changetype<usize>(groupByBytes), groupByBytes.byteLength);
  csvOut.ascii(",count,sum,mean,min,max\n");
  json.ascii('{\n  "groupBy": ');
  json.jsonString(changetype<usize>(groupByBytes), groupByBytes.byteLength);
  json.ascii(',\n  "value": ');
  json.jsonString(changetype<usize>(valueBytes), valueBytes.byteLength);
  json.ascii(',\n  "rows": ');
  json.unsigned(<u64>rows);
  json.ascii(order.length == 0 ? ',\n  "groups": []\n}\n' : ',\n  "groups": [\n');
  const sum = new Decimal();
  const mean = new Decimal();
  const lo = new Decimal();
  const hi = new Decimal();
  for (let i = 0; i < order.length; i++) {
    const g = order[i];
    const count = groups.count[g];
    groups.loadSum(g, sum);
    sum.divideInto(count, mean);
    groups.loadMin(g, lo);
    groups.loadMax(g, hi);
    csvOut.csvField(groups.keyPtr(g), groups.keyBytes(g));
    csvOut.byte(0x2c);
    csvOut.unsigned(<u64>count);
    csvOut.byte(0x2c);
    csvOut.decimal(sum);
    csvOut.byte(0x2c);
    csvOut.decimal(mean);
    csvOut.byte(0x2c);
    csvOut.decimal(lo);
    csvOut.byte(0x2c);
    csvOut.decimal(hi);
    csvOut.byte(0x0a);
    json.ascii('    { "key": ');
    json.jsonString(groups.keyPtr(g), groups.keyBytes(g));
    json.ascii(', "count": ');
    json.unsigned(<u64>count);
    json.ascii(', "sum": ');
    json.decimal(sum);
    json.ascii(', "mean": ');
    json.decimal(mean);
    json.ascii(', "min": ');
    json.decimal(lo);
    json.ascii(', "max": ');
    json.decimal(hi);
    json.ascii(i + 1 < order.length ? " },\n" : " }\n  ]\n}\n");
  }

  if (!csvOut.close()) {
    fail(`cannot write ${csvPath} (${lastErrorName()})`);
    return;
  }
  if (!json.close()) {
    fail(`cannot write ${jsonPath} (${lastErrorName()})`);
    return;
  }
  process.stdout.write(
    `etl: ${rows} rows, ${groups.size} groups by ${quoteJson(groupBy)}, aggregated ${quoteJson(valueColumn)}: wrote ${csvPath} and ${jsonPath}\n`,
  );
}

run();

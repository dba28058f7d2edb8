// `npm run bench`: runs every benchmark, prints a table per figure set and writes bench/results/*.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { measureGas } from "./gas.ts";

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), "results");

interface Row {
  figure: string;
  value: number;
  unit: string;
  bar?: string;
  ok?: boolean;
}

function report(name: string, rows: Row[], raw: unknown): void {
  console.log(`\n${name}`);
  console.table(
    rows.map((r) => ({ figure: r.figure, value: r.value.toLocaleString("en-US"), unit: r.unit, bar: r.bar ?? "", ok: r.ok === undefined ? "" : r.ok ? "yes" : "NO" })),
  );
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, figures: raw, rows }, null, 2)}\n`);
  console.log(`written ${file}`);
}

const gas = await measureGas();
report(
  "gas",
  [
    { figure: "happy path: openDeal", value: gas.happyPath.open, unit: "gas" },
    { figure: "happy path: postResult", value: gas.happyPath.postResult, unit: "gas" },
    { figure: "happy path: accept", value: gas.happyPath.accept, unit: "gas" },
    { figure: "happy path total (3 tx)", value: gas.happyPath.total, unit: "gas", bar: "<= 150,000", ok: gas.happyPath.total <= 150_000 },
    { figure: "happy path total, first deal in a fresh lane", value: gas.happyPath.totalInFreshLane, unit: "gas" },
    { figure: "mediation path total (4 tx)", value: gas.mediationPath.total, unit: "gas", bar: "<= 250,000", ok: gas.mediationPath.total <= 250_000 },
    { figure: "batch of 100: per job (open + post + finalize)", value: gas.batch100.perJob, unit: "gas", bar: "<= 60,000", ok: gas.batch100.perJob <= 60_000 },
    { figure: "batch of 100: per job, fresh lanes", value: gas.batch100.perJobInFreshLanes, unit: "gas" },
    { figure: "Lilypad V1 happy path (reference)", value: 1_388_606, unit: "gas" },
  ],
  gas,
);

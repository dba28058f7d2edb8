// `npm run bench`: runs every benchmark, prints a table per figure set and writes bench/results/*.json.
// `node bench/run.ts multiHost network` runs only the figure sets named (gas, sandbox, containers, metering, network,
// indexer, load, multiHost, blockTime).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { measureBlockTime } from "./blockTime.ts";
import { measureContainers } from "./containers.ts";
import { measureGas } from "./gas.ts";
import { measureIndexerReads } from "./indexer.ts";
import { measureMatching } from "./matching.ts";
import { measureMultiHost } from "./multiHost.ts";
import { measureMeteringCost } from "./metering.ts";
import { measureLoad } from "./load.ts";
import { measureProtocol } from "./protocol.ts";
import { measureSandbox } from "./sandbox.ts";

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
  writeFileSync(file, `${JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, figures: raw, rows }, (_, v) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`);
  console.log(`written ${file}`);
}

const only = new Set(process.argv.slice(2));
const want = (name: string) => only.size === 0 || only.has(name);

if (want("gas")) {
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
}

if (want("sandbox")) {
  const sandbox = await measureSandbox();
  report(
    "sandbox",
    [
      { figure: `trivial cached job, median (${sandbox.trivialJob.runs} runs)`, value: round(sandbox.trivialJob.medianMs), unit: "ms", bar: "<= 5", ok: sandbox.trivialJob.medianMs <= 5 },
      { figure: "trivial cached job, p99", value: round(sandbox.trivialJob.p99Ms), unit: "ms" },
      { figure: `prime sieve below ${sandbox.compute.n.toLocaleString("en-US")}: unmetered wasm`, value: round(sandbox.compute.unmeteredMs), unit: "ms" },
      { figure: "same, metered", value: round(sandbox.compute.meteredMs), unit: "ms" },
      { figure: "same, metered, whole sandboxed job", value: round(sandbox.compute.sandboxedMs), unit: "ms" },
      { figure: "same algorithm in plain JavaScript", value: round(sandbox.compute.nativeJsMs), unit: "ms" },
      { figure: "sieve: metered / unmetered", value: round(sandbox.compute.meteringRatio), unit: "x", bar: "<= 1.5", ok: sandbox.compute.meteringRatio <= 1.5 },
    ],
    { sandbox },
  );
}

if (want("containers")) {
  const containers = await measureContainers();
  report(
    "containers",
    containers.skipped
      ? [{ figure: `skipped: ${containers.skipped}`, value: NaN, unit: "" }]
      : [
          { figure: `trivial container job (busybox echo), p50 (${containers.runs} runs, interleaved with the WASI job)`, value: round(containers.container.p50Ms), unit: "ms" },
          { figure: "same, p99", value: round(containers.container.p99Ms), unit: "ms" },
          { figure: "trivial WASI job in the warm sandbox, p50", value: round(containers.wasm.p50Ms), unit: "ms" },
          { figure: "same, p99", value: round(containers.wasm.p99Ms), unit: "ms" },
          containers.training
            ? { figure: `train-digits (scikit-learn, ${containers.training.trees} trees), median of ${containers.training.runs}`, value: round(containers.training.medianMs), unit: "ms" }
            : { figure: `train-digits: skipped (${containers.trainingSkipped})`, value: NaN, unit: "ms" },
        ],
    containers,
  );
}

if (want("metering")) {
  const metering = await measureMeteringCost();
  report(
    "metering",
    [
      ...metering.figures.map((m) => ({
        figure: `${m.workload} (${m.language}; ${round(m.unmeteredMs)} ms unmetered): metered / unmetered`,
        value: round(m.ratio),
        unit: "x",
        bar: `<= ${metering.bars.worst}`,
        ok: m.ratio <= metering.bars.worst,
      })),
      ...metering.skipped.map((s) => ({ figure: `${s.id}: skipped (${s.reason})`, value: NaN, unit: "x" })),
      { figure: `geometric mean over ${metering.figures.length} workloads`, value: round(metering.geomean), unit: "x", bar: `<= ${metering.bars.geomean}`, ok: metering.geomean <= metering.bars.geomean },
      { figure: `worst: ${metering.worstWorkload}`, value: round(metering.worstRatio), unit: "x", bar: `<= ${metering.bars.worst}`, ok: metering.worstRatio <= metering.bars.worst },
    ],
    metering,
  );
}

if (want("network")) {
  const matching = await measureMatching();
  const protocol = await measureProtocol();
  report(
    "network",
    [
      { figure: `cowsay through the protocol, median (${protocol.latency.runs} runs, SDK, devnet)`, value: round(protocol.latency.medianMs), unit: "ms", bar: "<= 300", ok: protocol.latency.medianMs <= 300 },
      { figure: "same, p99", value: round(protocol.latency.p99Ms), unit: "ms", bar: "<= 1000", ok: protocol.latency.p99Ms <= 1000 },
      {
        figure: `sustained jobs/s, whole protocol (${protocol.throughput.providers} providers, ${protocol.throughput.concurrency} in flight, jobs ${protocol.throughput.window.from}-${protocol.throughput.window.to} of ${protocol.throughput.jobs})`,
        value: round(protocol.throughput.sustainedJobsPerSecond),
        unit: "jobs/s",
        bar: ">= 200",
        ok: protocol.throughput.sustainedJobsPerSecond >= 200,
      },
      { figure: "same, over the whole run (ramp-up and drain included)", value: round(protocol.throughput.jobsPerSecond), unit: "jobs/s" },
      { figure: "same run again with an indexer following the chain (own thread): sustained", value: round(protocol.indexed.sustainedJobsPerSecond), unit: "jobs/s" },
      { figure: `indexer lag behind the chain's head while it runs, p50 (${protocol.indexed.lagBlocks.samples} samples)`, value: protocol.indexed.lagBlocks.p50, unit: "blocks" },
      { figure: "same, p99", value: protocol.indexed.lagBlocks.p99, unit: "blocks" },
      { figure: "indexer lag in time: a head block to indexed, p50", value: round(protocol.indexed.lagMs.p50), unit: "ms" },
      { figure: "same, p99", value: round(protocol.indexed.lagMs.p99), unit: "ms", bar: "<= 2000 (keeps up)", ok: protocol.indexed.lagMs.p99 <= 2000 },
      { figure: "indexer: last job closed to every deal indexed as closed", value: round(protocol.indexed.catchUpMs), unit: "ms" },
      ...matching.sizes.map((m) => ({
        figure: `solver matching: ${m.jobs.toLocaleString("en-US")} jobs x ${m.offers.toLocaleString("en-US")} offers`,
        value: round(m.medianMs),
        unit: "ms",
        ...(m.jobs === 10_000 ? { bar: "<= 1000", ok: m.medianMs <= 1000 } : {}),
      })),
    ],
    { protocol, matching },
  );
}

if (want("indexer")) {
  const indexer = await measureIndexerReads();
  const firstView = "skipped" in indexer.firstView ? undefined : indexer.firstView;
  report(
    "indexer",
    [
      { figure: `history written: ${indexer.deals.toLocaleString("en-US")} deals through the indexer's store`, value: round(indexer.fillSeconds), unit: "s" },
      ...indexer.api.map((r) => ({ figure: `GET ${r.route.replace(/0x[0-9a-fA-F]{40,64}/g, "<id>")} p99 (${r.requests} requests, p50 ${round(r.p50Ms)} ms)`, value: round(r.p99Ms), unit: "ms" })),
      { figure: "API p99, every route together", value: round(indexer.apiP99Ms), unit: "ms", bar: "<= 100", ok: indexer.apiP99Ms <= 100 },
      firstView
        ? { figure: `dashboard first view with ${indexer.deals.toLocaleString("en-US")} deals, median of ${firstView.loads} cold loads (Chromium)`, value: round(firstView.medianMs), unit: "ms", bar: "< 1000", ok: firstView.medianMs < 1000 }
        : { figure: `dashboard first view: skipped (${"skipped" in indexer.firstView ? indexer.firstView.skipped : ""})`, value: NaN, unit: "ms" },
      ...(firstView ? [{ figure: "same, p99", value: round(firstView.p99Ms), unit: "ms", bar: "< 1000", ok: firstView.p99Ms < 1000 }] : []),
    ],
    indexer,
  );
}

if (want("load")) {
  const load = await measureLoad();
  report(
    "load",
    [
      { figure: `${load.clients.toLocaleString("en-US")} authenticated WebSocket clients: all welcomed in`, value: round(load.connect.seconds), unit: "s" },
      { figure: `burst of ${load.burst.submissions.toLocaleString("en-US")} jobs over those sockets: accepted`, value: load.burst.accepted, unit: "jobs" },
      { figure: "burst: errors / unanswered", value: load.burst.errors + load.burst.unanswered, unit: "jobs", bar: "0", ok: load.burst.errors + load.burst.unanswered === 0 },
      { figure: "burst: accepted per second", value: round(load.burst.acceptedPerSecond), unit: "jobs/s" },
      { figure: "burst: answer latency p99", value: round(load.burst.p99Ms), unit: "ms" },
      { figure: "health checks answered during the burst", value: load.health.ok, unit: `of ${load.health.checks}` },
      { figure: "solver heap after the burst", value: round(load.memory.after.heapUsedMiB), unit: "MiB" },
    ],
    load,
  );
}

if (want("multiHost")) {
  const multiHost = await measureMultiHost({ runs: 10, etlMegabytes: 10 });
  const across = multiHost.mode === "netns" ? "across network namespaces" : "across loopback addresses (no namespaces here)";
  report(
    "multiHost",
    [
      { figure: `cowsay ${across}, SDK on its own host, p50 (${multiHost.cowsay.runs} runs)`, value: round(multiHost.cowsay.p50Ms), unit: "ms" },
      { figure: "same, p99", value: round(multiHost.cowsay.p99Ms), unit: "ms" },
      { figure: `etl on a new ${Math.round(multiHost.etl.inputBytes / 1e6)} MB CSV each run ${across}, p50 (${multiHost.etl.runs} runs)`, value: round(multiHost.etl.p50Ms), unit: "ms" },
      { figure: "same, p99", value: round(multiHost.etl.p99Ms), unit: "ms" },
      {
        figure: `sustained cowsay jobs/s ${across}, 2 providers x ${multiHost.sustained.slotsPerProvider} slots, ${multiHost.sustained.inFlight} in flight (${multiHost.sustained.windowSeconds} s after ${multiHost.sustained.warmupSeconds} s warm-up)`,
        value: round(multiHost.sustained.jobsPerSecond),
        unit: "jobs/s",
      },
      { figure: `same, latency p50 (${multiHost.sustained.latency.runs} jobs in the window)`, value: round(multiHost.sustained.latency.p50Ms), unit: "ms" },
      { figure: "same, latency p99", value: round(multiHost.sustained.latency.p99Ms), unit: "ms" },
      { figure: "same, jobs failed in the window", value: multiHost.sustained.failedInWindow, unit: "jobs", ok: multiHost.sustained.failedInWindow === 0 },
    ],
    multiHost,
  );
}

if (want("blockTime")) {
  const blockTime = await measureBlockTime({ runs: 8 });
  const instant = blockTime.settings[0]!;
  report(
    "blockTime",
    blockTime.settings.flatMap((s, i) => [
      { figure: `cowsay on the in-process network, ${s.name}, p50 (${s.samplesMs.length} runs, interleaved)`, value: round(s.p50Ms), unit: "ms" },
      { figure: "same, p99", value: round(s.p99Ms), unit: "ms" },
      ...(i === 0 ? [] : [{ figure: "same, p50 cost over the instant devnet", value: round(s.p50Ms - instant.p50Ms), unit: "ms" }]),
    ]),
    blockTime,
  );
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

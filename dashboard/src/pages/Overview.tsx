// The network at a glance, live: headline figures, what happened per minute over the last hour (from the
// indexer's series), what the live feed showed while this page was open, deals by state, and the newest deals.
import type { NetworkStats } from "../../../src/core/api/indexerApi.ts";
import { BarList, TimeChart } from "../charts.tsx";
import { Card, DealsTable, Loading, OUTCOME_LABELS, PHASE_LABELS, Stat } from "../components.tsx";
import { formatCompact, formatMiB, formatTokens, groupDigits, tokensAsNumber, trimNumber } from "../format.ts";
import { useLive } from "../live.ts";
import { useNow } from "../useNow.ts";
import { Link } from "../router.tsx";

const PHASE_COLORS = { open: "var(--blue)", result_posted: "var(--violet)", challenged: "var(--amber)", closed: "var(--slate)" } as const;
const OUTCOME_COLORS = {
  accepted: "var(--green)",
  finalized: "var(--teal)",
  provider_right: "var(--green)",
  provider_wrong: "var(--red)",
  result_timeout: "var(--red)",
  mediation_timeout: "var(--amber)",
  declined: "var(--slate)",
} as const;

/** The server's series: per-minute buckets of the last hour. */
const LAST_HOUR = { bucket: 60, slots: 60 } as const;

export function Overview() {
  const live = useLive({ overview: true });
  // The live lines run on to now: a level holds until the feed says it changed.
  const now = useNow(2000);
  const stats = live.stats;
  if (!stats) return <Loading what="the network" />;
  return (
    <div class="page" data-testid="page-overview">
      <div class="page-title">
        <h1>Network overview</h1>
        <span class="subtle">
          chain {stats.chainId} · block {groupDigits(String(stats.indexedBlock))}
          {stats.lagBlocks > 0 && ` (${stats.lagBlocks} behind the head)`}
        </span>
      </div>
      <Headline stats={stats} />
      <div class="grid two">
        <Card title="Deals per minute" testId="chart-deals">
          <TimeChart
            kind="bars"
            {...LAST_HOUR}
            times={stats.series.map((p) => p.t)}
            series={[
              { name: "opened", color: "var(--blue)", values: stats.series.map((p) => p.opened) },
              { name: "closed", color: "var(--green)", values: stats.series.map((p) => p.closed) },
            ]}
          />
        </Card>
        <Card title="Jobs per second" testId="chart-jobs-per-second">
          <TimeChart
            kind="bars"
            {...LAST_HOUR}
            times={stats.series.map((p) => p.t)}
            series={[{ name: "jobs/s (closed)", color: "var(--green)", values: stats.series.map((p) => p.closed / 60) }]}
            format={trimNumber}
          />
        </Card>
        <Card title="Tokens paid per minute" testId="chart-paid">
          <TimeChart
            kind="bars"
            {...LAST_HOUR}
            times={stats.series.map((p) => p.t)}
            series={[{ name: "paid (LP)", color: "var(--teal)", values: stats.series.map((p) => tokensAsNumber(p.paid)) }]}
            format={trimNumber}
          />
        </Card>
        <Card title="Gas per minute" testId="chart-gas">
          <TimeChart kind="bars" {...LAST_HOUR} times={stats.series.map((p) => p.t)} series={[{ name: "gas", color: "var(--amber)", values: stats.series.map((p) => Number(p.gas)) }]} />
        </Card>
        <Card title="Providers online (live)" testId="chart-providers">
          <TimeChart
            until={now}
            times={live.samples.map((s) => s.t)}
            series={[{ name: "online", color: "var(--violet)", values: live.samples.map((s) => s.online) }]}
            format={(v) => trimNumber(v)}
          />
        </Card>
        <Card title="Capacity offered (live)" testId="chart-capacity">
          <TimeChart
            until={now}
            times={live.samples.map((s) => s.t)}
            series={[
              { name: "CPU cores", color: "var(--blue)", values: live.samples.map((s) => s.cpu) },
              { name: "GPUs", color: "var(--pink)", values: live.samples.map((s) => s.gpu) },
              { name: "slots", color: "var(--teal)", values: live.samples.map((s) => s.slots) },
            ]}
            format={(v) => trimNumber(v)}
          />
        </Card>
      </div>
      <div class="grid side">
        <Card title="Deals by state" testId="deals-by-state">
          <BarList
            testId="deals-by-phase"
            bars={(Object.keys(PHASE_LABELS) as (keyof typeof PHASE_LABELS)[]).map((phase) => ({
              label: PHASE_LABELS[phase],
              value: stats.deals.byPhase[phase] ?? 0,
              color: PHASE_COLORS[phase],
              testId: `phase-${phase}`,
            }))}
          />
          <h3 class="minor">Closed, by outcome</h3>
          <BarList
            testId="deals-by-outcome"
            bars={(Object.keys(OUTCOME_LABELS) as (keyof typeof OUTCOME_LABELS)[]).map((outcome) => ({
              label: OUTCOME_LABELS[outcome],
              value: stats.deals.byOutcome[outcome] ?? 0,
              color: OUTCOME_COLORS[outcome],
              testId: `outcome-${outcome}`,
            }))}
          />
        </Card>
        <Card
          title="Latest deals"
          testId="recent-deals"
          actions={
            <Link href="/deals" class="button ghost">
              All deals →
            </Link>
          }
        >
          <DealsTable deals={live.recent.slice(0, 12)} compact />
        </Card>
      </div>
    </div>
  );
}

function Headline({ stats }: { stats: NetworkStats }) {
  const open = (stats.deals.byPhase.open ?? 0) + (stats.deals.byPhase.result_posted ?? 0) + (stats.deals.byPhase.challenged ?? 0);
  return (
    <div class="stats-row">
      <Stat label="Jobs per second" value={trimNumber(stats.jobsPerSecond)} detail="closed, last minute" testId="stat-jobs-per-second" />
      <Stat label="Deals" value={<span data-testid="stat-deals-total">{stats.deals.total.toLocaleString("en-US")}</span>} detail={`${open.toLocaleString("en-US")} in progress`} testId="stat-deals" />
      <Stat label="Providers online" value={`${stats.providers.online} / ${stats.providers.known}`} detail="with a live offer / ever seen" testId="stat-providers" />
      <Stat
        label="Capacity"
        value={`${trimNumber(stats.capacity.cpu)} CPU`}
        detail={`${formatMiB(stats.capacity.ramMiB)} · ${stats.capacity.gpu} GPU · ${stats.capacity.slots} slots`}
        testId="stat-capacity"
      />
      <Stat label="Tokens paid" value={formatTokens(stats.paid, 2)} detail="to providers, all time" testId="stat-paid" />
      <Stat label="Gas spent" value={formatCompact(stats.gasUsed)} detail={`${formatCompact(stats.verifiedInstructions)} verified instructions`} testId="stat-gas" />
    </div>
  );
}

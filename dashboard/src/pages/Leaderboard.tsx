// Providers ranked by verified work over a period, with their losses beside it, and the points formula written
// out so anyone can recompute a row from the chain (docs/leaderboard.md).
import type { LeaderboardPeriod } from "../../../src/core/api/indexerApi.ts";
import { api } from "../api.ts";
import { Card, Empty, ErrorBox, Loading } from "../components.tsx";
import { formatCompact, formatTime, formatTokens, groupDigits, shortHex } from "../format.ts";
import { Link, navigate, useLocation, withQuery } from "../router.tsx";
import { useFetch } from "../useFetch.ts";

const PERIODS: { value: LeaderboardPeriod; label: string }[] = [
  { value: "24h", label: "24 hours" },
  { value: "7d", label: "7 days" },
  { value: "30d", label: "30 days" },
  { value: "all", label: "All time" },
];

function periodOf(value: string | null): LeaderboardPeriod {
  return PERIODS.find((p) => p.value === value)?.value ?? "all";
}

export function Leaderboard() {
  const { search } = useLocation();
  const period = periodOf(search.get("period"));
  const board = useFetch(`leaderboard:${period}`, (signal) => api.leaderboard(period, signal));
  const data = board.data;
  return (
    <div class="page" data-testid="page-leaderboard">
      <div class="page-title">
        <h1>Leaderboard</h1>
        <div class="tabs" role="tablist" data-testid="period-tabs">
          {PERIODS.map((p) => (
            <button
              type="button"
              key={p.value}
              role="tab"
              aria-selected={p.value === period}
              class={p.value === period ? "tab active" : "tab"}
              onClick={() => navigate(withQuery({ period: p.value === "all" ? undefined : p.value }), { replace: true })}
              data-testid={`period-${p.value}`}
            >
              {p.label}
            </button>
          ))}
        </div>
      </div>
      {board.error && <ErrorBox error={board.error} what="the leaderboard" />}
      {!data && !board.error && <Loading what="the leaderboard" />}
      {data && (
        <>
          <Card testId="leaderboard" class={board.loading ? "stale" : undefined}>
            {data.rows.length === 0 ? (
              <Empty>No verified work in this period.</Empty>
            ) : (
              <div class="table-wrap">
                <table class="table leaderboard" data-testid="leaderboard-table" data-period={data.period} data-as-of-block={data.asOfBlock}>
                  <thead>
                    <tr>
                      <th class="num">#</th>
                      <th>Provider</th>
                      <th class="num">Points</th>
                      <th class="num">Verified instructions</th>
                      <th class="num">Jobs completed</th>
                      <th class="num">Active hours</th>
                      <th class="num">Earned</th>
                      <th class="num losses-start">Lost</th>
                      <th class="num">Timed out</th>
                      <th class="num">Challenged</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.rows.map((row) => (
                      <tr key={row.provider} data-testid="leaderboard-row" data-provider={row.provider} data-rank={row.rank}>
                        <td class="num rank">{row.rank <= 3 ? <span class={`medal m${row.rank}`}>{row.rank}</span> : row.rank}</td>
                        <td>
                          <Link class="mono" href={`/providers/${row.provider}`} title={row.provider}>
                            {shortHex(row.provider)}
                          </Link>
                        </td>
                        <td class="num points" data-testid="lb-points">
                          {row.points.toLocaleString("en-US")}
                        </td>
                        <td class="num" data-testid="lb-instructions" data-value={row.verifiedInstructions} title={groupDigits(row.verifiedInstructions)}>
                          {formatCompact(row.verifiedInstructions)}
                        </td>
                        <td class="num" data-testid="lb-jobs">
                          {row.jobsCompleted.toLocaleString("en-US")}
                        </td>
                        <td class="num" data-testid="lb-hours">
                          {row.activeHours}
                        </td>
                        <td class="num" data-testid="lb-earned" data-value={row.earned}>
                          {formatTokens(row.earned, 3)}
                        </td>
                        <td class={`num losses-start ${row.lost > 0 ? "bad-text" : "subtle"}`} data-testid="lb-lost">
                          {row.lost}
                        </td>
                        <td class={`num ${row.timedOut > 0 ? "bad-text" : "subtle"}`} data-testid="lb-timed-out">
                          {row.timedOut}
                        </td>
                        <td class="num subtle" data-testid="lb-challenged">
                          {row.challenged}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Card>
          <Card title="How points are computed" testId="points-formula-card">
            <pre class="formula" data-testid="points-formula">
              {data.formula}
            </pre>
            <p class="subtle">
              From the chain alone: a job counts once its result was accepted, finalized after the judging window, or upheld by a mediator; an active hour is a UTC hour
              (by block time) with at least one such job. Providers are ranked by verified instructions, then jobs completed. Figures as of block{" "}
              {groupDigits(String(data.asOfBlock))}
              {data.since > 0 && <>, counting from {formatTime(data.since)}</>}.
            </p>
          </Card>
        </>
      )}
    </div>
  );
}

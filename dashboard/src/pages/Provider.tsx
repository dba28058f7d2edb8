// One provider: its offer (capacity, modules, prices, collateral), its record on chain, its history, its modules
// and its latest deals.
import { api } from "../api.ts";
import { TimeChart } from "../charts.tsx";
import { Card, DealsTable, Empty, ErrorBox, Loading, Stat } from "../components.tsx";
import { formatAgo, formatCompact, formatMiB, formatTime, formatTokens, shortHex, tokensAsNumber, trimNumber } from "../format.ts";
import { Link } from "../router.tsx";
import { useFetch } from "../useFetch.ts";
import { completionRate, PriceText } from "./Providers.tsx";

/** A provider's history: hourly buckets, at least the last day shown. */
const LAST_DAY = { bucket: 3600, slots: 24 } as const;

export function Provider({ address }: { address: string }) {
  const provider = useFetch(`provider:${address}`, (signal) => api.provider(address, signal));
  if (provider.error) return <ErrorBox error={provider.error} what="provider" />;
  if (!provider.data) return <Loading what="the provider" />;
  const p = provider.data;
  const r = p.record;
  // The offer names modules by id; those it ran have names here.
  const names = new Map(p.modules.map((m) => [m.moduleId, m.moduleName ?? shortHex(m.moduleId)]));
  return (
    <div class="page" data-testid="page-provider" data-provider={p.address}>
      <div class="page-title">
        <h1>
          Provider <span class="mono title-hash">{p.address}</span>
        </h1>
        <span class={`badge ${p.online ? "good" : "neutral"}`} data-testid="provider-online">
          {p.online ? "Online" : "Offline"}
        </span>
      </div>
      <p class="subtle">
        {p.url ? (
          <>
            Results served from <span class="mono">{p.url}</span> ·{" "}
          </>
        ) : null}
        first seen {formatTime(p.firstSeen)} · last seen {formatAgo(p.lastSeen)}
      </p>
      <div class="stats-row" data-testid="provider-reliability">
        <Stat label="Deals" value={r.deals.toLocaleString("en-US")} detail={`${completionRate(r)} completed`} testId="rel-deals" />
        <Stat label="Completed" value={r.completed.toLocaleString("en-US")} detail={`${formatCompact(r.verifiedInstructions)} verified instructions`} testId="rel-completed" />
        <Stat label="Challenged" value={r.challenged.toLocaleString("en-US")} detail={`${r.lost} lost to a mediator`} testId="rel-challenged" />
        <Stat label="Timed out" value={r.timedOut.toLocaleString("en-US")} detail={`${r.declined} declined`} testId="rel-timed-out" />
        <Stat label="Earned" value={formatTokens(r.earned, 3)} detail="paid by settled deals" testId="rel-earned" />
      </div>
      <div class="grid two">
        <Card title="Capacity offer" testId="provider-offer">
          {p.offer ? (
            <dl class="facts">
              <dt>Capacity</dt>
              <dd>
                {p.offer.cpu} CPU · {formatMiB(p.offer.ramMiB)} · {p.offer.gpu} GPU · {p.offer.slots} slots
              </dd>
              <dt>Price</dt>
              <dd>
                <PriceText basePrice={p.offer.basePrice} pricePerMInstr={p.offer.pricePerMInstr} />
              </dd>
              <dt>Collateral</dt>
              <dd>
                {formatTokens(p.offer.timeoutCollateral)} timeout · {p.offer.collateralMultiple}× cost for results
              </dd>
              <dt>Modules offered</dt>
              <dd data-testid="offer-modules">{p.offer.modules.length === 0 ? "any module" : p.offer.modules.map((id) => names.get(id) ?? shortHex(id)).join(", ")}</dd>
              <dt>Offer updated</dt>
              <dd>
                {formatAgo(p.offer.updatedAt)} · expires {formatAgo(p.offer.expiresAt)}
              </dd>
            </dl>
          ) : (
            <Empty>No live offer at the solver.</Empty>
          )}
        </Card>
        <Card title="Modules run" testId="provider-modules">
          {p.modules.length === 0 ? (
            <Empty>None yet.</Empty>
          ) : (
            <table class="table compact">
              <thead>
                <tr>
                  <th>Module</th>
                  <th class="num">Runs</th>
                </tr>
              </thead>
              <tbody>
                {p.modules.map((m) => (
                  <tr key={m.moduleId}>
                    <td>
                      <Link href={`/deals?provider=${p.address}&moduleId=${m.moduleId}`}>{m.moduleName ?? shortHex(m.moduleId)}</Link>
                      {p.offer && p.offer.modules.length > 0 && !p.offer.modules.includes(m.moduleId) && <span class="subtle small"> (no longer offered)</span>}
                    </td>
                    <td class="num">{m.runs.toLocaleString("en-US")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
      </div>
      <div class="grid two">
        <Card title="Deals over time" testId="provider-history">
          <TimeChart
            kind="bars"
            {...LAST_DAY}
            times={p.history.map((h) => h.t)}
            series={[
              { name: "opened", color: "var(--blue)", values: p.history.map((h) => h.opened) },
              { name: "closed", color: "var(--green)", values: p.history.map((h) => h.closed) },
            ]}
          />
        </Card>
        <Card title="Earnings over time">
          <TimeChart
            kind="bars"
            {...LAST_DAY}
            times={p.history.map((h) => h.t)}
            series={[{ name: "paid (LP)", color: "var(--teal)", values: p.history.map((h) => tokensAsNumber(h.paid)) }]}
            format={trimNumber}
          />
        </Card>
      </div>
      <Card
        title="Latest deals"
        testId="provider-deals"
        actions={
          <Link class="button ghost" href={`/deals?provider=${p.address}`}>
            All its deals →
          </Link>
        }
      >
        <DealsTable deals={p.recentDeals} showProvider={false} />
      </Card>
    </div>
  );
}

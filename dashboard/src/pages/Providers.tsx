// The resource providers: who is online with what capacity and prices, and how each has done on chain.
import type { ProviderSummary, Reliability } from "../../../src/core/api/indexerApi.ts";
import { api } from "../api.ts";
import { Card, Empty, ErrorBox, Loading } from "../components.tsx";
import { formatAgo, formatMiB, formatTokens, shortHex } from "../format.ts";
import { Link } from "../router.tsx";
import { useFetch } from "../useFetch.ts";

export function Providers() {
  const list = useFetch("providers", (signal) => api.providers(signal));
  if (list.error) return <ErrorBox error={list.error} what="providers" />;
  if (!list.data) return <Loading what="providers" />;
  // Online first, then by how much verified work each has done.
  const providers = [...list.data.providers].sort((a, b) => Number(b.online) - Number(a.online) || b.record.completed - a.record.completed);
  const online = providers.filter((p) => p.online).length;
  return (
    <div class="page" data-testid="page-providers">
      <div class="page-title">
        <h1>Providers</h1>
        <span class="subtle">
          {online} online · {providers.length} known
        </span>
      </div>
      <Card>
        {providers.length === 0 ? (
          <Empty>No provider has made an offer or a deal yet.</Empty>
        ) : (
          <div class="table-wrap">
            <table class="table" data-testid="providers-table">
              <thead>
                <tr>
                  <th>Provider</th>
                  <th>Capacity offered</th>
                  <th class="num">Price</th>
                  <th class="num">Deals</th>
                  <th class="num">Completed</th>
                  <th class="num">Challenged</th>
                  <th class="num">Lost</th>
                  <th class="num">Timed out</th>
                  <th class="num">Earned</th>
                  <th class="num">Last seen</th>
                </tr>
              </thead>
              <tbody>
                {providers.map((p) => (
                  <ProviderRow key={p.address} provider={p} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </div>
  );
}

function ProviderRow({ provider: p }: { provider: ProviderSummary }) {
  return (
    <tr data-testid="provider-row" data-provider={p.address}>
      <td>
        <span class={`dot ${p.online ? "on" : "off"}`} title={p.online ? "online: a live offer at the solver" : "offline"} />
        <Link class="mono" href={`/providers/${p.address}`} title={p.address}>
          {shortHex(p.address)}
        </Link>
        {p.url && <div class="subtle small">{p.url}</div>}
      </td>
      <td>{p.offer ? `${p.offer.cpu} CPU · ${formatMiB(p.offer.ramMiB)} · ${p.offer.gpu} GPU · ${p.offer.slots} slots` : <span class="subtle">no offer</span>}</td>
      <td class="num">{p.offer ? <PriceText basePrice={p.offer.basePrice} pricePerMInstr={p.offer.pricePerMInstr} /> : "–"}</td>
      <RecordCells record={p.record} />
      <td class="num">{formatAgo(p.lastSeen)}</td>
    </tr>
  );
}

export function RecordCells({ record }: { record: Reliability }) {
  return (
    <>
      <td class="num">{record.deals.toLocaleString("en-US")}</td>
      <td class={`num ${record.completed > 0 ? "good-text" : ""}`}>{record.completed.toLocaleString("en-US")}</td>
      <td class="num">{record.challenged.toLocaleString("en-US")}</td>
      <td class={`num ${record.lost > 0 ? "bad-text" : ""}`}>{record.lost.toLocaleString("en-US")}</td>
      <td class={`num ${record.timedOut > 0 ? "bad-text" : ""}`}>{record.timedOut.toLocaleString("en-US")}</td>
      <td class="num">{formatTokens(record.earned, 3)}</td>
    </>
  );
}

export function PriceText({ basePrice, pricePerMInstr }: { basePrice: string; pricePerMInstr: string }) {
  return (
    <span title="base price per job + price per million metered instructions">
      {formatTokens(basePrice)}
      <span class="subtle"> + {formatTokens(pricePerMInstr)}/M</span>
    </span>
  );
}

/** Completed out of all deals, as a percentage (– for none). */
export function completionRate(record: Reliability): string {
  return record.deals === 0 ? "–" : `${Math.round((record.completed / record.deals) * 100)}%`;
}


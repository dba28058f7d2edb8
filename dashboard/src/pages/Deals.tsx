// Every deal, newest first: a search box (deal id, address, module), filters by state and outcome, keyset pages.
// The first page stays live: deals the feed says changed are updated in place, and new ones that match the
// filters appear at the top without a reload.
import { useCallback, useEffect, useState } from "preact/hooks";
import type { DealPage, DealSummary } from "../../../src/core/api/indexerApi.ts";
import { api, type DealFilters } from "../api.ts";
import { Card, DealsTable, ErrorBox, Loading, OUTCOME_LABELS, PHASE_LABELS } from "../components.tsx";
import { shortHex } from "../format.ts";
import { mergeDeals, useLiveDeals } from "../live.ts";
import { navigate, useLocation, withQuery } from "../router.tsx";
import { useFetch } from "../useFetch.ts";

const PAGE_SIZE = 50;
const FILTER_KEYS = ["q", "phase", "outcome", "provider", "creator", "moduleId"] as const;

/** Whether a deal from the live feed belongs on this filtered list (when unsure, it does not). */
export function matchesFilters(deal: DealSummary, filters: DealFilters): boolean {
  const same = (a: string, b: string | undefined) => b === undefined || a.toLowerCase() === b.toLowerCase();
  if (filters.phase && deal.phase !== filters.phase) return false;
  if (filters.outcome && deal.outcome !== filters.outcome) return false;
  if (!same(deal.provider, filters.provider) || !same(deal.creator, filters.creator) || !same(deal.moduleId, filters.moduleId)) return false;
  const q = filters.q?.trim().toLowerCase();
  if (!q) return true;
  if (/^0x[0-9a-f]{40}$/.test(q)) return [deal.creator, deal.provider, deal.mediator].some((a) => a.toLowerCase() === q);
  if (/^0x[0-9a-f]*$/.test(q)) return deal.dealId.toLowerCase().startsWith(q) || deal.moduleId.toLowerCase().startsWith(q);
  return deal.moduleName?.toLowerCase().includes(q) ?? false;
}

export function Deals() {
  const { search } = useLocation();
  const filters: DealFilters = {};
  for (const key of FILTER_KEYS) {
    const value = search.get(key);
    if (value) filters[key] = value;
  }
  const before = search.get("before") ?? undefined;
  const key = JSON.stringify({ filters, before });
  const page = useFetch(key, (signal) => api.deals({ ...filters, before, limit: PAGE_SIZE }, signal));
  // The rows shown: the fetched page, plus what the live feed changed since (first page only).
  const [rows, setRows] = useState<DealPage | undefined>(undefined);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  useEffect(() => {
    setRows(page.data);
    setFresh(new Set());
  }, [page.data]);

  const onLive = useCallback(
    (changed: DealSummary[]) => {
      if (before) return;
      setRows((current) => {
        if (!current) return current;
        const known = new Set(current.deals.map((d) => d.dealId));
        const relevant = changed.filter((d) => known.has(d.dealId) || matchesFilters(d, filters));
        if (relevant.length === 0) return current;
        const added = relevant.filter((d) => !known.has(d.dealId));
        setFresh((old) => new Set([...old, ...added.map((d) => d.dealId)]));
        return { ...current, deals: mergeDeals(relevant, current.deals, PAGE_SIZE), total: current.total + added.length };
      });
    },
    [key],
  );
  useLiveDeals(onLive);

  return (
    <div class="page" data-testid="page-deals">
      <div class="page-title">
        <h1>Deals</h1>
        {rows && (
          <span class="subtle" data-testid="deals-total">
            {rows.total.toLocaleString("en-US")} {rows.total === 1 ? "deal" : "deals"}
          </span>
        )}
      </div>
      <Filters filters={filters} />
      <Card>
        {page.error && <ErrorBox error={page.error} what="deals" />}
        {!rows && !page.error && <Loading what="deals" />}
        {rows && <DealsTable deals={rows.deals} flash={fresh} />}
        {rows && (
          <div class="pager">
            <button type="button" class="button ghost" disabled={!before} onClick={() => navigate(withQuery({ before: undefined }))} data-testid="page-newest">
              ← Newest
            </button>
            <button type="button" class="button ghost" disabled={!rows.next} onClick={() => rows.next && navigate(withQuery({ before: rows.next }))} data-testid="page-older">
              Older →
            </button>
          </div>
        )}
      </Card>
    </div>
  );
}

function Filters({ filters }: { filters: DealFilters }) {
  const [text, setText] = useState(filters.q ?? "");
  // The URL follows the box after a pause in typing, so each keystroke is not a request.
  useEffect(() => {
    if ((filters.q ?? "") === text.trim()) return;
    const timer = setTimeout(() => navigate(withQuery({ q: text.trim(), before: undefined }), { replace: true }), 300);
    return () => clearTimeout(timer);
  }, [text]);
  const set = (key: string, value: string) => navigate(withQuery({ [key]: value, before: undefined }));
  const pinned = (["provider", "creator", "moduleId"] as const).filter((k) => filters[k]);
  return (
    <div class="filters">
      <input
        type="search"
        class="search"
        placeholder="Search by deal id, address or module (e.g. cowsay)"
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        data-testid="deals-search"
        aria-label="Search deals"
      />
      <select value={filters.phase ?? ""} onChange={(e) => set("phase", e.currentTarget.value)} data-testid="filter-phase" aria-label="State">
        <option value="">Any state</option>
        {Object.entries(PHASE_LABELS).map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
      <select value={filters.outcome ?? ""} onChange={(e) => set("outcome", e.currentTarget.value)} data-testid="filter-outcome" aria-label="Outcome">
        <option value="">Any outcome</option>
        {Object.entries(OUTCOME_LABELS).map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
      {pinned.map((k) => (
        <span key={k} class="chip">
          {k === "moduleId" ? "module" : k} <span class="mono">{shortHex(filters[k] ?? "")}</span>
          <button type="button" onClick={() => set(k, "")} aria-label={`clear ${k}`}>
            ×
          </button>
        </span>
      ))}
    </div>
  );
}

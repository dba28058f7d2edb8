// One EventSource for the whole page, shared by every component that wants the live feed: the indexer sends a
// `snapshot` on connect and an `update` per indexed range of blocks. The browser reconnects by itself; each
// reconnect brings a fresh snapshot. Samples of the figures that have no history on the server (jobs per second,
// providers online, capacity) are kept here while the page is open, so they can be plotted too.
import { useEffect, useState } from "preact/hooks";
import type { DealSummary, LiveUpdate, NetworkStats } from "../../src/core/api/indexerApi.ts";
import { LIVE_URL } from "./api.ts";

export type LiveStatus = "connecting" | "live" | "reconnecting";

/** What the live feed said at one moment (browser clock, unix seconds). */
export interface LiveSample {
  t: number;
  jobsPerSecond: number;
  online: number;
  cpu: number;
  ramMiB: number;
  gpu: number;
  slots: number;
}

export interface LiveState {
  status: LiveStatus;
  stats: NetworkStats | undefined;
  samples: LiveSample[];
  /** The deals of the snapshot and of every update since, newest first, one row per deal. */
  recent: DealSummary[];
}

const MAX_SAMPLES = 720;
const MAX_RECENT = 50;

type DealsListener = (deals: DealSummary[]) => void;

let state: LiveState = { status: "connecting", stats: undefined, samples: [], recent: [] };
let source: EventSource | undefined;
const stateListeners = new Set<(state: LiveState) => void>();
const dealListeners = new Set<DealsListener>();

function publish(next: LiveState) {
  state = next;
  for (const listener of stateListeners) listener(state);
}

function sampleOf(stats: NetworkStats): LiveSample {
  return { t: Date.now() / 1000, jobsPerSecond: stats.jobsPerSecond, online: stats.providers.online, ...stats.capacity };
}

/** Newer rows first; a deal seen again replaces its old row. */
export function mergeDeals(newer: DealSummary[], older: DealSummary[], limit: number): DealSummary[] {
  const seen = new Set<string>();
  const merged: DealSummary[] = [];
  for (const deal of [...newer, ...older]) {
    if (seen.has(deal.dealId)) continue;
    seen.add(deal.dealId);
    merged.push(deal);
  }
  return merged.sort((a, b) => b.openedBlock - a.openedBlock).slice(0, limit);
}

function receive(kind: "snapshot" | "update", event: MessageEvent<string>) {
  const update = JSON.parse(event.data) as LiveUpdate;
  const samples = [...state.samples, sampleOf(update.stats)].slice(-MAX_SAMPLES);
  const recent = kind === "snapshot" ? mergeDeals(update.deals, [], MAX_RECENT) : mergeDeals(update.deals, state.recent, MAX_RECENT);
  publish({ status: "live", stats: update.stats, samples, recent });
  if (update.deals.length > 0) for (const listener of dealListeners) listener(update.deals);
}

function connect() {
  if (source) return;
  source = new EventSource(LIVE_URL);
  source.addEventListener("snapshot", (event) => receive("snapshot", event));
  source.addEventListener("update", (event) => receive("update", event));
  source.addEventListener("open", () => publish({ ...state, status: state.stats ? "live" : "connecting" }));
  source.addEventListener("error", () => publish({ ...state, status: "reconnecting" }));
}

/** The live feed's state; the page keeps one connection open while it is shown. */
export function useLive(): LiveState {
  const [current, setCurrent] = useState(state);
  useEffect(() => {
    connect();
    stateListeners.add(setCurrent);
    setCurrent(state);
    return () => void stateListeners.delete(setCurrent);
  }, []);
  return current;
}

/** Call `listener` with the deals each update says changed (newest first). */
export function useLiveDeals(listener: DealsListener): void {
  useEffect(() => {
    connect();
    dealListeners.add(listener);
    return () => void dealListeners.delete(listener);
  }, [listener]);
}

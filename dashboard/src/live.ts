// One EventSource for the whole page, shared by every component that wants the live feed: the indexer sends a
// `snapshot` on connect and an `update` per indexed range of blocks. The browser reconnects by itself; each
// reconnect brings a fresh snapshot. Samples of the figures that have no history on the server (jobs per second,
// providers online, capacity) are kept here while the page is open, so they can be plotted too.
import { useEffect, useState } from "preact/hooks";
import type { DealSummary, LiveUpdate, NetworkStats } from "../../src/core/api/indexerApi.ts";
import { api, LIVE_URL } from "./api.ts";

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
/** With no update for this long (nothing indexed changed), read the figures anyway: offers come and go off chain. */
const SAMPLE_EVERY_MS = 10_000;
const MAX_RECENT = 50;

type DealsListener = (deals: DealSummary[]) => void;

let state: LiveState = { status: "connecting", stats: undefined, samples: [], recent: [] };
let source: EventSource | undefined;
let lastHeard = 0;
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

function receive(event: MessageEvent<string>) {
  lastHeard = Date.now();
  const update = JSON.parse(event.data) as LiveUpdate;
  const samples = [...state.samples, sampleOf(update.stats)].slice(-MAX_SAMPLES);
  const recent = mergeDeals(update.deals, state.recent, MAX_RECENT);
  publish({ status: "live", stats: update.stats, samples, recent });
  if (update.deals.length > 0) for (const listener of dealListeners) listener(update.deals);
}

function connect() {
  if (source) return;
  source = new EventSource(LIVE_URL);
  // A snapshot and an update read the same: figures now, and deals to merge.
  source.addEventListener("snapshot", receive);
  source.addEventListener("update", receive);
  source.addEventListener("open", () => publish({ ...state, status: state.stats ? "live" : "connecting" }));
  source.addEventListener("error", () => publish({ ...state, status: "reconnecting" }));
}

let overviewLoaded = false;
let overviewViewers = 0;

/**
 * What only the overview needs: the figures and the newest deals at once, without waiting for the stream (a proxy
 * that buffers event streams would otherwise leave it blank, and the snapshot may carry no deals), and a sample
 * of the figures every 10 s while nothing is indexed (offers come and go off chain, without an update).
 */
function loadOverview() {
  if (overviewLoaded) return;
  overviewLoaded = true;
  api.stats().then(
    (stats) => {
      if (!state.stats) publish({ ...state, stats, samples: [sampleOf(stats)] });
    },
    () => {},
  );
  api.deals({ limit: MAX_RECENT }).then(
    (page) => publish({ ...state, recent: mergeDeals(state.recent, page.deals, MAX_RECENT) }),
    () => {},
  );
  setInterval(() => {
    if (Date.now() - lastHeard < SAMPLE_EVERY_MS || overviewViewers === 0) return;
    lastHeard = Date.now();
    api.stats().then(
      (stats) => publish({ ...state, stats, samples: [...state.samples, sampleOf(stats)].slice(-MAX_SAMPLES) }),
      () => {},
    );
  }, SAMPLE_EVERY_MS / 2);
}

/** How long a page that does not follow the feed lets its own requests go first. */
const INDICATOR_DELAY_MS = 400;

/**
 * The live feed's state; the page keeps one connection open while it is shown. `overview` also loads what the
 * overview shows; `background` (the header's indicator) opens the stream only after the page's own requests.
 */
export function useLive(options: { overview?: boolean; background?: boolean } = {}): LiveState {
  const [current, setCurrent] = useState(state);
  useEffect(() => {
    const timer = options.background ? setTimeout(connect, INDICATOR_DELAY_MS) : (connect(), undefined);
    if (options.overview) {
      overviewViewers++;
      loadOverview();
    }
    stateListeners.add(setCurrent);
    setCurrent(state);
    return () => {
      clearTimeout(timer);
      if (options.overview) overviewViewers--;
      stateListeners.delete(setCurrent);
    };
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

// The indexer's reads, each answering one route of the public API (src/core/api/indexerApi.ts) from the store.
import { getAddress, isAddress, type Hex } from "viem";
import type { SQLInputValue } from "node:sqlite";
import type {
  CapacityOffer,
  DealDetail,
  DealPage,
  DealPhase,
  DealSummary,
  Leaderboard,
  LeaderboardPeriod,
  ListDealsQuery,
  ModuleSummary,
  NetworkStats,
  OutcomeKey,
  ProviderDetail,
  ProviderSummary,
  SeriesPoint,
  TimelineEntry,
} from "../core/api/indexerApi.ts";
import { pointsOf, POINTS_FORMULA } from "../core/points.ts";
import { resultCidOfDigest } from "../core/resultCid.ts";
import { costOfRow, termsOf, type DealRow, type IndexerStore, type ProviderRow, type ProviderTotals } from "./indexerStore.ts";
import type { ModuleNames } from "./moduleNames.ts";

/** The solver's view of providers' standing offers (off-chain), by checksummed address. */
export type OffersByProvider = ReadonlyMap<string, { offer: CapacityOffer; online: boolean }>;

const PERIOD_SECONDS: Record<LeaderboardPeriod, number> = { "24h": 86_400, "7d": 7 * 86_400, "30d": 30 * 86_400, all: 0 };
const PHASES: readonly DealPhase[] = ["open", "result_posted", "challenged", "closed"];
const OUTCOMES: readonly OutcomeKey[] = ["accepted", "finalized", "provider_right", "provider_wrong", "result_timeout", "mediation_timeout", "declined"];
const SERIES_MINUTES = 60;

export class IndexerQueries {
  readonly #store: IndexerStore;
  readonly #names: ModuleNames;
  readonly #chainId: number;
  readonly #offers: () => OffersByProvider;
  readonly #leaderboards = new Map<string, { asOf: string; board: Leaderboard }>();

  constructor(params: { store: IndexerStore; names: ModuleNames; chainId: number; offers: () => OffersByProvider }) {
    this.#store = params.store;
    this.#names = params.names;
    this.#chainId = params.chainId;
    this.#offers = params.offers;
  }

  get #db() {
    return this.#store.db;
  }

  summaryOf(row: DealRow): DealSummary {
    return {
      dealId: row.deal_id,
      phase: row.phase as DealPhase,
      outcome: row.outcome,
      creator: row.creator,
      provider: row.provider,
      mediator: row.mediator,
      moduleId: row.module_id,
      moduleName: this.#names.displayName(row.module_id),
      openedAt: row.opened_at,
      openedBlock: row.opened_block,
      closedAt: row.closed_at,
      instructions: row.instructions,
      payment: row.payment,
      resultCid: row.cid_digest === null ? null : resultCidOfDigest(row.cid_digest).toString(),
    };
  }

  listDeals(query: ListDealsQuery): DealPage {
    const where: string[] = [];
    const args: SQLInputValue[] = [];
    if (query.phase) where.push("phase = ?") && args.push(query.phase);
    if (query.outcome) where.push("outcome = ?") && args.push(query.outcome);
    if (query.provider) where.push("provider = ?") && args.push(getAddress(query.provider));
    if (query.creator) where.push("creator = ?") && args.push(getAddress(query.creator));
    if (query.moduleId) where.push("module_id = ?") && args.push(query.moduleId.toLowerCase());
    const q = query.q?.trim();
    if (q) {
      if (isAddress(q, { strict: false })) {
        const a = getAddress(q);
        where.push("(provider = ? OR creator = ? OR mediator = ?)");
        args.push(a, a, a);
      } else if (/^0x[0-9a-fA-F]{1,64}$/.test(q)) {
        // A deal id or its prefix, or a module id: a range scan of the unique index, not a LIKE over every row.
        const prefix = q.toLowerCase();
        where.push("((deal_id >= ? AND deal_id < ?) OR module_id = ?)");
        args.push(prefix, `${prefix}g`, prefix);
      } else {
        const ids = this.#names.idsMatching(q);
        if (ids.length === 0) return { deals: [], next: null, total: 0 };
        where.push(`module_id IN (${ids.map(() => "?").join(",")})`);
        args.push(...ids);
      }
    }
    const filter = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
    const { n: total } = this.#db.prepare(`SELECT COUNT(*) AS n FROM deals ${filter}`).get(...args) as { n: number };
    const page = [...where];
    const pageArgs = [...args];
    if (query.before) page.push("seq < ?") && pageArgs.push(Number(query.before));
    const rows = this.#db
      .prepare(`SELECT * FROM deals ${page.length > 0 ? `WHERE ${page.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT ?`)
      .all(...pageArgs, query.limit + 1) as unknown as DealRow[];
    const more = rows.length > query.limit;
    const shown = rows.slice(0, query.limit);
    return { deals: shown.map((r) => this.summaryOf(r)), next: more ? String(shown[shown.length - 1]!.seq) : null, total };
  }

  /** Deals by id, newest first (for the live stream). */
  dealsById(ids: readonly Hex[], limit: number): DealSummary[] {
    if (ids.length === 0) return [];
    const wanted = ids.slice(-limit);
    const rows = this.#db
      .prepare(`SELECT * FROM deals WHERE deal_id IN (${wanted.map(() => "?").join(",")}) ORDER BY seq DESC`)
      .all(...wanted) as unknown as DealRow[];
    return rows.map((r) => this.summaryOf(r));
  }

  dealRow(dealId: Hex): DealRow | undefined {
    return this.#db.prepare("SELECT * FROM deals WHERE deal_id = ?").get(dealId.toLowerCase()) as DealRow | undefined;
  }

  deal(dealId: Hex): DealDetail | undefined {
    const row = this.dealRow(dealId);
    if (!row) return undefined;
    const terms = termsOf(row);
    const events = this.#db
      .prepare("SELECT kind, at, block, tx, tx_gas, gas_share, outcome, mediator FROM deal_events WHERE deal_id = ? ORDER BY block, log_index")
      .all(row.deal_id) as { kind: TimelineEntry["kind"]; at: number; block: number; tx: Hex; tx_gas: string; gas_share: string; outcome: OutcomeKey | null; mediator: Hex | null }[];
    const cost = costOfRow(row);
    return {
      ...this.summaryOf(row),
      inputsHash: row.inputs_hash,
      outputHash: row.output_hash,
      terms: {
        basePrice: terms.basePrice.toString(),
        pricePerMInstr: terms.pricePerMInstr.toString(),
        paymentCollateral: terms.paymentCollateral.toString(),
        timeoutCollateral: terms.timeoutCollateral.toString(),
        collateralMultiple: terms.collateralMultiple,
        mediationFee: terms.mediationFee.toString(),
        maxInstructions: terms.maxInstructions.toString(),
        resultTimeout: terms.resultTimeout,
        judgingWindow: terms.judgingWindow,
        mediationTimeout: terms.mediationTimeout,
        lane: terms.lane,
        callback: terms.callback,
      },
      timeline: events.map((e) => ({
        kind: e.kind,
        at: e.at,
        block: e.block,
        tx: e.tx,
        txGasUsed: e.tx_gas,
        gasShare: e.gas_share,
        ...(e.outcome ? { outcome: e.outcome } : {}),
        ...(e.mediator ? { mediator: e.mediator } : {}),
      })),
      gasUsed: row.gas_used,
      maxCost: terms.paymentCollateral.toString(),
      cost: cost === null ? null : cost.toString(),
      resultsUrl: this.providerUrl(row.provider),
    };
  }

  providerUrl(provider: Hex): string | null {
    const row = this.#db.prepare("SELECT url FROM providers WHERE address = ?").get(provider) as { url: string | null } | undefined;
    return row?.url ?? null;
  }

  /** Registered URLs of a role (ServiceRegistry), newest first. */
  serviceUrls(role: number): { address: Hex; url: string }[] {
    return this.#db.prepare("SELECT address, url FROM services WHERE role = ? ORDER BY registered_at DESC").all(role) as { address: Hex; url: string }[];
  }

  providers(): ProviderSummary[] {
    const rows = this.#db.prepare("SELECT * FROM providers ORDER BY last_seen DESC").all() as unknown as ProviderRow[];
    return rows.map((r) => this.#providerOf(r));
  }

  provider(address: Hex): ProviderDetail | undefined {
    const row = this.#db.prepare("SELECT * FROM providers WHERE address = ?").get(getAddress(address)) as ProviderRow | undefined;
    if (!row) return undefined;
    const modules = this.#db
      .prepare("SELECT module_id, COUNT(*) AS runs FROM deals WHERE provider = ? GROUP BY module_id ORDER BY runs DESC")
      .all(row.address) as { module_id: Hex; runs: number }[];
    const history = this.#db
      .prepare("SELECT hour AS t, deals, completed, instructions, earned FROM provider_hours WHERE provider = ? ORDER BY hour DESC LIMIT 168")
      .all(row.address) as { t: number; deals: number; completed: number; instructions: string; earned: string }[];
    const recent = this.#db.prepare("SELECT * FROM deals WHERE provider = ? ORDER BY seq DESC LIMIT 20").all(row.address) as unknown as DealRow[];
    return {
      ...this.#providerOf(row),
      modules: modules.map((m) => ({ moduleId: m.module_id, moduleName: this.#names.displayName(m.module_id), runs: m.runs })),
      history: history.reverse().map((h) => ({ t: h.t, opened: h.deals, closed: h.completed, paid: h.earned, gas: "0", instructions: h.instructions })),
      recentDeals: recent.map((r) => this.summaryOf(r)),
    };
  }

  #providerOf(r: ProviderRow): ProviderSummary {
    const standing = this.#offers().get(r.address);
    return {
      address: r.address,
      url: r.url,
      online: standing?.online ?? false,
      offer: standing?.offer ?? null,
      firstSeen: r.first_seen,
      lastSeen: r.last_seen,
      record: {
        deals: r.deals,
        completed: r.completed,
        challenged: r.challenged,
        lost: r.lost,
        timedOut: r.timed_out,
        declined: r.declined,
        verifiedInstructions: r.instructions,
        earned: r.earned,
      },
    };
  }

  /** The leaderboard changes only when the index moves: computed once per period and indexed block. */
  leaderboard(period: LeaderboardPeriod, limit: number): Leaderboard {
    const asOf = this.#store.meta("indexedBlock") ?? "0";
    const key = `${period}:${limit}`;
    const cached = this.#leaderboards.get(key);
    if (cached?.asOf === asOf) return cached.board;
    const board = this.#computeLeaderboard(period, limit);
    this.#leaderboards.set(key, { asOf, board });
    return board;
  }

  #computeLeaderboard(period: LeaderboardPeriod, limit: number): Leaderboard {
    const headTime = Number(this.#store.meta("headTime") ?? 0);
    const since = period === "all" ? 0 : Math.max(0, headTime - PERIOD_SECONDS[period]);
    // Hours are bucketed by their start: an hour that began before `since` is counted only for "all".
    const sinceHour = period === "all" ? 0 : Math.ceil(since / 3600) * 3600;
    const totals = new Map<string, { completed: number; lost: number; timedOut: number; challenged: number; instructions: bigint; earned: bigint; activeHours: number }>();
    const rows =
      period === "all"
        ? (this.#db.prepare("SELECT address AS provider, completed, lost, timed_out, challenged, instructions, earned FROM providers").all() as unknown as HourRow[])
        : (this.#db.prepare("SELECT provider, completed, lost, timed_out, challenged, instructions, earned FROM provider_hours WHERE hour >= ?").all(sinceHour) as unknown as HourRow[]);
    for (const r of rows) {
      const t = totals.get(r.provider) ?? { completed: 0, lost: 0, timedOut: 0, challenged: 0, instructions: 0n, earned: 0n, activeHours: 0 };
      t.completed += r.completed;
      t.lost += r.lost;
      t.timedOut += r.timed_out;
      t.challenged += r.challenged;
      t.instructions += BigInt(r.instructions);
      t.earned += BigInt(r.earned);
      totals.set(r.provider, t);
    }
    const active = this.#db
      .prepare("SELECT provider, COUNT(*) AS hours FROM provider_hours WHERE completed > 0 AND hour >= ? GROUP BY provider")
      .all(sinceHour) as { provider: string; hours: number }[];
    for (const a of active) {
      const t = totals.get(a.provider);
      if (t) t.activeHours = a.hours;
    }
    const ranked = [...totals.entries()]
      .filter(([, t]) => t.completed + t.lost + t.timedOut + t.challenged > 0)
      .sort(([pa, a], [pb, b]) => (a.instructions !== b.instructions ? (a.instructions > b.instructions ? -1 : 1) : b.completed - a.completed || (pa < pb ? -1 : 1)));
    return {
      period,
      since,
      asOfBlock: Number(this.#store.meta("indexedBlock") ?? 0),
      formula: POINTS_FORMULA,
      rows: ranked.slice(0, limit).map(([provider, t], i) => ({
        rank: i + 1,
        provider,
        points: pointsOf({ jobsCompleted: t.completed, verifiedInstructions: t.instructions, activeHours: t.activeHours, lost: t.lost, timedOut: t.timedOut }),
        verifiedInstructions: t.instructions.toString(),
        jobsCompleted: t.completed,
        activeHours: t.activeHours,
        earned: t.earned.toString(),
        lost: t.lost,
        timedOut: t.timedOut,
        challenged: t.challenged,
      })),
    };
  }

  modules(): ModuleSummary[] {
    const rows = this.#db.prepare("SELECT * FROM modules").all() as { module_id: Hex; runs: number; last_run: number | null; blocked: number; block_reason: string | null }[];
    const byId = new Map(rows.map((r) => [r.module_id.toLowerCase(), r]));
    const ids = new Set<string>([...this.#names.knownIds(), ...byId.keys()]);
    return [...ids]
      .map((id) => {
        const r = byId.get(id);
        return {
          moduleId: id as Hex,
          names: this.#names.namesOf(id as Hex),
          blocked: (r?.blocked ?? 0) === 1,
          blockReason: r?.block_reason ?? null,
          runs: r?.runs ?? 0,
          lastRun: r?.last_run ?? null,
        };
      })
      .sort((a, b) => b.runs - a.runs || a.moduleId.localeCompare(b.moduleId));
  }

  dealsByPhase(): Record<DealPhase, number> {
    const counts = this.#store.dealCounts();
    return Object.fromEntries(PHASES.map((p) => [p, counts.get(`phase:${p}`) ?? 0])) as Record<DealPhase, number>;
  }

  stats(): NetworkStats {
    const meta = (key: string) => Number(this.#store.meta(key) ?? 0);
    const indexedBlock = meta("indexedBlock");
    const headBlock = Math.max(meta("headBlock"), indexedBlock);
    const headTime = meta("headTime");
    const byPhase = this.dealsByPhase();
    const counts = this.#store.dealCounts();
    const byOutcome = Object.fromEntries(OUTCOMES.map((o) => [o, counts.get(`outcome:${o}`) ?? 0])) as Record<OutcomeKey, number>;
    const { n: closedLastMinute } = this.#db.prepare("SELECT COUNT(*) AS n FROM deals WHERE closed_at > ?").get(headTime - 60) as { n: number };
    const minutes = this.#db
      .prepare("SELECT minute, opened, closed, paid, gas, instructions FROM network_minutes WHERE minute > ? ORDER BY minute")
      .all(headTime - SERIES_MINUTES * 60) as { minute: number; opened: number; closed: number; paid: string; gas: string; instructions: string }[];
    const series: SeriesPoint[] = minutes.map((m) => ({ t: m.minute, opened: m.opened, closed: m.closed, paid: m.paid, gas: m.gas, instructions: m.instructions }));
    const { n: known } = this.#db.prepare("SELECT COUNT(*) AS n FROM providers").get() as { n: number };
    const capacity = { cpu: 0, ramMiB: 0, gpu: 0, slots: 0 };
    let online = 0;
    for (const { offer, online: isOnline } of this.#offers().values()) {
      if (!isOnline) continue;
      online++;
      capacity.cpu += offer.cpu;
      capacity.ramMiB += offer.ramMiB;
      capacity.gpu += offer.gpu;
      capacity.slots += offer.slots;
    }
    return {
      chainId: this.#chainId,
      indexedBlock,
      headBlock,
      lagBlocks: headBlock - indexedBlock,
      deals: { total: Object.values(byPhase).reduce((a, b) => a + b, 0), byPhase, byOutcome },
      jobsPerSecond: closedLastMinute / 60,
      providers: { known, online },
      capacity,
      paid: this.#store.meta("totalPaid") ?? "0",
      gasUsed: this.#store.meta("totalGas") ?? "0",
      verifiedInstructions: this.#store.meta("totalInstructions") ?? "0",
      series,
    };
  }
}

type HourRow = Pick<ProviderTotals, "completed" | "lost" | "timed_out" | "challenged" | "instructions" | "earned"> & { provider: string };

// The indexer's SQLite file: deals as the chain's events left them, each deal's timeline with its transactions,
// and running totals per provider, per provider-hour and per network-minute, so the overview and the leaderboard
// read a few hundred rows, not the whole history. A range of blocks is written in one transaction together with
// the cursor, so a restart resumes exactly after the last range written, never twice and never with a gap.
//
// Amounts (wei, gas, instructions) are kept as decimal TEXT: sums of them pass 2^63, where SQLite's integers end.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { Hex } from "viem";
import { unpackDeal, type PackedDeal } from "../core/dealPacking.ts";
import { Outcome, type Deal } from "../core/dealTypes.ts";
import { nodeSqlite } from "../core/nodeSqlite.ts";
import { creditedInstructions } from "../core/points.ts";
import { costOf } from "../core/pricing.ts";
import { settlementOf } from "../core/settlement.ts";
import type { OutcomeKey } from "../core/api/indexerApi.ts";
import { outcomeKeyOf } from "../core/outcomeName.ts";
import type { ChainRange, DealIndexEvent, IndexEvent } from "./chainRange.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deals (
  seq INTEGER PRIMARY KEY,
  deal_id TEXT NOT NULL UNIQUE,
  creator TEXT NOT NULL,
  provider TEXT NOT NULL,
  mediator TEXT NOT NULL,
  module_id TEXT NOT NULL,
  inputs_hash TEXT NOT NULL,
  terms TEXT NOT NULL,
  phase TEXT NOT NULL,
  outcome TEXT,
  opened_at INTEGER NOT NULL,
  opened_block INTEGER NOT NULL,
  closed_at INTEGER,
  instructions TEXT,
  result_at INTEGER,
  cid_digest TEXT,
  output_hash TEXT,
  payment TEXT,
  gas_used TEXT NOT NULL DEFAULT '0',
  changed_block INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deals_provider ON deals(provider, seq);
CREATE INDEX IF NOT EXISTS deals_creator ON deals(creator, seq);
CREATE INDEX IF NOT EXISTS deals_mediator ON deals(mediator, seq);
CREATE INDEX IF NOT EXISTS deals_module ON deals(module_id, seq);
CREATE INDEX IF NOT EXISTS deals_phase ON deals(phase, seq);
CREATE INDEX IF NOT EXISTS deals_outcome ON deals(outcome, seq);
CREATE INDEX IF NOT EXISTS deals_closed_at ON deals(closed_at);
CREATE TABLE IF NOT EXISTS deal_counts (key TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS deal_events (
  deal_id TEXT NOT NULL,
  block INTEGER NOT NULL,
  log_index INTEGER NOT NULL,
  kind TEXT NOT NULL,
  at INTEGER NOT NULL,
  tx TEXT NOT NULL,
  tx_gas TEXT NOT NULL,
  gas_share TEXT NOT NULL,
  outcome TEXT,
  mediator TEXT,
  PRIMARY KEY (deal_id, block, log_index)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS providers (
  address TEXT PRIMARY KEY,
  url TEXT,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  deals INTEGER NOT NULL DEFAULT 0,
  completed INTEGER NOT NULL DEFAULT 0,
  challenged INTEGER NOT NULL DEFAULT 0,
  lost INTEGER NOT NULL DEFAULT 0,
  timed_out INTEGER NOT NULL DEFAULT 0,
  declined INTEGER NOT NULL DEFAULT 0,
  instructions TEXT NOT NULL DEFAULT '0',
  earned TEXT NOT NULL DEFAULT '0'
);
CREATE TABLE IF NOT EXISTS provider_hours (
  provider TEXT NOT NULL,
  hour INTEGER NOT NULL,
  deals INTEGER NOT NULL DEFAULT 0,
  completed INTEGER NOT NULL DEFAULT 0,
  challenged INTEGER NOT NULL DEFAULT 0,
  lost INTEGER NOT NULL DEFAULT 0,
  timed_out INTEGER NOT NULL DEFAULT 0,
  declined INTEGER NOT NULL DEFAULT 0,
  instructions TEXT NOT NULL DEFAULT '0',
  earned TEXT NOT NULL DEFAULT '0',
  PRIMARY KEY (provider, hour)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS provider_hours_hour ON provider_hours(hour);
CREATE TABLE IF NOT EXISTS network_minutes (
  minute INTEGER PRIMARY KEY,
  opened INTEGER NOT NULL DEFAULT 0,
  closed INTEGER NOT NULL DEFAULT 0,
  paid TEXT NOT NULL DEFAULT '0',
  gas TEXT NOT NULL DEFAULT '0',
  instructions TEXT NOT NULL DEFAULT '0'
);
CREATE TABLE IF NOT EXISTS modules (
  module_id TEXT PRIMARY KEY,
  runs INTEGER NOT NULL DEFAULT 0,
  last_run INTEGER,
  blocked INTEGER NOT NULL DEFAULT 0,
  block_reason TEXT
);
CREATE TABLE IF NOT EXISTS module_names (
  publisher TEXT NOT NULL,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  module_id TEXT NOT NULL,
  published_at INTEGER NOT NULL,
  tx TEXT NOT NULL,
  PRIMARY KEY (publisher, name, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS services (
  address TEXT NOT NULL,
  role INTEGER NOT NULL,
  url TEXT NOT NULL,
  registered_at INTEGER NOT NULL,
  PRIMARY KEY (address, role)
) WITHOUT ROWID;
`;

/** ServiceRegistry's Role for resource providers (IServiceRegistry.Role). */
const RESOURCE_PROVIDER_ROLE = 1;

/** Outcomes that pay the provider for a result: its verified work. */
function isCompleted(outcome: Outcome): boolean {
  return outcome === Outcome.Accepted || outcome === Outcome.Finalized || outcome === Outcome.ProviderRight;
}

/** A deal as stored (the row the queries turn into API shapes). */
export interface DealRow {
  seq: number;
  deal_id: Hex;
  creator: Hex;
  provider: Hex;
  mediator: Hex;
  module_id: Hex;
  inputs_hash: Hex;
  terms: string;
  phase: string;
  outcome: OutcomeKey | null;
  opened_at: number;
  opened_block: number;
  closed_at: number | null;
  instructions: string | null;
  result_at: number | null;
  cid_digest: Hex | null;
  output_hash: Hex | null;
  payment: string | null;
  gas_used: string;
  changed_block: number;
}

/** The tallies a closed, challenged or opened deal adds to its provider's records. */
interface Tally {
  deals?: number;
  completed?: number;
  challenged?: number;
  lost?: number;
  timedOut?: number;
  declined?: number;
  instructions?: bigint;
  earned?: bigint;
}

export interface AppliedRange {
  /** Deals whose row changed, in chain order. */
  changedDeals: Hex[];
}

export class IndexerStore {
  readonly db: DatabaseSync;
  readonly #stmts: Record<string, StatementSync>;

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    const { DatabaseSync } = nodeSqlite();
    this.db = new DatabaseSync(path);
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
    this.db.exec(SCHEMA);
    const s = (sql: string) => this.db.prepare(sql);
    this.#stmts = {
      getMeta: s("SELECT value FROM meta WHERE key = ?"),
      setMeta: s("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
      insertDeal: s(`INSERT OR IGNORE INTO deals (deal_id, creator, provider, mediator, module_id, inputs_hash, terms, phase, opened_at, opened_block, gas_used, changed_block)
        VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?)`),
      getDeal: s("SELECT * FROM deals WHERE deal_id = ?"),
      count: s("INSERT INTO deal_counts (key, n) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET n = n + excluded.n"),
      postResult: s("UPDATE deals SET phase = 'result_posted', instructions = ?, result_at = ?, cid_digest = ?, output_hash = ?, gas_used = ?, changed_block = ? WHERE deal_id = ?"),
      challenge: s("UPDATE deals SET phase = 'challenged', gas_used = ?, changed_block = ? WHERE deal_id = ?"),
      close: s("UPDATE deals SET phase = 'closed', outcome = ?, closed_at = ?, payment = ?, gas_used = ?, changed_block = ? WHERE deal_id = ?"),
      insertEvent: s(`INSERT OR IGNORE INTO deal_events (deal_id, block, log_index, kind, at, tx, tx_gas, gas_share, outcome, mediator)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      getProvider: s("SELECT * FROM providers WHERE address = ?"),
      putProvider: s(`INSERT INTO providers (address, url, first_seen, last_seen, deals, completed, challenged, lost, timed_out, declined, instructions, earned)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(address) DO UPDATE SET url = excluded.url, first_seen = excluded.first_seen, last_seen = excluded.last_seen, deals = excluded.deals,
          completed = excluded.completed, challenged = excluded.challenged, lost = excluded.lost, timed_out = excluded.timed_out,
          declined = excluded.declined, instructions = excluded.instructions, earned = excluded.earned`),
      getHour: s("SELECT * FROM provider_hours WHERE provider = ? AND hour = ?"),
      putHour: s(`INSERT INTO provider_hours (provider, hour, deals, completed, challenged, lost, timed_out, declined, instructions, earned)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(provider, hour) DO UPDATE SET deals = excluded.deals, completed = excluded.completed, challenged = excluded.challenged,
          lost = excluded.lost, timed_out = excluded.timed_out, declined = excluded.declined, instructions = excluded.instructions, earned = excluded.earned`),
      getMinute: s("SELECT * FROM network_minutes WHERE minute = ?"),
      putMinute: s(`INSERT INTO network_minutes (minute, opened, closed, paid, gas, instructions) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT(minute) DO UPDATE SET opened = excluded.opened, closed = excluded.closed, paid = excluded.paid, gas = excluded.gas, instructions = excluded.instructions`),
      moduleRun: s(`INSERT INTO modules (module_id, runs, last_run) VALUES (?, 1, ?)
        ON CONFLICT(module_id) DO UPDATE SET runs = runs + 1, last_run = excluded.last_run`),
      moduleBlocked: s(`INSERT INTO modules (module_id, blocked, block_reason) VALUES (?, ?, ?)
        ON CONFLICT(module_id) DO UPDATE SET blocked = excluded.blocked, block_reason = excluded.block_reason`),
      moduleName: s("INSERT OR REPLACE INTO module_names (publisher, name, version, module_id, published_at, tx) VALUES (?, ?, ?, ?, ?, ?)"),
      putService: s("INSERT OR REPLACE INTO services (address, role, url, registered_at) VALUES (?, ?, ?, ?)"),
      dropService: s("DELETE FROM services WHERE address = ? AND role = ?"),
      providerUrl: s("UPDATE providers SET url = ? WHERE address = ?"),
    };
  }

  /** The next block to read; undefined for a fresh store. */
  get cursor(): bigint | undefined {
    const value = this.meta("cursor");
    return value === undefined ? undefined : BigInt(value);
  }

  meta(key: string): string | undefined {
    const row = this.#stmts.getMeta!.get(key) as { value: string } | undefined;
    return row?.value;
  }

  /** Checks the store was made for this chain and market (a store is never mixed with another network's events). */
  bindNetwork(chainId: number, market: string): void {
    const bound = this.meta("network");
    const wanted = `${chainId}:${market.toLowerCase()}`;
    if (bound === undefined) this.#stmts.setMeta!.run("network", wanted);
    else if (bound !== wanted) throw new Error(`this index was made for ${bound}, not ${wanted}: give the indexer another database`);
  }

  /** Writes a range's events and moves the cursor past it, all or nothing. */
  apply(range: ChainRange): AppliedRange {
    const changed = new Set<Hex>();
    this.db.exec("BEGIN");
    try {
      for (const event of range.events) {
        if ("dealId" in event) {
          if (this.#applyDealEvent(event, range.toBlock)) changed.add(event.dealId);
        } else {
          this.#applyOtherEvent(event);
        }
      }
      this.#stmts.setMeta!.run("cursor", String(range.toBlock + 1));
      this.#stmts.setMeta!.run("indexedBlock", String(range.toBlock));
      this.#stmts.setMeta!.run("headBlock", String(range.head.number));
      this.#stmts.setMeta!.run("headTime", String(range.head.timestamp));
      this.db.exec("COMMIT");
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    }
    return { changedDeals: [...changed] };
  }

  /** Deals by phase ("phase:open", ...) and by outcome ("outcome:accepted", ...). */
  dealCounts(): Map<string, number> {
    const rows = this.db.prepare("SELECT key, n FROM deal_counts").all() as { key: string; n: number }[];
    return new Map(rows.map((r) => [r.key, r.n]));
  }

  close(): void {
    this.db.close();
  }

  /** Applies one deal event; false when it was already applied (an event of a range read twice) or is unknown. */
  #applyDealEvent(event: DealIndexEvent, block: number): boolean {
    const st = this.#stmts;
    const inserted = st.insertEvent!.run(
      event.dealId,
      event.block,
      event.logIndex,
      event.kind,
      event.at,
      event.tx,
      event.txGasUsed.toString(),
      event.gasShare.toString(),
      event.kind === "closed" ? outcomeKeyOf(event.outcome) : null,
      event.kind === "challenged" ? event.mediator : null,
    );
    if (inserted.changes === 0) return false;
    this.#addMinute(event.at, { gas: event.gasShare });
    if (event.kind === "opened") {
      const deal = unpackDeal(event.deal);
      st.insertDeal!.run(
        event.dealId,
        deal.creator,
        event.provider,
        deal.mediator,
        event.moduleId,
        event.inputsHash,
        JSON.stringify(event.deal.map(String)),
        event.at,
        event.block,
        event.gasShare.toString(),
        block,
      );
      st.moduleRun!.run(event.moduleId, event.at);
      st.count!.run("phase:open", 1);
      this.#addMinute(event.at, { opened: 1 });
      this.#tally(event.provider, event.at, { deals: 1 });
      return true;
    }
    const row = st.getDeal!.get(event.dealId) as DealRow | undefined;
    // A deal opened before the index's first block: its later events are kept in its timeline only.
    if (!row) return false;
    const gasUsed = (BigInt(row.gas_used) + event.gasShare).toString();
    // Deals by phase and outcome are counted as they move, so the overview never counts the whole history.
    const phase = { result: "result_posted", challenged: "challenged", closed: "closed" }[event.kind];
    st.count!.run(`phase:${row.phase}`, -1);
    st.count!.run(`phase:${phase}`, 1);
    if (event.kind === "closed") st.count!.run(`outcome:${outcomeKeyOf(event.outcome)}`, 1);
    switch (event.kind) {
      case "result":
        st.postResult!.run(event.result.instructions.toString(), event.at, event.result.cidDigest, event.result.outputHash, gasUsed, block, event.dealId);
        break;
      case "challenged":
        st.challenge!.run(gasUsed, block, event.dealId);
        this.#tally(row.provider, event.at, { challenged: 1 });
        break;
      case "closed": {
        const deal = termsOf(row);
        const instructions = BigInt(row.instructions ?? "0");
        const payment = settlementOf(deal, event.outcome, instructions).payment;
        st.close!.run(outcomeKeyOf(event.outcome), event.at, payment.toString(), gasUsed, block, event.dealId);
        const completed = isCompleted(event.outcome);
        const credited = completed ? creditedInstructions(instructions, row.opened_at, row.result_at ?? row.opened_at) : 0n;
        this.#addMinute(event.at, { closed: 1, paid: payment, instructions: credited });
        this.#tally(row.provider, event.at, {
          completed: completed ? 1 : 0,
          lost: event.outcome === Outcome.ProviderWrong ? 1 : 0,
          timedOut: event.outcome === Outcome.ResultTimeout ? 1 : 0,
          declined: event.outcome === Outcome.Declined ? 1 : 0,
          instructions: credited,
          earned: payment,
        });
        break;
      }
    }
    return true;
  }

  #applyOtherEvent(event: Exclude<IndexEvent, DealIndexEvent>): void {
    const st = this.#stmts;
    switch (event.kind) {
      case "modulePublished":
        st.moduleName!.run(event.publisher, event.name, event.version, event.moduleId, event.at, event.tx);
        break;
      case "moduleBlocked":
        st.moduleBlocked!.run(event.moduleId, event.blocked ? 1 : 0, event.reason === "" ? null : event.reason);
        break;
      case "serviceRegistered":
        st.putService!.run(event.service, event.role, event.url, event.at);
        if (event.role === RESOURCE_PROVIDER_ROLE) {
          this.#tally(event.service, event.at, {});
          st.providerUrl!.run(event.url, event.service);
        }
        break;
      case "serviceUnregistered":
        st.dropService!.run(event.service, event.role);
        if (event.role === RESOURCE_PROVIDER_ROLE) st.providerUrl!.run(null, event.service);
        break;
    }
  }

  /** Adds to a provider's running totals and to its hour's. */
  #tally(provider: Hex, at: number, t: Tally): void {
    const st = this.#stmts;
    const p = st.getProvider!.get(provider) as ProviderRow | undefined;
    const added = addTally(p, t);
    st.putProvider!.run(provider, p?.url ?? null, Math.min(p?.first_seen ?? at, at), Math.max(p?.last_seen ?? at, at), ...added);
    if (Object.keys(t).length === 0) return;
    const hour = Math.floor(at / 3600) * 3600;
    const h = st.getHour!.get(provider, hour) as ProviderTotals | undefined;
    st.putHour!.run(provider, hour, ...addTally(h, t));
  }

  #addMinute(at: number, add: { opened?: number; closed?: number; paid?: bigint; gas?: bigint; instructions?: bigint }): void {
    const minute = Math.floor(at / 60) * 60;
    const m = this.#stmts.getMinute!.get(minute) as { opened: number; closed: number; paid: string; gas: string; instructions: string } | undefined;
    this.#stmts.putMinute!.run(
      minute,
      (m?.opened ?? 0) + (add.opened ?? 0),
      (m?.closed ?? 0) + (add.closed ?? 0),
      (BigInt(m?.paid ?? "0") + (add.paid ?? 0n)).toString(),
      (BigInt(m?.gas ?? "0") + (add.gas ?? 0n)).toString(),
      (BigInt(m?.instructions ?? "0") + (add.instructions ?? 0n)).toString(),
    );
    // Network-wide totals, kept beside the minutes so the overview never sums the whole history.
    for (const [key, value] of [["totalPaid", add.paid], ["totalGas", add.gas], ["totalInstructions", add.instructions]] as const) {
      if (value) this.#stmts.setMeta!.run(key, (BigInt(this.meta(key) ?? "0") + value).toString());
    }
  }
}

/** A provider's running totals, as its row (and each of its hours' rows) holds them. */
export interface ProviderTotals {
  deals: number;
  completed: number;
  challenged: number;
  lost: number;
  timed_out: number;
  declined: number;
  instructions: string;
  earned: string;
}

/** A provider's row: its totals, registered URL and first and last activity. */
export interface ProviderRow extends ProviderTotals {
  address: Hex;
  url: string | null;
  first_seen: number;
  last_seen: number;
}

function addTally(row: ProviderTotals | undefined, t: Tally): [number, number, number, number, number, number, string, string] {
  return [
    (row?.deals ?? 0) + (t.deals ?? 0),
    (row?.completed ?? 0) + (t.completed ?? 0),
    (row?.challenged ?? 0) + (t.challenged ?? 0),
    (row?.lost ?? 0) + (t.lost ?? 0),
    (row?.timed_out ?? 0) + (t.timedOut ?? 0),
    (row?.declined ?? 0) + (t.declined ?? 0),
    (BigInt(row?.instructions ?? "0") + (t.instructions ?? 0n)).toString(),
    (BigInt(row?.earned ?? "0") + (t.earned ?? 0n)).toString(),
  ];
}

/** A stored deal's terms, unpacked. */
export function termsOf(row: Pick<DealRow, "terms">): Deal {
  const words = (JSON.parse(row.terms) as string[]).map(BigInt) as unknown as PackedDeal;
  return unpackDeal(words);
}

/** What the RP earns at the posted count (null before a result). */
export function costOfRow(row: DealRow): bigint | null {
  return row.instructions === null ? null : costOf(termsOf(row), BigInt(row.instructions));
}

// The pieces every page shares: cards, figures, badges for a deal's state, addresses and hashes, the deals table.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { DealPhase, DealSummary, OutcomeKey } from "../../src/core/api/indexerApi.ts";
import { ApiError } from "./api.ts";
import { formatAgo, formatCompact, formatTokens, shortHex } from "./format.ts";
import { Link } from "./router.tsx";
import { useNow } from "./useNow.ts";

export function Card({ title, children, actions, testId, class: className }: { title?: ComponentChildren; children: ComponentChildren; actions?: ComponentChildren; testId?: string; class?: string }) {
  return (
    <section class={`card ${className ?? ""}`} data-testid={testId}>
      {(title || actions) && (
        <header class="card-header">
          <h2>{title}</h2>
          {actions && <div class="card-actions">{actions}</div>}
        </header>
      )}
      {children}
    </section>
  );
}

/** A headline figure: its name, its value, and a line of detail underneath. */
export function Stat({ label, value, detail, testId }: { label: string; value: ComponentChildren; detail?: ComponentChildren; testId?: string }) {
  return (
    <div class="stat" data-testid={testId}>
      <div class="stat-label">{label}</div>
      <div class="stat-value">{value}</div>
      {detail !== undefined && <div class="stat-detail">{detail}</div>}
    </div>
  );
}

export const PHASE_LABELS: Record<DealPhase, string> = {
  open: "Running",
  result_posted: "Result posted",
  challenged: "Challenged",
  closed: "Closed",
};

export const OUTCOME_LABELS: Record<OutcomeKey, string> = {
  accepted: "Accepted",
  finalized: "Finalized",
  provider_right: "Upheld",
  provider_wrong: "Provider wrong",
  result_timeout: "Result timeout",
  mediation_timeout: "Mediation timeout",
  declined: "Declined",
};

/** What each outcome means, in a sentence: the ruling of a challenged deal reads from here. */
export const OUTCOME_SENTENCES: Record<OutcomeKey, string> = {
  accepted: "The job creator accepted the result and paid the provider.",
  finalized: "Nobody objected within the judging window: the result stands and the provider was paid.",
  provider_right: "The mediator re-ran the job and upheld the provider's result: the provider was paid.",
  provider_wrong: "The mediator re-ran the job and ruled against the provider: it lost its collateral and was not paid.",
  result_timeout: "The provider posted no result in time: its timeout collateral went to the job creator.",
  mediation_timeout: "The mediator did not rule in time: the deal was settled without a ruling.",
  declined: "The provider declined the job: the job creator was refunded and compensated.",
};

/** The colour family of a state: good, bad, pending or neutral. */
export function toneOf(phase: DealPhase, outcome: OutcomeKey | null): string {
  if (phase !== "closed") return phase === "challenged" ? "warn" : "pending";
  switch (outcome) {
    case "accepted":
    case "finalized":
    case "provider_right":
      return "good";
    case "provider_wrong":
    case "result_timeout":
      return "bad";
    default:
      return "neutral";
  }
}

export function StateBadge({ phase, outcome }: { phase: DealPhase; outcome: OutcomeKey | null }) {
  const label = phase === "closed" && outcome ? OUTCOME_LABELS[outcome] : PHASE_LABELS[phase];
  return (
    <span class={`badge ${toneOf(phase, outcome)}`} data-testid="deal-state" data-phase={phase} data-outcome={outcome ?? ""}>
      {label}
    </span>
  );
}

/** A hash shown short, whole on hover, with a button that copies it whole. */
export function Hash({ value, href, keep }: { value: string; href?: string; keep?: number }) {
  const [copied, setCopied] = useState(false);
  const copy = () => {
    void navigator.clipboard?.writeText(value).then(() => {
      setCopied(true);
      setTimeout(() => setCopied(false), 1200);
    });
  };
  const text = <span class="mono">{shortHex(value, keep)}</span>;
  return (
    <span class="hash" title={value}>
      {href ? <Link href={href}>{text}</Link> : text}
      <button type="button" class="copy" onClick={copy} aria-label={`copy ${value}`}>
        {copied ? "✓" : <CopyIcon />}
      </button>
    </span>
  );
}

/** Two overlapping pages, drawn: the copy glyph (U+29C9) is missing from common fonts. */
function CopyIcon() {
  return (
    <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
      <rect x="5" y="5" width="9" height="9" rx="1.5" fill="none" stroke="currentColor" stroke-width="1.5" />
      <path d="M3.5 11H3a1 1 0 0 1-1-1V3a1 1 0 0 1 1-1h7a1 1 0 0 1 1 1v.5" fill="none" stroke="currentColor" stroke-width="1.5" />
    </svg>
  );
}

export function ProviderLink({ address }: { address: string }) {
  return <Hash value={address} href={`/providers/${address}`} />;
}

export function Loading({ what }: { what: string }) {
  return (
    <div class="loading" data-testid="loading">
      <span class="spinner" /> Loading {what}…
    </div>
  );
}

export function ErrorBox({ error, what }: { error: Error; what: string }) {
  const notFound = error instanceof ApiError && error.status === 404;
  return (
    <div class="error-box" role="alert" data-testid="error">
      <strong>{notFound ? `No such ${what}.` : `Could not load ${what}.`}</strong> {error.message}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

export function moduleLabel(deal: Pick<DealSummary, "moduleName" | "moduleId">): string {
  return deal.moduleName ?? shortHex(deal.moduleId);
}

/** The deals table of the deals page, the overview and a provider's page. */
export function DealsTable({ deals, showProvider = true, compact = false, flash }: { deals: DealSummary[]; showProvider?: boolean; compact?: boolean; flash?: Set<string> }) {
  // A row that arrived since the last tick is newer than that tick: read the clock now too.
  const now = Math.max(useNow(), Date.now() / 1000);
  if (deals.length === 0) return <Empty>No deals.</Empty>;
  return (
    <div class="table-wrap">
      <table class={compact ? "table compact" : "table"} data-testid="deals-table">
        <thead>
          <tr>
            <th>Deal</th>
            <th>Module</th>
            <th>State</th>
            {showProvider && <th>Provider</th>}
            {!compact && <th>Creator</th>}
            {!compact && <th class="num">Instructions</th>}
            <th class="num">Paid</th>
            <th class="num">Opened</th>
          </tr>
        </thead>
        <tbody>
          {deals.map((deal) => (
            <tr key={deal.dealId} data-testid="deal-row" data-deal-id={deal.dealId.toLowerCase()} class={flash?.has(deal.dealId) ? "flash" : undefined}>
              <td>
                <Link class="mono" href={`/deals/${deal.dealId}`} title={deal.dealId}>
                  {shortHex(deal.dealId, compact ? 6 : 10)}
                </Link>
              </td>
              <td class="module-cell">{moduleLabel(deal)}</td>
              <td>
                <StateBadge phase={deal.phase} outcome={deal.outcome} />
              </td>
              {showProvider && (
                <td>
                  <Link class="mono" href={`/providers/${deal.provider}`} title={deal.provider}>
                    {shortHex(deal.provider)}
                  </Link>
                </td>
              )}
              {!compact && (
                <td class="mono" title={deal.creator}>
                  {shortHex(deal.creator)}
                </td>
              )}
              {!compact && <td class="num">{deal.instructions === null ? "–" : formatCompact(deal.instructions)}</td>}
              <td class="num">{deal.payment === null ? "–" : formatTokens(deal.payment)}</td>
              <td class="num" title={new Date(deal.openedAt * 1000).toISOString()}>
                {formatAgo(deal.openedAt, now)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// One deal: its state (and, once a mediator ruled, the ruling), its parties, its terms, its cost, its timeline
// with the transaction of each step, and its result files, checked by the indexer against the CID on chain and
// previewed here (images drawn, text shown). It refreshes itself when the live feed says the deal changed.
import { useCallback, useEffect, useState } from "preact/hooks";
import type { DealDetail, DealSummary, ResultFile, TimelineEntry } from "../../../src/core/api/indexerApi.ts";
import { api, resultFileUrl } from "../api.ts";
import { Card, ErrorBox, Hash, Loading, moduleLabel, OUTCOME_LABELS, OUTCOME_SENTENCES, ProviderLink, StateBadge, toneOf } from "../components.tsx";
import { formatBytes, formatCompact, formatDuration, formatTime, formatTokens, groupDigits } from "../format.ts";
import { useLiveDeals } from "../live.ts";
import { useFetch } from "../useFetch.ts";

export function Deal({ dealId }: { dealId: string }) {
  const deal = useFetch(`deal:${dealId}`, (signal) => api.deal(dealId, signal));
  const reload = deal.reload;
  const onLive = useCallback((changed: DealSummary[]) => {
    if (changed.some((d) => d.dealId.toLowerCase() === dealId.toLowerCase())) reload();
  }, [dealId, reload]);
  useLiveDeals(onLive);

  if (deal.error && !deal.data) return <ErrorBox error={deal.error} what="deal" />;
  if (!deal.data) return <Loading what="the deal" />;
  const d = deal.data;
  return (
    <div class="page" data-testid="page-deal" data-deal-id={d.dealId.toLowerCase()}>
      <div class="page-title">
        <h1>
          Deal <span class="mono title-hash">{d.dealId}</span>
        </h1>
        <StateBadge phase={d.phase} outcome={d.outcome} />
      </div>
      <Ruling deal={d} />
      <div class="grid three">
        <Card title="Parties">
          <dl class="facts">
            <dt>Module</dt>
            <dd data-testid="deal-module">{moduleLabel(d)}</dd>
            <dt>Provider</dt>
            <dd>
              <ProviderLink address={d.provider} />
            </dd>
            <dt>Creator</dt>
            <dd>
              <Hash value={d.creator} />
            </dd>
            <dt>Mediator</dt>
            <dd>
              <Hash value={d.mediator} />
            </dd>
            <dt>Inputs hash</dt>
            <dd>
              <Hash value={d.inputsHash} />
            </dd>
          </dl>
        </Card>
        <Card title="Cost" testId="deal-cost">
          <dl class="facts">
            <dt>Paid to the provider</dt>
            <dd data-testid="deal-payment">{d.payment === null ? "not yet" : formatTokens(d.payment)}</dd>
            <dt>Cost at the posted count</dt>
            <dd>{d.cost === null ? "–" : formatTokens(d.cost)}</dd>
            <dt>Most it could cost</dt>
            <dd>{formatTokens(d.maxCost)}</dd>
            <dt>Instructions</dt>
            <dd data-testid="deal-instructions">{d.instructions === null ? "–" : `${groupDigits(d.instructions)} (${formatCompact(d.instructions)})`}</dd>
            <dt>Gas (its share)</dt>
            <dd>{groupDigits(d.gasUsed)}</dd>
          </dl>
        </Card>
        <Card title="Terms" testId="deal-terms">
          <dl class="facts">
            <dt>Price</dt>
            <dd>
              {formatTokens(d.terms.basePrice)} + {formatTokens(d.terms.pricePerMInstr)} / M instr.
            </dd>
            <dt>Max instructions</dt>
            <dd>{d.terms.maxInstructions === "0" ? "per-run pricing" : formatCompact(d.terms.maxInstructions)}</dd>
            <dt>Collateral</dt>
            <dd>
              {formatTokens(d.terms.timeoutCollateral)} timeout · {d.terms.collateralMultiple}× cost for results
            </dd>
            <dt>Payment collateral</dt>
            <dd>{formatTokens(d.terms.paymentCollateral)}</dd>
            <dt>Mediation fee</dt>
            <dd>{formatTokens(d.terms.mediationFee)}</dd>
            <dt>Timeouts</dt>
            <dd>
              result {formatDuration(d.terms.resultTimeout)} · judging {formatDuration(d.terms.judgingWindow)} · mediation {formatDuration(d.terms.mediationTimeout)}
            </dd>
          </dl>
        </Card>
      </div>
      <div class="grid two">
        <Card title="Timeline" testId="deal-timeline">
          <Timeline entries={d.timeline} />
        </Card>
        <Card title="Result" testId="deal-result">
          <ResultPanel deal={d} />
        </Card>
      </div>
    </div>
  );
}

/** For a deal a mediator judged (or failed to), what happened, in a sentence. */
function Ruling({ deal }: { deal: DealDetail }) {
  const challenged = deal.timeline.some((e) => e.kind === "challenged");
  if (!challenged) return null;
  if (deal.phase === "challenged")
    return (
      <div class="ruling warn" data-testid="deal-ruling" data-outcome="">
        <strong>Challenged.</strong> The mediator is re-running the job; its ruling will appear here.
      </div>
    );
  if (!deal.outcome) return null;
  return (
    <div class={`ruling ${toneOf(deal.phase, deal.outcome)}`} data-testid="deal-ruling" data-outcome={deal.outcome}>
      <strong>Ruling: {OUTCOME_LABELS[deal.outcome]}.</strong> {OUTCOME_SENTENCES[deal.outcome]}
    </div>
  );
}

const STEP_LABELS: Record<TimelineEntry["kind"], string> = { opened: "Deal opened", result: "Result posted", challenged: "Challenged", closed: "Closed" };

function Timeline({ entries }: { entries: TimelineEntry[] }) {
  return (
    <ol class="timeline">
      {entries.map((entry) => (
        <li key={`${entry.kind}-${entry.tx}`} data-testid={`timeline-${entry.kind}`} class={entry.kind === "closed" && entry.outcome ? toneOf("closed", entry.outcome) : entry.kind}>
          <div class="step-head">
            <strong>{STEP_LABELS[entry.kind]}</strong>
            {entry.outcome && <span> · {OUTCOME_LABELS[entry.outcome]}</span>}
            <span class="subtle step-time">{formatTime(entry.at)}</span>
          </div>
          <div class="step-body">
            <span>
              block {groupDigits(String(entry.block))} · tx <Hash value={entry.tx} keep={10} />
            </span>
            <span class="subtle">
              gas {groupDigits(entry.gasShare)}
              {entry.gasShare !== entry.txGasUsed && ` of ${groupDigits(entry.txGasUsed)} (batch)`}
            </span>
            {entry.mediator && (
              <span>
                mediator <Hash value={entry.mediator} />
              </span>
            )}
          </div>
        </li>
      ))}
    </ol>
  );
}

function ResultPanel({ deal }: { deal: DealDetail }) {
  if (!deal.resultCid) return <p class="subtle">No result yet.</p>;
  return (
    <>
      <dl class="facts">
        <dt>Result CID</dt>
        <dd>
          <Hash value={deal.resultCid} keep={12} />
        </dd>
        {deal.outputHash && (
          <>
            <dt>Output hash</dt>
            <dd>
              <Hash value={deal.outputHash} />
            </dd>
          </>
        )}
      </dl>
      <ResultFilesView dealId={deal.dealId} />
    </>
  );
}

const PREVIEW_TEXT_BYTES = 64 * 1024;

/** The files list; the chosen one previewed (the first image, else stdout, else the first text file). */
function ResultFilesView({ dealId }: { dealId: string }) {
  const files = useFetch(`files:${dealId}`, (signal) => api.files(dealId, signal));
  const [chosen, setChosen] = useState<string | undefined>(undefined);
  if (files.error) return <ErrorBox error={files.error} what="the result files" />;
  if (!files.data) return <Loading what="the result files" />;
  const list = files.data.files;
  const preferred = list.find((f) => f.type === "image") ?? list.find((f) => f.path.endsWith("stdout")) ?? list.find((f) => f.type === "text");
  const selected = list.find((f) => f.path === chosen) ?? preferred;
  return (
    <div class="files">
      <ul class="file-list" data-testid="result-files">
        {list.map((file) => (
          <li key={file.path} class={file === selected ? "selected" : undefined}>
            <button type="button" class="link" onClick={() => setChosen(file.path)} disabled={file.type === "binary"} data-testid="result-file" data-path={file.path}>
              <span class={`file-kind ${file.type}`}>{file.type}</span> <span class="mono">{file.path}</span>
            </button>
            <span class="subtle">{formatBytes(file.size)}</span>
            <a href={resultFileUrl(dealId, file.path)} download={file.path.split("/").pop()} class="subtle">
              download
            </a>
          </li>
        ))}
      </ul>
      {selected && <Preview dealId={dealId} file={selected} />}
    </div>
  );
}

function Preview({ dealId, file }: { dealId: string; file: ResultFile }) {
  const url = resultFileUrl(dealId, file.path);
  if (file.type === "image")
    return (
      <figure class="preview">
        <img src={url} alt={file.path} data-testid="file-preview-image" />
        <figcaption class="subtle mono">{file.path}</figcaption>
      </figure>
    );
  if (file.type === "text") return <TextPreview url={url} file={file} />;
  return null;
}

function TextPreview({ url, file }: { url: string; file: ResultFile }) {
  const [text, setText] = useState<string | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  useEffect(() => {
    const controller = new AbortController();
    setText(undefined);
    setError(undefined);
    // Only the head of a big file: the preview is for reading, the download link has the rest.
    fetch(url, { signal: controller.signal, headers: { range: `bytes=0-${PREVIEW_TEXT_BYTES - 1}` } })
      .then(async (r) => {
        if (!r.ok && r.status !== 206) throw new Error(`${r.status} ${r.statusText}`);
        const body = await r.text();
        setText(body.length > PREVIEW_TEXT_BYTES ? body.slice(0, PREVIEW_TEXT_BYTES) : body);
      })
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setError(e instanceof Error ? e : new Error(String(e)));
      });
    return () => controller.abort();
  }, [url]);
  if (error) return <ErrorBox error={error} what={file.path} />;
  if (text === undefined) return <Loading what={file.path} />;
  return (
    <figure class="preview">
      <pre data-testid="file-preview-text">{text || "(empty)"}</pre>
      <figcaption class="subtle mono">
        {file.path}
        {file.size > PREVIEW_TEXT_BYTES && ` · first ${formatBytes(PREVIEW_TEXT_BYTES)} of ${formatBytes(file.size)}`}
      </figcaption>
    </figure>
  );
}

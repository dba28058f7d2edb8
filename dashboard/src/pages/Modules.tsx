// The modules: the shipped catalog and the on-chain registry, each module with its names and versions, who
// published it, whether governance blocked it (and why), and how often it ran.
import { useState } from "preact/hooks";
import type { ModuleSummary } from "../../../src/core/api/indexerApi.ts";
import { api } from "../api.ts";
import { Card, Empty, ErrorBox, Hash, Loading } from "../components.tsx";
import { formatAgo, shortHex } from "../format.ts";
import { Link } from "../router.tsx";
import { useFetch } from "../useFetch.ts";

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

export function Modules() {
  const list = useFetch("modules", (signal) => api.modules(signal));
  const [filter, setFilter] = useState("");
  if (list.error) return <ErrorBox error={list.error} what="modules" />;
  if (!list.data) return <Loading what="modules" />;
  const needle = filter.trim().toLowerCase();
  const modules = [...list.data.modules]
    .filter((m) => !needle || m.moduleId.includes(needle) || m.names.some((n) => `${n.name}:${n.version}`.toLowerCase().includes(needle)))
    .sort((a, b) => b.runs - a.runs || nameOf(a).localeCompare(nameOf(b)));
  const blocked = list.data.modules.filter((m) => m.blocked).length;
  return (
    <div class="page" data-testid="page-modules">
      <div class="page-title">
        <h1>Modules</h1>
        <span class="subtle">
          {list.data.modules.length} modules · {blocked} blocked
        </span>
      </div>
      <div class="filters">
        <input type="search" class="search" placeholder="Filter by name or id" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} aria-label="Filter modules" />
      </div>
      <Card>
        {modules.length === 0 ? (
          <Empty>No modules.</Empty>
        ) : (
          <div class="table-wrap">
            <table class="table" data-testid="modules-table">
              <thead>
                <tr>
                  <th>Names and versions</th>
                  <th>Module id</th>
                  <th>Status</th>
                  <th class="num">Runs</th>
                  <th class="num">Last run</th>
                </tr>
              </thead>
              <tbody>
                {modules.map((m) => (
                  <tr key={m.moduleId} data-testid="module-row" data-module-id={m.moduleId} class={m.blocked ? "blocked-row" : undefined}>
                    <td>
                      <ul class="names">
                        {m.names.length === 0 && <li class="subtle">unnamed</li>}
                        {m.names.map((n) => (
                          <li key={`${n.source}-${n.publisher}-${n.name}-${n.version}`}>
                            <span class="module-name">
                              {n.name}:{n.version}
                            </span>{" "}
                            <span class={`source ${n.source}`}>{n.source}</span> <Publisher publisher={n.publisher} />
                            {n.publishedAt !== null && <span class="subtle small"> · {formatAgo(n.publishedAt)}</span>}
                          </li>
                        ))}
                      </ul>
                    </td>
                    <td>
                      <Hash value={m.moduleId} />
                    </td>
                    <td>
                      {m.blocked ? (
                        <span class="badge bad" title={m.blockReason ?? ""} data-testid="module-blocked">
                          Blocked
                        </span>
                      ) : (
                        <span class="badge good">Allowed</span>
                      )}
                      {m.blocked && m.blockReason && <div class="small block-reason">{m.blockReason}</div>}
                    </td>
                    <td class="num">{m.runs > 0 ? <Link href={`/deals?moduleId=${m.moduleId}`}>{m.runs.toLocaleString("en-US")}</Link> : "0"}</td>
                    <td class="num">{m.lastRun === null ? "never" : formatAgo(m.lastRun)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </div>
  );
}

function nameOf(m: ModuleSummary): string {
  const first = m.names[0];
  return first ? `${first.name}:${first.version}` : m.moduleId;
}

function Publisher({ publisher }: { publisher: string | null }) {
  if (publisher === null) return <span class="subtle small">shipped with lilypad</span>;
  if (publisher === ZERO_ADDRESS) return <span class="subtle small">by governance</span>;
  return (
    <span class="subtle small" title={publisher}>
      by <span class="mono">{shortHex(publisher)}</span>
    </span>
  );
}

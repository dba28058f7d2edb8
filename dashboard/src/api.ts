// The indexer's JSON API, typed by its zod schemas (types only: the bundle must not carry zod or viem).
import type {
  DealDetail,
  DealPage,
  Leaderboard,
  LeaderboardPeriod,
  ModuleSummary,
  NetworkStats,
  ProviderDetail,
  ProviderSummary,
  ResultFiles,
} from "../../src/core/api/indexerApi.ts";

/** INDEXER_API_PREFIX, repeated: a value import from indexerApi.ts would pull zod into the bundle. */
export const API_PREFIX = "/api/v1";
export const LIVE_URL = `${API_PREFIX}/live`;

/** An API answer other than 2xx, with the indexer's error code when it sent one. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(`${API_PREFIX}${path}`, { signal, headers: { accept: "application/json" } });
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { code?: string; message?: string } | null;
    throw new ApiError(response.status, body?.code ?? `HTTP_${response.status}`, body?.message ?? `${response.status} ${response.statusText}`);
  }
  return (await response.json()) as T;
}

/** The deals list's filters, as the URL and the API both spell them. */
export interface DealFilters {
  q?: string;
  phase?: string;
  outcome?: string;
  provider?: string;
  creator?: string;
  moduleId?: string;
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== "") search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : "";
}

export const api = {
  stats: (signal?: AbortSignal) => getJson<NetworkStats>("/stats", signal),
  deals: (filters: DealFilters & { before?: string; limit?: number }, signal?: AbortSignal) => getJson<DealPage>(`/deals${query({ ...filters })}`, signal),
  deal: (dealId: string, signal?: AbortSignal) => getJson<DealDetail>(`/deals/${dealId}`, signal),
  files: (dealId: string, signal?: AbortSignal) => getJson<ResultFiles>(`/deals/${dealId}/files`, signal),
  providers: (signal?: AbortSignal) => getJson<{ providers: ProviderSummary[] }>("/providers", signal),
  provider: (address: string, signal?: AbortSignal) => getJson<ProviderDetail>(`/providers/${address}`, signal),
  leaderboard: (period: LeaderboardPeriod, signal?: AbortSignal) => getJson<Leaderboard>(`/leaderboard${query({ period })}`, signal),
  modules: (signal?: AbortSignal) => getJson<{ modules: ModuleSummary[] }>("/modules", signal),
};

/** A result file's raw bytes (served with its content type), for <img src> and download links. */
export function resultFileUrl(dealId: string, path: string): string {
  return `${API_PREFIX}/deals/${dealId}/files/${path.split("/").map(encodeURIComponent).join("/")}`;
}

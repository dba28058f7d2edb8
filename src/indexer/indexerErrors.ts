// The indexer API's error catalogue: one table of stable codes, each with its HTTP status (fastify's way).
export const IndexerErrorCode = {
  invalidQuery: "INVALID_QUERY",
  dealNotFound: "DEAL_NOT_FOUND",
  providerNotFound: "PROVIDER_NOT_FOUND",
  resultNotPosted: "RESULT_NOT_POSTED",
  resultUnavailable: "RESULT_UNAVAILABLE",
  fileNotFound: "FILE_NOT_FOUND",
  fileTooLarge: "FILE_TOO_LARGE",
  tooManyViewers: "TOO_MANY_VIEWERS",
  notFound: "NOT_FOUND",
  internal: "INTERNAL",
} as const;
export type IndexerErrorCode = (typeof IndexerErrorCode)[keyof typeof IndexerErrorCode];

const STATUS: Record<IndexerErrorCode, number> = {
  INVALID_QUERY: 400,
  DEAL_NOT_FOUND: 404,
  PROVIDER_NOT_FOUND: 404,
  RESULT_NOT_POSTED: 404,
  RESULT_UNAVAILABLE: 502,
  FILE_NOT_FOUND: 404,
  FILE_TOO_LARGE: 413,
  TOO_MANY_VIEWERS: 503,
  NOT_FOUND: 404,
  INTERNAL: 500,
};

export class IndexerError extends Error {
  readonly code: IndexerErrorCode;
  readonly status: number;

  constructor(code: IndexerErrorCode, message: string) {
    super(message);
    this.name = "IndexerError";
    this.code = code;
    this.status = STATUS[code];
  }
}

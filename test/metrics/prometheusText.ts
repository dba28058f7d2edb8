// A strict reader of the Prometheus text exposition format (version 0.0.4), for tests that scrape a role's real
// /metrics: every line must be a comment, a HELP, a TYPE or a well-formed sample of a family whose TYPE came first,
// or the parse throws. Tests then ask for exact series rather than grepping the text.
import assert from "node:assert/strict";

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type MetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

export interface Sample {
  /** The sample's own name (for a histogram: family_bucket, family_sum, family_count). */
  name: string;
  /** The family it belongs to (its TYPE line's name). */
  family: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  types: Map<string, MetricType>;
  help: Map<string, string>;
  samples: Sample[];
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})?\\s+(\\S+)(?:\\s+(-?\\d+))?$`);
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,\s*|$)/;

export function parsePrometheusText(text: string): Scrape {
  const types = new Map<string, MetricType>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  for (const [index, line] of text.split("\n").entries()) {
    const where = `line ${index + 1}: ${JSON.stringify(line)}`;
    if (line.trim() === "") continue;
    if (line.startsWith("#")) {
      const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!meta) continue; // a plain comment
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      assert.match(name, new RegExp(`^${NAME}$`), `bad metric name at ${where}`);
      if (kind === "HELP") help.set(name, rest);
      else {
        assert.ok(["counter", "gauge", "histogram", "summary", "untyped"].includes(rest), `bad TYPE at ${where}`);
        assert.ok(!types.has(name), `a second TYPE for ${name} at ${where}`);
        types.set(name, rest as MetricType);
      }
      continue;
    }
    const match = SAMPLE.exec(line);
    assert.ok(match, `not a sample at ${where}`);
    const [, name, labelText, valueText] = match as unknown as [string, string, string | undefined, string];
    const value = parseValue(valueText);
    assert.ok(value !== undefined, `bad value at ${where}`);
    const labels = parseLabels(labelText ?? "", where);
    const family = familyOf(name, types);
    assert.ok(family !== undefined, `sample ${name} has no TYPE before it, at ${where}`);
    samples.push({ name, family, labels, value });
  }
  return { types, help, samples };
}

/** The one sample named `name` whose labels include `labels`; fails the test when there is none or several. */
export function sampleOf(scrape: Scrape, name: string, labels: Record<string, string> = {}): Sample {
  const found = samplesOf(scrape, name, labels);
  assert.equal(found.length, 1, `expected one ${name}${JSON.stringify(labels)}, found ${found.length}: ${JSON.stringify(found)}`);
  return found[0]!;
}

/** The value of that one sample, or 0 when there is none yet (a counter or histogram never touched has no series). */
export function valueOf(scrape: Scrape, name: string, labels: Record<string, string> = {}): number {
  const found = samplesOf(scrape, name, labels);
  assert.ok(found.length <= 1, `expected at most one ${name}${JSON.stringify(labels)}, found ${found.length}`);
  return found[0]?.value ?? 0;
}

export function samplesOf(scrape: Scrape, name: string, labels: Record<string, string> = {}): Sample[] {
  return scrape.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** As Prometheus reads a value (Go's ParseFloat): NaN and Inf in any case (prom-client writes an empty mean as "Nan"). */
function parseValue(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (lower === "+inf" || lower === "inf") return Infinity;
  if (lower === "-inf") return -Infinity;
  if (lower === "nan") return NaN;
  const n = Number(text);
  return text.trim() !== "" && !Number.isNaN(n) ? n : undefined;
}

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text.trim();
  while (rest !== "") {
    const match = LABEL.exec(rest);
    assert.ok(match, `bad labels at ${where}`);
    const [whole, key, raw] = match as unknown as [string, string, string];
    assert.ok(!(key in labels), `label ${key} twice at ${where}`);
    labels[key] = raw.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    rest = rest.slice(whole.length);
  }
  return labels;
}

/** A histogram's or summary's samples carry suffixes; every other sample is named as its family. */
function familyOf(name: string, types: Map<string, MetricType>): string | undefined {
  if (types.has(name)) return name;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!name.endsWith(suffix)) continue;
    const family = name.slice(0, -suffix.length);
    const type = types.get(family);
    if (type === "histogram" || (type === "summary" && suffix !== "_bucket")) return family;
  }
  return undefined;
}

/** Scrapes `url` over HTTP, checks it answered 200 in the Prometheus text format, and parses it. */
export async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(url);
  assert.equal(response.status, 200, `GET ${url}`);
  assert.equal(response.headers.get("content-type"), PROMETHEUS_CONTENT_TYPE, `GET ${url}: content type`);
  return parsePrometheusText(await response.text());
}

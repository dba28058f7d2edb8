// Small hand-drawn SVG charts: counts per time bucket (bars), levels and rates over time (lines), and horizontal
// bars. A charting library would outweigh the whole dashboard; these draw what the pages need and nothing else.
import { useState } from "preact/hooks";
import { formatCompact } from "./format.ts";

export interface Series {
  name: string;
  /** A CSS colour (a var(--…) works: it is used as an SVG stroke and fill). */
  color: string;
  values: number[];
}

export interface TimeChartProps {
  /** Unix seconds of each point, oldest first; every series has one value per time. */
  times: number[];
  series: Series[];
  /** "bars": counts per bucket of `bucket` seconds; "line": a level sampled at `times`. */
  kind?: "line" | "bars";
  /** Bars: the bucket length. The server sends only buckets with something in them; the rest are zeros. */
  bucket?: number;
  /** Bars: how many buckets the chart spans at least (ending at the newest). */
  slots?: number;
  /** Lines: the level still holds until this time (now), so the line runs on to it. */
  until?: number;
  format?: (value: number) => string;
  height?: number;
  testId?: string;
}

const WIDTH = 640;
const PAD = { left: 44, right: 10, top: 10, bottom: 22 };

/** The smallest 1, 2 or 5 x 10^k at or above `value`, so the axis reads in round numbers. */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

/** Every bucket from `slots` buckets before the newest to the newest, with zeros where the server sent none. */
export function fillBuckets(times: number[], series: Series[], bucket: number, slots: number): { times: number[]; series: Series[] } {
  const last = times.at(-1);
  if (last === undefined) return { times, series };
  const first = Math.min(times[0] ?? last, last - (slots - 1) * bucket);
  const filled: number[] = [];
  for (let t = first; t <= last; t += bucket) filled.push(t);
  const index = new Map(times.map((t, i) => [t, i]));
  return {
    times: filled,
    series: series.map((s) => ({ ...s, values: filled.map((t) => (index.has(t) ? (s.values[index.get(t)!] ?? 0) : 0)) })),
  };
}

/** A clock time precise enough for the span shown: seconds for minutes, minutes for hours, dates beyond. */
function clockFor(span: number): (unix: number) => string {
  const options: Intl.DateTimeFormatOptions =
    span <= 15 * 60
      ? { hour: "2-digit", minute: "2-digit", second: "2-digit" }
      : span <= 36 * 3600
        ? { hour: "2-digit", minute: "2-digit" }
        : { month: "short", day: "numeric", hour: "2-digit" };
  const format = new Intl.DateTimeFormat(undefined, options);
  return (unix) => format.format(new Date(unix * 1000));
}

export function TimeChart(props: TimeChartProps) {
  const { kind = "line", format = formatCompact, height = 180, testId } = props;
  const [hover, setHover] = useState<number | undefined>(undefined);
  const { times, series } = kind === "bars" && props.bucket ? fillBuckets(props.times, props.series, props.bucket, props.slots ?? 1) : props;
  const n = times.length;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const top = niceCeiling(Math.max(0, ...series.flatMap((s) => s.values)));
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;

  // Bars sit in equal slots; line points sit at their time, between the first sample and `until`.
  const slot = n > 0 ? plotW / n : plotW;
  const start = times[0] ?? 0;
  const end = kind === "line" ? Math.max(props.until ?? 0, times[n - 1] ?? 0) : (times[n - 1] ?? 0) + (props.bucket ?? 0);
  const x =
    kind === "bars"
      ? (i: number) => PAD.left + slot * i + slot / 2
      : (i: number) => (end > start ? PAD.left + (plotW * ((times[i] ?? start) - start)) / (end - start) : PAD.left + plotW / 2);
  const clock = clockFor(end - start);
  const shown = hover ?? n - 1;
  const ticks = kind === "bars" ? [0, Math.floor((n - 1) / 2), n - 1].map((i) => ({ x: x(i), t: times[i] ?? 0 })) : [0, 0.5, 1].map((f) => ({ x: PAD.left + plotW * f, t: start + (end - start) * f }));

  const onMove = (event: MouseEvent) => {
    const svg = event.currentTarget as SVGSVGElement;
    const box = svg.getBoundingClientRect();
    const at = ((event.clientX - box.left) / box.width) * WIDTH;
    let best = 0;
    for (let i = 1; i < n; i++) if (Math.abs(x(i) - at) < Math.abs(x(best) - at)) best = i;
    setHover(n > 0 ? best : undefined);
  };

  return (
    <div class="chart" data-testid={testId}>
      <div class="chart-legend">
        {series.map((s) => (
          <span key={s.name} class="legend-item">
            <i style={{ background: s.color }} />
            {s.name} <b>{n > 0 ? format(s.values[shown] ?? 0) : "–"}</b>
          </span>
        ))}
        {n > 0 && <span class="legend-time">{clock(times[shown] ?? 0)}</span>}
      </div>
      <svg viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label={series.map((s) => s.name).join(", ")} onMouseMove={onMove} onMouseLeave={() => setHover(undefined)}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line class="gridline" x1={PAD.left} x2={WIDTH - PAD.right} y1={y(top * f)} y2={y(top * f)} />
            <text class="axis" x={PAD.left - 6} y={y(top * f) + 4} text-anchor="end">
              {format(top * f)}
            </text>
          </g>
        ))}
        {n > 0 &&
          (kind === "line" && end === start ? ticks.slice(1, 2) : ticks).map((tick, k, all) => (
            <text key={k} class="axis" x={tick.x} y={height - 6} text-anchor={all.length === 1 ? "middle" : k === 0 ? "start" : k === all.length - 1 ? "end" : "middle"}>
              {clock(tick.t)}
            </text>
          ))}
        {kind === "bars"
          ? series.map((s, k) => {
              const width = Math.max(1, (slot * 0.8) / series.length);
              return s.values.map((v, i) =>
                v > 0 ? <rect key={`${k}-${i}`} x={PAD.left + slot * i + slot * 0.1 + width * k} y={y(v)} width={width} height={Math.max(1, y(0) - y(v))} fill={s.color} rx={1} /> : null,
              );
            })
          : series.map((s) => <Line key={s.name} series={s} xs={times.map((_, i) => x(i))} y={y} endX={PAD.left + plotW} carry={end > (times[n - 1] ?? end)} />)}
        {hover !== undefined && <line class="cursor" x1={x(hover)} x2={x(hover)} y1={PAD.top} y2={PAD.top + plotH} />}
      </svg>
      {n === 0 && <div class="chart-empty">No data yet</div>}
    </div>
  );
}

/** A level over time as steps (it holds until the next sample), run on to the right edge when `carry`. */
function Line({ series, xs, y, endX, carry }: { series: Series; xs: number[]; y: (v: number) => number; endX: number; carry: boolean }) {
  const n = xs.length;
  if (n === 0) return null;
  const points: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = y(series.values[i] ?? 0);
    if (i > 0) points.push(`${(xs[i] ?? 0).toFixed(1)},${y(series.values[i - 1] ?? 0).toFixed(1)}`);
    points.push(`${(xs[i] ?? 0).toFixed(1)},${v.toFixed(1)}`);
  }
  if (carry) points.push(`${endX.toFixed(1)},${y(series.values[n - 1] ?? 0).toFixed(1)}`);
  const firstX = xs[0] ?? 0;
  const lastX = carry ? endX : (xs[n - 1] ?? 0);
  return (
    <g>
      {lastX > firstX && <polygon points={`${firstX},${y(0)} ${points.join(" ")} ${lastX},${y(0)}`} fill={series.color} opacity={0.12} />}
      <polyline points={points.join(" ")} fill="none" stroke={series.color} stroke-width={2} stroke-linejoin="round" />
      {lastX === firstX && <circle cx={firstX} cy={y(series.values[0] ?? 0)} r={3} fill={series.color} />}
    </g>
  );
}

export interface Bar {
  label: string;
  value: number;
  color: string;
  testId?: string;
}

/** Horizontal bars scaled to the largest, each with its count. */
export function BarList({ bars, testId }: { bars: Bar[]; testId?: string }) {
  const max = Math.max(1, ...bars.map((b) => b.value));
  return (
    <ul class="bar-list" data-testid={testId}>
      {bars.map((bar) => (
        <li key={bar.label} data-testid={bar.testId}>
          <span class="bar-label">{bar.label}</span>
          <span class="bar-track">{bar.value > 0 && <span class="bar-fill" style={{ width: `${(bar.value / max) * 100}%`, background: bar.color }} />}</span>
          <span class="bar-value">{bar.value.toLocaleString("en-US")}</span>
        </li>
      ))}
    </ul>
  );
}

// Small hand-drawn SVG charts: a time series (lines or stacked-free bars) and horizontal bars. A charting library
// would outweigh the whole dashboard; these draw what the pages need and nothing else.
import { useState } from "preact/hooks";
import { formatClock, formatCompact } from "./format.ts";

export interface Series {
  name: string;
  /** A CSS colour (a var(--…) works: it is used as an SVG stroke). */
  color: string;
  values: number[];
}

export interface TimeChartProps {
  /** Unix seconds of each point, oldest first; every series has one value per time. */
  times: number[];
  series: Series[];
  /** "bars" for counts per bucket, "line" for rates and levels. */
  kind?: "line" | "bars";
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

export function TimeChart({ times, series, kind = "line", format = formatCompact, height = 180, testId }: TimeChartProps) {
  const [hover, setHover] = useState<number | undefined>(undefined);
  const n = times.length;
  const top = niceCeiling(Math.max(0, ...series.flatMap((s) => s.values)));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const slot = n > 0 ? plotW / n : plotW;
  // Bars sit in the middle of their slot; a line runs from edge to edge. Hover boxes are the slots either way.
  const x = (i: number) => (kind === "line" && n > 1 ? PAD.left + (plotW * i) / (n - 1) : PAD.left + slot * i + slot / 2);
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const hoverWidth = kind === "line" && n > 1 ? plotW / (n - 1) : slot;
  const shown = hover ?? n - 1;
  // A span of minutes reads in seconds; an hour or more in minutes.
  const span = n > 1 ? (times[n - 1] ?? 0) - (times[0] ?? 0) : 0;
  const clock = (t: number) => formatClock(t, span < 15 * 60);

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
      <svg viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label={series.map((s) => s.name).join(", ")} onMouseLeave={() => setHover(undefined)}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line class="gridline" x1={PAD.left} x2={WIDTH - PAD.right} y1={y(top * f)} y2={y(top * f)} />
            <text class="axis" x={PAD.left - 6} y={y(top * f) + 4} text-anchor="end">
              {format(top * f)}
            </text>
          </g>
        ))}
        {n > 0 &&
          [0, Math.floor((n - 1) / 2), n - 1]
            .filter((i, k, all) => all.indexOf(i) === k)
            .map((i) => (
              <text key={i} class="axis" x={x(i)} y={height - 6} text-anchor={i === 0 && n > 1 ? "start" : i === n - 1 && n > 1 ? "end" : "middle"}>
                {clock(times[i] ?? 0)}
              </text>
            ))}
        {kind === "bars"
          ? series.map((s, k) => {
              const width = Math.max(1, (slot * 0.8) / series.length);
              return s.values.map((v, i) => (
                <rect key={`${k}-${i}`} x={PAD.left + slot * i + slot * 0.1 + width * k} y={y(v)} width={width} height={Math.max(0, y(0) - y(v))} fill={s.color} rx={1} />
              ));
            })
          : series.map((s) => {
              const points = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
              return (
                <g key={s.name}>
                  {n > 1 && <polygon points={`${x(0)},${y(0)} ${points} ${x(n - 1)},${y(0)}`} fill={s.color} opacity={0.12} />}
                  <polyline points={points} fill="none" stroke={s.color} stroke-width={2} stroke-linejoin="round" />
                  {n === 1 && <circle cx={x(0)} cy={y(s.values[0] ?? 0)} r={3} fill={s.color} />}
                </g>
              );
            })}
        {hover !== undefined && <line class="cursor" x1={x(hover)} x2={x(hover)} y1={PAD.top} y2={PAD.top + plotH} />}
        {times.map((_, i) => (
          <rect key={i} x={x(i) - hoverWidth / 2} y={PAD.top} width={hoverWidth} height={plotH} fill="transparent" onMouseEnter={() => setHover(i)} />
        ))}
      </svg>
      {n === 0 && <div class="chart-empty">No data yet</div>}
    </div>
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
          <span class="bar-track">
            <span class="bar-fill" style={{ width: `${(bar.value / max) * 100}%`, background: bar.color }} />
          </span>
          <span class="bar-value">{bar.value.toLocaleString("en-US")}</span>
        </li>
      ))}
    </ul>
  );
}

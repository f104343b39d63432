/**
 * Dependency-free SVG line charts for run reports: one panel (`trainingCurveSvg`) or the run's
 * two-panel training curve (`runCurveSvg`: loss per step and per epoch; validation AUC per domain
 * and overall per epoch, best epoch marked). Output is deterministic: the same input gives
 * byte-identical SVG.
 */
import type { EpochRecord } from './fit.js';

export interface PlotSeries {
  name: string;
  /** [x, y] pairs; points with a non-finite coordinate break the line there and are not drawn. */
  points: [number, number][];
  /** Line width (default 2). */
  width?: number;
  /** Dot every point (default true; off for dense per-step series). */
  dots?: boolean;
  /** Colour (default: from the palette by position). */
  color?: string;
}

export interface PlotOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Pixels (default 720 × 420). */
  width?: number;
  height?: number;
  /** Vertical dashed lines with a label at the top (e.g. the best epoch). */
  markers?: { x: number; label: string }[];
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** Escapes text for XML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A 1, 2 or 5 × 10^k step giving about `target` intervals over `span`. */
function niceStep(span: number, target: number): number {
  const raw = span / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

interface Axis {
  min: number;
  max: number;
  ticks: number[];
  decimals: number;
}

/** Axis range widened to whole ticks; a degenerate range is padded so a single value sits mid-axis. */
function axis(values: number[], integer: boolean): Axis {
  let lo = values.length ? Math.min(...values) : 0;
  let hi = values.length ? Math.max(...values) : 1;
  if (hi === lo) {
    const pad = integer ? 1 : Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    lo -= pad;
    hi += pad;
  }
  let step = niceStep(hi - lo, 5);
  if (integer) step = Math.max(1, Math.round(step));
  const min = Math.floor(lo / step + 1e-9) * step;
  const max = Math.ceil(hi / step - 1e-9) * step;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const ticks: number[] = [];
  for (let k = 0; min + k * step <= max + step * 1e-9; k++) ticks.push(Number((min + k * step).toFixed(decimals)));
  return { min, max, ticks, decimals };
}

const f2 = (v: number): string => v.toFixed(2);

function svgOpen(width: number, height: number, title: string | undefined): string[] {
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="sans-serif" font-size="13">`,
  ];
  if (title) out.push(`<title>${escapeXml(title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  return out;
}

/** One chart (axes, ticks, grid, labels, legend, markers) drawn inside `box`. */
function panel(series: PlotSeries[], opts: PlotOptions, box: Box): string[] {
  const { width, height } = box;
  // The legend column grows with the longest name (about 7.5 px per character at 13 px), up to half the width.
  const longest = Math.max(0, ...series.map((s) => s.name.length));
  const m = { top: 40, right: Math.round(Math.max(120, Math.min(width / 2, 50 + 7.5 * longest))), bottom: 55, left: 75 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const finite = series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  const xs = [...finite.map((p) => p[0]), ...(opts.markers ?? []).map((k) => k.x)];
  const ys = finite.map((p) => p[1]);
  const xa = axis(xs, xs.length > 0 && xs.every(Number.isInteger));
  const ya = axis(ys, false);
  const sx = (x: number): number => box.x + m.left + ((x - xa.min) / (xa.max - xa.min)) * pw;
  const sy = (y: number): number => box.y + m.top + ph - ((y - ya.min) / (ya.max - ya.min)) * ph;
  const left = box.x + m.left;
  const top = box.y + m.top;

  const out: string[] = [`<g class="panel">`];
  if (opts.title) {
    out.push(`<text x="${f2(left + pw / 2)}" y="${box.y + 24}" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(opts.title)}</text>`);
  }

  // Grid and ticks.
  out.push('<g class="y-axis">');
  for (const t of ya.ticks) {
    const y = f2(sy(t));
    out.push(`<line x1="${left}" y1="${y}" x2="${left + pw}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<line x1="${left - 5}" y1="${y}" x2="${left}" y2="${y}" stroke="#333333"/>`);
    out.push(`<text x="${left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${t.toFixed(ya.decimals)}</text>`);
  }
  out.push('</g>');
  out.push('<g class="x-axis">');
  for (const t of xa.ticks) {
    const x = f2(sx(t));
    out.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${top + ph}" stroke="#e5e5e5"/>`);
    out.push(`<line x1="${x}" y1="${top + ph}" x2="${x}" y2="${top + ph + 5}" stroke="#333333"/>`);
    out.push(`<text x="${x}" y="${top + ph + 18}" text-anchor="middle">${t.toFixed(xa.decimals)}</text>`);
  }
  out.push('</g>');
  out.push(`<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#333333"/>`);
  if (opts.xLabel) {
    out.push(`<text x="${f2(left + pw / 2)}" y="${box.y + height - 12}" text-anchor="middle">${escapeXml(opts.xLabel)}</text>`);
  }
  if (opts.yLabel) {
    const cx = box.x + 18;
    const cy = f2(top + ph / 2);
    out.push(`<text x="${cx}" y="${cy}" text-anchor="middle" transform="rotate(-90 ${cx} ${cy})">${escapeXml(opts.yLabel)}</text>`);
  }
  if (finite.length === 0) {
    out.push(`<text x="${f2(left + pw / 2)}" y="${f2(top + ph / 2)}" text-anchor="middle" fill="#777777">no data</text>`);
  }
  for (const k of opts.markers ?? []) {
    if (!Number.isFinite(k.x)) continue;
    const x = f2(sx(k.x));
    out.push(`<g class="marker">`);
    out.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${top + ph}" stroke="#555555" stroke-width="1.5" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${x}" y="${top - 6}" text-anchor="middle" fill="#333333">${escapeXml(k.label)}</text>`);
    out.push('</g>');
  }

  // Lines (split at non-finite points) and point markers, so a single point is still visible.
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const segments: string[][] = [[]];
    const dots: string[] = [];
    for (const [x, y] of s.points) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        if (segments[segments.length - 1]!.length) segments.push([]);
        continue;
      }
      const px = f2(sx(x));
      const py = f2(sy(y));
      segments[segments.length - 1]!.push(`${px},${py}`);
      if (s.dots !== false) dots.push(`<circle cx="${px}" cy="${py}" r="3.5" fill="${color}"/>`);
    }
    out.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    for (const seg of segments) {
      if (seg.length >= 2) out.push(`<polyline fill="none" stroke="${color}" stroke-width="${s.width ?? 2}" points="${seg.join(' ')}"/>`);
    }
    out.push(...dots);
    out.push('</g>');
  });

  // Legend, right of the plot area.
  out.push('<g class="legend">');
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const y = top + 10 + i * 20;
    const x = left + pw + 15;
    out.push(`<line x1="${x}" y1="${y}" x2="${x + 20}" y2="${y}" stroke="${color}" stroke-width="${Math.max(2, s.width ?? 2)}"/>`);
    out.push(`<text x="${x + 26}" y="${y}" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
  });
  out.push('</g>');
  out.push('</g>');
  return out;
}

/** SVG line chart with axes, ticks, grid, labels and a legend. */
export function trainingCurveSvg(series: PlotSeries[], opts: PlotOptions = {}): string {
  const width = opts.width ?? 720;
  const height = opts.height ?? 420;
  const out = svgOpen(width, height, opts.title);
  out.push(...panel(series, opts, { x: 0, y: 0, width, height }));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** One optimizer step's loss from log.jsonl. */
export interface StepLoss {
  /** The unit (per-domain model) it belongs to; absent for runs with one model. */
  model?: string;
  step: number;
  loss: number;
  /** The learning rate of that step, when the log recorded it. */
  lr?: number;
}

export interface RunCurveInput {
  title: string;
  /** Epoch records per unit ("model" for a run's one model, else the log.jsonl model name). */
  epochs: Record<string, EpochRecord[]>;
  steps: StepLoss[];
  width?: number;
}

/**
 * The run's training curve: top panel, training loss per optimizer step (thin) and the epoch
 * means (dots, placed at the epoch's last step); bottom panel, validation AUC per epoch, per
 * domain and overall (the early-stopping score), with the best epoch marked.
 */
export function runCurveSvg(input: RunCurveInput): string {
  const width = input.width ?? 860;
  const ph = 400;
  const units = Object.entries(input.epochs);
  const single = units.length === 1;
  const loss: PlotSeries[] = [];
  const aucs: PlotSeries[] = [];
  const markers: { x: number; label: string }[] = [];
  units.forEach(([unit, history], u) => {
    // Steps of the run's one model carry no model name; "model" is its key in metrics.json.
    const steps = input.steps.filter((s) => (s.model ?? 'model') === unit);
    const prefix = single ? '' : `${unit}: `;
    const color = PALETTE[u % PALETTE.length]!;
    loss.push({ name: `${prefix}loss per step`, points: steps.map((s) => [s.step, s.loss]), width: 1, dots: false, color: single ? '#9ecae1' : color });
    // Epoch e ends at the step count of its last batch: steps per epoch are equal within a run.
    const perEpoch = history.length && steps.length ? Math.max(...steps.map((s) => s.step)) / history.length : NaN;
    loss.push({
      name: `${prefix}mean loss per epoch`,
      points: history.map((e) => [Number.isFinite(perEpoch) ? Math.round(e.epoch * perEpoch) : e.epoch, e.train_loss]),
      color: single ? '#08519c' : color,
    });
    if (single) {
      const domains = [...new Set(history.flatMap((e) => Object.keys(e.valid_auc_by_domain ?? {})))].sort();
      domains.forEach((d) => aucs.push({ name: d, points: history.map((e) => [e.epoch, e.valid_auc_by_domain?.[d] ?? NaN]), width: 1.5 }));
      aucs.push({ name: 'overall (monitored)', points: history.map((e) => [e.epoch, e.valid_auc]), width: 3, color: '#000000' });
    } else {
      aucs.push({ name: unit, points: history.map((e) => [e.epoch, e.valid_auc]), color });
    }
    const finite = history.filter((e) => Number.isFinite(e.valid_auc));
    if (finite.length) {
      const best = finite.reduce((a, b) => (b.valid_auc > a.valid_auc ? b : a));
      markers.push({ x: best.epoch, label: `${single ? '' : `${unit} `}best epoch ${best.epoch}` });
    }
  });
  // One marker per epoch value: several single-domain models may share a best epoch.
  const uniq = [...new Map(markers.map((k) => [k.x, k])).values()];
  const out = svgOpen(width, 2 * ph, input.title);
  out.push(...panel(loss, { title: `${input.title}: training loss`, xLabel: 'optimizer step', yLabel: 'training loss (BCE)' }, { x: 0, y: 0, width, height: ph }));
  out.push(...panel(aucs, { title: 'validation AUC', xLabel: 'epoch', yLabel: 'validation AUC', markers: uniq }, { x: 0, y: ph, width, height: ph }));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/**
 * A dependency-free SVG line chart for run reports (train loss and validation AUC per epoch).
 * Output is deterministic: the same series give byte-identical SVG.
 */

export interface PlotSeries {
  name: string;
  /** [x, y] pairs; points with a non-finite coordinate break the line there and are not drawn. */
  points: [number, number][];
}

export interface PlotOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Pixels (default 720 × 420). */
  width?: number;
  height?: number;
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

/** SVG line chart with axes, ticks, grid, labels and a legend. */
export function trainingCurveSvg(series: PlotSeries[], opts: PlotOptions = {}): string {
  const width = opts.width ?? 720;
  const height = opts.height ?? 420;
  // The legend column grows with the longest name (about 7 px per character at 12 px), up to half the width.
  const longest = Math.max(0, ...series.map((s) => s.name.length));
  const m = { top: 40, right: Math.round(Math.max(120, Math.min(width / 2, 50 + 7 * longest))), bottom: 55, left: 75 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const finite = series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  const xs = finite.map((p) => p[0]);
  const ys = finite.map((p) => p[1]);
  const xa = axis(xs, xs.length > 0 && xs.every(Number.isInteger));
  const ya = axis(ys, false);
  const sx = (x: number): number => m.left + ((x - xa.min) / (xa.max - xa.min)) * pw;
  const sy = (y: number): number => m.top + ph - ((y - ya.min) / (ya.max - ya.min)) * ph;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="sans-serif" font-size="12">`,
  );
  if (opts.title) out.push(`<title>${escapeXml(opts.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  if (opts.title) {
    out.push(`<text x="${f2(m.left + pw / 2)}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(opts.title)}</text>`);
  }

  // Grid and ticks.
  out.push('<g class="y-axis">');
  for (const t of ya.ticks) {
    const y = f2(sy(t));
    out.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<line x1="${m.left - 5}" y1="${y}" x2="${m.left}" y2="${y}" stroke="#333333"/>`);
    out.push(`<text x="${m.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${t.toFixed(ya.decimals)}</text>`);
  }
  out.push('</g>');
  out.push('<g class="x-axis">');
  for (const t of xa.ticks) {
    const x = f2(sx(t));
    out.push(`<line x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + ph}" stroke="#e5e5e5"/>`);
    out.push(`<line x1="${x}" y1="${m.top + ph}" x2="${x}" y2="${m.top + ph + 5}" stroke="#333333"/>`);
    out.push(`<text x="${x}" y="${m.top + ph + 18}" text-anchor="middle">${t.toFixed(xa.decimals)}</text>`);
  }
  out.push('</g>');
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333333"/>`);
  if (opts.xLabel) {
    out.push(`<text x="${f2(m.left + pw / 2)}" y="${height - 12}" text-anchor="middle">${escapeXml(opts.xLabel)}</text>`);
  }
  if (opts.yLabel) {
    const cy = f2(m.top + ph / 2);
    out.push(`<text x="18" y="${cy}" text-anchor="middle" transform="rotate(-90 18 ${cy})">${escapeXml(opts.yLabel)}</text>`);
  }
  if (finite.length === 0) {
    out.push(`<text x="${f2(m.left + pw / 2)}" y="${f2(m.top + ph / 2)}" text-anchor="middle" fill="#777777">no data</text>`);
  }

  // Lines (split at non-finite points) and point markers, so a single point is still visible.
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const segments: string[][] = [[]];
    const markers: string[] = [];
    for (const [x, y] of s.points) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        if (segments[segments.length - 1]!.length) segments.push([]);
        continue;
      }
      const px = f2(sx(x));
      const py = f2(sy(y));
      segments[segments.length - 1]!.push(`${px},${py}`);
      markers.push(`<circle cx="${px}" cy="${py}" r="3" fill="${color}"/>`);
    }
    out.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    for (const seg of segments) {
      if (seg.length >= 2) out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${seg.join(' ')}"/>`);
    }
    out.push(...markers);
    out.push('</g>');
  });

  // Legend, right of the plot area.
  out.push('<g class="legend">');
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const y = m.top + 10 + i * 20;
    const x = m.left + pw + 15;
    out.push(`<line x1="${x}" y1="${y}" x2="${x + 20}" y2="${y}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${x + 26}" y="${y}" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
  });
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n') + '\n';
}

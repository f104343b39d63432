/**
 * SVG bar charts of the reproduce figures: grouped bars (one group per domain or x value, one bar
 * per model) with interval whiskers. Deterministic output.
 */
import { escapeXml } from '../train/plot.js';

export interface BarSeries {
  name: string;
  /** One value per group; null = no bar. */
  values: (number | null)[];
  /** Whisker ends per group (null = none). */
  intervals?: ([number, number] | null)[];
}

const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac', '#1f77b4', '#2ca02c'];
const f1 = (v: number) => v.toFixed(1);

export function barChartSvg(opts: { title: string; groups: string[]; series: BarSeries[]; yLabel: string; note?: string }): string {
  const { groups, series } = opts;
  const legendW = Math.min(260, 40 + 7 * Math.max(0, ...series.map((s) => s.name.length)));
  const groupW = Math.max(90, 18 * series.length + 30);
  // Wide enough for the title and the note whatever the number of groups.
  const width = Math.max(80 + groups.length * groupW + legendW, Math.max(90 + 9.5 * opts.title.length, 90 + 6.5 * (opts.note ?? '').length));
  const height = 440;
  const m = { top: 45, bottom: opts.note ? 80 : 60, left: 70 };
  const ph = height - m.top - m.bottom;
  const all = series.flatMap((s) => [
    ...s.values.filter((v): v is number => v !== null && Number.isFinite(v)),
    ...(s.intervals ?? []).flatMap((iv) => (iv ? iv.filter(Number.isFinite) : [])),
  ]);
  // AUC axis from just below the lowest value (never below 0.3) to 1 or just above the highest.
  const lo = Math.max(0, Math.min(0.5, Math.floor((Math.min(...all, 0.5) - 0.02) * 20) / 20));
  const hi = Math.min(1, Math.ceil((Math.max(...all, 0.6) + 0.02) * 20) / 20);
  const sy = (v: number) => m.top + ph - ((Math.min(Math.max(v, lo), hi) - lo) / (hi - lo)) * ph;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(opts.title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${f1(m.left)}" y="24" font-size="15" font-weight="bold">${escapeXml(opts.title)}</text>`,
  ];
  for (let t = lo; t <= hi + 1e-9; t += 0.05) {
    const y = f1(sy(t));
    out.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + groups.length * groupW}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${t.toFixed(2)}</text>`);
  }
  const cy = f1(m.top + ph / 2);
  out.push(`<text x="16" y="${cy}" text-anchor="middle" transform="rotate(-90 16 ${cy})">${escapeXml(opts.yLabel)}</text>`);
  const barW = (groupW - 30) / Math.max(1, series.length);
  groups.forEach((g, gi) => {
    const gx = m.left + gi * groupW + 15;
    out.push(`<text x="${f1(gx + (groupW - 30) / 2)}" y="${m.top + ph + 18}" text-anchor="middle">${escapeXml(g)}</text>`);
    series.forEach((s, si) => {
      const v = s.values[gi];
      if (v === null || v === undefined || !Number.isFinite(v)) return;
      const x = gx + si * barW;
      const color = PALETTE[si % PALETTE.length]!;
      out.push(`<rect x="${f1(x)}" y="${f1(sy(v))}" width="${f1(barW - 2)}" height="${f1(m.top + ph - sy(v))}" fill="${color}"><title>${escapeXml(`${s.name}, ${g}: ${v.toFixed(4)}`)}</title></rect>`);
      const iv = s.intervals?.[gi];
      if (iv && iv.every(Number.isFinite)) {
        const cx = f1(x + (barW - 2) / 2);
        out.push(`<line x1="${cx}" y1="${f1(sy(iv[0]))}" x2="${cx}" y2="${f1(sy(iv[1]))}" stroke="#222222" stroke-width="1.5"/>`);
        for (const e of iv) out.push(`<line x1="${f1(x + barW / 4)}" y1="${f1(sy(e))}" x2="${f1(x + (3 * barW) / 4 - 2)}" y2="${f1(sy(e))}" stroke="#222222"/>`);
      }
    });
  });
  out.push(`<line x1="${m.left}" y1="${m.top + ph}" x2="${m.left + groups.length * groupW}" y2="${m.top + ph}" stroke="#333333"/>`);
  const lx = m.left + groups.length * groupW + 15;
  series.forEach((s, si) => {
    const y = m.top + 10 + si * 20;
    out.push(`<rect x="${lx}" y="${y - 6}" width="14" height="12" fill="${PALETTE[si % PALETTE.length]}"/>`);
    out.push(`<text x="${lx + 20}" y="${y}" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
  });
  if (opts.note) out.push(`<text x="${m.left}" y="${height - 18}" font-size="11" fill="#555555">${escapeXml(opts.note)}</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

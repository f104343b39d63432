/**
 * The reproduce bar charts: one bar per model and group with its whisker, names escaped, the same
 * input giving the same bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { barChartSvg } from '../../src/eval/figures.js';

test('grouped bars with whiskers, escaped labels, deterministic', () => {
  const opts = {
    title: 'AUC <per> domain',
    groups: ['A & B', 'C'],
    yLabel: 'AUC',
    series: [
      { name: 'DNN', values: [0.61, 0.7], intervals: [[0.55, 0.67], [0.6, 0.8]] as [number, number][] },
      { name: 'Uni-CTR', values: [0.65, null], intervals: [[0.6, 0.7], null] as ([number, number] | null)[] },
    ],
  };
  const svg = barChartSvg(opts);
  assert.equal(svg, barChartSvg(opts));
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.equal((svg.match(/<rect [^>]*><title>/g) ?? []).length, 3, 'three bars: the null value has none');
  assert.match(svg, /<title>Uni-CTR, A &amp; B: 0\.6500<\/title>/);
  assert.match(svg, /AUC &lt;per&gt; domain/);
  // Each whisker: one vertical line and two caps.
  assert.equal((svg.match(/stroke="#222222" stroke-width="1\.5"/g) ?? []).length, 3);
});

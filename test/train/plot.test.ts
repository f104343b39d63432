import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeXml, trainingCurveSvg } from '../../src/train/plot.js';

interface El {
  name: string;
  attrs: Record<string, string>;
  children: El[];
  text: string;
}

/** A small strict XML parser: throws on unbalanced tags, unquoted/duplicate attributes, bad entities. */
function parseXml(src: string): El {
  let i = 0;
  const fail = (msg: string): never => {
    throw new Error(`XML error at ${i}: ${msg}: ${JSON.stringify(src.slice(i, i + 40))}`);
  };
  const checkText = (t: string): string => {
    if (/[<>]/.test(t)) fail('raw < or > in text');
    for (const m of t.matchAll(/&([^;]*);?/g)) {
      if (!m[0].endsWith(';') || !['amp', 'lt', 'gt', 'quot', 'apos'].includes(m[1]!)) fail(`bad entity ${m[0]}`);
    }
    return t.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[e]!);
  };
  const root: El = { name: '#root', attrs: {}, children: [], text: '' };
  const stack: El[] = [root];
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const text = src.slice(i, lt < 0 ? src.length : lt);
    stack[stack.length - 1]!.text += checkText(text);
    if (lt < 0) break;
    i = lt;
    const gt = src.indexOf('>', i);
    if (gt < 0) fail('unclosed tag');
    const body = src.slice(i + 1, gt);
    if (body.startsWith('/')) {
      const el = stack.pop()!;
      if (el.name !== body.slice(1).trim()) fail(`</${body.slice(1)}> closes <${el.name}>`);
    } else {
      const selfClosing = body.endsWith('/');
      const inner = selfClosing ? body.slice(0, -1) : body;
      const m = /^([A-Za-z][\w:-]*)([\s\S]*)$/.exec(inner) ?? fail('bad tag name');
      const el: El = { name: m[1]!, attrs: {}, children: [], text: '' };
      const rest = m[2]!.replace(/\s+([\w:-]+)="([^"<]*)"/g, (_, k: string, v: string) => {
        if (k in el.attrs) fail(`duplicate attribute ${k}`);
        el.attrs[k] = checkText(v);
        return '';
      });
      if (rest.trim() !== '') fail(`unparsed attribute text ${JSON.stringify(rest)}`);
      stack[stack.length - 1]!.children.push(el);
      if (!selfClosing) stack.push(el);
    }
    i = gt + 1;
  }
  if (stack.length !== 1) fail(`unclosed <${stack[stack.length - 1]!.name}>`);
  assert.equal(root.children.length, 1, 'one root element');
  return root.children[0]!;
}

function all(el: El, name: string): El[] {
  return [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => all(c, name))];
}

const texts = (svg: El): string[] => all(svg, 'text').map((t) => t.text);

test('training curve: well-formed SVG with axes, ticks, labels and legend', () => {
  const svg = trainingCurveSvg(
    [
      { name: 'train loss', points: [[1, 0.61], [2, 0.55], [3, 0.52], [4, 0.5]] },
      { name: 'valid AUC <domain & "all">', points: [[1, 0.62], [2, 0.66], [3, 0.68], [4, 0.69]] },
    ],
    { title: 'Uni-CTR quickstart', xLabel: 'epoch', yLabel: 'value' },
  );
  const root = parseXml(svg);
  assert.equal(root.name, 'svg');
  assert.equal(root.attrs.xmlns, 'http://www.w3.org/2000/svg');
  const t = texts(root);
  for (const s of ['Uni-CTR quickstart', 'epoch', 'value', 'train loss', 'valid AUC <domain & "all">']) {
    assert.ok(t.includes(s), `missing text ${s}`);
  }
  // Integer epochs get integer ticks covering 1..4.
  for (const s of ['1', '2', '3', '4']) assert.ok(t.includes(s), `x tick ${s}`);
  assert.ok(t.includes('0.50') || t.includes('0.5'), 'y ticks cover the data');
  const lines = all(root, 'polyline');
  assert.equal(lines.length, 2);
  assert.notEqual(lines[0]!.attrs.stroke, lines[1]!.attrs.stroke);
  // Every drawn coordinate lies inside the canvas.
  const w = Number(root.attrs.width);
  const h = Number(root.attrs.height);
  for (const c of all(root, 'circle')) {
    const x = Number(c.attrs.cx);
    const y = Number(c.attrs.cy);
    assert.ok(x >= 0 && x <= w && y >= 0 && y <= h, `circle at ${x},${y}`);
  }
  // Higher values are drawn higher (smaller y).
  const auc = all(root, 'g').find((g) => g.attrs['data-name']?.startsWith('valid AUC'))!;
  const ys = all(auc, 'circle').map((c) => Number(c.attrs.cy));
  assert.ok(ys[0]! > ys[3]!);
  // Deterministic.
  assert.equal(
    svg,
    trainingCurveSvg(
      [
        { name: 'train loss', points: [[1, 0.61], [2, 0.55], [3, 0.52], [4, 0.5]] },
        { name: 'valid AUC <domain & "all">', points: [[1, 0.62], [2, 0.66], [3, 0.68], [4, 0.69]] },
      ],
      { title: 'Uni-CTR quickstart', xLabel: 'epoch', yLabel: 'value' },
    ),
  );
});

test('a single point is drawn as a marker on a padded axis', () => {
  const root = parseXml(trainingCurveSvg([{ name: 'valid AUC', points: [[1, 0.7]] }]));
  assert.equal(all(root, 'polyline').length, 0);
  const circles = all(root, 'circle');
  assert.equal(circles.length, 1);
  for (const k of ['cx', 'cy']) assert.ok(Number.isFinite(Number(circles[0]!.attrs[k])), k);
});

test('NaN values break the line and are not drawn; all-NaN says no data', () => {
  const root = parseXml(
    trainingCurveSvg([{ name: 'loss', points: [[1, 0.5], [2, 0.4], [3, NaN], [4, 0.3], [5, 0.25], [Infinity, 1]] }]),
  );
  assert.equal(all(root, 'polyline').length, 2);
  assert.equal(all(root, 'circle').length, 4);
  assert.ok(!/NaN|Infinity/.test(JSON.stringify(root)));
  const empty = parseXml(trainingCurveSvg([{ name: 'loss', points: [[1, NaN]] }, { name: 'auc', points: [] }]));
  assert.ok(texts(empty).includes('no data'));
  assert.ok(texts(empty).includes('auc'));
  assert.ok(!/NaN/.test(JSON.stringify(empty)));
});

test('escapeXml', () => {
  assert.equal(escapeXml(`a<b>&"c'`), 'a&lt;b&gt;&amp;&quot;c&apos;');
});

/** safetensors reader/writer: round trip, F16/BF16 decoding, malformed files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SafetensorsFile, encodeSafetensors, writeSafetensors } from '../../../src/model/backbone/weights.js';
import { ModelFolderError } from '../../../src/util/errors.js';

function rawFile(header: Record<string, unknown>, data: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

test('round trip keeps names, shapes, values and metadata', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'st-'));
  const file = path.join(dir, 'x.safetensors');
  const a = Float32Array.from([1.5, -2, 3.25, 0, 1e-30, -7e20]);
  const b = Float32Array.from([42]);
  await writeSafetensors(file, new Map([['b.weight', { shape: [2, 3], data: a }], ['a', { shape: [1], data: b }]]), { format: 'pt' });
  const st = SafetensorsFile.read(file);
  assert.deepEqual([...st.entries.keys()].sort(), ['a', 'b.weight']);
  assert.deepEqual(st.getFloat32('b.weight'), { shape: [2, 3], data: a });
  assert.deepEqual(st.getFloat32('a').data, b);
  assert.deepEqual(st.metadata, { format: 'pt' });
  // The data section starts 8-byte aligned.
  const bytes = encodeSafetensors(new Map([['a', { shape: [1], data: b }]]));
  assert.equal(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8, 0);
});

test('F32 data at an unaligned offset decodes', () => {
  const vals = Float32Array.from([0.1, -3, 1e10]);
  for (const pad of ['', ' ', '  ', '   ']) {
    const bytes = rawFile({ t: { dtype: 'F32', shape: [3], data_offsets: [0, 12] }, __metadata__: { p: pad } }, new Uint8Array(vals.buffer));
    assert.deepEqual(SafetensorsFile.parse(bytes, 'm').getFloat32('t').data, vals);
  }
});

test('F16 and BF16 decode to float32', () => {
  // F16: 1.0 = 0x3c00, -2.0 = 0xc000, 65504 = 0x7bff, smallest subnormal 0x0001 = 2^-24.
  const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001]).buffer);
  // BF16: top half of float32 1.0 (0x3f80) and -0.5 (0xbf00), 3.140625 (0x4049).
  const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xbf00, 0x4049]).buffer);
  const data = new Uint8Array(f16.length + bf16.length);
  data.set(f16, 0);
  data.set(bf16, f16.length);
  const st = SafetensorsFile.parse(
    rawFile({ h: { dtype: 'F16', shape: [4], data_offsets: [0, 8] }, bf: { dtype: 'BF16', shape: [3], data_offsets: [8, 14] } }, data),
    'mem.safetensors',
  );
  assert.deepEqual(Array.from(st.getFloat32('h').data), [1, -2, 65504, 2 ** -24]);
  assert.deepEqual(Array.from(st.getFloat32('bf').data), [1, -0.5, 3.140625]);
});

test('malformed files name the file and the tensor', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'st-'));
  const cases: Array<[Uint8Array, RegExp]> = [
    [new Uint8Array(3), /shorter than the 8-byte header/],
    [rawFile({ t: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(8)), /tensor "t": data_offsets \[0, 4\] do not match dtype F32 shape \[2\]/],
    [rawFile({ t: { dtype: 'Q9', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor "t": unknown dtype "Q9"/],
    [rawFile({ t: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8)), /tensor "t".*within 8 data bytes/],
  ];
  cases.forEach(([bytes, re], i) => {
    const f = path.join(dir, `bad${i}.safetensors`);
    writeFileSync(f, bytes);
    assert.throws(() => SafetensorsFile.read(f), (e: Error) => e instanceof ModelFolderError && e.message.includes(f) && re.test(e.message));
  });
  const st = SafetensorsFile.parse(rawFile({ i: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)), 'm.safetensors');
  assert.throws(() => st.getFloat32('i'), /m\.safetensors: tensor "i" has dtype I64/);
  assert.throws(() => st.getFloat32('nope'), /m\.safetensors: missing tensor "nope"/);
  assert.throws(() => SafetensorsFile.read(path.join(dir, 'absent.safetensors')), /absent\.safetensors: cannot read weights \(ENOENT\)/);
});

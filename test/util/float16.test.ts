import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFloat16, encodeFloat16, fromFloat16Bits, roundToFloat16, toFloat16Bits } from '../../src/util/float16.js';

describe('float16', () => {
  it('round-trips every binary16 value exactly', () => {
    for (let h = 0; h < 65536; h++) {
      const v = fromFloat16Bits(h);
      if (Number.isNaN(v)) {
        assert.ok(Number.isNaN(fromFloat16Bits(toFloat16Bits(v))));
        continue;
      }
      assert.equal(toFloat16Bits(v), h, `h=0x${h.toString(16)} v=${v}`);
    }
  });

  it('decodes known values', () => {
    assert.equal(fromFloat16Bits(0x3c00), 1);
    assert.equal(fromFloat16Bits(0xc000), -2);
    assert.equal(fromFloat16Bits(0x7bff), 65504);
    assert.equal(fromFloat16Bits(0x0001), 2 ** -24);
    assert.equal(fromFloat16Bits(0x7c00), Infinity);
  });

  it('rounds to nearest, ties to even, across normals and subnormals', () => {
    for (let h = 0; h < 0x7bff; h += 7) {
      const lo = fromFloat16Bits(h);
      const hi = fromFloat16Bits(h + 1);
      const mid = (lo + hi) / 2; // exact in float32: one more mantissa bit than binary16
      const even = h % 2 === 0 ? h : h + 1;
      assert.equal(toFloat16Bits(mid), even, `tie between 0x${h.toString(16)} and next`);
      const eps = (hi - lo) / 8;
      assert.equal(toFloat16Bits(mid - eps), h);
      assert.equal(toFloat16Bits(mid + eps), h + 1);
      assert.equal(toFloat16Bits(-(mid + eps)), (h + 1) | 0x8000);
    }
    assert.equal(toFloat16Bits(65520), 0x7c00, 'halfway above max rounds to infinity');
    assert.equal(toFloat16Bits(2 ** -26), 0, 'below half the smallest subnormal flushes to zero');
  });

  it('converts arrays with offsets', () => {
    const src = Float32Array.from([0.1, -3.5, 1e5, 7]);
    const h = new Uint16Array(6);
    encodeFloat16(src, h, 1, 3, 2);
    assert.deepEqual(Array.from(h.slice(0, 2)), [0, 0]);
    const back = new Float32Array(3);
    decodeFloat16(h, back, 2, 3);
    assert.deepEqual(Array.from(back), [-3.5, Infinity, 7]);
    const r = roundToFloat16(Float32Array.from([0.1]));
    assert.ok(Math.abs(r[0]! - 0.1) < 0.1 * 2 ** -11);
  });
});

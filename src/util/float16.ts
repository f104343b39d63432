/**
 * IEEE 754 binary16 conversion for typed arrays (Node 20 has no Float16Array). Encoding rounds to
 * nearest, ties to even, as hardware conversions do; decoding uses a 64K-entry table.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Bits of the binary16 value nearest to `x`. */
export function toFloat16Bits(x: number): number {
  f32[0] = x;
  return halfFromBits(u32[0]!);
}

function halfFromBits(u: number): number {
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  const mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 112; // rebias 127 → 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e;
    let h = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1) === 1)) h++;
    return sign | h;
  }
  let h = sign | (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++;
  return h;
}

let table: Float32Array | null = null;

function decodeTable(): Float32Array {
  if (table) return table;
  table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    let v: number;
    if (exp === 0) v = mant * 2 ** -24;
    else if (exp === 0x1f) v = mant === 0 ? Infinity : NaN;
    else v = (1 + mant / 1024) * 2 ** (exp - 15);
    table[h] = sign * v;
  }
  return table;
}

export function fromFloat16Bits(h: number): number {
  return decodeTable()[h & 0xffff]!;
}

/** Encode `src[srcOffset .. srcOffset+length)` into `dst[dstOffset ..)`. */
export function encodeFloat16(src: Float32Array, dst: Uint16Array, srcOffset = 0, length = src.length - srcOffset, dstOffset = 0): void {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < length; i++) dst[dstOffset + i] = halfFromBits(bits[srcOffset + i]!);
}

/** Decode `src[srcOffset .. srcOffset+length)` into `dst[dstOffset ..)`. */
export function decodeFloat16(src: Uint16Array, dst: Float32Array, srcOffset = 0, length = src.length - srcOffset, dstOffset = 0): void {
  const t = decodeTable();
  for (let i = 0; i < length; i++) dst[dstOffset + i] = t[src[srcOffset + i]!]!;
}

/** `x` rounded through binary16 and back (what a float16 cache returns). */
export function roundToFloat16(src: Float32Array): Float32Array {
  const h = new Uint16Array(src.length);
  encodeFloat16(src, h);
  const out = new Float32Array(src.length);
  decodeFloat16(h, out);
  return out;
}

/**
 * Per-domain temporal split (spec §1). Rows of a domain, in time order (unixReviewTime, then
 * input order): trainval = floor((train + valid)·n), test = the rest; train =
 * floor(train / (train + valid) · trainval), valid = the rest of trainval. The default 81/9/10
 * (released code) is floor(0.9·n) then floor(0.9·trainval); the paper text's 80/10/10 and any
 * other fractions (`data.split`) follow the same two steps.
 */
import type { SplitName } from './types.js';

/** Named splits of `data.split`; the first is the default. */
export const SPLIT_PRESETS = {
  released_81_9_10: { train: 0.81, valid: 0.09, test: 0.1 },
  paper_80_10_10: { train: 0.8, valid: 0.1, test: 0.1 },
} as const;
export type SplitPreset = keyof typeof SPLIT_PRESETS;
export type SplitFractions = { train: number; valid: number; test: number };

/** Fractions as integers out of 10^6, so 0.81 / 0.9 is exactly 9/10 (no float rounding). */
const SCALE = 1_000_000n;
function units(x: number): bigint {
  return BigInt(Math.round(x * Number(SCALE)));
}

export function resolveSplit(split: SplitPreset | SplitFractions): SplitFractions {
  return typeof split === 'string' ? { ...SPLIT_PRESETS[split] } : split;
}

export function splitSizes(n: number, split: SplitPreset | SplitFractions = 'released_81_9_10'): Record<SplitName, number> {
  const f = resolveSplit(split);
  const t = units(f.train);
  const tv = t + units(f.valid);
  const total = tv + units(f.test);
  const trainval = (BigInt(n) * tv) / total;
  const train = tv === 0n ? 0n : (trainval * t) / tv;
  return { train: Number(train), valid: Number(trainval - train), test: n - Number(trainval) };
}

/**
 * @param order row indices of the kept rows in global time order
 * @param domainId domain of every row
 * @returns per split, the row indices to write: domain blocks in domain order, time order within
 */
export function splitRows(
  order: Int32Array,
  domainId: Int32Array,
  nDomains: number,
  split: SplitPreset | SplitFractions = 'released_81_9_10',
): Record<SplitName, Int32Array> {
  const perDomain: number[][] = Array.from({ length: nDomains }, () => []);
  for (const i of order) perDomain[domainId[i]!]!.push(i);
  const out: Record<SplitName, number[]> = { train: [], valid: [], test: [] };
  for (const rows of perDomain) {
    const s = splitSizes(rows.length, split);
    rows.forEach((r, k) => (k < s.train ? out.train : k < s.train + s.valid ? out.valid : out.test).push(r));
  }
  return { train: Int32Array.from(out.train), valid: Int32Array.from(out.valid), test: Int32Array.from(out.test) };
}

/**
 * Per-domain temporal split (spec §1, default 81/9/10). Rows of a domain, in time order
 * (unixReviewTime, then input order): trainval = floor(0.9·n), test = the rest;
 * train = floor(0.9·trainval), valid = the rest of trainval.
 */
import type { SplitName } from './types.js';

export function splitSizes(n: number): Record<SplitName, number> {
  // Integer arithmetic: floor(0.9·n) = floor(9n/10) exactly, with no float rounding.
  const trainval = Math.floor((9 * n) / 10);
  const train = Math.floor((9 * trainval) / 10);
  return { train, valid: trainval - train, test: n - trainval };
}

/**
 * @param order row indices of the kept rows in global time order
 * @param domainId domain of every row
 * @returns per split, the row indices to write: domain blocks in domain order, time order within
 */
export function splitRows(order: Int32Array, domainId: Int32Array, nDomains: number): Record<SplitName, Int32Array> {
  const perDomain: number[][] = Array.from({ length: nDomains }, () => []);
  for (const i of order) perDomain[domainId[i]!]!.push(i);
  const out: Record<SplitName, number[]> = { train: [], valid: [], test: [] };
  for (const rows of perDomain) {
    const s = splitSizes(rows.length);
    rows.forEach((r, k) => (k < s.train ? out.train : k < s.train + s.valid ? out.valid : out.test).push(r));
  }
  return { train: Int32Array.from(out.train), valid: Int32Array.from(out.valid), test: Int32Array.from(out.test) };
}

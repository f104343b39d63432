/**
 * Row routing for single-domain baselines: each per-domain model is trained, validated and
 * scored on its own domain's rows only.
 */

/**
 * The entries of `indices` (row numbers of a split) whose row belongs to `domainId`, in order.
 * `domainIds[r]` is row r's domain (the `domain_id` column).
 */
export function selectDomainRows(indices: ArrayLike<number>, domainIds: ArrayLike<number>, domainId: number): Int32Array {
  const out = new Int32Array(indices.length);
  let n = 0;
  for (let k = 0; k < indices.length; k++) {
    const r = indices[k]!;
    if (!Number.isInteger(r) || r < 0 || r >= domainIds.length) {
      throw new RangeError(`selectDomainRows: row ${r} (position ${k}) is outside the split's ${domainIds.length} rows`);
    }
    if (domainIds[r] === domainId) out[n++] = r;
  }
  return out.slice(0, n);
}

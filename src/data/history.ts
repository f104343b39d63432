/**
 * Last-5 history (spec §1): for each row, the user's last HISTORY_LEN positive rows across all
 * domains whose timestamp is STRICTLY earlier than the row's own, oldest first. Rows arrive in the
 * global order (unixReviewTime, domain order, source order, input order). Rows with equal
 * timestamps never see each other: Amazon times are whole days and the 2018 files repeat one
 * review across variant items on the same day, so letting a same-day positive into the history
 * would tell the label. Among earlier rows, the global order decides which are the "last" five.
 */
import { HISTORY_LEN } from './types.js';

/**
 * @param unixTime row timestamps, non-decreasing (the global order)
 * @returns n × HISTORY_LEN row indices of the history rows, oldest first, -1 for empty slots.
 */
export function buildHistory(userId: Int32Array, label: Uint8Array, unixTime: Float64Array, nUsers: number): Int32Array {
  const n = userId.length;
  const H = HISTORY_LEN;
  const hist = new Int32Array(n * H).fill(-1);
  const ring = new Int32Array(nUsers * H);
  const count = new Int32Array(nUsers);
  let start = 0;
  while (start < n) {
    // One block of equal timestamps: read every row's history first, then add its positives.
    let end = start + 1;
    while (end < n && unixTime[end] === unixTime[start]) end++;
    if (end < n && unixTime[end]! < unixTime[start]!) throw new Error(`buildHistory: rows are not in time order at row ${end}`);
    for (let i = start; i < end; i++) {
      const u = userId[i]!;
      const c = count[u]!;
      const k = Math.min(c, H);
      for (let j = 0; j < k; j++) hist[i * H + j] = ring[u * H + ((c - k + j) % H)]!;
    }
    for (let i = start; i < end; i++) {
      if (label[i] !== 1) continue;
      const u = userId[i]!;
      ring[u * H + (count[u]! % H)] = i;
      count[u] = count[u]! + 1;
    }
    start = end;
  }
  return hist;
}

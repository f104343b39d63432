/**
 * Last-5 history (spec §1): for each row, the user's last HISTORY_LEN earlier positive rows across
 * all domains, oldest first. Rows arrive in the global order (unixReviewTime, domain order,
 * source order, input order); a row joins its user's history only after it has been emitted, so
 * "earlier" means earlier in that order (equal timestamps are broken by it).
 */
import { HISTORY_LEN } from './types.js';

/**
 * @returns n × HISTORY_LEN row indices of the history rows, oldest first, -1 for empty slots.
 */
export function buildHistory(userId: Int32Array, label: Uint8Array, nUsers: number): Int32Array {
  const n = userId.length;
  const H = HISTORY_LEN;
  const hist = new Int32Array(n * H).fill(-1);
  const ring = new Int32Array(nUsers * H);
  const count = new Int32Array(nUsers);
  for (let i = 0; i < n; i++) {
    const u = userId[i]!;
    const c = count[u]!;
    const k = Math.min(c, H);
    for (let j = 0; j < k; j++) hist[i * H + j] = ring[u * H + ((c - k + j) % H)]!;
    if (label[i] === 1) {
      ring[u * H + (c % H)] = i;
      count[u] = c + 1;
    }
  }
  return hist;
}

/**
 * Domain names: the paper's display names are required for paper domains (spec §1), so that
 * manifests, metrics and prompts agree; other names are allowed for custom data.
 */
import { PAPER_DOMAINS } from './types.js';

/** Amazon category file stems that denote a paper domain, mapped to its display name. */
const ALIASES: Record<string, string> = {
  amazonfashion: 'Amazon Fashion',
  fashion: 'Amazon Fashion',
  digitalmusic: 'Digital Music',
  musicalinstruments: 'Musical Instruments',
  musicinstruments: 'Musical Instruments',
  giftcards: 'Gift Cards',
  allbeauty: 'All Beauty',
  beauty: 'All Beauty',
};

function norm(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return dp[b.length]!;
}

/**
 * If `name` looks like a paper domain but is not spelt as its display name, return the display
 * name it should be; otherwise null (exact paper names and unrelated custom names are fine).
 */
export function paperNameFor(name: string): string | null {
  if ((PAPER_DOMAINS as readonly string[]).includes(name)) return null;
  const n = norm(name);
  if (ALIASES[n]) return ALIASES[n]!;
  for (const p of PAPER_DOMAINS) {
    if (editDistance(n, norm(p)) <= 2) return p;
  }
  return null;
}

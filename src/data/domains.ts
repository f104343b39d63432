/**
 * Domain names: the paper's display names are required for paper domains (spec §1), so that
 * manifests, metrics and prompts agree; other names are allowed for custom data.
 */
import { PAPER_DOMAINS } from './types.js';
import { editDistance } from '../util/suggest.js';

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

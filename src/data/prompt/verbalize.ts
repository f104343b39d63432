/**
 * Row → prompt string. History wording (see docs/data.md):
 * - `{history}`: `product '<t1>' & product '<t2>'` (titles mode) or `product_<i1> & product_<i2>`
 *   (ids mode), oldest first; `nothing` when empty, so the paper sentence reads
 *   "who clicked nothing recently".
 * - `{history_values}`: the bare values joined by ` & ` (`<t1> & <t2>` or `<i1> & <i2>`), `nothing` if empty.
 */
import type { CompiledTemplate, Placeholder } from './templates.js';

export interface PromptFields {
  domain: string;
  domain_id: number;
  user_id: number;
  item_id: number;
  title: string;
  brand: string;
  /** Cleaned description excerpt, `unknown` when the item has none. */
  description: string;
  /** The title when known, else the description excerpt, else `unknown`. */
  title_or_description: string;
  /** Price text as it appears in the prompt (see docs/data.md). */
  price: string;
  price_bucket: number;
  brand_id: number;
  title_id: number;
  /** Earlier positive items, oldest first. */
  historyTitles: readonly string[];
  historyItemIds: ArrayLike<number>;
  historyMode: 'titles' | 'ids';
}

export const EMPTY_HISTORY = 'nothing';

export function renderHistory(f: PromptFields, bare: boolean): string {
  const n = f.historyMode === 'titles' ? f.historyTitles.length : f.historyItemIds.length;
  if (n === 0) return EMPTY_HISTORY;
  const items: string[] = [];
  for (let k = 0; k < n; k++) {
    if (f.historyMode === 'titles') {
      const t = f.historyTitles[k]!;
      items.push(bare ? t : `product '${t}'`);
    } else {
      const id = f.historyItemIds[k]!;
      items.push(bare ? String(id) : `product_${id}`);
    }
  }
  return items.join(' & ');
}

function fieldValue(f: PromptFields, p: Placeholder): string {
  switch (p) {
    case 'history':
      return renderHistory(f, false);
    case 'history_values':
      return renderHistory(f, true);
    case 'domain':
    case 'title':
    case 'brand':
    case 'price':
    case 'description':
    case 'title_or_description':
      return f[p];
    default:
      return String(f[p]);
  }
}

export function verbalize(t: CompiledTemplate, f: PromptFields): string {
  let out = t.parts[0]!;
  for (let i = 0; i < t.fields.length; i++) out += fieldValue(f, t.fields[i]!) + t.parts[i + 1]!;
  return out;
}

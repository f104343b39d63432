/**
 * Metadata free text for prompts: the 2018 descriptions hold HTML tags and entities
 * (`&amp;`, `&quot;`) and run to thousands of characters, so a template gets a cleaned excerpt.
 */
import { decodeHTML } from 'entities';

/** Characters of a description excerpt (`{description}`) before it is cut at a word boundary. */
export const DESCRIPTION_EXCERPT_CHARS = 120;

/** Tags removed, entities decoded, whitespace runs collapsed to one space, trimmed. */
export function cleanText(raw: string): string {
  return decodeHTML(raw.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
}

/**
 * The first `max` characters of cleaned text; a longer text is cut at the last space within them
 * (unless that drops more than half) and ends with `...`.
 */
export function excerpt(text: string, max = DESCRIPTION_EXCERPT_CHARS): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return (space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:.\-–]+$/, '') + '...';
}

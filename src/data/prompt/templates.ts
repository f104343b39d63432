/**
 * Prompt templates (spec §2). A template is text with `{placeholder}` fields; `{{` and `}}` write
 * literal braces. The paper template and the two Table V ablations are predefined.
 */
import { ConfigError } from '../../util/errors.js';

/** Fields a template may use. Rating and label are deliberately absent (they are the target). */
export const PLACEHOLDERS = [
  'domain',
  'domain_id',
  'user_id',
  'item_id',
  'title',
  'brand',
  'price',
  'price_bucket',
  'brand_id',
  'title_id',
  'history',
  'history_values',
  'description',
  'title_or_description',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export const BUILTIN_TEMPLATES = {
  paper:
    "{domain}: The user ID is user_{user_id}, who clicked {history} recently. The ID of current product is product_{item_id}, the title is '{title}', the brand is '{brand}', the price is {price}$.",
  id_name: 'scenario_{domain_id}, user_{user_id}, {history}, product_{item_id}, title_{title}, brand_{brand}, price_{price}.',
  id_only: '{domain_id}, {user_id}, {history_values}, {item_id}, {title}, {brand}, {price}.',
} as const;

/** A parsed template: literal pieces interleaved with fields (`parts.length = fields.length + 1`). */
export interface CompiledTemplate {
  name: string;
  text: string;
  parts: string[];
  fields: Placeholder[];
}

/** Parse template text; an unknown placeholder or stray brace is a ConfigError naming it. */
export function compileTemplate(name: string, text: string, source = 'template'): CompiledTemplate {
  const parts: string[] = [];
  const fields: Placeholder[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '{' && text[i + 1] === '{') {
      cur += '{';
      i++;
    } else if (ch === '}' && text[i + 1] === '}') {
      cur += '}';
      i++;
    } else if (ch === '{') {
      const end = text.indexOf('}', i);
      if (end < 0) throw new ConfigError(`${source}: unclosed "{" at character ${i} of the template text`);
      const field = text.slice(i + 1, end);
      if (!(PLACEHOLDERS as readonly string[]).includes(field)) {
        throw new ConfigError(
          `${source}: unknown placeholder "{${field}}" in the template text (allowed: ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})`,
        );
      }
      parts.push(cur);
      fields.push(field as Placeholder);
      cur = '';
      i = end;
    } else if (ch === '}') {
      throw new ConfigError(`${source}: stray "}" at character ${i} of the template text (write "}}" for a literal brace)`);
    } else {
      cur += ch;
    }
  }
  parts.push(cur);
  return { name, text, parts, fields };
}

/** Resolve the config's `template` value to a compiled template. */
export function resolveTemplate(
  cfg: 'paper' | 'id_name' | 'id_only' | { name: string; text?: string | undefined },
  source = 'template',
): CompiledTemplate {
  const name = typeof cfg === 'string' ? cfg : cfg.name;
  if (name === 'custom') {
    const text = typeof cfg === 'string' ? undefined : cfg.text;
    if (!text) throw new ConfigError(`${source}: template "custom" needs "text"`);
    return compileTemplate('custom', text, source);
  }
  const text = BUILTIN_TEMPLATES[name as keyof typeof BUILTIN_TEMPLATES];
  if (text === undefined) {
    throw new ConfigError(`${source}: unknown template "${name}" (allowed: paper, id_name, id_only, custom)`);
  }
  return compileTemplate(name, text, source);
}

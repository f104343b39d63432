/** Shared helpers for backbone tests. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const TINY_BERT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/tiny-bert');

/** Sentences of very different lengths, so batches carry lots of padding. */
export const TEXTS = [
  'i like strawberries',
  'The quick brown fox jumps over the lazy dog, while the unaffable cat watches from a windowsill.',
  'ok',
  'Wireless noise-cancelling headphones with 30 hours of battery life',
];

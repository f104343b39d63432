/**
 * Tokenization through transformers.js from a model folder's `tokenizer.json`, offline unless the
 * caller allows downloads. Produces right-padded batches as the Backbone contract wants.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ModelFolderError } from '../../util/errors.js';
import type { TokenizedBatch } from './types.js';

/** The slice of transformers.js's PreTrainedTokenizer this module uses. */
interface HfTokenizerLike {
  encode(text: string, opts?: { add_special_tokens?: boolean }): number[];
  pad_token_id?: number | null;
}

export class BertTokenizer {
  private constructor(
    private readonly tok: HfTokenizerLike,
    readonly padId: number,
    /** Special tokens the template puts before / after the text (1 and 1 for [CLS] … [SEP]). */
    readonly prefixLen: number,
    readonly suffixLen: number,
  ) {}

  /**
   * Load from `folder` (needs tokenizer.json and tokenizer_config.json). With `allowDownload`,
   * `folder` may also be a Hugging Face model id fetched by transformers.js.
   */
  static async load(folder: string, opts: { allowDownload?: boolean } = {}): Promise<BertTokenizer> {
    const local = existsSync(folder);
    if (local || !opts.allowDownload) {
      for (const f of ['tokenizer.json', 'tokenizer_config.json']) {
        const p = path.join(folder, f);
        if (!existsSync(p)) throw new ModelFolderError(`${p}: missing tokenizer file (the folder needs tokenizer.json and tokenizer_config.json)`);
      }
    }
    const { AutoTokenizer, env } = await import('@huggingface/transformers');
    env.allowLocalModels = true;
    env.allowRemoteModels = !!opts.allowDownload;
    let tok: HfTokenizerLike;
    try {
      tok = (await AutoTokenizer.from_pretrained(local ? path.resolve(folder) : folder, {
        local_files_only: !opts.allowDownload,
      })) as unknown as HfTokenizerLike;
    } catch (e) {
      throw new ModelFolderError(`${path.join(folder, 'tokenizer.json')}: cannot load tokenizer (${(e as Error).message.split('\n')[0]})`);
    }
    return BertTokenizer.fromTokenizer(tok, folder);
  }

  /** Wrap an already loaded transformers.js tokenizer. */
  static fromTokenizer(tok: HfTokenizerLike, folder: string): BertTokenizer {
    // Find where the template puts the text by encoding a probe with and without special tokens.
    const probe = 'a';
    const plain = tok.encode(probe, { add_special_tokens: false });
    const full = tok.encode(probe, { add_special_tokens: true });
    let prefixLen = -1;
    for (let p = 0; p + plain.length <= full.length; p++) {
      if (plain.every((id, j) => full[p + j] === id)) {
        prefixLen = p;
        break;
      }
    }
    if (prefixLen < 0 || plain.length === 0) {
      throw new ModelFolderError(`${path.join(folder, 'tokenizer.json')}: cannot locate the text inside the post-processor template`);
    }
    const suffixLen = full.length - plain.length - prefixLen;
    const pad = tok.pad_token_id;
    return new BertTokenizer(tok, typeof pad === 'number' && pad >= 0 ? pad : 0, prefixLen, suffixLen);
  }

  /** Token ids of one text with special tokens, truncated to maxLength keeping the trailing specials. */
  encodeOne(text: string, maxLength: number): number[] {
    const ids = this.tok.encode(text, { add_special_tokens: true });
    if (ids.length <= maxLength) return ids;
    const keepHead = maxLength - this.suffixLen;
    return [...ids.slice(0, Math.max(0, keepHead)), ...ids.slice(ids.length - this.suffixLen)].slice(0, maxLength);
  }

  /** Right-padded batch, padded to the longest sequence in it (≤ maxLength). */
  tokenize(texts: readonly string[], maxLength: number): TokenizedBatch {
    const minLen = this.prefixLen + this.suffixLen + 1;
    if (!Number.isInteger(maxLength) || maxLength < minLen) {
      throw new RangeError(`tokenize: maxLength must be an integer ≥ ${minLen}, got ${maxLength}`);
    }
    const rows = texts.map((t) => this.encodeOne(t, maxLength));
    const seqLen = Math.max(1, ...rows.map((r) => r.length));
    const inputIds = new Int32Array(texts.length * seqLen).fill(this.padId);
    const attentionMask = new Int32Array(texts.length * seqLen);
    rows.forEach((r, i) => {
      inputIds.set(r, i * seqLen);
      attentionMask.fill(1, i * seqLen, i * seqLen + r.length);
    });
    return { batch: texts.length, seqLen, inputIds, attentionMask };
  }
}

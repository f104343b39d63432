/**
 * SentencePiece unigram segmentation (Viterbi over piece log-probabilities) for vocabularies
 * shipped as `[[piece, score], …]` JSON, as in the USE-lite package. Word boundaries follow the
 * SentencePiece convention: spaces become "▁" and the text starts with one.
 *
 * @example
 *   const sp = SentencePieceUnigram.fromJson(JSON.parse(readFileSync('vocab.json', 'utf8')), 'vocab.json');
 *   sp.encode('a cheap guitar'); // → piece ids
 */
import { ModelFolderError } from '../../util/errors.js';

export const WORD_BOUNDARY = '\u2581';

interface TrieNode {
  next: Map<number, TrieNode>;
  /** Piece id ending here, −1 if none. */
  id: number;
}

function newNode(): TrieNode {
  return { next: new Map(), id: -1 };
}

export class SentencePieceUnigram {
  readonly size: number;
  private readonly scores: Float64Array;
  private readonly root: TrieNode;
  private readonly unkScore: number;

  /**
   * @param pieces piece strings, index = id
   * @param scores log-probabilities; `null` marks user-defined symbols, which always win over a
   *   split (score 0, above every learnt piece), as SentencePiece treats them
   * @param unkId id emitted for characters no piece covers (consecutive ones merge into one)
   */
  constructor(
    readonly pieces: readonly string[],
    scores: readonly (number | null)[],
    readonly unkId = 0,
  ) {
    this.size = pieces.length;
    this.scores = new Float64Array(pieces.length);
    this.root = newNode();
    let minScore = 0;
    for (let id = 0; id < pieces.length; id++) {
      const s = scores[id];
      const score = s === null || s === undefined ? 0 : s;
      this.scores[id] = score;
      if (score < minScore) minScore = score;
      // Control pieces (<s>, </s>, id 0) are never produced by segmentation.
      if (id === unkId || /^<.*>$/.test(pieces[id]!)) continue;
      let node = this.root;
      for (const ch of pieces[id]!) {
        const cp = ch.codePointAt(0)!;
        let child = node.next.get(cp);
        if (!child) {
          child = newNode();
          node.next.set(cp, child);
        }
        node = child;
      }
      // First occurrence wins for duplicated strings.
      if (node.id < 0) node.id = id;
    }
    // Unknown characters cost more than any real piece, so they are used only when nothing fits.
    this.unkScore = minScore - 10;
  }

  /** Parse `[[piece, score], …]`; `source` names the file in errors. */
  static fromJson(json: unknown, source: string): SentencePieceUnigram {
    if (!Array.isArray(json) || json.length === 0) {
      throw new ModelFolderError(`${source}: expected a non-empty JSON array of [piece, score] pairs`);
    }
    const pieces: string[] = [];
    const scores: (number | null)[] = [];
    json.forEach((entry: unknown, i: number) => {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !(typeof entry[1] === 'number' || entry[1] === null)) {
        throw new ModelFolderError(`${source}: entry ${i} is ${JSON.stringify(entry)}, expected [string, number]`);
      }
      pieces.push(entry[0]);
      scores.push(entry[1] as number | null);
    });
    return new SentencePieceUnigram(pieces, scores);
  }

  /** NFKC, whitespace runs collapsed, "▁" for each space and one in front. Empty text stays empty. */
  normalize(text: string): string {
    const t = text.normalize('NFKC').replace(/\s+/g, ' ').trim();
    return t.length === 0 ? '' : WORD_BOUNDARY + t.replace(/ /g, WORD_BOUNDARY);
  }

  /** Best-scoring segmentation of `text` into piece ids. */
  encode(text: string): number[] {
    const chars = Array.from(this.normalize(text));
    const n = chars.length;
    if (n === 0) return [];
    const cps = chars.map((c) => c.codePointAt(0)!);
    const best = new Float64Array(n + 1).fill(-Infinity);
    const fromPos = new Int32Array(n + 1).fill(-1);
    const fromId = new Int32Array(n + 1).fill(-1);
    best[0] = 0;
    for (let i = 0; i < n; i++) {
      const base = best[i]!;
      if (base === -Infinity) continue;
      let node: TrieNode | undefined = this.root;
      let matchedSingle = false;
      for (let j = i; j < n; j++) {
        node = node.next.get(cps[j]!);
        if (!node) break;
        if (node.id >= 0) {
          if (j === i) matchedSingle = true;
          const s = base + this.scores[node.id]!;
          if (s > best[j + 1]!) {
            best[j + 1] = s;
            fromPos[j + 1] = i;
            fromId[j + 1] = node.id;
          }
        }
      }
      if (!matchedSingle) {
        const s = base + this.unkScore;
        if (s > best[i + 1]!) {
          best[i + 1] = s;
          fromPos[i + 1] = i;
          fromId[i + 1] = this.unkId;
        }
      }
    }
    const ids: number[] = [];
    for (let end = n; end > 0; end = fromPos[end]!) ids.push(fromId[end]!);
    ids.reverse();
    const merged: number[] = [];
    for (const id of ids) {
      if (id === this.unkId && merged.length > 0 && merged[merged.length - 1] === this.unkId) continue;
      merged.push(id);
    }
    return merged;
  }

  /** Pieces joined back into text ("▁" → space); unknown spans show as the unk piece. */
  decode(ids: readonly number[]): string {
    return ids
      .map((id) => this.pieces[id] ?? '')
      .join('')
      .replace(new RegExp(WORD_BOUNDARY, 'g'), ' ')
      .trim();
  }
}

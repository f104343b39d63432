/**
 * The paper's published AUCs (spec §6), shown beside local results for orientation only, and only
 * where the local domains are the paper's.
 */

/** The paper's three training domains and its zero-shot domain (Amazon Review Data 2018). */
export const PAPER_DOMAINS = ['Amazon Fashion', 'Musical Instruments', 'Gift Cards'] as const;
export const PAPER_ZERO_SHOT_DOMAIN = 'All Beauty';

const cols = (f: number, m: number, g: number) => ({ 'Amazon Fashion': f, 'Musical Instruments': m, 'Gift Cards': g });

/** Table III (Sheared-LLaMA backbone), by this project's model name. */
export const PAPER_TABLE3: Record<string, Record<string, number>> = {
  pnn: cols(0.6979, 0.6859, 0.5959),
  dcn: cols(0.6985, 0.6893, 0.6126),
  deepfm: cols(0.6982, 0.688, 0.5937),
  xdeepfm: cols(0.7031, 0.6892, 0.6121),
  dien: cols(0.6995, 0.6881, 0.6105),
  autoint: cols(0.7003, 0.6888, 0.5976),
  fibinet: cols(0.677, 0.6878, 0.612),
  inttower: cols(0.6988, 0.6888, 0.61),
  shared_bottom: cols(0.6946, 0.6875, 0.5907),
  mmoe: cols(0.6907, 0.6857, 0.6104),
  ple: cols(0.6842, 0.6813, 0.6375),
  star: cols(0.6874, 0.6831, 0.6242),
  sarnet: cols(0.6824, 0.6763, 0.6055),
  dffm: cols(0.6973, 0.6856, 0.6324),
  unictr: cols(0.7523, 0.7569, 0.7246),
};

/** Fig. 3: zero-shot AUC on All Beauty. Single-domain baselines: 0.500–0.504 (not listed singly). */
export const PAPER_ZERO_SHOT: Record<string, number> = {
  unictr: 0.6391,
  shared_bottom: 0.5543,
  mmoe: 0.5713,
  ple: 0.5724,
  star: 0.5636,
};

/** Tables V and VI (DeBERTa-V3-Large backbone), by ablation. */
export const PAPER_ABLATION: Record<string, Record<string, number>> = {
  'Uni-CTR (full)': cols(0.7391, 0.7395, 0.7073),
  'w/o ladder': cols(0.7084, 0.6975, 0.6723),
  'w/o LLM (DNN on IDs)': cols(0.6954, 0.6923, 0.61),
  'prompt: full (5 epochs)': cols(0.7047, 0.7008, 0.6825),
  'prompt: ID + name': cols(0.696, 0.696, 0.6749),
  'prompt: ID only': cols(0.6951, 0.6835, 0.6605),
};

/** Whether local results are on the paper's domains (so that its numbers may stand beside them). */
export function isPaperDomainSet(domains: readonly string[]): boolean {
  return PAPER_DOMAINS.every((d) => domains.includes(d));
}

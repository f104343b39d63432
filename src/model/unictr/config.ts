/**
 * The `model` block of a Uni-CTR experiment (spec §3). Every key is snake_case and defaults to the
 * spec's default; unknown keys are rejected.
 */
import { z } from 'zod';

export const LADDER_KINDS = ['bottleneck', 'plain_attention', 'none'] as const;
export const GATE_INPUTS = ['sum', 'concat', 'scaled_sum'] as const;
export const GENERAL_NETWORKS = ['ladder', 'pooled'] as const;
export const GENERAL_POOLINGS = ['attention', 'mean'] as const;

export const UniCtrConfigSchema = z
  .object({
    /**
     * Block kind: `bottleneck` (down-projection to d/reduction, self-attention, up-projection),
     * `plain_attention` (self-attention at width d + residual + LayerNorm), `none` ("w/o ladder":
     * each branch pools HL directly).
     */
    ladder: z.enum(LADDER_KINDS).default('bottleneck'),
    /** φ: block i reads H(i·φ); K = floor(L/φ) + 1 blocks. */
    ladder_frequency: z.number().int().min(1).default(2),
    /** Bottleneck width is d / ladder_reduction. */
    ladder_reduction: z.number().int().min(1).default(4),
    /** Self-attention heads inside a ladder block (across the tokens of one sample). */
    ladder_heads: z.number().int().min(1).default(2),
    /** Dropout after the down-projection and after the up-projection. */
    ladder_dropout: z.number().min(0).max(0.99).default(0.2),
    /**
     * Gate input: ladder output + HL (`sum`), their concatenation (`concat`, width 2d), or
     * HL + α · ladder output with a learned scalar α starting at 0 (`scaled_sum`: the branch starts
     * as the no-ladder model and takes in the ladder as far as training finds it useful).
     */
    gate_input: z.enum(GATE_INPUTS).default('sum'),
    /**
     * Initial gate query q: `glorot` (reference) or `zeros`, which starts every gate as a masked
     * mean over the tokens (uniform softmax) instead of a fixed random emphasis on some tokens.
     */
    gate_query_init: z.enum(['glorot', 'zeros']).default('glorot'),
    /** Width of W in score_t = q·tanh(W x_t + b); null = the gate's input width. */
    gate_hidden: z.number().int().min(1).nullable().default(null),
    /** Tower MLP hidden sizes, each Linear → BatchNorm → ReLU → Dropout. */
    tower_hidden: z.array(z.number().int().min(1)).default([1024, 512, 256]),
    tower_dropout: z.number().min(0).max(0.99).default(0.3),
    /**
     * Normalisation after each tower Linear: `batch_norm` (reference; statistics over the rows of
     * the domain's sub-batch), `layer_norm` (per row, independent of the sub-batch size) or `none`.
     */
    tower_norm: z.enum(['batch_norm', 'layer_norm', 'none']).default('batch_norm'),
    /**
     * Normalise the backbone states before the branches read them: `none` (reference),
     * `layer_norm` (every token over its features, parameter-free) or `standardize` (every feature
     * with its mean and variance over the real tokens of the training rows, fitted once before
     * training and kept in the checkpoint as `state_norm.H<l>.moving_mean|moving_variance`).
     */
    state_norm: z.enum(['none', 'layer_norm', 'standardize']).default('none'),
    /** Weight of the current batch in BatchNorm running statistics (PyTorch convention). */
    batch_norm_momentum: z.number().gt(0).max(1).default(0.1),
    batch_norm_epsilon: z.number().gt(0).default(1e-5),
    layer_norm_epsilon: z.number().gt(0).default(1e-5),
    /** General network: own ladder + gate + tower (`ladder`) or a tower on pooled HL (`pooled`). */
    general_network: z.enum(GENERAL_NETWORKS).default('ladder'),
    /** How `pooled` pools HL: the attention gate or a masked mean. */
    general_pooling: z.enum(GENERAL_POOLINGS).default('attention'),
  })
  .strict();

export type UniCtrConfig = z.output<typeof UniCtrConfigSchema>;

/** Defaults filled in; `overrides` are validated like a YAML block. */
export function uniCtrConfig(overrides: z.input<typeof UniCtrConfigSchema> = {}): UniCtrConfig {
  return UniCtrConfigSchema.parse(overrides);
}

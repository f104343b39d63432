/** Shared layers of the CTR models, re-exported so that a model imports from one place. */
export { VariableStore } from './variable_store.js';
export { FeatureEmbedding, FIELDS, NUM_FIELDS, TABLES, checkVocab, checkIdRanges, flattenFields, type VocabSizes } from './feature_embedding.js';
export { MlpBlock, activate, applyDropout, type Activation, type MlpBlockOptions } from './mlp_block.js';
export { CrossNet } from './cross_net.js';
export { CompressedInteractionNet } from './compressed_interaction_net.js';
export { MultiHeadSelfAttention, type MultiHeadSelfAttentionOptions } from './multi_head_self_attention.js';
export { BilinearInteraction, BILINEAR_TYPES, type BilinearType } from './bilinear_interaction.js';
export { SqueezeExcitation } from './senet.js';
export { innerProductPairs, numPairs, pairSelector } from './inner_product.js';
export { FactorizationMachine, LogisticRegression, fmSecondOrder } from './factorization_machine.js';
export { Experts, Gate, type ExpertsOptions } from './experts.js';
export { Linear } from './linear.js';
export { LayerNorm } from './layer_norm.js';
export { BatchNorm } from './batch_norm.js';
export { attendHistory, historyMask } from './history_attention.js';

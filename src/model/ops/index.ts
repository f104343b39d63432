/** Shared tfjs ops with custom gradients that run fast on the cpu and wasm backends. */
export { embeddingLookup } from './embedding_lookup.js';
export { dense, denseUntransposed } from './dense.js';
export { stopGradient } from './stop_gradient.js';
export { fusedAttentionApplies, fusedSelfAttention } from './fused_attention.js';

/** Uni-CTR: model, config schema, loss and the layer-selection helpers the cache and trainer need. */
export { UniCtr, type UniCtrOptions, type TrainableSetting } from './unictr.js';
export { UniCtrConfigSchema, uniCtrConfig, type UniCtrConfig } from './config.js';
export { maskedBceLoss, sigmoidCrossEntropyWithLogits } from './loss.js';
export { ladderLayers, stateLayers } from './ladder.js';

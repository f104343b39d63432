/**
 * The learnt domain embedding that PEPNet, M2M, APG and AdaSparse condition on
 * (`domain_embedding`, [domains, dim]).
 *
 * It starts at N(0, 1), not at the field tables' tiny `embedding_init_std`: the domain reaches
 * these models only through products with other learnt weights (gate, generator and pruner
 * inputs), and a near-zero start leaves those products near zero for most of a short training
 * (on two domains with opposite user × brand affinities, AdaSparse and APG barely used the domain
 * after the learning test's 4 epochs with std 0.01). The unseen-id argument for small field embeddings does not apply:
 * every domain embedding row is trained.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { VariableStore } from '../layers/variable_store.js';

export const DOMAIN_EMBEDDING_INIT_STD = 1;

export function domainEmbedding(store: VariableStore, domains: number, dim: number): tf.Variable {
  return store.normal('domain_embedding', [domains, dim], DOMAIN_EMBEDDING_INIT_STD);
}

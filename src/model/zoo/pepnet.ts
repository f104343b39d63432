/**
 * PEPNet (Chang et al., "PEPNet: Parameter and Embedding Personalized Network for Infusing with
 * Personalized Prior Information", KDD 2023), single-task multi-domain form.
 *
 * Gate NU: δ = γ · sigmoid(ReLU(x·W1 + b1)·W2 + b2), so δ ∈ (0, γ) (γ = 2: a gate can amplify).
 * EPNet: the flat embeddings E are scaled element-wise by a Gate NU on the domain embedding and
 * E behind a stop-gradient, O_ep = δ_domain ⊗ E. PPNet: every layer's input of the DNN is scaled
 * by its own Gate NU on the personal priors (domain, user, item and brand embeddings) and O_ep
 * behind a stop-gradient: H_{l+1} = ReLU((δ_l ⊗ H_l)·W_l + b_l), H_0 = O_ep; the logit layer's
 * input is gated too. `epnet: false` / `ppnet: false` drop either part (the paper's ablations);
 * with both off it is a plain DNN.
 *
 * Variables: `embedding.*`, `domain_embedding` [domains, d], `epnet.{0,1}.{kernel,bias}`,
 * `ppnet.<l>.{0,1}.{kernel,bias}` (one gate per DNN layer), `mlp.<l>.{kernel,bias}` (+ `bn`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { BatchNorm } from '../layers/batch_norm.js';
import { FeatureEmbedding, flattenFields, NUM_FIELDS } from '../layers/feature_embedding.js';
import { Linear } from '../layers/linear.js';
import { applyDropout, MlpBlock } from '../layers/mlp_block.js';
import type { VariableStore } from '../layers/variable_store.js';
import { stopGradient } from '../ops/stop_gradient.js';
import type { BatchTensors, ForwardOptions } from '../types.js';
import { commonOptions, DomainConditionedModel, schemaParts, type ZooArgs } from './base.js';
import { domainEmbedding } from './domain_embedding.js';

export const PEPNetOptions = z.strictObject({
  ...commonOptions,
  hidden_units: schemaParts.units.default([1024, 512, 256]),
  /** Width of every Gate NU's hidden layer. */
  gate_hidden_units: z.number().int().positive().default(128),
  /** γ: gates lie in (0, γ). */
  gate_scale: z.number().positive().default(2),
  epnet: z.boolean().default(true),
  ppnet: z.boolean().default(true),
});
export type PEPNetOptions = z.output<typeof PEPNetOptions>;

/** Gate Neural Unit: two layers, ReLU then γ·sigmoid. Variables `<scope>.{0,1}.{kernel,bias}`. */
export class GateNU {
  private readonly mlp: MlpBlock;

  constructor(store: VariableStore, inputDim: number, hiddenDim: number, outputDim: number, readonly scale: number) {
    this.mlp = new MlpBlock(store, { inputDim, hiddenUnits: [hiddenDim], outputDim });
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.mul(tf.sigmoid(this.mlp.apply(x, { training: false })), this.scale) as tf.Tensor2D;
  }
}

/** Fields whose embeddings are PPNet's personal priors besides the domain (user, item, brand ≈ author). */
const PRIOR_FIELDS = 3;

export class PEPNet extends DomainConditionedModel {
  private readonly embedding: FeatureEmbedding;
  private readonly domainEmbedding: tf.Variable;
  private readonly epGate?: GateNU;
  private readonly ppGates: GateNU[] = [];
  private readonly layers: { linear: Linear; bn?: BatchNorm }[] = [];
  private readonly dropout: number;

  constructor(args: ZooArgs, o: PEPNetOptions) {
    super('pepnet', args.domains, args.seed);
    const d = o.embedding_dim;
    const flat = NUM_FIELDS * d;
    this.dropout = o.net_dropout;
    this.embedding = this.fieldEmbedding(args, o);
    this.domainEmbedding = domainEmbedding(this.store, args.domains.length, d);
    if (o.epnet) this.epGate = new GateNU(this.store.scope('epnet'), d + flat, o.gate_hidden_units, flat, o.gate_scale);
    const dims = [flat, ...o.hidden_units, 1];
    const priors = (1 + PRIOR_FIELDS) * d + flat;
    for (let l = 0; l + 1 < dims.length; l++) {
      const s = this.store.scope('mlp').scope(l);
      const hidden = l + 2 < dims.length;
      this.layers.push({ linear: new Linear(s, dims[l]!, dims[l + 1]!), bn: hidden && o.batch_norm ? new BatchNorm(s.scope('bn'), dims[l + 1]!) : undefined });
      if (o.ppnet) this.ppGates.push(new GateNU(this.store.scope('ppnet').scope(l), priors, o.gate_hidden_units, dims[l]!, o.gate_scale));
    }
  }

  protected conditionedLogits(batch: BatchTensors, indicator: tf.Tensor2D, opts: ForwardOptions): tf.Tensor1D {
    const fields = this.embedding.apply(batch);
    const e = flattenFields(fields);
    const dom = tf.matMul(indicator, this.domainEmbedding as tf.Tensor2D);
    // EPNet: the gate reads E but must not train it (stop-gradient), only scale it.
    let h: tf.Tensor2D = this.epGate ? (tf.mul(this.epGate.apply(tf.concat([dom, stopGradient(e)], 1) as tf.Tensor2D), e) as tf.Tensor2D) : e;
    const priors = this.ppGates.length
      ? (tf.concat([dom, flattenFields(tf.slice(fields, [0, 0, 0], [-1, PRIOR_FIELDS, -1])), stopGradient(h)], 1) as tf.Tensor2D)
      : undefined;
    this.layers.forEach((l, i) => {
      if (priors) h = tf.mul(this.ppGates[i]!.apply(priors), h) as tf.Tensor2D;
      h = l.linear.apply(h);
      if (i + 1 < this.layers.length) {
        if (l.bn) h = l.bn.apply(h, opts.training);
        h = applyDropout(tf.relu(h), this.dropout, opts);
      }
    });
    return tf.reshape(h, [-1]) as tf.Tensor1D;
  }
}

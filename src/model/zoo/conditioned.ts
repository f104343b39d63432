/**
 * Multi-domain models that are one network conditioned on the scoring domain (SAR-Net's scenario
 * embedding and scenario-specific layers, DFFM's domain-generated parameters) rather than one
 * tower per domain. Tower k is that network run with domain k as the condition; a sample is
 * scored with its own domain (or `head`), and a sample of no training domain (-1, no head) gets
 * logit 0 and no gradient, as with the tower models.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../../util/errors.js';
import type { BatchTensors, ForwardOptions, ModelOutputs } from '../types.js';
import { domainOneHot, MultiDomainModel } from './base.js';

export abstract class ConditionedModel extends MultiDomainModel {
  /** [batch] logits with each sample conditioned on the domain of its row of `indicator` ([batch, domains] one-hot). */
  protected abstract conditionedLogits(batch: BatchTensors, indicator: tf.Tensor2D, opts: ForwardOptions): tf.Tensor1D;

  towerLogits(batch: BatchTensors, opts: ForwardOptions): tf.Tensor2D {
    const m = this.domains.length;
    const cols = this.domains.map((_, k) => tf.reshape(this.conditionedLogits(batch, headIndicator(batch.size, k, m), opts), [-1, 1]));
    return tf.concat(cols, 1) as tf.Tensor2D;
  }

  override forward(batch: BatchTensors, opts: ForwardOptions): ModelOutputs {
    const m = this.domains.length;
    const head = opts.head;
    if (head === 'general') throw new ConfigError(`model "${this.name}" has no general network; pick a domain 0..${m - 1} as head`);
    if (head !== undefined) {
      if (!Number.isInteger(head) || head < 0 || head >= m) throw new ConfigError(`model "${this.name}": head ${head} is not a domain index 0..${m - 1}`);
      return { logits: this.conditionedLogits(batch, headIndicator(batch.size, head, m), opts) };
    }
    const indicator = domainOneHot(batch.domainIndex, m);
    const present = tf.sum(indicator, 1) as tf.Tensor1D; // 0 for rows of no training domain
    return { logits: tf.mul(this.conditionedLogits(batch, indicator, opts), present) as tf.Tensor1D };
  }
}

function headIndicator(size: number, k: number, m: number): tf.Tensor2D {
  return domainOneHot(tf.fill([size], k, 'int32') as tf.Tensor1D, m);
}

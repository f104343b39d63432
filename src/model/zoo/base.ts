/**
 * Common plumbing of the ID-feature baselines: variable store, CtrModel bookkeeping, option
 * pieces shared by the schemas, and own-domain logit selection for the multi-domain models.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ConfigError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { FeatureEmbedding, type VocabSizes } from '../layers/feature_embedding.js';
import { MlpBlock } from '../layers/mlp_block.js';
import { VariableStore } from '../layers/variable_store.js';
import type { BatchTensors, CtrModel, ForwardOptions, ModelOutputs } from '../types.js';

/** What the registry passes to every model constructor. */
export interface ZooArgs {
  /** The manifest's `vocab_sizes` (id 0 reserved). */
  vocab: VocabSizes;
  /** Training domains in tower order; exactly one for a single-domain model. */
  domains: readonly string[];
  /** Seeds the initialisation. */
  seed: number;
}

const units = z.array(z.number().int().positive());
const rate = z.number().min(0).lt(1);

/** Option keys every baseline accepts (defaults: spec §5). */
export const commonOptions = {
  embedding_dim: z.number().int().positive().default(32),
  net_dropout: rate.default(0.3),
  batch_norm: z.boolean().default(false),
  /** Std of the normal initialiser of the embedding tables. */
  embedding_init_std: z.number().positive().default(1e-4),
};
export const schemaParts = { units, rate };

export abstract class ZooModel implements CtrModel {
  protected readonly store: VariableStore;

  constructor(
    readonly name: string,
    readonly domains: readonly string[],
    seed: number,
  ) {
    this.store = new VariableStore(new Rng(seed));
  }

  abstract forward(batch: BatchTensors, opts: ForwardOptions): ModelOutputs;

  trainableVariables(): tf.Variable[] {
    return this.store.trainable();
  }

  namedVariables(): Map<string, tf.Variable> {
    return this.store.named();
  }

  /** The per-field embedding tables every baseline starts from (scope `embedding`). */
  protected fieldEmbedding(args: ZooArgs, o: { embedding_dim: number; embedding_init_std: number }): FeatureEmbedding {
    return new FeatureEmbedding(this.store.scope('embedding'), args.vocab, { dim: o.embedding_dim, initStd: o.embedding_init_std });
  }

  /** The deep part of a single-domain baseline: MLP to one logit (scope `mlp`). */
  protected deepLogit(inputDim: number, o: { hidden_units: number[]; net_dropout: number; batch_norm: boolean }): MlpBlock {
    return new MlpBlock(this.store.scope('mlp'), {
      inputDim,
      hiddenUnits: o.hidden_units,
      dropout: o.net_dropout,
      batchNorm: o.batch_norm,
      outputDim: 1,
    });
  }

  /** Number of trainable scalars. */
  paramCount(): number {
    return this.store.count();
  }

  dispose(): void {
    this.store.dispose();
  }
}

/**
 * A model trained on one domain's rows only (the trainer builds one per domain and routes by
 * domain); `domainIndex` is ignored and `head` may only be 0.
 */
export abstract class SingleDomainModel extends ZooModel {
  constructor(name: string, domains: readonly string[], seed: number) {
    if (domains.length !== 1) {
      throw new ConfigError(`model "${name}" is single-domain: it needs exactly one domain, got [${domains.join(', ')}]`);
    }
    super(name, domains, seed);
  }

  protected abstract logits(batch: BatchTensors, opts: ForwardOptions): tf.Tensor1D;

  forward(batch: BatchTensors, opts: ForwardOptions): ModelOutputs {
    this.checkHead(opts);
    return { logits: this.logits(batch, opts) };
  }

  protected checkHead(opts: ForwardOptions): void {
    if (opts.head !== undefined && opts.head !== 0) {
      throw new ConfigError(`model "${this.name}" has a single head (0); head ${JSON.stringify(opts.head)} does not exist`);
    }
  }
}

/**
 * Per-sample logit from per-tower logits [batch, towers]: the sample's own tower (`domainIndex`;
 * -1 → 0, no tower), or tower `head` for every sample. Selection by one-hot product, so the other
 * towers get no gradient from a sample.
 */
export function selectTowerLogits(model: string, towerLogits: tf.Tensor2D, domainIndex: tf.Tensor1D, head: ForwardOptions['head']): tf.Tensor1D {
  const m = towerLogits.shape[1];
  if (head === 'general') throw new ConfigError(`model "${model}" has no general network; pick a domain tower 0..${m - 1} as head`);
  if (head !== undefined) {
    if (!Number.isInteger(head) || head < 0 || head >= m) throw new ConfigError(`model "${model}": head ${head} is not a tower index 0..${m - 1}`);
    return tf.reshape(tf.slice(towerLogits, [0, head], [-1, 1]), [-1]) as tf.Tensor1D;
  }
  return tf.sum(tf.mul(towerLogits, domainOneHot(domainIndex, m)), 1) as tf.Tensor1D;
}

/** [batch, towers] one-hot of each sample's domain (rows of zeros for -1). */
export function domainOneHot(domainIndex: tf.Tensor1D, m: number): tf.Tensor2D {
  const idx = domainIndex.dtype === 'int32' ? domainIndex : tf.cast(domainIndex, 'int32');
  // tf.oneHot rejects depth 1, which a multi-domain model trained on a single domain needs.
  if (m === 1) return tf.cast(tf.expandDims(tf.equal(idx, 0), 1), 'float32') as tf.Tensor2D;
  return tf.cast(tf.oneHot(idx, m), 'float32') as tf.Tensor2D;
}

/**
 * [batch, domains] one-hot of the domain whose parameters score each sample: `head` for every
 * sample if given, else the sample's own domain (a row of zeros for -1).
 */
export function scoringIndicator(model: string, batch: BatchTensors, head: ForwardOptions['head'], m: number): tf.Tensor2D {
  if (head === 'general') throw new ConfigError(`model "${model}" has no general network; pick a domain 0..${m - 1} as head`);
  if (head === undefined) return domainOneHot(batch.domainIndex, m);
  if (!Number.isInteger(head) || head < 0 || head >= m) throw new ConfigError(`model "${model}": head ${head} is not a domain index 0..${m - 1}`);
  return domainOneHot(tf.fill([batch.size], head, 'int32') as tf.Tensor1D, m);
}

/**
 * Multi-domain model whose domain enters as a condition (gates, generated or pruned parameters)
 * instead of separate towers. `head: k` scores every sample as domain k; a sample of domain -1
 * without a head gets logit 0 and sends no gradient, as with the tower models.
 */
export abstract class DomainConditionedModel extends ZooModel {
  constructor(name: string, domains: readonly string[], seed: number) {
    if (domains.length < 1) throw new ConfigError(`model "${name}" needs at least one training domain`);
    super(name, domains, seed);
  }

  /** [batch] logits when each sample is treated as the domain of its `indicator` row ([batch, domains]). */
  protected abstract conditionedLogits(batch: BatchTensors, indicator: tf.Tensor2D, opts: ForwardOptions): tf.Tensor1D;

  /** The logits plus a model's own loss term and stats, where it has them (AdaSparse's regulariser). */
  protected conditionedOutputs(batch: BatchTensors, indicator: tf.Tensor2D, opts: ForwardOptions): ModelOutputs {
    return { logits: this.conditionedLogits(batch, indicator, opts) };
  }

  forward(batch: BatchTensors, opts: ForwardOptions): ModelOutputs {
    const indicator = scoringIndicator(this.name, batch, opts.head, this.domains.length);
    const known = tf.sum(indicator, 1);
    const out = this.conditionedOutputs(batch, indicator, opts);
    return { ...out, logits: tf.mul(out.logits, known) as tf.Tensor1D };
  }
}

/** Multi-domain model: one tower per training domain, each sample scored by its own. */
export abstract class MultiDomainModel extends ZooModel {
  constructor(name: string, domains: readonly string[], seed: number) {
    if (domains.length < 1) throw new ConfigError(`model "${name}" needs at least one training domain`);
    super(name, domains, seed);
  }

  /** [batch, towers] logits of every tower on every sample. */
  abstract towerLogits(batch: BatchTensors, opts: ForwardOptions): tf.Tensor2D;

  forward(batch: BatchTensors, opts: ForwardOptions): ModelOutputs {
    return { logits: selectTowerLogits(this.name, this.towerLogits(batch, opts), batch.domainIndex, opts.head) };
  }
}

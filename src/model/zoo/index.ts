/**
 * Registry of the ID-feature baselines (spec §5): name → kind, option schema, constructor.
 *
 * kind "single": one model per training domain, built with `domains: [thatDomain]`, trained and
 * scored on that domain's rows only (the trainer's `rowsOfDomains`); it ignores `domainIndex`.
 * kind "multi": one model over all training domains, one tower per domain; each sample is scored
 * by its own domain's tower, `head: k` scores every sample with tower k.
 * Options are snake_case keys validated by a strict zod schema (unknown keys are errors).
 */
import type { z } from 'zod';
import { parseConfig, sourceOf, type ConfigSource } from '../../util/config.js';
import { ConfigError } from '../../util/errors.js';
import type { CtrModel } from '../types.js';
import { AdaSparse, AdaSparseOptions } from './adasparse.js';
import { APG, APGOptions } from './apg.js';
import { AutoInt, AutoIntOptions } from './autoint.js';
import type { ZooArgs } from './base.js';
import { DCN, DCNOptions } from './dcn.js';
import { DFFM, DFFMOptions } from './dffm.js';
import { DeepFM, DeepFMOptions } from './deepfm.js';
import { DIEN, DIENOptions } from './dien.js';
import { DNN, DNNOptions } from './dnn.js';
import { FiBiNET, FiBiNETOptions } from './fibinet.js';
import { IntTower, IntTowerOptions } from './inttower.js';
import { M2M, M2MOptions } from './m2m.js';
import { MMoE, MMoEOptions } from './mmoe.js';
import { PEPNet, PEPNetOptions } from './pepnet.js';
import { PLE, PLEOptions } from './ple.js';
import { PNN, PNNOptions } from './pnn.js';
import { SARNet, SARNetOptions } from './sarnet.js';
import { SharedBottom, SharedBottomOptions } from './shared_bottom.js';
import { STAR, STAROptions } from './star.js';
import { XDeepFM, XDeepFMOptions } from './xdeepfm.js';

export type ZooKind = 'single' | 'multi';

/** What `unictr models` prints about a model. */
export interface ModelAbout {
  /** One line: what the model does. */
  description: string;
  /** Authors, title, venue and year. */
  paper: string;
}

export interface ZooEntry {
  kind: ZooKind;
  about?: ModelAbout;
  /** Strict schema of the model's options (defaults filled in by parsing). */
  options: z.ZodType;
  /** One line: what the model is and its paper. */
  description?: string;
  /** Validates `options` (raw, e.g. a config's `model` block without `name`) and builds the model. */
  create(args: ZooCreateArgs): CtrModel;
}

export interface ZooCreateArgs extends ZooArgs {
  /** Raw option object; undefined → all defaults. */
  options?: unknown;
  /** Where the options came from, for error messages (e.g. the config file). */
  source?: ConfigSource;
  /** Key path of the options inside that source (default ["model"]). */
  keyPath?: readonly (string | number)[];
}

function entry<S extends z.ZodType, M extends CtrModel>(
  name: string,
  kind: ZooKind,
  schema: S,
  ctor: new (args: ZooArgs, o: z.output<S>) => M,
  about?: ModelAbout,
): ZooEntry {
  return {
    kind,
    about,
    options: schema,
    create(args) {
      const source = args.source ?? 'model options';
      const keyPath = args.keyPath ?? ['model'];
      let raw = args.options ?? {};
      // A config's model block may carry the registry name next to the options.
      if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && 'name' in raw) {
        const { name: given, ...rest } = raw as Record<string, unknown>;
        const key = [...keyPath, 'name'].join('.');
        if (given !== name) throw new ConfigError(`${sourceOf(source, key)}: key "${key}": expected "${name}", got ${JSON.stringify(given)}`);
        raw = rest;
      }
      const o = parseConfig(schema, raw, source, keyPath);
      return new ctor({ vocab: args.vocab, domains: args.domains, seed: args.seed }, o);
    },
  };
}

export const MODEL_ZOO: Readonly<Record<string, ZooEntry>> = {
  pnn: entry('pnn', 'single', PNNOptions, PNN, {
    description: 'single-domain; inner/outer products of field embeddings feed an MLP',
    paper: 'Qu et al., Product-based Neural Networks for User Response Prediction, ICDM 2016',
  }),
  dcn: entry('dcn', 'single', DCNOptions, DCN, {
    description: 'single-domain; explicit cross layers beside a deep MLP',
    paper: 'Wang et al., Deep & Cross Network for Ad Click Predictions, ADKDD 2017',
  }),
  deepfm: entry('deepfm', 'single', DeepFMOptions, DeepFM, {
    description: 'single-domain; factorization machine and MLP sharing embeddings',
    paper: 'Guo et al., DeepFM: A Factorization-Machine based Neural Network for CTR Prediction, IJCAI 2017',
  }),
  xdeepfm: entry('xdeepfm', 'single', XDeepFMOptions, XDeepFM, {
    description: 'single-domain; compressed interaction network (vector-wise crosses) plus MLP',
    paper: 'Lian et al., xDeepFM: Combining Explicit and Implicit Feature Interactions for Recommender Systems, KDD 2018',
  }),
  autoint: entry('autoint', 'single', AutoIntOptions, AutoInt, {
    description: 'single-domain; multi-head self-attention over field embeddings',
    paper: 'Song et al., AutoInt: Automatic Feature Interaction Learning via Self-Attentive Neural Networks, CIKM 2019',
  }),
  fibinet: entry('fibinet', 'single', FiBiNETOptions, FiBiNET, {
    description: 'single-domain; SENET field re-weighting and bilinear interactions',
    paper: 'Huang et al., FiBiNET: Combining Feature Importance and Bilinear Feature Interaction for CTR Prediction, RecSys 2019',
  }),
  dien: entry('dien', 'single', DIENOptions, DIEN, {
    description: 'single-domain; GRU interest extraction and attention-updated interest evolution over the history',
    paper: 'Zhou et al., Deep Interest Evolution Network for Click-Through Rate Prediction, AAAI 2019',
  }),
  shared_bottom: entry('shared_bottom', 'multi', SharedBottomOptions, SharedBottom, {
    description: 'multi-domain; one shared MLP bottom, one tower per domain',
    paper: 'Caruana, Multitask Learning, Machine Learning 28, 1997',
  }),
  mmoe: entry('mmoe', 'multi', MMoEOptions, MMoE, {
    description: 'multi-domain; shared experts mixed by one gate per domain',
    paper: 'Ma et al., Modeling Task Relationships in Multi-task Learning with Multi-gate Mixture-of-Experts, KDD 2018',
  }),
  ple: entry('ple', 'multi', PLEOptions, PLE, {
    description: 'multi-domain; shared and domain-specific experts in progressive extraction layers',
    paper: 'Tang et al., Progressive Layered Extraction (PLE): A Novel Multi-Task Learning Model for Personalized Recommendations, RecSys 2020',
  }),
  star: entry('star', 'multi', STAROptions, STAR, {
    description: 'multi-domain; star topology (shared × domain-specific weights), partitioned norm, auxiliary network',
    paper: 'Sheng et al., One Model to Serve All: Star Topology Adaptive Recommender for Multi-Domain CTR Prediction, CIKM 2021',
  }),
  dnn: entry('dnn', 'multi', DNNOptions, DNN, {
    description: 'multi-domain; the w/o-LLM ablation: ID features into an MLP with a tower per domain',
    paper: 'Fu et al., A Unified Framework for Multi-Domain CTR Prediction via Large Language Models, ACM TOIS 2024 (ablation)',
  }),
  // Domain-conditioned multi-domain models (gates, generated or pruned parameters).
  pepnet: entry('pepnet', 'multi', PEPNetOptions, PEPNet, {
    description: 'multi-domain; EPNet embedding gate + PPNet per-layer gates driven by domain/user/item',
    paper: 'Chang et al., PEPNet: Parameter and Embedding Personalized Network for Infusing with Personalized Prior Information, KDD 2023',
  }),
  m2m: entry('m2m', 'multi', M2MOptions, M2M, {
    description: 'multi-domain; meta units generating scenario-specific attention and tower parameters, single task',
    paper: 'Zhang et al., Leaving No One Behind: A Multi-Scenario Multi-Task Meta Learning Approach for Advertiser Modeling, WSDM 2022',
  }),
  apg: entry('apg', 'multi', APGOptions, APG, {
    description: 'multi-domain; instance-wise generated low-rank layer parameters, W = V·S(z)·U',
    paper: 'Yan et al., APG: Adaptive Parameter Generation Network for Click-Through Rate Prediction, NeurIPS 2022',
  }),
  adasparse: entry('adasparse', 'multi', AdaSparseOptions, AdaSparse, {
    description: 'multi-domain; domain-aware neuron pruning/weighting factors in a shared DNN',
    paper: 'Yang et al., AdaSparse: Learning Adaptively Sparse Structures for Multi-Domain Click-Through Rate Prediction, CIKM 2022',
  }),
  sarnet: entry('sarnet', 'multi', SARNetOptions, SARNet, {
    description: 'multi-domain; scenario/item attention over the history, scenario transform, gated scenario-specific and shared experts',
    paper: 'Shen et al., SAR-Net: A Scenario-Aware Ranking Network for Personalized Fair Recommendation in Hundreds of Travel Scenarios, CIKM 2021',
  }),
  dffm: entry('dffm', 'multi', DFFMOptions, DFFM, {
    description: 'multi-domain; domain-generated kernels in the feature interactions and the history attention',
    paper: 'Guan et al., DFFM: Domain Facilitated Feature Modeling for CTR Prediction, CIKM 2023',
  }),
  inttower: entry('inttower', 'single', IntTowerOptions, IntTower, {
    description: 'single-domain; user/item towers with Light-SE, FE-Block early interaction and CIR contrastive loss',
    paper: 'Li et al., IntTower: the Next Generation of Two-Tower Model for Pre-Ranking System, CIKM 2022',
  }),
};

export const ZOO_MODEL_NAMES = Object.keys(MODEL_ZOO);

/** The registry entry for `name`, or a ConfigError listing the known names. */
export function zooEntry(name: string, source: ConfigSource = 'model options'): ZooEntry {
  const e = Object.prototype.hasOwnProperty.call(MODEL_ZOO, name) ? MODEL_ZOO[name] : undefined;
  if (!e) throw new ConfigError(`${sourceOf(source, 'model.name')}: key "model.name": unknown baseline "${name}" (allowed: ${ZOO_MODEL_NAMES.join(', ')})`);
  return e;
}

export function createZooModel(name: string, args: ZooCreateArgs): CtrModel {
  return zooEntry(name, args.source).create(args);
}

export type { ZooArgs } from './base.js';
export { ZooModel, SingleDomainModel, MultiDomainModel, DomainConditionedModel } from './base.js';

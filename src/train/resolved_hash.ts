/**
 * A fingerprint of what a run's numbers depend on after every default is filled in: the model
 * block (the model's own schema), the train block and the backbone block without its paths. The
 * config hash (`hashConfig`) covers only what the YAML says, so a changed default would leave an
 * old run looking current; the reproduce grid compares this one too. Paths are left out so that a
 * run folder stays current in another checkout.
 */
import { validateModelBlock } from '../model/registry.js';
import type { ConfigSource } from '../util/config.js';
import { hashConfig, type Experiment } from './experiment.js';

export function resolvedHash(config: Experiment, source: ConfigSource): string {
  const { path: _path, cache_dir: _cacheDir, ...backbone } = config.backbone;
  return hashConfig({ model: validateModelBlock(config.model, source), train: config.train, backbone });
}

/**
 * `train --dry-run`: everything `unictr train` checks before it starts work — the config (with
 * the model's own schema), the processed dataset or the sources it would be prepared from, the
 * domains, the backbone folder — and a description of what would run. Nothing is written.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { readManifest } from '../data/dataset.js';
import { modelKind, validateModelBlock } from '../model/registry.js';
import { ConfigError } from '../util/errors.js';
import type { LoadedExperiment } from './experiment.js';
import { domainIds } from './run.js';

export async function planRun(loaded: LoadedExperiment, out: string): Promise<string[]> {
  const { config, file } = loaded;
  const model = validateModelBlock(config.model, file);
  const kind = modelKind(config.model.name);
  const lines = [`config: ${file}${loaded.sets.length ? ` with ${loaded.sets.map((s) => `--set ${s}`).join(' ')}` : ''} (hash ${loaded.hash})`];
  lines.push(`run folder: ${out}${existsSync(out) ? ' (exists)' : ''}`);
  const manifestFile = path.join(config.dataset_dir, 'manifest.json');
  if (existsSync(manifestFile)) {
    const manifest = await readManifest(config.dataset_dir);
    domainIds(manifest, config.domains.train, 'domains.train', file);
    domainIds(manifest, config.domains.zero_shot, 'domains.zero_shot', file);
    lines.push(`dataset: ${config.dataset_dir} (prepared; ${manifest.domains.length} domains)`);
  } else {
    if (!config.data) {
      throw new ConfigError(`${file}: no processed dataset at ${config.dataset_dir} and no "data:" block to prepare one (run "unictr prepare" first)`);
    }
    config.data.sources.forEach((s, i) => {
      for (const [key, f] of [['reviews', s.reviews], ['meta', s.meta]] as const) {
        if (f && !existsSync(f)) throw new ConfigError(`${file}: key "data.sources.${i}.${key}": file not found: ${f}`);
      }
    });
    lines.push(`dataset: would be prepared into ${config.dataset_dir} from ${config.data.sources.length} source(s)`);
  }
  lines.push(`domains: train ${config.domains.train.join(', ')}; zero-shot ${config.domains.zero_shot.join(', ') || 'none'}`);
  const opts = Object.entries(model)
    .filter(([k]) => k !== 'name')
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ');
  const units = kind === 'single' ? `one model per training domain (${config.domains.train.length})` : 'one model';
  lines.push(`model: ${config.model.name} (${kind}-domain; ${units})${opts ? `: ${opts}` : ''}`);
  if (kind === 'unictr') {
    const b = config.backbone;
    if (b.kind === 'hf' && !b.allow_download && !existsSync(path.join(b.path!, 'config.json'))) {
      throw new ConfigError(`${file}: key "backbone.path": no Hugging Face model folder (config.json) at ${b.path}`);
    }
    lines.push(`backbone: ${b.kind}${b.path ? ` ${b.path}` : ''}, ${b.tuning}, max length ${b.max_length}${b.tuning === 'frozen' ? `, state cache ${b.cache_dir}` : ''}`);
  }
  const t = config.train;
  lines.push(
    `train: ${t.epochs} epoch(s), batch ${t.batch_size}${t.grad_accum > 1 ? ` × ${t.grad_accum} accumulated` : ''}, ${t.optimizer}, ` +
      `schedule ${t.schedule.type}, patience ${t.patience}, monitor ${t.monitor}${t.max_train_rows ? `, a fixed subset of ${t.max_train_rows} training rows` : ''}, seed ${config.seed}`,
  );
  return lines;
}

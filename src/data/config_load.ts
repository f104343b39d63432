/**
 * Load and validate the `data:` block of an experiment YAML (with `extends:` and `--set`).
 * Source paths are relative to the folder of the YAML file named on the command line.
 */
import path from 'node:path';
import { applySets, KeySources, loadYamlWithExtends, parseConfig, type ConfigSource } from '../util/config.js';
import { ConfigError } from '../util/errors.js';
import { DataConfigSchema, type DataConfig } from './schema.js';
import { paperNameFor } from './domains.js';
import { resolveTemplate, type CompiledTemplate } from './prompt/templates.js';

export interface LoadedDataConfig {
  file: string;
  /** Folder that relative source paths are resolved against. */
  dir: string;
  config: DataConfig;
  template: CompiledTemplate;
}

function checkDomainName(name: string, file: string, key: string): void {
  const p = paperNameFor(name);
  if (p) throw new ConfigError(`${file}: key "${key}": unknown domain "${name}": paper domains must use the display name "${p}"`);
}

/** Validate an already-merged raw config object (the whole experiment document). */
export function parseDataConfig(raw: Record<string, unknown>, file: string, sources: ConfigSource = file): LoadedDataConfig {
  if (raw.data === undefined) throw new ConfigError(`${file}: missing the "data" block`);
  const config = parseConfig(DataConfigSchema, raw.data, sources, ['data']);
  config.sources.forEach((s, i) => {
    if (s.domain !== undefined) checkDomainName(s.domain, file, `data.sources.${i}.domain`);
  });
  if (config.domains) {
    config.domains.forEach((d, i) => checkDomainName(d, file, `data.domains.${i}`));
    const dup = config.domains.find((d, i) => config.domains!.indexOf(d) !== i);
    if (dup) throw new ConfigError(`${file}: key "data.domains": domain "${dup}" is listed twice`);
    config.sources.forEach((s, i) => {
      if (s.domain !== undefined && !config.domains!.includes(s.domain)) {
        throw new ConfigError(
          `${file}: key "data.sources.${i}.domain": unknown domain "${s.domain}" (expected one of data.domains: ${config.domains!.map((d) => `"${d}"`).join(', ')})`,
        );
      }
    });
    if (!config.sources.some((s) => s.domain_column || s.domain_from)) {
      const orphan = config.domains.find((d) => !config.sources.some((s) => s.domain === d));
      if (orphan) throw new ConfigError(`${file}: key "data.domains": domain "${orphan}" has no source`);
    }
  }
  if (config.join === 'inner') {
    const i = config.sources.findIndex((s) => s.meta === undefined);
    if (i >= 0) {
      throw new ConfigError(`${file}: key "data.sources.${i}.meta": join "inner" needs a metadata file for every source (or set data.join: left)`);
    }
  }
  const template = resolveTemplate(config.template, `${file}: key "data.template"`);
  return { file, dir: path.dirname(path.resolve(file)), config, template };
}

export function loadDataConfig(file: string, sets: readonly string[] = []): LoadedDataConfig {
  const sources = new KeySources(file);
  const raw = applySets(loadYamlWithExtends(file, [], sources), sets, sources);
  return parseDataConfig(raw, file, sources);
}

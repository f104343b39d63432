/**
 * Pieces shared by the commands: backend start-up (every command says which backend it uses)
 * and the `--set` option.
 */
import { initBackend, type BackendChoice, type BackendInfo } from '../runtime/backend.js';
import { log, setQuiet } from '../util/log.js';

export interface GlobalArgs {
  backend?: BackendChoice;
  quiet?: boolean;
}

/** Commands that open an experiment's processed dataset take `--no-rebuild`. */
export interface DatasetArgs {
  rebuild?: boolean;
}

export const rebuildOption = {
  type: 'boolean',
  default: true,
  describe:
    'when the dataset folder was built from another data: block or other source files, prepare the matching one into <dataset_dir>-<hash8> (--no-rebuild: stop with an error instead)',
} as const;

export async function startBackend(args: GlobalArgs): Promise<BackendInfo> {
  if (args.quiet) setQuiet(true);
  return initBackend({ backend: args.backend ?? 'auto', announce: true });
}

export const setOption = {
  type: 'string',
  array: true,
  describe: 'override a config key, e.g. --set train.epochs=3 (repeatable)',
} as const;

/** Data-only commands do no tensor work; they still say so, as every command names its backend. */
export function announceNoBackend(args: GlobalArgs): void {
  if (args.quiet) setQuiet(true);
  log.info('backend: none (this command does no tensor work)');
}

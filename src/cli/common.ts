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

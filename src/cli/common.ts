/**
 * Pieces shared by the commands: the command type (a yargs module plus examples), backend
 * start-up (every command says which backend it uses), the `--set` option and the note printed
 * when the command is interrupted.
 */
import type { CommandModule } from 'yargs';
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

/**
 * A command: the yargs module plus examples. Examples are printed by main.ts after yargs' help,
 * one per line and never wrapped, so that each can be pasted as it is.
 */
export type UnictrCommand<A> = CommandModule<object, A> & CommandExamples;

export interface CommandExamples {
  /** [command line starting with "unictr", what it does]. */
  examples: readonly (readonly [string, string])[];
}

/** Any command, as the list in commands/index.ts holds them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommand = Omit<CommandModule<any, any>, 'handler'> & CommandExamples & { handler: (args: any) => void | Promise<void> };

export async function startBackend(args: GlobalArgs): Promise<BackendInfo> {
  if (args.quiet) setQuiet(true);
  return initBackend({ backend: args.backend ?? 'auto', announce: true });
}

export const setOption = {
  type: 'string',
  array: true,
  describe: 'override a config key, e.g. --set train.epochs=3 (repeatable)',
} as const;

export const jsonOption = { type: 'boolean', default: false, describe: 'print the result as JSON on stdout' } as const;

/** Data-only commands do no tensor work; they still say so, as every command names its backend. */
export function announceNoBackend(args: GlobalArgs): void {
  if (args.quiet) setQuiet(true);
  log.info('backend: none (this command does no tensor work)');
}

let interruptNote: (() => string) | null = null;
/** What to tell the user when the command is stopped by Ctrl-C / SIGTERM (e.g. how to resume). */
export function setInterruptNote(note: (() => string) | null): void {
  interruptNote = note;
}
export function currentInterruptNote(): string {
  return interruptNote?.() ?? 'interrupted';
}

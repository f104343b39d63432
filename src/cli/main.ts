/**
 * `unictr` entry point: the yargs root and the only place that maps errors to messages and exit
 * codes. Library code throws; it never calls process.exit.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UserError } from '../util/errors.js';
import { BACKEND_CHOICES } from '../runtime/backend.js';
import { commands } from './commands/index.js';

export async function main(argv: string[]): Promise<number> {
  let failed: unknown = null;
  const parser = yargs(argv)
    .scriptName('unictr')
    .usage('$0 <command> [options]\n\nUni-CTR multi-domain CTR prediction (see README.md).')
    .option('backend', {
      choices: BACKEND_CHOICES,
      default: 'auto' as const,
      describe: 'tfjs backend: auto tries gpu → node → wasm → cpu',
      global: true,
    })
    .option('quiet', { type: 'boolean', default: false, describe: 'less output on stderr', global: true })
    .demandCommand(1, 'Name a command (see --help).')
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((msg, err, y) => {
      if (err) throw err;
      void y;
      process.stderr.write(`error: ${msg}\n\nRun "unictr --help" for usage.\n`);
      failed = new UserError(msg);
    });
  for (const c of commands) parser.command(c);
  try {
    await parser.parseAsync();
  } catch (e) {
    return reportError(e);
  }
  return failed ? 2 : 0;
}

export function reportError(e: unknown): number {
  if (e instanceof UserError) {
    process.stderr.write(`error: ${e.message}\n`);
    return e.exitCode;
  }
  const err = e as Error;
  process.stderr.write(`internal error (please report): ${err?.stack ?? String(e)}\n`);
  return 1;
}

const isEntry = process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\u0000');
if (isEntry || process.env.UNICTR_CLI_ENTRY === '1') {
  main(hideBin(process.argv)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.exitCode = reportError(e);
    },
  );
}

/**
 * `unictr` entry point: the yargs root and the only place that maps errors to messages and exit
 * codes. Library code throws; it never calls process.exit.
 *
 * A wrong command line stops before anything runs: one `error:` line (with a "did you mean" hint
 * where there is one) and exit status 2. Ctrl-C / SIGTERM stop the progress bar, restore the
 * terminal and print where the command stopped.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { CliArgsError, UserError } from '../util/errors.js';
import { closest } from '../util/suggest.js';
import { setQuiet } from '../util/log.js';
import { BACKEND_CHOICES } from '../runtime/backend.js';
import { stopActiveProgress } from '../train/progress.js';
import { ownVersion } from '../train/run_folder.js';
import { TrainConfigSchema } from '../train/train_config.js';
import { currentInterruptNote } from './common.js';
import { commands } from './commands/index.js';

/** Examples of the top-level help: the first of every command. */
function topExamples(): (readonly [string, string])[] {
  return commands.map((c) => c.examples[0]!).filter(Boolean);
}

function commandName(c: (typeof commands)[number]): string {
  return String(c.command).split(' ')[0]!;
}

/** Examples, one per line, never wrapped (yargs wraps its own example column mid-command). */
export function formatExamples(examples: readonly (readonly [string, string])[]): string {
  if (examples.length === 0) return '';
  return ['Examples:', ...examples.flatMap(([cmd, what]) => [`  # ${what}`, `  ${cmd}`])].join('\n') + '\n';
}

/** Config keys users type as flags (`--epochs`), mapped to the `--set` form that works. */
function setHint(flag: string): string | null {
  const train = Object.keys(TrainConfigSchema.unwrap().shape);
  if (train.includes(flag)) return `train.${flag}`;
  if (['name', 'dataset_dir'].includes(flag)) return flag;
  return null;
}

/** One line: yargs' message, with the closest flag, value or config key where there is one. */
export function explainParseError(
  msg: string,
  known: { options: string[]; choices: Record<string, readonly string[]>; argv: readonly string[] },
): string {
  const flat = msg.replace(/\s*\n\s*/g, ' ').trim();
  const command = commands.find((c) => known.argv.includes(commandName(c)));
  if (/^Did you mean /.test(flat)) return `unknown command "${known.argv[0]}"; ${flat.replace(/^Did/, 'did')}`;
  if (/^Not enough non-option arguments/.test(flat) && command) return `missing argument; usage: unictr ${String(command.command)}`;
  const unknown = /^Unknown arguments?: (.+)$/.exec(flat);
  if (unknown) {
    const names = unknown[1]!.split(', ');
    const hints = names.flatMap((n) => {
      const key = setHint(n.replace(/-/g, '_'));
      if (key) return [`config keys are set with --set: --set ${key}=…`];
      const c = closest(n, known.options);
      return c ? [`did you mean --${c}?`] : [];
    });
    return `${flat}${hints.length ? `; ${hints.join('; ')}` : ''}`;
  }
  const invalid = /Argument: ([\w-]+), Given: "([^"]*)", Choices: (.+)$/.exec(flat);
  if (invalid) {
    const [, arg, given, choices] = invalid;
    const c = closest(given!, known.choices[arg!] ?? []);
    return `--${arg}: "${given}" is not one of ${choices}${c ? `; did you mean "${c}"?` : ''}`;
  }
  return flat;
}

export async function main(argv: string[]): Promise<number> {
  const parser = yargs(argv)
    .scriptName('unictr')
    .usage('$0 <command> [options]\n\nUni-CTR multi-domain CTR prediction (see README.md).')
    .option('backend', {
      choices: BACKEND_CHOICES,
      default: 'auto' as const,
      describe: 'tfjs backend: auto tries gpu → node → wasm → cpu',
      global: true,
    })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress bars or per-step lines; summaries stay', global: true })
    .demandCommand(1, 'Name a command (see unictr --help).')
    .strict()
    .recommendCommands()
    .completion('completion', 'Print a bash/zsh completion script (unictr completion >> ~/.bashrc)')
    .help()
    .alias('h', 'help')
    .version('version', 'Show the version', ownVersion())
    .exitProcess(false)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((msg, err) => {
      if (err) throw err;
      // yargs reuses the root instance for the command being parsed: its options are the command's.
      const opts = (parser as unknown as { getOptions(): { key: Record<string, unknown>; choices: Record<string, string[]> } }).getOptions();
      throw new CliArgsError(explainParseError(msg ?? 'bad command line', { options: Object.keys(opts.key), choices: opts.choices, argv }));
    });
  for (const c of commands) parser.command(c);
  installSignalHandlers();
  try {
    const parsed = await parser.parseAsync();
    if (parsed.help) {
      const name = String(parsed._[0] ?? '');
      const cmd = commands.find((c) => commandName(c) === name);
      process.stdout.write('\n' + formatExamples(cmd ? cmd.examples : topExamples()));
    }
  } catch (e) {
    return reportError(e);
  }
  return 0;
}

export function reportError(e: unknown): number {
  stopActiveProgress();
  if (e instanceof UserError) {
    process.stderr.write(`error: ${e.message}\n`);
    return e.exitCode;
  }
  const err = e as Error;
  process.stderr.write(`internal error (please report): ${err?.stack ?? String(e)}\n`);
  return 1;
}

let signalsInstalled = false;
/**
 * Ctrl-C / SIGTERM: stop the bar, show the cursor, re-enable line wrap, say where it stopped, then
 * exit with 128 + the signal number. The exit waits one turn of the event loop, so that other
 * listeners of the same signal (clean-up of temp folders and locks) run first.
 */
function installSignalHandlers(): void {
  if (signalsInstalled) return;
  signalsInstalled = true;
  let handled = false;
  const onSignal = (code: number) => () => {
    if (handled) return;
    handled = true;
    // No new bar may hide the cursor again while the other listeners run.
    setQuiet(true);
    stopActiveProgress();
    if (process.stderr.isTTY) process.stderr.write('\x1b[?25h\x1b[?7h');
    process.stderr.write(`\n${currentInterruptNote()}\n`);
    setImmediate(() => process.exit(code));
  };
  process.on('SIGINT', onSignal(130));
  process.on('SIGTERM', onSignal(143));
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

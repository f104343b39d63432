/**
 * Every CLI command, in the order `unictr --help` lists them. One command per file.
 */
import type { CommandModule } from 'yargs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [];

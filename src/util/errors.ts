/**
 * Error classes by who must act (user vs. bug). Only `src/cli/main.ts` maps them to exit codes.
 */

/** A failure the user can fix: bad config, bad data, missing file. Printed without a stack. */
export class UserError extends Error {
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number = 2;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** Bad or inconsistent configuration (YAML key, value, --set override). */
export class ConfigError extends UserError {}

/** Bad input data (malformed line, missing column, empty file, unknown domain). */
export class DataError extends UserError {}

/** A model folder that cannot be loaded (missing file, unknown architecture, tensor shape). */
export class ModelFolderError extends UserError {}

/** Bad command-line arguments. */
export class CliArgsError extends UserError {}

/** A run folder that is missing or inconsistent (resume, eval, zero-shot on a bad folder). */
export class RunFolderError extends UserError {}

/** Training diverged (NaN/Inf loss). */
export class TrainingDivergedError extends UserError {}

/** Lazy assertion: the message is only built when the condition fails. */
export function assert(cond: unknown, message: () => string): asserts cond {
  if (!cond) throw new Error(message());
}

/** An output path that cannot be written (a file where a folder goes, not writable, disk full). */
export class OutputError extends UserError {}

/**
 * Every CLI command, in the order `unictr --help` lists them. One command per file.
 */
import type { AnyCommand } from '../common.js';
import { prepareCommand } from './prepare.js';
import { inspectCommand } from './inspect.js';
import { trainCommand } from './train.js';
import { evalCommand } from './eval.js';
import { zeroShotCommand } from './zero_shot.js';
import { addDomainCommand } from './add_domain.js';
import { predictCommand } from './predict.js';
import { quickstartCommand } from './quickstart.js';
import { embedCommand } from './embed.js';
import { compareCommand } from './compare.js';
import { modelsCommand } from './models.js';
import { configCommand } from './config.js';
import { reproduceCommand } from './reproduce.js';

export const commands: AnyCommand[] = [
  quickstartCommand,
  prepareCommand,
  inspectCommand,
  modelsCommand,
  configCommand,
  trainCommand,
  evalCommand,
  zeroShotCommand,
  addDomainCommand,
  predictCommand,
  compareCommand,
  reproduceCommand,
  embedCommand,
];

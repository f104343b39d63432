/**
 * `unictr models`: every registered model (Uni-CTR and the baselines) with a one-line description
 * and its paper, read from the model registry.
 */
import { announceNoBackend, jsonOption, type GlobalArgs, type UnictrCommand } from '../common.js';

interface ModelsArgs extends GlobalArgs {
  json: boolean;
}

export const modelsCommand: UnictrCommand<ModelsArgs> = {
  command: 'models',
  describe: 'List every model (the value of model.name) with a one-line description and its paper',
  examples: [
    ['unictr models', 'what model.name accepts'],
    ['unictr models --json', 'the same as JSON'],
  ],
  builder: (y) => y.option('json', jsonOption) as never,
  handler: async (args) => {
    const { registeredModels } = await import('../../model/registry.js');
    const models = registeredModels();
    if (args.json) {
      process.stdout.write(JSON.stringify(models, null, 2) + '\n');
      return;
    }
    announceNoBackend(args);
    const w = Math.max(...models.map((m) => m.name.length));
    const lines = models.flatMap((m) => [`${m.name.padEnd(w)}  ${m.description}`, `${' '.repeat(w)}  paper: ${m.paper}`]);
    process.stdout.write(lines.join('\n') + '\n');
  },
};

import { loadSplit } from './src/data/dataset.js';
const s = await loadSplit('runs/data/amazon-local', 'train');
console.log(s.rows, s.prompt[0], '\n---\n', s.prompt[5]);

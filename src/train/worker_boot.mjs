// Entry of a worker thread that runs TypeScript modules: loads them through tsx, which a worker
// does not inherit from a parent started by bin/unictr.js (that registers tsx in-process).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);

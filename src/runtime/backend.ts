/**
 * The one place that chooses and imports a tfjs backend.
 *
 * Order when nothing is forced: tfjs-node-gpu → tfjs-node → wasm → cpu. The native packages are
 * optional dependencies (their install downloads libtensorflow), so they are only ever imported
 * dynamically, and a missing or broken one falls through to the next.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { log } from '../util/log.js';

export const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
/** User-facing names accepted by `--backend`. */
export const BACKEND_CHOICES = ['auto', 'gpu', 'node', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

const CHOICE_TO_BACKEND: Record<Exclude<BackendChoice, 'auto'>, BackendName> = {
  gpu: 'tensorflow-gpu',
  node: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

export interface BackendInfo {
  /** tfjs backend name actually in use ("tensorflow" for both tfjs-node packages). */
  name: string;
  /** The choice that produced it: gpu, node, wasm or cpu. */
  choice: Exclude<BackendChoice, 'auto'>;
  /** Why earlier candidates were skipped (auto mode). */
  skipped: string[];
}

let current: BackendInfo | null = null;

async function tryNative(pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node'): Promise<void> {
  // Indirect specifier keeps bundlers and tsc from resolving the optional package statically.
  const spec: string = pkg;
  await import(spec);
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but backend "tensorflow" did not initialise`);
}

async function tryWasm(threads?: number): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  wasm.setWasmPaths(dist + path.sep);
  if (threads) wasm.setThreadsCount(threads);
  if (!(await tf.setBackend('wasm'))) throw new Error('backend "wasm" did not initialise');
}

async function tryCpu(): Promise<void> {
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend('cpu'))) throw new Error('backend "cpu" did not initialise');
}

async function tryChoice(choice: Exclude<BackendChoice, 'auto'>, threads?: number): Promise<void> {
  switch (choice) {
    case 'gpu':
      await tryNative('@tensorflow/tfjs-node-gpu');
      // tfjs-node-gpu silently runs on the CPU when CUDA is absent; only count it as GPU if a device exists.
      return;
    case 'node':
      return tryNative('@tensorflow/tfjs-node');
    case 'wasm':
      return tryWasm(threads);
    case 'cpu':
      return tryCpu();
  }
}

export interface InitBackendOptions {
  /** Force a backend; default "auto" (or $UNICTR_BACKEND). */
  backend?: BackendChoice;
  /** Print "backend: …" to stderr (CLI commands do; tests usually not). */
  announce?: boolean;
  /** Threads for the wasm backend. */
  threads?: number;
}

/**
 * Pick and initialise the backend. Calling it again with the same choice is a no-op; with a
 * different forced choice it switches.
 */
export async function initBackend(opts: InitBackendOptions = {}): Promise<BackendInfo> {
  const envChoice = process.env.UNICTR_BACKEND as BackendChoice | undefined;
  const requested: BackendChoice = opts.backend ?? envChoice ?? 'auto';
  if (!(BACKEND_CHOICES as readonly string[]).includes(requested)) {
    throw new UserError(`Unsupported backend: "${requested}". Should be one of: ${BACKEND_CHOICES.join(', ')}`);
  }
  if (current && (requested === 'auto' || requested === current.choice)) {
    if (tf.getBackend() !== current.name) await tf.setBackend(current.name);
    return current;
  }
  const order: Exclude<BackendChoice, 'auto'>[] = requested === 'auto' ? ['gpu', 'node', 'wasm', 'cpu'] : [requested];
  const skipped: string[] = [];
  const failures: { choice: Exclude<BackendChoice, 'auto'>; error: Error }[] = [];
  // tfjs-core registers no gradients and its ESM gradient files do not load under plain Node; the
  // umbrella package's Node bundle registers them all into tfjs-core's global registry.
  await import('@tensorflow/tfjs');
  for (const choice of order) {
    try {
      await tryChoice(choice, opts.threads);
      await tf.ready();
      current = { name: tf.getBackend(), choice, skipped };
      if (opts.announce) log.info(backendLine(choice, failures));
      return current;
    } catch (e) {
      const reason = (e as Error).message.split('\n')[0];
      if (requested !== 'auto') {
        throw new UserError(`backend "${choice}" is not available: ${reason}`);
      }
      skipped.push(`${choice} (${reason})`);
      failures.push({ choice, error: e as Error });
    }
  }
  throw new UserError(`no tfjs backend could be initialised: ${skipped.join('; ')}`);
}

const PACKAGE_OF: Record<Exclude<BackendChoice, 'auto'>, string> = {
  gpu: 'tfjs-node-gpu',
  node: 'tfjs-node',
  wasm: 'tfjs-backend-wasm',
  cpu: 'tfjs-backend-cpu',
};

/**
 * The one line every command prints, e.g. `backend: wasm (tfjs-node not installed: see
 * README#backends)`. The full reasons (with file paths) stay in run.json's `skipped`.
 */
export function backendLine(choice: Exclude<BackendChoice, 'auto'>, failures: { choice: Exclude<BackendChoice, 'auto'>; error: Error }[]): string {
  const missing = (e: Error) => (e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' || /Cannot find (package|module)/.test(e.message);
  const notes: string[] = [];
  const notInstalled = failures.filter((f) => missing(f.error)).map((f) => f.choice);
  // Both native packages are optional; one note covers the pair.
  if (notInstalled.includes('node')) notes.push('tfjs-node not installed');
  else if (notInstalled.includes('gpu') && failures.length === 1) notes.push('tfjs-node-gpu not installed');
  for (const f of failures) {
    if (missing(f.error)) continue;
    const reason = f.error.message.split('\n')[0]!.replace(/\s*\(?(\/|[A-Z]:\\)[^\s)]*\)?/g, '').trim();
    notes.push(`${PACKAGE_OF[f.choice]} failed: ${reason.length > 80 ? reason.slice(0, 77) + '…' : reason}`);
  }
  return `backend: ${choice}${notes.length ? ` (${notes.join('; ')}: see README#backends)` : ''}`;
}

export function backendInfo(): BackendInfo | null {
  return current;
}

export { CHOICE_TO_BACKEND };

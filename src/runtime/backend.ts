/**
 * The one place that chooses and imports a tfjs backend.
 *
 * Order when nothing is forced: tfjs-node-gpu → webgpu (a real GPU only) → tfjs-node → wasm → cpu.
 * The native packages and the WebGPU pair (`webgpu`, Dawn's Node binding, and
 * `@tensorflow/tfjs-backend-webgpu`) are optional dependencies, so they are only ever imported
 * dynamically, and a missing or broken one falls through to the next.
 */
import * as tf from '@tensorflow/tfjs-core';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { log } from '../util/log.js';

export const BACKENDS = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
/** User-facing names accepted by `--backend`. */
export const BACKEND_CHOICES = ['auto', 'gpu', 'webgpu', 'node', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

const CHOICE_TO_BACKEND: Record<Exclude<BackendChoice, 'auto'>, BackendName> = {
  gpu: 'tensorflow-gpu',
  webgpu: 'webgpu',
  node: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

export interface BackendInfo {
  /** tfjs backend name actually in use ("tensorflow" for both tfjs-node packages). */
  name: string;
  /** The choice that produced it: gpu, webgpu, node, wasm or cpu. */
  choice: Exclude<BackendChoice, 'auto'>;
  /** The WebGPU adapter in use (webgpu only). */
  adapter?: GpuAdapterInfo;
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

export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software (CPU) implementation such as Mesa's llvmpipe/lavapipe or SwiftShader. */
  software: boolean;
}

/** One line for logs: `mesa software "llvmpipe: Mesa 25.0.7…" (software)`. */
export function describeAdapter(a: GpuAdapterInfo): string {
  const name = a.description || a.device || 'unnamed adapter';
  return `${[a.vendor, a.architecture].filter(Boolean).join(' ') || 'unknown vendor'} "${name}"${a.software ? ' (software, runs on the CPU)' : ''}`;
}

// Adapter names of the CPU implementations of Vulkan/WebGPU Dawn can end up on.
const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|softpipe|swiftshader|\bcpu\b/i;

/** Reads an adapter's identity; a software adapter is one Dawn flags as fallback or that names itself so. */
export function adapterInfo(adapter: { info?: Record<string, unknown>; isFallbackAdapter?: boolean }): GpuAdapterInfo {
  const info = adapter.info ?? {};
  const str = (k: string) => (typeof info[k] === 'string' ? (info[k] as string) : '');
  const a = { vendor: str('vendor'), architecture: str('architecture'), device: str('device'), description: str('description') };
  const fallback = info.isFallbackAdapter === true || adapter.isFallbackAdapter === true || str('type') === 'cpu';
  const software = fallback || a.architecture === 'software' || SOFTWARE_ADAPTER.test(`${a.device} ${a.description}`);
  return { ...a, software };
}

let gpuAdapter: GpuAdapterInfo | null = null;

/** The adapter Dawn offers, asked in a child process (see adapter_probe.mjs for why). */
function probeAdapter(): Promise<GpuAdapterInfo> {
  const probe = new URL('./adapter_probe.mjs', import.meta.url);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [probe.pathname], { timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (/Cannot find (package|module) 'webgpu'/.test(stderr)) return reject(new Error('the optional package "webgpu" is not installed'));
      if (err) return reject(new Error(`WebGPU adapter probe failed: ${(stderr.trim().split('\n').pop() ?? err.message).slice(0, 200)}`));
      const found = JSON.parse(stdout.trim().split('\n').pop() ?? 'null') as Parameters<typeof adapterInfo>[0] | null;
      if (!found) return reject(new Error(NO_ADAPTER));
      resolve(adapterInfo(found));
    });
  });
}

const NO_ADAPTER = "no WebGPU adapter (no Vulkan driver found: install the GPU vendor's Vulkan driver, or mesa-vulkan-drivers for a software one)";

/**
 * WebGPU through Dawn. `navigator.gpu` must exist before tfjs-backend-webgpu is imported: the
 * module registers its backend only if it sees one. `auto` accepts only a hardware adapter (a
 * software one is slower than wasm); `--backend webgpu` takes whatever Dawn offers.
 */
async function tryWebgpu(allowSoftware: boolean): Promise<GpuAdapterInfo> {
  if (gpuAdapter && tf.findBackend('webgpu')) {
    if (gpuAdapter.software && !allowSoftware) throw new Error(`only a software adapter: ${describeAdapter(gpuAdapter)}`);
    if (!(await tf.setBackend('webgpu'))) throw new Error('backend "webgpu" did not initialise');
    return gpuAdapter;
  }
  if (!allowSoftware) {
    const probed = await probeAdapter();
    if (probed.software) throw new Error(`only a software adapter: ${describeAdapter(probed)}`);
  }
  const spec: string = 'webgpu';
  let dawn: { create: (opts: string[]) => { requestAdapter: (o?: object) => Promise<unknown> }; globals: object };
  try {
    dawn = await import(spec);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_MODULE_NOT_FOUND') throw new Error('the optional package "webgpu" is not installed');
    throw new Error(`the "webgpu" package did not load (${err.message.split('\n')[0]})`);
  }
  const gpu = dawn.create([]);
  const adapter = (await gpu.requestAdapter({ powerPreference: 'high-performance' })) as Parameters<typeof adapterInfo>[0] | null;
  if (!adapter) throw new Error(NO_ADAPTER);
  const info = adapterInfo(adapter);
  if (info.software && !allowSoftware) throw new Error(`only a software adapter: ${describeAdapter(info)}`);
  // GPUBufferUsage, GPUMapMode, … are browser globals the tfjs backend reads.
  Object.assign(globalThis, dawn.globals);
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!tf.findBackendFactory('webgpu')) throw new Error('tfjs-backend-webgpu registered no backend');
  if (!(await tf.setBackend('webgpu'))) throw new Error('backend "webgpu" did not initialise');
  adaptWebgpuForNode(tf.backend() as unknown as WebgpuInternals);
  gpuAdapter = info;
  return info;
}

/** The two tfjs-backend-webgpu 4.22 internals adaptWebgpuForNode touches (pinned by the lockfile). */
interface WebgpuInternals {
  tensorMap: { get(dataId: object): { values: unknown; dtype: string } | undefined };
  uploadToGPU(dataId: object): void;
  readSync(dataId: object): unknown;
}

/**
 * tfjs-webgpu reads GPU data synchronously (dataSync) through an OffscreenCanvas, which Node does
 * not have, and Dawn offers no blocking buffer map: under Node only async reads (data(), array())
 * work. Two adjustments:
 * - int32 tensors made from host data (domain indices, ids) keep their host copy after upload, so
 *   model code that reads batch indices synchronously (UniCtr.groupRows) works; tensors are
 *   immutable, so the copy never goes stale;
 * - any other synchronous read fails with an error that says so instead of "OffscreenCanvas is
 *   not defined".
 */
function adaptWebgpuForNode(b: WebgpuInternals): void {
  if (typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas !== 'undefined') return;
  const upload = b.uploadToGPU.bind(b);
  b.uploadToGPU = (dataId) => {
    const d = b.tensorMap.get(dataId);
    const keep = d && d.dtype === 'int32' ? d.values : null;
    upload(dataId);
    if (d && keep) d.values = keep;
  };
  const readSync = b.readSync.bind(b);
  b.readSync = (dataId) => {
    const d = b.tensorMap.get(dataId);
    if (d && d.values == null && d.dtype !== 'string' && d.dtype !== 'complex64') {
      throw new UserError(
        'webgpu under Node cannot read GPU data synchronously (dataSync/arraySync), which this code path still does ' +
          '(docs/runtime.md#webgpu lists what runs on webgpu); use --backend wasm',
      );
    }
    return readSync(dataId);
  };
}

async function tryWasm(threads?: number): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  wasm.setWasmPaths(dist + path.sep);
  if (threads) wasm.setThreadsCount(threads);
  if (!(await tf.setBackend('wasm'))) throw new Error('backend "wasm" did not initialise');
  shareWasmIdentity();
}

/**
 * tfjs runs the Identity kernel on every tensor a gradient saves for the backward pass
 * (`Engine.clone`, for built-in ops and `customGrad` alike), and tfjs-wasm's Identity copies the
 * data: ≈ 5% of a Uni-CTR training step went to these copies (PROFILE=1 bench:unictr). Tensors
 * are immutable and no wasm kernel writes into its inputs, so, like the cpu backend's Identity
 * and wasm's own Reshape, the replacement shares the memory and counts one more reference.
 */
function shareWasmIdentity(): void {
  const original = tf.getKernel('Identity', 'wasm');
  if (!original || (original as { shared?: boolean }).shared) return;
  const kernelFunc: tf.KernelFunc = (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return original.kernelFunc(args);
    (args.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc, shared: true } as tf.KernelConfig);
}

async function tryCpu(): Promise<void> {
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend('cpu'))) throw new Error('backend "cpu" did not initialise');
}

async function tryChoice(choice: Exclude<BackendChoice, 'auto'>, forced: boolean, threads?: number): Promise<GpuAdapterInfo | undefined> {
  switch (choice) {
    case 'webgpu':
      return tryWebgpu(forced);
    case 'gpu':
      await tryNative('@tensorflow/tfjs-node-gpu');
      // tfjs-node-gpu silently runs on the CPU when CUDA is absent; only count it as GPU if a device exists.
      return undefined;
    case 'node':
      return tryNative('@tensorflow/tfjs-node').then(() => undefined);
    case 'wasm':
      return tryWasm(threads).then(() => undefined);
    case 'cpu':
      return tryCpu().then(() => undefined);
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
  const order: Exclude<BackendChoice, 'auto'>[] = requested === 'auto' ? ['gpu', 'webgpu', 'node', 'wasm', 'cpu'] : [requested];
  const skipped: string[] = [];
  const failures: { choice: Exclude<BackendChoice, 'auto'>; error: Error }[] = [];
  // tfjs-core registers no gradients and its ESM gradient files do not load under plain Node; the
  // umbrella package's Node bundle registers them all into tfjs-core's global registry.
  await import('@tensorflow/tfjs');
  for (const choice of order) {
    try {
      const adapter = await tryChoice(choice, requested !== 'auto', opts.threads);
      await tf.ready();
      current = { name: tf.getBackend(), choice, skipped, ...(adapter ? { adapter } : {}) };
      if (opts.announce) log.info(backendLine(choice, failures, adapter));
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
  webgpu: 'webgpu',
  node: 'tfjs-node',
  wasm: 'tfjs-backend-wasm',
  cpu: 'tfjs-backend-cpu',
};

/**
 * The one line every command prints, e.g. `backend: wasm (tfjs-node not installed: see
 * README#backends)`. The full reasons (with file paths) stay in run.json's `skipped`.
 */
export function backendLine(
  choice: Exclude<BackendChoice, 'auto'>,
  failures: { choice: Exclude<BackendChoice, 'auto'>; error: Error }[],
  adapter?: GpuAdapterInfo,
): string {
  const missing = (e: Error) => (e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' || /Cannot find (package|module)/.test(e.message);
  const notes: string[] = [];
  const notInstalled = failures.filter((f) => missing(f.error)).map((f) => f.choice);
  // Both native packages are optional; one note covers the pair.
  if (notInstalled.includes('node')) notes.push('tfjs-node not installed');
  else if (notInstalled.includes('gpu') && failures.length === 1) notes.push('tfjs-node-gpu not installed');
  for (const f of failures) {
    if (missing(f.error)) continue;
    if (f.choice === 'webgpu') {
      // Why no GPU through WebGPU: package missing, no adapter, or only a software one.
      notes.push(`webgpu skipped: ${f.error.message.split('\n')[0]!.replace(/^only a software adapter: /, 'software adapter ')}`);
      continue;
    }
    const reason = f.error.message.split('\n')[0]!.replace(/\s*\(?(\/|[A-Z]:\\)[^\s)]*\)?/g, '').trim();
    notes.push(`${PACKAGE_OF[f.choice]} failed: ${reason.length > 80 ? reason.slice(0, 77) + '…' : reason}`);
  }
  const on = adapter ? ` on adapter ${describeAdapter(adapter)}` : '';
  return `backend: ${choice}${on}${notes.length ? ` (${notes.join('; ')}: see README#backends)` : ''}`;
}

export function backendInfo(): BackendInfo | null {
  return current;
}

export { CHOICE_TO_BACKEND };

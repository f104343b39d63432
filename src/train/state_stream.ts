/**
 * Frozen backbone states encoded on the fly (backbone.cache: none), for data whose state cache
 * would not fit on disk: nothing is written, and every epoch encodes its rows again.
 *
 * The encoder runs in a worker thread (onnxruntime, or tfjs on the worker's own backend). The
 * trainer asks for a batch's states synchronously, as from a cache (`RowSource.states`); a
 * trainer that knows its next batch announces it (`RowSource.prefetch`), and the worker encodes
 * it while this thread trains on the current one. A request blocks in Atomics.wait on a shared
 * counter the worker bumps after each reply, and the reply is taken off a dedicated port with
 * receiveMessageOnPort: no event-loop turn is needed, so training code stays synchronous.
 *
 * At most PREFETCH_DEPTH announced batches of a split wait in the worker; an announced batch that
 * is not asked for (the trainer changed course) is dropped when a later one of its split is.
 */
import path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { SplitColumns } from '../data/types.js';
import type { BackboneSpec } from '../model/backbone/index.js';
import type { StateBatchArrays } from '../model/backbone/encoder_cache.js';
import type { Truncation } from '../model/backbone/truncation.js';
import type { TokenStates } from '../model/types.js';
import { backendInfo, type BackendChoice } from '../runtime/backend.js';
import { ConfigError, DataError, ModelFolderError } from '../util/errors.js';

export interface StreamInit {
  entry: string;
  spec: BackboneSpec;
  truncation: Truncation;
  maxLength: number;
  /** State layers to return, in the order the model reads them. */
  layers: number[];
  /** The tfjs backend a tfjs encoder uses in the worker. */
  backend: BackendChoice;
  /**
   * Int32 [replies, exited, heartbeat]: the worker bumps the first after every reply, sets the
   * second when it ends normally and bumps the third every `heartbeatMs` while it lives.
   */
  signal: SharedArrayBuffer;
  heartbeatMs: number;
}

export interface StreamRequest {
  id: number;
  texts: string[];
}

export interface StreamReply {
  id: number;
  arrays?: StateBatchArrays;
  error?: string;
}

type Ready = { ready: true; id: string; hiddenSize: number; numLayers: number } | { ready: false; error: string; name?: string };

/** Announced batches that may wait in the worker (each holds one batch of states once encoded). */
const PREFETCH_DEPTH = 2;

/** How often a live worker bumps the heartbeat slot. */
const HEARTBEAT_MS = 1000;

/**
 * A worker killed without running its exit handler (out of memory, terminated) sets no flag, and a
 * parent blocked in Atomics.wait never sees its 'exit' event: after this long without a reply or a
 * heartbeat the request fails instead of waiting for ever. Long, because a tfjs encoder's
 * synchronous kernels also hold the heartbeat back while they encode one sub-batch of 32 prompts
 * (seconds for USE-lite or a small BERT; minutes for a billion-parameter decoder on wasm).
 */
const STALL_MS = 30 * 60_000;

/** The per-split functions a RowSource takes. */
export interface StreamedSplit {
  states(rows: Int32Array): TokenStates;
  prefetch(rows: Int32Array): void;
  /** The rows' states as typed arrays (state_norm fitting). */
  read(rows: Int32Array): StateBatchArrays;
}

function sameRows(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class StateStream {
  private nextId = 1;
  /** Announced (prefetched) requests in the order they were sent. */
  private announced: { id: number; split: SplitColumns; rows: Int32Array }[] = [];
  /** Replies taken off the port but not asked for yet. */
  private readonly replies = new Map<number, StreamReply>();
  /** Requests whose reply is no longer wanted. */
  private readonly dropped = new Set<number>();
  private failure: Error | null = null;
  private readonly signal: Int32Array;

  private constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    signal: SharedArrayBuffer,
    /** Encoder identity (architecture + weights) and width. */
    readonly encoderId: string,
    readonly hiddenSize: number,
    private readonly stallMs: number,
  ) {
    this.signal = new Int32Array(signal);
    worker.on('error', (e) => (this.failure ??= e));
    worker.on('exit', (code) => (this.failure ??= new Error(`state encoder worker exited (code ${code})`)));
  }

  /** Start the worker and load its encoder; rejects with the encoder's own error (bad folder, …). */
  static async start(opts: Omit<StreamInit, 'entry' | 'backend' | 'signal' | 'heartbeatMs'> & { stallMs?: number }): Promise<StateStream> {
    const { stallMs = STALL_MS, ...encoderOpts } = opts;
    const choice = backendInfo()?.choice;
    const signal = new SharedArrayBuffer(12);
    const { port1, port2 } = new MessageChannel();
    const init: StreamInit & { port: MessagePort } = {
      ...encoderOpts,
      // Same extension as this module (.ts under tsx, .js if compiled).
      entry: new URL(`./state_stream_worker${path.extname(new URL(import.meta.url).pathname)}`, import.meta.url).href,
      // A GPU or native backend stays with training; the worker's tfjs (if used at all) is wasm.
      backend: choice === 'cpu' ? 'cpu' : 'wasm',
      signal,
      heartbeatMs: HEARTBEAT_MS,
      port: port2,
    };
    const worker = new Worker(new URL('./worker_boot.mjs', import.meta.url), { workerData: init, transferList: [port2] });
    let ready: Ready;
    try {
      ready = await new Promise<Ready>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`state encoder worker exited (code ${code}) before it was ready`)));
      });
    } catch (e) {
      await worker.terminate();
      throw e;
    }
    worker.removeAllListeners();
    if (!ready.ready) {
      await worker.terminate();
      const first = ready.error.split('\n')[0]!.replace(/^\w*Error: /, '');
      // The encoder's own user-facing errors keep their kind (and CLI exit code).
      const Kind = /^ModelFolderError/.test(ready.error) ? ModelFolderError : /^ConfigError/.test(ready.error) ? ConfigError : /^DataError/.test(ready.error) ? DataError : Error;
      throw new Kind(Kind === Error ? `state encoder worker: ${ready.error}` : first);
    }
    // Requests are answered synchronously; neither the worker nor the port holds the process open.
    worker.unref();
    port1.unref();
    return new StateStream(worker, port1, signal, ready.id, ready.hiddenSize, stallMs);
  }

  /** The functions a RowSource of `split` takes. */
  forSplit(split: SplitColumns): StreamedSplit {
    const d = this.hiddenSize;
    return {
      states: (rows) => {
        const a = this.take(split, rows);
        return {
          layers: a.states.map((s) => tf.tensor3d(s, [a.batch, a.seqLen, d], 'float32')),
          mask: tf.tensor2d(a.mask, [a.batch, a.seqLen], 'float32'),
        };
      },
      prefetch: (rows) => this.announce(split, rows),
      read: (rows) => this.take(split, rows),
    };
  }

  private send(split: SplitColumns, rows: Int32Array): number {
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    this.worker.postMessage({ id, texts: Array.from(rows, (r) => split.prompt[r]!) } satisfies StreamRequest);
    return id;
  }

  private announce(split: SplitColumns, rows: Int32Array): void {
    if (this.announced.filter((a) => a.split === split).length >= PREFETCH_DEPTH) return;
    this.announced.push({ id: this.send(split, rows), split, rows: Int32Array.from(rows) });
  }

  /** The states of `rows`: an announced request when one matches, else a new one; blocks until encoded. */
  private take(split: SplitColumns, rows: Int32Array): StateBatchArrays {
    const k = this.announced.findIndex((a) => a.split === split && sameRows(a.rows, rows));
    let id: number;
    if (k >= 0) {
      id = this.announced[k]!.id;
      // Announced for this split before this one and never asked for: not wanted any more.
      const stale = this.announced.slice(0, k).filter((a) => a.split === split);
      for (const a of stale) this.drop(a.id);
      this.announced = this.announced.filter((a, i) => i !== k && !stale.includes(a));
    } else id = this.send(split, rows);
    const r = this.wait(id);
    if (r.error) throw new Error(`state encoder worker: ${r.error}`);
    return r.arrays!;
  }

  private drop(id: number): void {
    if (!this.replies.delete(id)) this.dropped.add(id);
  }

  private drain(): void {
    for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) {
      const r = m.message as StreamReply;
      if (this.dropped.delete(r.id)) continue;
      this.replies.set(r.id, r);
    }
  }

  private wait(id: number): StreamReply {
    let beat = Atomics.load(this.signal, 2);
    let beatAt = Date.now();
    for (;;) {
      // Read the counter before draining: a reply posted after the drain changes it, so the wait
      // below returns at once instead of missing the notification.
      const seen = Atomics.load(this.signal, 0);
      this.drain();
      const r = this.replies.get(id);
      if (r) {
        this.replies.delete(id);
        return r;
      }
      if (this.failure) throw this.failure;
      if (Atomics.load(this.signal, 1)) throw (this.failure = new Error('state encoder worker ended without replying'));
      const now = Date.now();
      const b = Atomics.load(this.signal, 2);
      if (b !== beat) [beat, beatAt] = [b, now];
      else if (now - beatAt > this.stallMs) {
        throw (this.failure = new Error(
          `state encoder worker gave no reply and no sign of life for ${Math.round((now - beatAt) / 1000)} s (it may have run out of memory)`,
        ));
      }
      Atomics.wait(this.signal, 0, seen, Math.min(10_000, this.stallMs / 4));
    }
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners();
    await this.worker.terminate();
  }
}

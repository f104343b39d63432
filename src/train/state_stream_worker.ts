/**
 * Worker side of StateStream (state_stream.ts): owns the state encoder (onnxruntime when an ONNX
 * export exists, else tfjs on its own backend) and encodes the prompts of one request at a time,
 * in the order they were asked. Each reply goes to the dedicated port, then the shared counter is
 * bumped and notified, so a parent blocked in Atomics.wait wakes and reads it synchronously.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { createStateEncoder } from '../model/backbone/index.js';
import { encodeStateRows } from '../model/backbone/encode_rows.js';
import { withTruncation } from '../model/backbone/truncation.js';
import { initBackend } from '../runtime/backend.js';
import type { StreamInit, StreamReply, StreamRequest } from './state_stream.js';

const init = workerData as StreamInit & { port: MessagePort };
const signal = new Int32Array(init.signal);
// Slot 1 tells a parent blocked in Atomics.wait (which sees no 'exit' event) that no reply will come.
process.on('exit', () => {
  Atomics.store(signal, 1, 1);
  Atomics.notify(signal, 0);
});
// Slot 2 ticks while the worker lives: a parent that sees it stop knows the worker died without slot 1.
setInterval(() => Atomics.add(signal, 2, 1), init.heartbeatMs).unref();

function reply(m: StreamReply, transfer: ArrayBuffer[] = []): void {
  init.port.postMessage(m, transfer);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

try {
  // Only a tfjs encoder (no ONNX export) computes with it; one thread leaves the cores to training.
  await initBackend({ backend: init.backend, threads: 1 });
  const encoder = withTruncation(await createStateEncoder(init.spec), init.truncation);
  parentPort!.postMessage({ ready: true, id: encoder.id, hiddenSize: encoder.hiddenSize, numLayers: encoder.numLayers });
  // One request at a time: replies leave in request order and the encoder is never re-entered.
  let queue: Promise<void> = Promise.resolve();
  parentPort!.on('message', (m: StreamRequest) => {
    queue = queue.then(async () => {
      try {
        const a = await encodeStateRows(encoder, m.texts, init.maxLength, init.layers);
        reply({ id: m.id, arrays: a }, [...a.states.map((s) => s.buffer as ArrayBuffer), a.mask.buffer as ArrayBuffer]);
      } catch (e) {
        reply({ id: m.id, error: (e as Error).stack ?? String(e) });
      }
    });
  });
} catch (e) {
  parentPort!.postMessage({ ready: false, error: (e as Error).stack ?? String(e) });
}

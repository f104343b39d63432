/**
 * Fail before loading a model that cannot fit the active tfjs backend, instead of crashing midway
 * through variable creation. Weights are held as float32 whatever the file's dtype; full tuning
 * also holds a gradient and two Adam moments per weight.
 */
import { totalmem } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { ModelFolderError } from '../../util/errors.js';
import type { TuningMode } from './types.js';

/** The wasm backend's heap is a 32-bit WebAssembly memory: 4 GiB at most, for weights and activations. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;
/** Left on the wasm heap for activations: weights above 3.5 GiB would fail at the first batch. */
const WASM_ACTIVATION_ROOM = 2 ** 29;

const gib = (b: number): string => `${(b / 2 ** 30).toFixed(1)} GiB`;

/** Bytes a backbone of `params` weights needs under `tuning` (before activations). */
export function backboneBytes(params: number, tuning: TuningMode): number {
  return params * 4 * (tuning === 'full' ? 4 : 1);
}

/** The memory the active backend can hold weights in: wasm's heap less room for activations, else the machine's RAM. */
export function backendLimit(backend: string = tf.getBackend()): { bytes: number; what: string } {
  if (backend === 'wasm') return { bytes: WASM_HEAP_BYTES - WASM_ACTIVATION_ROOM, what: 'the wasm backend heap limit (4 GiB, 0.5 GiB of it kept for activations)' };
  const ram = totalmem();
  return { bytes: ram, what: `this machine's RAM (${gib(ram)}, backend "${backend}")` };
}

/** Throw a ModelFolderError naming the model size and the limit when `params` cannot fit. */
export function checkBackboneFits(params: number, tuning: TuningMode, model: string, backend: string = tf.getBackend()): void {
  const need = backboneBytes(params, tuning);
  const limit = backendLimit(backend);
  if (need < limit.bytes) return;
  const hint = backend === 'wasm' ? '; use --backend node or gpu (tfjs-node / tfjs-node-gpu)' : '; use a machine with more memory or a smaller model';
  throw new ModelFolderError(
    `${model}: ${(params / 1e9).toFixed(2)}B parameters need ${gib(need)} as float32${tuning === 'full' ? ' with full tuning (weights, gradients, Adam moments)' : ''}, more than ${limit.what}${hint}`,
  );
}

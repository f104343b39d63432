/**
 * Checkpoints: every variable (weights, BatchNorm statistics), the optimizer moments, and the
 * trainer's position (epoch, step, RNG state, data order, schedule, early-stopping record), so that
 * a resumed run continues bit for bit.
 *
 * Layout of a checkpoint folder (written atomically, then swapped into place):
 *   state.json    trainer state + an index {name, shape, offset, length} of each tensor + the
 *                 sha256 of tensors.bin
 *   tensors.bin   the float32 values of the variables then the optimizer slots, little-endian
 * Loading verifies the hash and that every weight is finite, naming the file that is wrong.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { atomicWriteDir } from '../util/fs.js';
import { RunFolderError } from '../util/errors.js';

export interface TensorEntry {
  name: string;
  shape: number[];
  /** Offset in float32 elements. */
  offset: number;
}

export interface CheckpointFile<S> {
  format: 'unictr-checkpoint';
  version: 1;
  trainer: S;
  variables: TensorEntry[];
  slots: TensorEntry[];
  /** sha256 (hex) of each data file; absent in checkpoints written before it was added. */
  sha256?: Record<string, string>;
}

export interface NamedArrays {
  [name: string]: { shape: number[]; values: Float32Array };
}

function pack(named: NamedArrays, start: number, out: Float32Array[]): { entries: TensorEntry[]; end: number } {
  let offset = start;
  const entries: TensorEntry[] = [];
  for (const [name, { shape, values }] of Object.entries(named)) {
    entries.push({ name, shape, offset });
    out.push(values);
    offset += values.length;
  }
  return { entries, end: offset };
}

export async function variablesToArrays(vars: Map<string, tf.Variable>): Promise<NamedArrays> {
  const out: NamedArrays = {};
  for (const [name, v] of vars) out[name] = { shape: v.shape.slice(), values: Float32Array.from(await v.data()) };
  return out;
}

/** Write a checkpoint folder atomically (a crash mid-write leaves the previous one intact). */
export async function saveCheckpoint<S>(dir: string, trainer: S, variables: NamedArrays, slots: NamedArrays): Promise<void> {
  await atomicWriteDir(dir, async (tmp) => {
    const parts: Float32Array[] = [];
    const v = pack(variables, 0, parts);
    const s = pack(slots, v.end, parts);
    const total = s.end;
    const buf = new Float32Array(total);
    let o = 0;
    for (const p of parts) {
      buf.set(p, o);
      o += p.length;
    }
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    const sha256 = { 'tensors.bin': createHash('sha256').update(bytes).digest('hex') };
    const file: CheckpointFile<S> = { format: 'unictr-checkpoint', version: 1, trainer, variables: v.entries, slots: s.entries, sha256 };
    await fsp.writeFile(path.join(tmp, 'tensors.bin'), bytes);
    await fsp.writeFile(path.join(tmp, 'state.json'), JSON.stringify(file, null, 1) + '\n');
  }, { marker: 'state.json' });
}

export interface LoadedCheckpoint<S> {
  trainer: S;
  variables: NamedArrays;
  slots: NamedArrays;
}

export function checkpointExists(dir: string): boolean {
  return existsSync(path.join(dir, 'state.json')) && existsSync(path.join(dir, 'tensors.bin'));
}

function readState<S>(dir: string): CheckpointFile<S> {
  const stateFile = path.join(dir, 'state.json');
  let file: CheckpointFile<S>;
  try {
    file = JSON.parse(readFileSync(stateFile, 'utf8')) as CheckpointFile<S>;
  } catch (e) {
    throw new RunFolderError(`${stateFile}: unreadable checkpoint state: ${(e as Error).message}`);
  }
  if (file?.format !== 'unictr-checkpoint' || !Array.isArray(file.variables) || !Array.isArray(file.slots)) {
    throw new RunFolderError(`${stateFile}: not a unictr checkpoint`);
  }
  return file;
}

/** Only the trainer state of a checkpoint (no tensors read). */
export function readCheckpointTrainer<S>(dir: string): S {
  return readState<S>(dir).trainer;
}

export function loadCheckpoint<S>(dir: string): LoadedCheckpoint<S> {
  if (!checkpointExists(dir)) throw new RunFolderError(`no checkpoint in ${dir} (expected state.json and tensors.bin)`);
  const file = readState<S>(dir);
  const binFile = path.join(dir, 'tensors.bin');
  const raw = readFileSync(binFile);
  const want = file.sha256?.['tensors.bin'];
  if (want !== undefined && createHash('sha256').update(raw).digest('hex') !== want) {
    throw new RunFolderError(`${binFile}: corrupt checkpoint (its sha256 does not match the one in state.json); resume from another checkpoint or retrain`);
  }
  if (raw.byteLength % 4 !== 0) {
    throw new RunFolderError(`${binFile}: corrupt checkpoint (${raw.byteLength} bytes is not a whole number of float32 values)`);
  }
  const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const unpack = (entries: TensorEntry[], kind: string): NamedArrays => {
    const out: NamedArrays = {};
    for (const e of entries) {
      const len = e.shape.reduce((a, b) => a * b, 1);
      if (!Number.isInteger(e.offset) || e.offset < 0 || e.offset + len > all.length) {
        throw new RunFolderError(`${binFile} is truncated (tensor ${e.name})`);
      }
      const values = all.slice(e.offset, e.offset + len);
      const bad = values.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) {
        throw new RunFolderError(`${binFile}: ${kind} "${e.name}" holds a non-finite value (${values[bad]} at index ${bad}); the checkpoint is unusable`);
      }
      out[e.name] = { shape: e.shape, values };
    }
    return out;
  };
  return { trainer: file.trainer, variables: unpack(file.variables, 'weight'), slots: unpack(file.slots, 'optimizer slot') };
}

/** Copy saved values into the model's variables; every variable must be present with its shape. */
export function restoreVariables(vars: Map<string, tf.Variable>, saved: NamedArrays, where: string): void {
  for (const [name, v] of vars) {
    const s = saved[name];
    if (!s) throw new RunFolderError(`${where}: checkpoint has no tensor "${name}"`);
    if (s.shape.join(',') !== v.shape.join(',')) {
      throw new RunFolderError(`${where}: tensor "${name}" has shape [${s.shape}] in the checkpoint, model expects [${v.shape}]`);
    }
    tf.tidy(() => v.assign(tf.tensor(s.values, v.shape, v.dtype === "int32" ? "int32" : "float32")));
  }
}

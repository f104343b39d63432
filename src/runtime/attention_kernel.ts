/**
 * Multi-head self-attention over the tokens of each sample, forward and backward, on plain
 * Float32Arrays, with the SIMD kernels of kernels/attention.wat (C = A·Bᵀ and C = P·B / Pᵀ·B on
 * one sample's and head's [t, dh] slices) and the softmax in JS between them.
 *
 * Why: tfjs-wasm runs the batched per-sample matMuls ([n, t, dh]·[n, dh, t]) at ≈ 1 GMAC/s, and
 * per-sample 2-D matMuls are slower still (per-call overhead). Here one call handles every sample
 * and head; keys after a sample's last real token are skipped (their softmax weight is exactly 0).
 * The module has its own memory: inputs are copied in and results out (memcpy speed, small next
 * to the arithmetic). src/model/ops/fused_attention.ts wraps this as a tfjs op with a gradient.
 */
import { WASM_BASE64 } from './kernels/attention_wasm.js';

// The project's TypeScript libs do not declare WebAssembly; this is the part used here.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

interface KernelExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  dots(a: number, as: number, b: number, bs: number, c: number, cs: number, m: number, n: number, d: number, scale: number): void;
  mix(p: number, prs: number, pcs: number, b: number, bs: number, c: number, cs: number, m: number, n: number, d: number, scale: number): void;
}

/** Shape of one call: n samples of t tokens; qkv rows hold [q_0 … q_{h-1}, k_0 …, v_0 …], each head dh = w / heads wide. */
export interface AttentionShape {
  n: number;
  t: number;
  /** Attention width w (q, k, v and the output are w wide). */
  width: number;
  heads: number;
}

let kernels: KernelExports | null | undefined;

/** The compiled kernels, or null where WebAssembly SIMD is unavailable. */
function load(): KernelExports | null {
  if (kernels !== undefined) return kernels;
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  try {
    if (!api) throw new Error('no WebAssembly');
    const module = new api.Module(Buffer.from(WASM_BASE64, 'base64'));
    kernels = new api.Instance(module, {}).exports as KernelExports;
  } catch {
    kernels = null;
  }
  return kernels;
}

/** Whether the kernels run for this width and head count (each head a multiple of 16 floats wide). */
export function attentionKernelApplies(width: number, heads: number): boolean {
  return width % heads === 0 && (width / heads) % 16 === 0 && load() !== null;
}

/** The module's memory as floats, grown to hold `floats` floats. */
function heap(k: KernelExports, floats: number): Float32Array {
  const need = floats * 4 - k.memory.buffer.byteLength;
  if (need > 0) k.memory.grow(Math.ceil(need / 65536));
  return new Float32Array(k.memory.buffer);
}

/** Keys 0 … end − 1 can carry weight: end = last real key + 1 (real: bias > −1e8), or t when none is real. */
function keyEnd(keyBias: Float32Array, b: number, t: number): number {
  for (let j = t - 1; j >= 0; j--) if (keyBias[b * t + j]! > -1e8) return j + 1;
  return t;
}

function check(s: AttentionShape, qkv: Float32Array, keyBias: Float32Array): number {
  const { n, t, width, heads } = s;
  if (!attentionKernelApplies(width, heads)) throw new Error(`attention kernel: width ${width} with ${heads} heads is not supported`);
  if (qkv.length !== n * t * 3 * width) throw new Error(`attention kernel: qkv has ${qkv.length} floats, expected ${n}·${t}·${3 * width}`);
  if (keyBias.length !== n * t) throw new Error(`attention kernel: key bias has ${keyBias.length} floats, expected ${n}·${t}`);
  return width / heads;
}

/**
 * qkv [n, t, 3w], keyBias [n, t] (additive: 0 real, −1e9 padding) → out [n, t, w] (heads
 * concatenated) and the softmax weights probs [n, heads, t, t] that the backward pass needs.
 * out_i = Σ_j softmax_j(q_i·k_j / √dh + bias_j) v_j per sample and head.
 */
export function attentionForward(s: AttentionShape, qkv: Float32Array, keyBias: Float32Array): { out: Float32Array; probs: Float32Array } {
  const dh = check(s, qkv, keyBias);
  const k = load()!;
  const { n, t, width: w, heads: h } = s;
  const QKV = 0;
  const PR = QKV + n * t * 3 * w;
  const OUT = PR + n * h * t * t;
  const f = heap(k, OUT + n * t * w);
  f.set(qkv, QKV);
  const scale = 1 / Math.sqrt(dh);
  const qkvRow = 3 * w * 4;
  for (let b = 0; b < n; b++) {
    const end = keyEnd(keyBias, b, t);
    for (let hh = 0; hh < h; hh++) {
      const q = 4 * (QKV + b * t * 3 * w + hh * dh);
      const p = PR + (b * h + hh) * t * t;
      k.dots(q, qkvRow, q + 4 * w, qkvRow, 4 * p, 4 * t, t, end, dh, scale);
      for (let i = 0; i < t; i++) {
        const row = p + i * t;
        let max = -Infinity;
        for (let j = 0; j < end; j++) {
          const v = f[row + j]! + keyBias[b * t + j]!;
          f[row + j] = v;
          if (v > max) max = v;
        }
        let sum = 0;
        for (let j = 0; j < end; j++) {
          const e = Math.exp(f[row + j]! - max);
          f[row + j] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let j = 0; j < end; j++) f[row + j]! *= inv;
        f.fill(0, row + end, row + t);
      }
      k.mix(4 * p, 4 * t, 4, q + 8 * w, qkvRow, 4 * (OUT + b * t * w + hh * dh), 4 * w, t, end, dh, 1);
    }
  }
  return { out: f.slice(OUT, OUT + n * t * w), probs: f.slice(PR, OUT) };
}

/**
 * Gradient of {@link attentionForward}: dOut [n, t, w] → dQKV [n, t, 3w], from the forward's
 * inputs and its probs. With S = q·kᵀ/√dh + bias and P = softmax(S):
 * dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(P ⊙ dP)), dQ = dS·K/√dh, dK = dSᵀ·Q/√dh.
 */
export function attentionBackward(
  s: AttentionShape,
  qkv: Float32Array,
  keyBias: Float32Array,
  probs: Float32Array,
  dOut: Float32Array,
): Float32Array {
  const dh = check(s, qkv, keyBias);
  const k = load()!;
  const { n, t, width: w, heads: h } = s;
  if (probs.length !== n * h * t * t || dOut.length !== n * t * w) throw new Error('attention kernel: probs or dOut has the wrong size');
  const QKV = 0;
  const PR = QKV + n * t * 3 * w;
  const DO = PR + n * h * t * t;
  const DQKV = DO + n * t * w;
  const DS = DQKV + n * t * 3 * w;
  const f = heap(k, DS + t * t);
  f.set(qkv, QKV);
  f.set(probs, PR);
  f.set(dOut, DO);
  // Keys past a sample's last real token get no gradient; the kernels never write their rows.
  f.fill(0, DQKV, DS);
  const scale = 1 / Math.sqrt(dh);
  const row3 = 3 * w * 4;
  for (let b = 0; b < n; b++) {
    const end = keyEnd(keyBias, b, t);
    for (let hh = 0; hh < h; hh++) {
      const col = b * t * 3 * w + hh * dh;
      const q = 4 * (QKV + col);
      const dq = 4 * (DQKV + col);
      const dO = 4 * (DO + b * t * w + hh * dh);
      const p = PR + (b * h + hh) * t * t;
      // dV_j = Σ_i P_ij dO_i for j < end.
      k.mix(4 * p, 4, 4 * t, dO, 4 * w, dq + 8 * w, row3, end, t, dh, 1);
      // dP_ij = dO_i · v_j, then dS in place (scaled by 1/√dh for both dQ and dK).
      k.dots(dO, 4 * w, q + 8 * w, row3, 4 * DS, 4 * t, t, end, dh, 1);
      for (let i = 0; i < t; i++) {
        const pr = p + i * t;
        const dr = DS + i * t;
        let dot = 0;
        for (let j = 0; j < end; j++) dot += f[pr + j]! * f[dr + j]!;
        for (let j = 0; j < end; j++) f[dr + j] = scale * f[pr + j]! * (f[dr + j]! - dot);
      }
      // dQ_i = Σ_j dS_ij k_j; dK_j = Σ_i dS_ij q_i.
      k.mix(4 * DS, 4 * t, 4, q + 4 * w, row3, dq, row3, t, end, dh, 1);
      k.mix(4 * DS, 4, 4 * t, q, row3, dq + 4 * w, row3, end, t, dh, 1);
    }
  }
  return f.slice(DQKV, DS);
}

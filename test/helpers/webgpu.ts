/**
 * Gate for the WebGPU tests: they skip, with the reason printed, where Dawn finds no adapter, but
 * when the CI variable is set (.ci/run sets it and installs lavapipe) a missing adapter fails them.
 */
import { initBackend } from '../../src/runtime/backend.js';
import { describeAdapter } from '../../src/runtime/backend.js';

export interface WebgpuGate {
  /** Why WebGPU cannot run here; undefined when it can. */
  reason?: string;
  /** node:test options: a visible skip outside CI, none in CI (the test body then fails). */
  options: { skip?: string };
  /** The adapter line, for test names and logs. */
  adapter?: string;
}

export async function webgpuGate(): Promise<WebgpuGate> {
  try {
    const info = await initBackend({ backend: 'webgpu' });
    return { options: {}, adapter: info.adapter ? describeAdapter(info.adapter) : 'unknown adapter' };
  } catch (e) {
    const reason = (e as Error).message;
    if (process.env.CI) return { reason, options: {} };
    const skip = `no WebGPU adapter (${reason}); CI=1 turns this skip into a failure`;
    console.log(`# webgpu tests skipped: ${skip}`);
    return { reason, options: { skip } };
  }
}

/** First line of every gated test: in CI a missing adapter is a failure, not a skip. */
export function requireWebgpu(gate: WebgpuGate): void {
  if (gate.reason) throw new Error(`CI is set but WebGPU is unavailable: ${gate.reason} (.ci/run installs Mesa 25 lavapipe from bookworm-backports)`);
}

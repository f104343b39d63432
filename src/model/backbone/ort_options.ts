/**
 * onnxruntime execution providers. CPU by default; `UNICTR_ORT_PROVIDERS=cuda,cpu` (after
 * installing the CUDA provider, see README) runs the state encoders on the GPU, falling back in
 * the order given.
 */
const KNOWN = ['cpu', 'cuda', 'dml', 'coreml', 'webgpu'] as const;

export function ortExecutionProviders(env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = env.UNICTR_ORT_PROVIDERS?.trim();
  if (!raw) return ['cpu'];
  const list = raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  for (const p of list) {
    if (!(KNOWN as readonly string[]).includes(p)) {
      throw new Error(`UNICTR_ORT_PROVIDERS: unknown execution provider "${p}". Should be one of: ${KNOWN.join(', ')}`);
    }
  }
  return list;
}

// Prints the WebGPU adapter Dawn would give this process as one JSON line ("null" for none).
// backend.ts runs it in a child process in `auto` mode: Dawn writes warnings about software Vulkan
// drivers straight to stderr, which must not reach a CPU-only user's terminal on every command.
import { create } from 'webgpu';

const adapter = await create([]).requestAdapter({ powerPreference: 'high-performance' });
const info = adapter ? Object.fromEntries(['vendor', 'architecture', 'device', 'description', 'isFallbackAdapter', 'type'].map((k) => [k, adapter.info?.[k]])) : null;
process.stdout.write(JSON.stringify(info ? { info, isFallbackAdapter: adapter.isFallbackAdapter } : null) + '\n');
process.exit(0);

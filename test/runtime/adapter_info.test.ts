/** `auto` must never pick a software WebGPU adapter: the classification of adapter identities. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adapterInfo, describeAdapter } from '../../src/runtime/backend.js';

test('software adapters are recognised (fallback flag, architecture, driver names)', () => {
  // What Dawn reports for Mesa 25 lavapipe on this project's CI machine.
  const lavapipe = { info: { vendor: 'mesa', architecture: 'software', device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1', isFallbackAdapter: true } };
  assert.equal(adapterInfo(lavapipe).software, true);
  // Each signal alone is enough.
  assert.equal(adapterInfo({ info: { vendor: 'mesa', description: 'llvmpipe (LLVM 17)' } }).software, true);
  assert.equal(adapterInfo({ info: { vendor: 'google', description: 'SwiftShader Device (Subzero)' } }).software, true);
  assert.equal(adapterInfo({ info: { vendor: 'x', architecture: 'software' } }).software, true);
  assert.equal(adapterInfo({ info: { vendor: 'x' }, isFallbackAdapter: true }).software, true);
  assert.equal(adapterInfo({ info: { vendor: 'x', type: 'cpu' } }).software, true);
  assert.match(describeAdapter(adapterInfo(lavapipe)), /^mesa software "llvmpipe: Mesa 25\.0\.7.*\(software, runs on the CPU\)$/);
});

test('hardware adapters are not flagged', () => {
  const nvidia = { info: { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200', isFallbackAdapter: false } };
  const amd = { info: { vendor: 'amd', architecture: 'rdna-3', description: 'AMD Radeon RX 7900 XTX (RADV NAVI31)' } };
  for (const a of [nvidia, amd]) assert.equal(adapterInfo(a).software, false, JSON.stringify(a));
  assert.equal(describeAdapter(adapterInfo(nvidia)), 'nvidia hopper "NVIDIA H200"');
  assert.equal(adapterInfo({}).software, false);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ortExecutionProviders } from '../../../src/model/backbone/ort_options.js';

test('onnxruntime providers: cpu by default, a list from UNICTR_ORT_PROVIDERS, unknown names rejected', () => {
  assert.deepEqual(ortExecutionProviders({}), ['cpu']);
  assert.deepEqual(ortExecutionProviders({ UNICTR_ORT_PROVIDERS: 'CUDA, cpu' }), ['cuda', 'cpu']);
  assert.throws(() => ortExecutionProviders({ UNICTR_ORT_PROVIDERS: 'cuda,tpu' }), /unknown execution provider "tpu".*cpu, cuda/);
});

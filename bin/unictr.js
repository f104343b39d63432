#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so that `npx unictr` works without a build step.
import { register } from 'tsx/esm/api';
register();
process.env.UNICTR_CLI_ENTRY = '1';
await import('../src/cli/main.ts');

#!/usr/bin/env node
// Entry point of the `qcb` binary. Runs the compiled CLI when it exists (Docker image,
// `npm run build`), otherwise the TypeScript source through tsx (a dev checkout).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'controller', 'cli', 'main.js');
if (existsSync(compiled)) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'controller', 'cli', 'main.ts')).href);
}

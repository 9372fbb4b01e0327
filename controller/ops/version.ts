// This package's version, from package.json: two levels up from the source (controller/ops) and
// three from the build (dist/controller/ops); the first that is ours.
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'fs-queue-callback' && pkg.version) return pkg.version;
    } catch { /* try the next one */ }
  }
  return 'unknown';
}

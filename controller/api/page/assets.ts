// The supervisor page's script modules and style sheet, read once when the admin server starts
// (a missing one is a broken install, said at start rather than as a blank page). They live in
// ./static beside this file; a tsc build (dist/controller/api/page/) does not copy non-.ts
// files, but the image keeps them at their source path (Dockerfile: every non-.ts file of
// controller/ goes to the same path), so that source folder is the second place looked in.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface StaticAsset {
  readonly type: string;
  readonly body: string;
}

/** Every file /static serves; nothing else under that path answers. */
export const ASSET_NAMES = ['supervisor.js', 'dom.js', 'clock.js', 'floor.js', 'api.js', 'actions.js', 'today.js', 'supervisor.css'] as const;

const FOLDERS = ['./static/', '../../../../controller/api/page/static/'];

const typeOf = (name: string): string => (name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8');

export function loadAssets(): ReadonlyMap<string, StaticAsset> {
  const tried: string[] = [];
  for (const folder of FOLDERS) {
    const dir = new URL(folder, import.meta.url);
    try {
      return new Map(ASSET_NAMES.map((name) => [name, { type: typeOf(name), body: readFileSync(new URL(name, dir), 'utf8') }]));
    } catch (err) {
      tried.push(`${fileURLToPath(dir)} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }
  throw new Error(`supervisor page: its static files are missing; looked in ${tried.join(' and ')}`);
}

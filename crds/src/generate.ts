import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCrdFiles } from './crd-manifest.js';

/** Folders that hold the generated CRDs, relative to the repository root. */
export const CRD_OUTPUT_DIRS = ['crds/manifests', 'charts/portcullis/crds'] as const;

/** The repository root: the nearest folder above this file that holds crds/package.json. */
export function repositoryRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'crds', 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no repository root above ${from}`);
  }
}

/** Writes every CRD to each output folder and removes generated files no kind produces. */
export function writeCrdFiles(root: string): string[] {
  const files = renderCrdFiles();
  const written: string[] = [];
  for (const dir of CRD_OUTPUT_DIRS) {
    const target = join(root, dir);
    mkdirSync(target, { recursive: true });
    for (const stale of readdirSync(target).filter((f) => f.endsWith('.yaml') && !files.has(f))) {
      rmSync(join(target, stale));
    }
    for (const [name, text] of files) {
      writeFileSync(join(target, name), text);
      written.push(join(dir, name));
    }
  }
  return written;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const path of writeCrdFiles(repositoryRoot())) process.stdout.write(`wrote ${path}\n`);
}

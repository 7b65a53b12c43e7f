import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The repository root, whether this runs from e2e/src (jest) or e2e/dist/src (built). */
export const repoRoot = here.includes('/dist/') ? join(here, '../../..') : join(here, '../..');

/** A path inside the repository. */
export function repoPath(...parts: string[]): string {
  return join(repoRoot, ...parts);
}

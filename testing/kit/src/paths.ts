import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');
/** `sparkwire` as the workspace runs it (the bundle apps/sidecar/build.mjs writes, or the sources). */
export const SIDECAR_BIN = join(REPO_ROOT, 'apps/sidecar/bin/sparkwire.js');

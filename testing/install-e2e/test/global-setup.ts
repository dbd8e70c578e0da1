// Builds what the artifacts are made from, so a test never installs yesterday's code: the
// dev bundle (dist/cli.mjs), the standalone sidecar (dist/sparkwire.mjs, staged npm package dist/package) and
// the SDK's staged npm package (libs/sdk/dist/package).
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

export default function setup(): void {
  const root = resolve(import.meta.dirname, '../../..');
  execFileSync(process.execPath, [resolve(root, 'apps/sidecar/build.mjs'), '--all'], { stdio: 'inherit' });
  execFileSync(process.execPath, [resolve(root, 'libs/sdk/build.mjs')], { stdio: 'inherit' });
}

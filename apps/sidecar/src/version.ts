// The sparkwire version. The builds (apps/sidecar/build.mjs) inline it from the root
// package.json, the one source of the version (tools/version.mjs checks every other copy:
// workspace packages, the Python package, the Maven POM); from source it is read from
// this package's package.json, which that check keeps equal.
import { readFileSync } from 'node:fs';

declare const __SPARKWIRE_VERSION__: string | undefined;

function fromPackageJson(): string {
  return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version as string;
}

export const VERSION: string = typeof __SPARKWIRE_VERSION__ === 'string' ? __SPARKWIRE_VERSION__ : fromPackageJson();

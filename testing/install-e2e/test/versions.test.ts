// One version across the three ecosystems: the root package.json's. tools/version.mjs checks
// every copy (workspace package.json files, the Python package's pyproject.toml and
// __version__, every Maven POM of the listener) and `set` rewrites them all; the builds inline
// the root's, so `sparkwire --version` (standalone and npm package) says the same.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, SDK_PACKAGE, SIDECAR_PACKAGE, STANDALONE, emptyDir } from './helpers';

const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const tool = join(ROOT, 'tools/version.mjs');
const run = (args: string[], env: NodeJS.ProcessEnv = {}) => execFileSync(process.execPath, [tool, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

describe('one version', () => {
  it('every copy agrees with the root package.json', () => {
    expect(run(['check'])).toMatch(new RegExp(`^version ${VERSION.replace(/\./g, '\\.')}: \\d+ copies agree`));
    const py = readFileSync(join(ROOT, 'libs/python/src/sparkwire/_version.py'), 'utf8');
    expect(py).toContain(`__version__ = "${VERSION}"`);
    expect(readFileSync(join(ROOT, 'libs/spark-listener/pom.xml'), 'utf8')).toContain(`<version>${VERSION}</version>`);
  });

  it('sparkwire --version and the staged npm packages say the same', () => {
    expect(execFileSync(process.execPath, [STANDALONE, '--version'], { encoding: 'utf8' }).trim()).toBe(VERSION);
    expect(execFileSync(process.execPath, [join(ROOT, 'apps/sidecar/bin/sparkwire.js'), '--version'], { encoding: 'utf8' }).trim()).toBe(VERSION);
    for (const dir of [SIDECAR_PACKAGE, SDK_PACKAGE]) expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version).toBe(VERSION);
  });

  it('`set` rewrites every copy (on a copy of the tree) and `check` then finds them all', () => {
    const copy = emptyDir('version-set');
    const files = run(['check'], { VERBOSE: '1' }).trim().split('\n').slice(0, -1);
    expect(files).toEqual(expect.arrayContaining(['package.json', 'libs/sdk/package.json', 'apps/sidecar/package.json', 'libs/python/pyproject.toml', 'libs/python/src/sparkwire/_version.py', 'libs/spark-listener/pom.xml', 'deploy/kubernetes/spark-on-k8s/driver-pod-template.yaml']));
    for (const f of files) {
      mkdirSync(dirname(join(copy, f)), { recursive: true });
      cpSync(join(ROOT, f), join(copy, f));
    }
    mkdirSync(join(copy, 'libs'), { recursive: true });
    expect(run(['set', '9.8.7-rc.1'], { SPARKWIRE_VERSION_ROOT: copy })).toContain('9.8.7-rc.1');
    expect(run(['check'], { SPARKWIRE_VERSION_ROOT: copy })).toContain('version 9.8.7-rc.1');
    expect(readFileSync(join(copy, 'libs/python/pyproject.toml'), 'utf8')).toMatch(/^version = "9\.8\.7-rc\.1"$/m);
    const pom = readFileSync(join(copy, 'libs/spark-listener/pom.xml'), 'utf8');
    expect(pom).toContain('<version>9.8.7-rc.1</version>');
    // Only the project's own version: dependency and plugin versions stay.
    expect(pom.match(/9\.8\.7-rc\.1/g)).toHaveLength(1);
    // A copy that disagrees is named.
    cpSync(join(ROOT, 'libs/python/src/sparkwire/_version.py'), join(copy, 'libs/python/src/sparkwire/_version.py'));
    expect(() => execFileSync(process.execPath, [tool, 'check'], { env: { ...process.env, SPARKWIRE_VERSION_ROOT: copy }, stdio: 'pipe' })).toThrow(/_version\.py says/);
  });
});

// The boundary check over the real tree, and proof that each of its rules can fail: probe
// files with one violation each are written into real packages, cruised, then removed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const CONFIG = 'tools/boundaries/dependency-cruiser.cjs';

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

function cruise(paths: string[]): Violation[] {
  let out: string;
  try {
    out = execFileSync(process.execPath, [join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'), '--config', CONFIG, '--output-type', 'json', ...paths], { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  } catch (err) {
    // depcruise exits non-zero when it finds violations; its JSON is still on stdout.
    out = (err as { stdout?: string }).stdout ?? '';
    if (!out) throw err;
  }
  return (JSON.parse(out) as { summary: { violations: Violation[] } }).summary.violations;
}

const probes: string[] = [];
function probe(path: string, text: string): string {
  const full = join(ROOT, path);
  mkdirSync(join(full, '..'), { recursive: true });
  writeFileSync(full, text);
  probes.push(full);
  return path;
}
afterAll(() => {
  for (const p of probes) rmSync(p, { force: true });
});

describe('package boundaries', () => {
  it('the tree as it stands has no violation', () => {
    const v = cruise(['libs', 'apps', 'testing', 'tools']);
    expect(v.map((x) => `${x.rule.name}: ${x.from} -> ${x.to}`)).toEqual([]);
  });

  it('each rule catches its violation', () => {
    const tag = `boundary-probe-${process.pid}`;
    // libs/encoding does not declare @sparkwire/pipeline (pipeline is above it).
    const undeclared = probe(`libs/encoding/src/${tag}-a.ts`, "export { Pipeline } from '@sparkwire/pipeline';\n");
    const relative = probe(`libs/encoding/src/${tag}-b.ts`, "export * from '../../proto/src/index';\n");
    const testCode = probe(`libs/encoding/src/${tag}-c.ts`, `export * from './${tag}-d.test';\n`);
    probe(`libs/encoding/src/${tag}-d.test.ts`, 'export const x = 1;\n');
    const upward = probe(`libs/encoding/src/${tag}-e.ts`, "export * from '../../../apps/sidecar/src/version';\n");
    // kafkajs is not in libs/encoding's package.json; vitest is, as a devDependency (its tests).
    const thirdParty = probe(`libs/encoding/src/${tag}-f.ts`, "export { Kafka } from 'kafkajs';\n");
    const devDep = probe(`libs/encoding/src/${tag}-g.ts`, "export { describe } from 'vitest';\n");
    const v = cruise([undeclared, relative, testCode, upward, thirdParty, devDep]);
    const rules = (from: string) => v.filter((x) => x.from === from).map((x) => x.rule.name).sort();
    expect(rules(undeclared)).toEqual(['undeclared-workspace-dependency']);
    expect(rules(relative)).toEqual(['relative-import-across-packages']);
    expect(rules(testCode)).toEqual(['product-imports-test-code']);
    expect(rules(upward)).toEqual(['library-imports-application', 'relative-import-across-packages']);
    expect(rules(thirdParty)).toEqual(['undeclared-package']);
    expect(rules(devDep)).toEqual(['product-uses-dev-dependency']);
  });
});

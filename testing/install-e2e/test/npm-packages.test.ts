// The npm packages, packed from the workspace (`npm pack` of the staged packages that
// apps/sidecar/build.mjs and libs/sdk/build.mjs write) and installed with `npm install
// <tarball>` into empty directories outside the repository:
//  - @sparkwire/sidecar: no dependencies at all (the bin is the standalone bundle);
//    `npx sparkwire --version` and `npx sparkwire serve` serve, take a batch, drain, exit 0;
//  - @sparkwire/sdk: a Node program imports createPipeline and publishes into a real broker;
//    a TypeScript program type-checks against the shipped declarations (nodenext resolution).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { ListenerClient, readTopic, SIDECAR_READY_MESSAGE, syntheticApplication } from '@sparkwire/testkit';
import { toSparkMeasureRecords } from '@sparkwire/encoding';
import { SparkEvent } from '@sparkwire/proto';
import { ROOT, SDK_PACKAGE, SIDECAR_PACKAGE, cleanEnv, emptyDir, npmPack, serveFrom, waitFor } from './helpers';

const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const npm = (cwd: string, args: string[]) => execFileSync('npm', args, { cwd, env: cleanEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const consumer = (prefix: string) => {
  const dir = emptyDir(prefix);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${prefix}`, version: '1.0.0', private: true, type: 'module' }));
  return dir;
};

let tarballs: { sidecar: string; sdk: string };
beforeAll(() => {
  const packs = emptyDir('packs');
  tarballs = { sidecar: npmPack(SIDECAR_PACKAGE, packs), sdk: npmPack(SDK_PACKAGE, packs) };
  expect(tarballs.sidecar).toMatch(new RegExp(`sparkwire-sidecar-${VERSION}\\.tgz$`));
  expect(tarballs.sdk).toMatch(new RegExp(`sparkwire-sdk-${VERSION}\\.tgz$`));
});

describe('@sparkwire/sidecar from its tarball', () => {
  it('installs offline with no dependencies; npx sparkwire serves, takes a batch, drains and exits 0', async () => {
    const dir = consumer('npm-sidecar');
    const t0 = Date.now();
    npm(dir, ['install', tarballs.sidecar, '--offline', '--no-audit', '--no-fund']);
    const installMs = Date.now() - t0;
    // Nothing but the package itself: the bundle holds every dependency.
    expect(readdirSync(join(dir, 'node_modules')).filter((n) => !n.startsWith('.'))).toEqual(['@sparkwire']);
    expect(readdirSync(join(dir, 'node_modules/@sparkwire'))).toEqual(['sidecar']);
    expect(execFileSync('npx', ['--no-install', 'sparkwire', '--version'], { cwd: dir, env: cleanEnv(), encoding: 'utf8' }).trim()).toBe(VERSION);

    const s = await serveFrom('npx', ['--no-install', 'sparkwire', 'serve', '--server-port', '0', '--metrics-port', '0', '--extended'], { cwd: dir });
    expect(await s.health('sparkwire.v1.ListenerService')).toBe('SERVING');
    const events = syntheticApplication({ appId: 'app-npx', stagesPerJob: [1], tasksPerStage: 5, executors: 1, sqlExecutions: 0, failedTasks: 0, streamingProgress: 0, startMs: Date.now() - 60_000 });
    const client = new ListenerClient(s.address);
    expect((await client.publish({ clientId: 'npx', batchSeq: 1n, events, clientStats: undefined } as any)).accepted).toBe(events.length);
    client.close();
    // npm exec forwards SIGTERM to the sidecar, waits for it, then ends itself by the same
    // signal (-1 here); the sidecar's own clean exit shows in its log.
    expect([0, -1]).toContain(await s.stop('SIGTERM'));
    await waitFor('the sidecar under npx to stop cleanly', () => s.records().some((l) => l.msg === 'sparkwire sidecar stopped' && l.how === 'closed'), 20_000);
    const files = readdirSync(join(dir, 'sparkwire-data/events'));
    const ids = new Set(files.flatMap((f) => readFileSync(join(dir, 'sparkwire-data/events', f), 'utf8').trim().split('\n')).map((l) => JSON.parse(l).eventId));
    expect(ids.size).toBe(events.length);
    console.log(`@sparkwire/sidecar: npm install (offline) ${installMs} ms`);
  });
});

describe('@sparkwire/sdk from its tarball', () => {
  let broker: Broker;
  let dir: string;
  beforeAll(async () => {
    dir = consumer('npm-sdk');
    const t0 = Date.now();
    // Its dependencies come from the npm registry (npm's cache first).
    npm(dir, ['install', tarballs.sdk, '--prefer-offline', '--no-audit', '--no-fund']);
    console.log(`@sparkwire/sdk: npm install ${Date.now() - t0} ms`);
    broker = await startBroker();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('a Node program imports createPipeline and publishes into a real broker', async () => {
    // The workspace's libraries are inside the bundle, not installed next to it.
    expect(readdirSync(join(dir, 'node_modules/@sparkwire'))).toEqual(['sdk']);
    const events = syntheticApplication({ appId: 'app-sdk', stagesPerJob: [2], tasksPerStage: 10, executors: 1, sqlExecutions: 1, failedTasks: 1, streamingProgress: 1, startMs: Date.now() - 60_000 });
    writeFileSync(join(dir, 'events.json'), JSON.stringify(events.map((e) => SparkEvent.toJSON(e))));
    writeFileSync(
      join(dir, 'publish.mjs'),
      `import { readFileSync } from 'node:fs';
import { createPipeline, proto } from '@sparkwire/sdk';
const events = JSON.parse(readFileSync('events.json', 'utf8')).map((e) => proto.SparkEvent.fromJSON(e));
const built = createPipeline({ extended: true, kafka: { brokers: [process.argv[2]], topic: 'sdk-events', partitions: 1 }, metrics: { enabled: false }, logLevel: 'warn' });
await built.start();
const r = await built.pipeline.publishEvents(events);
await built.close();
console.log(JSON.stringify({ accepted: r.accepted, duplicates: r.duplicates }));
`,
    );
    const out = execFileSync(process.execPath, ['publish.mjs', broker.bootstrap], { cwd: dir, env: cleanEnv(), encoding: 'utf8', timeout: 120_000 });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ accepted: events.length, duplicates: 0 });
    const want = events.flatMap((e) => toSparkMeasureRecords(e)).length;
    const got = await readTopic(broker.bootstrap, 'sdk-events', want);
    const ids = got.map((r) => JSON.parse(r.value.toString())).map((v) => `${v.eventId}/${v.name}`);
    expect(new Set(ids).size).toBe(want);
    expect(ids.length).toBe(want);
  });

  it('startSidecar from the package serves gRPC (its .proto files ship in the package)', async () => {
    writeFileSync(
      join(dir, 'sidecar.mjs'),
      `import { startSidecar } from '@sparkwire/sdk';
const s = await startSidecar({ server: { port: 0 }, file: { dir: 'events' }, metrics: { enabled: false }, logLevel: 'warn' });
console.log(JSON.stringify({ msg: ${JSON.stringify(SIDECAR_READY_MESSAGE)}, address: s.address }));
process.on('SIGTERM', () => s.stop().then(() => process.exit(0)));
`,
    );
    const s = await serveFrom(process.execPath, ['sidecar.mjs'], { cwd: dir });
    await waitFor('ListenerService SERVING', async () => (await s.health('sparkwire.v1.ListenerService')) === 'SERVING');
    expect(await s.stop('SIGTERM')).toBe(0);
  });

  it('its type declarations resolve under moduleResolution nodenext', () => {
    writeFileSync(
      join(dir, 'check.ts'),
      `import { createPipeline, parseConfig, startSidecar, type SparkwireConfig, type Sidecar } from '@sparkwire/sdk';
const c: SparkwireConfig = parseConfig({});
const port: number = c.server.port;
// @ts-expect-error server.port is a number
const wrong: string = c.server.port;
// @ts-expect-error an unknown key of the configuration object
createPipeline({ kafka: { brokers: ['h:1'], topik: 'x' } });
const built = createPipeline({ kafka: { brokers: ['h:1'] } });
// @ts-expect-error the Pipeline type (from a bundled library) is known
built.pipeline.noSuchMethod();
const s: Promise<Sidecar> = startSidecar({});
export { port, wrong, s };
`,
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const r = (() => {
      try {
        return execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules/@types'), '--skipLibCheck', 'check.ts'], { cwd: dir, encoding: 'utf8' });
      } catch (err) {
        return `${(err as { stdout: string }).stdout}`;
      }
    })();
    expect(r).toBe('');
    expect(existsSync(join(dir, 'node_modules/@sparkwire/sdk/types/libs/sdk/src/index.d.ts'))).toBe(true);
  });
});

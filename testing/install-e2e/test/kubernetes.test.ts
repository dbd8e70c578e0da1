// The Kubernetes driver pod template's sidecar, run for real: the standalone build (what
// deploy/Dockerfile puts in the image) started with exactly the container's args and env, its
// ConfigMap and Secret volumes laid out as files (mount paths under a temp root), against a
// real broker with SCRAM-SHA-512 (the ConfigMap's mechanism; password from the Secret file).
// It checks deploy/kubernetes/sidecar-contract.json against the running sidecar: every probe
// of the template answers SERVING on the probe's port and service, the health names the
// contract lists are exactly those reported; secrets work from files and are never logged;
// the Dockerfile's HEALTHCHECK command passes; SIGTERM drains within the grace period.
// The Go test (deploy/kubernetes/validate) holds the manifests to the same contract.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { ListenerClient, readTopic, syntheticApplication } from '@sparkwire/testkit';
import { ROOT, STANDALONE, cleanEnv, emptyDir, healthClient, serveFrom, waitFor, type Served } from './helpers';

const K8S = join(ROOT, 'deploy/kubernetes');
const contract = JSON.parse(readFileSync(join(K8S, 'sidecar-contract.json'), 'utf8'));
const pod = parseYaml(readFileSync(join(K8S, 'spark-on-k8s/driver-pod-template.yaml'), 'utf8'));
const configMap = parseYaml(readFileSync(join(K8S, 'sparkwire-config.yaml'), 'utf8'));
const secrets = parseAllDocuments(readFileSync(join(K8S, 'sparkwire-secrets.example.yaml'), 'utf8')).map((d) => d.toJS());
const sidecar = pod.spec.initContainers.find((c: { name: string }) => c.name === contract.sidecarContainer);
const manifestConfig = parseYaml(configMap.data['sparkwire.yaml']);
const TOKEN = 'k8s-test-token-0123456789abcdef';
const MiB = 2 ** 20;
const UNITS: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, Ki: 2 ** 10, Mi: MiB, Gi: 2 ** 30 };
/** A Kubernetes memory quantity ("768Mi", "1G") in bytes. */
function quantityBytes(q: string): number {
  const m = /^(\d+)(k|M|G|Ki|Mi|Gi)?$/.exec(String(q));
  if (!m) throw new Error(`memory quantity ${q}: not understood by this test`);
  return Number(m[1]) * UNITS[m[2] ?? ''];
}
const PASSWORD = 'scram-password-from-the-secret';

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '0.0.0.0', () => s.close(() => resolve(true)));
  });
}

let broker: Broker;
let fsRoot: string;
let appDir: string;
let args: string[];
let env: Record<string, string>;
let s: Served;
let grpcPort: number;
const notes: string[] = [];

beforeAll(async () => {
  broker = await startBroker({ saslScramUsers: { [manifestConfig.kafka.saslUsername]: PASSWORD } });
  // The pod's filesystem: every volume the sidecar mounts, at its mount path under fsRoot.
  fsRoot = emptyDir('k8s-root');
  const at = (p: string) => join(fsRoot, p);
  const rewrite = (text: string) => sidecar.volumeMounts.reduce((t: string, m: { mountPath: string }) => t.split(m.mountPath).join(at(m.mountPath)), text);
  for (const m of sidecar.volumeMounts) {
    const vol = pod.spec.volumes.find((v: { name: string }) => v.name === m.name);
    mkdirSync(at(m.mountPath), { recursive: true });
    if (vol.configMap) {
      expect(vol.configMap.name).toBe(configMap.metadata.name);
      for (const [k, v] of Object.entries<string>(configMap.data)) writeFileSync(join(at(m.mountPath), k), rewrite(v));
    } else if (vol.secret) {
      const secret = secrets.find((x) => x.metadata.name === vol.secret.secretName);
      // The example's placeholders replaced by the test's values, as `kubectl create secret --from-file` would.
      for (const k of Object.keys(secret.stringData)) writeFileSync(join(at(m.mountPath), k), k === 'token' ? `${TOKEN}\n` : PASSWORD);
    } else expect(vol.emptyDir).toBeDefined();
  }
  // The image: /app/sparkwire.mjs, WORKDIR /app.
  appDir = emptyDir('k8s-app');
  copyFileSync(STANDALONE, join(appDir, 'sparkwire.mjs'));
  args = sidecar.args.map(rewrite);
  env = Object.fromEntries((sidecar.env ?? []).map((e: { name: string; value: string }) => [e.name, e.value]));
  // Kafka's address is the test broker's SASL listener (the only value not from the manifests);
  // the manifest's ports are used when free on this shared machine.
  env.SPARKWIRE_KAFKA_BROKERS = broker.saslBootstrap!;
  grpcPort = manifestConfig.server.port;
  if (!(await portFree(grpcPort))) {
    env.SPARKWIRE_SERVER_PORT = '0';
    notes.push(`port ${grpcPort} busy here: ran on a free port`);
  }
  if (!(await portFree(manifestConfig.metrics.port))) {
    env.SPARKWIRE_METRICS_PORT = '0';
    notes.push(`metrics port ${manifestConfig.metrics.port} busy here: ran on a free port`);
  }
  s = await serveFrom(process.execPath, ['sparkwire.mjs', ...args], { cwd: appDir, env });
  grpcPort = Number(s.address.split(':').pop());
  await waitFor('sparkwire.kafka SERVING (SCRAM with the password file)', async () => (await s.health('sparkwire.kafka')) === 'SERVING', 60_000);
});

afterAll(async () => {
  if (s && s.proc.exitCode === null) await s.stop('SIGKILL');
  await broker?.stop();
  if (notes.length) console.log(`kubernetes.test: ${notes.join('; ')}`);
});

describe('the driver pod template, run', () => {
  it('the manifest configuration serves gRPC on the port the probes and containerPort name', () => {
    const out = execFileSync(process.execPath, ['sparkwire.mjs', 'print-config', ...args.slice(1)], { cwd: appDir, env: cleanEnv({ SPARKWIRE_KAFKA_BROKERS: broker.saslBootstrap! }), encoding: 'utf8' });
    const c = JSON.parse(out);
    const grpc = sidecar.ports.find((p: { name: string }) => p.name === 'grpc').containerPort;
    expect(c.server.port).toBe(grpc);
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) expect(sidecar[probe].grpc.port).toBe(c.server.port);
    expect(c.metrics.port).toBe(sidecar.ports.find((p: { name: string }) => p.name === 'metrics').containerPort);
    expect(c.shutdownDeadlineMs + contract.graceMarginSeconds * 1000).toBeLessThanOrEqual(pod.spec.terminationGracePeriodSeconds * 1000);
  });

  it("the heap the manifest's NODE_OPTIONS gives, on this Node, stays below the container's memory limit", () => {
    const runtime = JSON.parse(s.logs.find((l) => l.includes('"starting sparkwire sidecar"'))!).runtime;
    const nodeOptions: string = env.NODE_OPTIONS ?? '';
    // The semi-space is the manifest's choice: the sidecar keeps it (no restart with its own).
    expect(runtime.semiSpaceMiB).toBe(/--max-semi-space-size=(\d+)/.exec(nodeOptions)?.[1]);
    const limit = quantityBytes(sidecar.resources.limits.memory);
    expect(runtime.heapLimitMiB * MiB, `heap limit ${runtime.heapLimitMiB} MiB on Node ${runtime.node}`).toBeLessThan(limit);
  });

  it('every probe answers SERVING on its service; the reported health names are exactly the contract', async () => {
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      const service = sidecar[probe].grpc.service ?? '';
      expect(service).toBe(contract.probes[probe]);
      expect(await s.health(service)).toBe('SERVING');
    }
    for (const name of contract.kafkaHealthServices) await expect(s.health(name)).resolves.toMatch(/^(SERVING|NOT_SERVING)$/);
    // With Kafka configured the file sink's name is not reported; it is with the file sink (standalone.test.ts).
    for (const name of contract.healthServices.filter((n: string) => !contract.kafkaHealthServices.includes(n))) await expect(s.health(name)).rejects.toThrow(/NOT_FOUND/);
    await expect(s.health('sparkwire.v1.NoSuchService')).rejects.toThrow(/NOT_FOUND/);
    // Health needs no token (the kubelet sends none).
    const h = healthClient(`127.0.0.1:${grpcPort}`);
    expect(await h.check('')).toBe('SERVING');
    h.close();
  });

  it('the Dockerfile HEALTHCHECK command passes against it', () => {
    const dockerfile = readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8');
    const checks = [...dockerfile.matchAll(/HEALTHCHECK[^\n]*\\\n\s*CMD (\[[^\n]+\])/g)].map((m) => JSON.parse(m[1]) as string[]);
    expect(checks.length).toBeGreaterThan(0);
    for (const cmd of checks) {
      expect(cmd.slice(0, 2)).toEqual(['/nodejs/bin/node', '/app/sparkwire.mjs']);
      const argv = cmd.slice(2).map((a) => (a === `127.0.0.1:${manifestConfig.server.port}` ? `127.0.0.1:${grpcPort}` : a));
      expect(execFileSync(process.execPath, [join(appDir, 'sparkwire.mjs'), ...argv], { env: cleanEnv(), encoding: 'utf8' }).trim()).toBe('SERVING');
    }
    expect(dockerfile).toMatch(/^USER 10001:10001$/m);
    expect(sidecar.securityContext.runAsUser).toBe(10001);
  });

  it('secrets come from the Secret files: the token guards Publish, the password reaches Kafka; neither is ever logged', async () => {
    const events = syntheticApplication({ appId: 'app-k8s', stagesPerJob: [1], tasksPerStage: 4, executors: 1, sqlExecutions: 0, failedTasks: 0, streamingProgress: 0, startMs: Date.now() - 60_000 });
    const anonymous = new ListenerClient(`127.0.0.1:${grpcPort}`);
    await expect(anonymous.publish({ clientId: 'k8s', batchSeq: 1n, events, clientStats: undefined } as any)).rejects.toThrow(/UNAUTHENTICATED/);
    anonymous.close();
    const client = new ListenerClient(`127.0.0.1:${grpcPort}`, { token: TOKEN });
    expect((await client.publish({ clientId: 'k8s', batchSeq: 1n, events, clientStats: undefined } as any)).accepted).toBe(events.length);
    client.close();
    const got = await readTopic(broker.bootstrap, manifestConfig.kafka.topic, 1);
    expect(got.map((r) => JSON.parse(r.value.toString()).appId)).toContain('app-k8s');
    const start = s.records().find((l) => l.msg === 'starting sparkwire sidecar');
    expect(start?.config.server).toMatchObject({ token: '[redacted]', tokenFile: join(fsRoot, '/var/run/secrets/sparkwire/server/token') });
    expect(start?.config.kafka).toMatchObject({ saslPassword: '[redacted]', saslMechanism: manifestConfig.kafka.saslMechanism });
    expect(s.logs.join('\n')).not.toContain(TOKEN);
    expect(s.logs.join('\n')).not.toContain(PASSWORD);
  });

  it('SIGTERM (pod deletion): drains and exits 0 within terminationGracePeriodSeconds, having written nothing outside its volumes', async () => {
    const t0 = Date.now();
    expect(await s.stop('SIGTERM')).toBe(0);
    expect(Date.now() - t0).toBeLessThan(pod.spec.terminationGracePeriodSeconds * 1000);
    expect(s.records().find((l) => l.msg === 'sparkwire sidecar stopped')?.how).toBe('closed');
    // readOnlyRootFilesystem: the working directory (/app) still holds only the program.
    expect(readdirSync(appDir)).toEqual(['sparkwire.mjs']);
  });
});

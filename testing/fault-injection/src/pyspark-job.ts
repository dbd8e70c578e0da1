// A real PySpark job (jobs/steady_job.py) with the sparkwire JVM listener as the source,
// and the listener's own account of what it sent, from its end-of-application log line.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness';

export const PYTHON = join(ROOT, '.venv/bin/python');
const JOB = join(ROOT, 'testing/fault-injection/jobs/steady_job.py');
/** The freshly built listener when there is one, else the jar packaged in the venv's sparkwire. */
// the Spark 4 line's jar (.venv runs PySpark 4); see libs/spark-listener/lines/
const LISTENER_JAR = join(ROOT, 'libs/spark-listener/lines/spark4_2.13/target/sparkwire-spark-listener_2.13-0.1.0.jar');

export interface JobLine {
  kind: 'started' | 'progress' | 'done';
  jobs: number;
  app_id?: string;
  t: number;
}

/** "sparkwire: client <id> closed: N events acknowledged, ..." (SparkwireClient.close). */
export interface ListenerAccount {
  clientId: string;
  acknowledged: number;
  droppedBufferFull: number;
  droppedSidecarUnavailable: number;
  rejected: number;
  taskEventsNotBuilt: number;
  notDelivered: number;
}

const CLOSED = /sparkwire: client (\S+) closed: (\d+) events acknowledged, (\d+) dropped \(buffer full\), (\d+) dropped \(sidecar unavailable\), (\d+) rejected by the sidecar, (\d+) task events not built, (\d+) not delivered at close/;

export function parseAccount(log: string): ListenerAccount | undefined {
  const m = CLOSED.exec(log);
  if (!m) return undefined;
  const n = m.slice(2).map(Number);
  return { clientId: m[1], acknowledged: n[0], droppedBufferFull: n[1], droppedSidecarUnavailable: n[2], rejected: n[3], taskEventsNotBuilt: n[4], notDelivered: n[5] };
}

export class PySparkJob {
  readonly proc: ChildProcess;
  readonly lines: JobLine[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(settings: { endpoint: string; seconds: number; app_name: string }) {
    if (!existsSync(PYTHON)) throw new Error(`no ${PYTHON}: run \`npm run setup\` first`);
    const env: NodeJS.ProcessEnv = { ...process.env, PYSPARK_PYTHON: PYTHON, PYSPARK_DRIVER_PYTHON: PYTHON, PYTHONUNBUFFERED: '1' };
    if (existsSync(LISTENER_JAR)) env.SPARKWIRE_JAR = LISTENER_JAR;
    this.proc = spawn(PYTHON, ['-u', JOB, JSON.stringify(settings)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    this.proc.stdout!.on('data', (d: Buffer) => {
      const s = d.toString();
      this.stdout += s;
      buf += s;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith('FI_JOB ')) this.lines.push(JSON.parse(line.slice(7)) as JobLine);
      }
    });
    this.proc.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((r) => this.proc.on('exit', (code) => r(code)));
  }

  get jobs(): number {
    return this.lines[this.lines.length - 1]?.jobs ?? 0;
  }

  account(): ListenerAccount | undefined {
    return parseAccount(this.stderr) ?? parseAccount(this.stdout);
  }

  describe(): string {
    return `--- stdout\n${this.stdout.slice(-3000)}\n--- stderr\n${this.stderr.slice(-6000)}`;
  }
}

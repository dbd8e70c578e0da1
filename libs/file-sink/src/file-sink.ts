// A rotating newline-delimited JSON sink, so `sparkwire serve` works with no Kafka at all.
//
// Lines go to <dir>/<prefix>-<start time>-<n>.ndjson. A file is closed and a new one opened
// once it passes maxBytes; only the newest maxFiles are kept. write() resolves after the
// lines are written and fdatasync'ed: an acked batch survives a crash of the sidecar.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutRecord, Sink } from '@sparkwire/pipeline';
import type { FileSinkConfig } from './config';

export type { FileSinkConfig } from './config';

export class FileSink implements Sink {
  readonly name = 'file';
  private file?: FileHandle;
  private fileBytes = 0;
  private fileIndex = 0;
  private readonly runId = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  // Writes are chained so lines never interleave and rotation happens between batches.
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly config: FileSinkConfig) {}

  async start(): Promise<void> {
    mkdirSync(this.config.dir, { recursive: true });
    await this.rotate();
  }

  isReady(): boolean {
    return !this.closed && this.file !== undefined;
  }

  write(records: OutRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('sink is closed'));
    const text = records.map((r) => toLine(r)).join('');
    const next = this.chain.then(() => this.append(text));
    this.chain = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
    await this.file?.close();
    this.file = undefined;
  }

  /** Files currently on disk, oldest first. */
  files(): string[] {
    return readdirSync(this.config.dir)
      .filter((f) => f.startsWith(`${this.config.prefix}-`) && f.endsWith('.ndjson'))
      .sort()
      .map((f) => join(this.config.dir, f));
  }

  private async append(text: string): Promise<void> {
    if (this.fileBytes > 0 && this.fileBytes + Buffer.byteLength(text) > this.config.maxBytes) await this.rotate();
    const buf = Buffer.from(text);
    await this.file!.write(buf);
    await this.file!.datasync();
    this.fileBytes += buf.length;
  }

  private async rotate(): Promise<void> {
    await this.file?.close();
    this.fileIndex++;
    const name = `${this.config.prefix}-${this.runId}-${String(this.fileIndex).padStart(6, '0')}.ndjson`;
    this.file = await open(join(this.config.dir, name), 'a');
    this.fileBytes = 0;
    const all = this.files();
    for (const old of all.slice(0, Math.max(0, all.length - this.config.maxFiles))) rmSync(old, { force: true });
  }
}

function toLine(r: OutRecord): string {
  // Protobuf values are not text: keep them as base64 inside a small JSON wrapper.
  if (typeof r.value !== 'string') return `${JSON.stringify({ topic: r.topic, key: r.key, valueBase64: r.value.toString('base64') })}\n`;
  return `${r.value}\n`;
}

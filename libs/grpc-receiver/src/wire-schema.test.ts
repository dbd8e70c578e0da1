// The validator's schema is protoc's view of proto/, and the generated TypeScript agrees
// with it field for field: a field added to proto/ without regenerating fails here.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { create, equals, fromBinary, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { descriptorSet, PublishRequest } from '@sparkwire/proto';
import { decodePublishRequest, REQUEST_MESSAGE, requestSchema } from './decode';
import { encodeRequest, messageDesc, randomMessage, randomRequest, Rng } from '@sparkwire/testkit';
import { schemaFromDescriptorSet } from './wire-schema';
import { WireValidator } from './wire-validate';

const ROOT = resolve(import.meta.dirname, '../../..');

function freshDescriptorSet(): Uint8Array {
  const protoDir = join(ROOT, 'proto');
  const files = (function walk(dir: string): string[] {
    return readdirSync(dir).flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? walk(p) : n.endsWith('.proto') ? [relative(protoDir, p)] : [];
    });
  })(protoDir);
  const tmp = mkdtempSync(join(tmpdir(), 'sparkwire-schema-'));
  try {
    const out = join(tmp, 'set.binpb');
    execFileSync(process.execPath, [join(ROOT, 'node_modules/protoc/protoc.cjs'), `--descriptor_set_out=${out}`, '--include_imports', `-I${protoDir}`, ...files]);
    return readFileSync(out);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

describe('the wire schema', () => {
  it('equals what protoc reads from proto/ now (libs/proto descriptor set is current: else run npm run gen)', () => {
    const fresh = schemaFromDescriptorSet(freshDescriptorSet(), REQUEST_MESSAGE);
    const used = schemaFromDescriptorSet(descriptorSet(), REQUEST_MESSAGE);
    expect(used).toEqual(fresh);
    // every message reachable from PublishRequest, map entries included
    expect(Object.keys(used)).toContain('sparkwire.v1.SparkEvent.LabelsEntry');
    expect(Object.keys(used)).toContain('sparkwire.v1.StateOperatorProgress.CustomMetricsEntry');
    expect(requestSchema().messages.size).toBe(Object.keys(used).length);
  });

  it('the generated TypeScript encodes only fields the schema knows', () => {
    const v = new WireValidator(requestSchema(), { maxNestingDepth: 32, maxStringBytes: 1 << 20, maxRepeatedEntries: 1000, maxBatchValues: 1 << 20 });
    const rng = new Rng(7);
    for (let i = 0; i < 400; i++) v.validate(encodeRequest(randomRequest(rng)), { rejectUnknown: true });
  });

  it('the generated TypeScript keeps every field the descriptors have (protobuf -> ours -> protobuf is the identity)', () => {
    const desc = messageDesc(REQUEST_MESSAGE);
    const rng = new Rng(8);
    for (let i = 0; i < 400; i++) {
      const original = create(desc, randomMessage(desc, rng, 0, { caseKey: 'case' }) as never);
      const d = decodePublishRequest(Buffer.from(toBinary(desc, original)));
      if (!d.ok) throw new Error(d.error);
      const back = fromBinary(desc, PublishRequest.encode(d.request).finish());
      expect(equals(desc, back, original), `message ${i}`).toBe(true);
    }
  });
});

#!/usr/bin/env node
// Regenerates the TypeScript API code in libs/proto/src/gen from proto/ with ts-proto.
// `--check` regenerates into a temp dir and fails if the committed files differ, so
// generated code can never drift from the proto.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const protoDir = join(root, 'proto');
const outDir = join(root, 'libs/proto/src/gen');
const check = process.argv.includes('--check');

function protoFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return protoFiles(p);
    return name.endsWith('.proto') ? [relative(protoDir, p)] : [];
  });
}

function generate(target) {
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  const plugin = join(root, 'node_modules/.bin/protoc-gen-ts_proto');
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules/protoc/protoc.cjs'),
      `--plugin=protoc-gen-ts_proto=${plugin}`,
      `--ts_proto_out=${target}`,
      // int64 as number: every int64 here is a time, a byte count or an id far below 2^53.
      '--ts_proto_opt=forceLong=number,outputServices=grpc-js,env=node,esModuleInterop=true,oneof=unions-value,useExactTypes=false',
      `-I${protoDir}`,
      ...protoFiles(protoDir),
    ],
    { stdio: 'inherit' },
  );
}

function listFiles(dir) {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}

if (!check) {
  generate(outDir);
  console.log(`generated ${listFiles(outDir).length} files into ${relative(root, outDir)}`);
} else {
  const tmp = mkdtempSync(join(tmpdir(), 'sparkwire-gen-'));
  try {
    generate(tmp);
    const want = listFiles(tmp);
    const have = listFiles(outDir);
    const diff = [];
    if (want.join('\n') !== have.join('\n')) diff.push(`file list differs: ${want} vs ${have}`);
    for (const f of want) {
      if (have.includes(f) && readFileSync(join(tmp, f), 'utf8') !== readFileSync(join(outDir, f), 'utf8')) diff.push(f);
    }
    if (diff.length) {
      console.error(`generated TypeScript is stale (run npm run gen): ${diff.join(', ')}`);
      process.exit(1);
    }
    console.log('generated TypeScript matches proto/');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

#!/usr/bin/env node
// The `sparkwire` command. The workspace runs its TypeScript through tsx's loader, so
// there is no separate build step between a checkout and `npx sparkwire serve`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv);

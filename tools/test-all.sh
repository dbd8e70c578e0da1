#!/usr/bin/env bash
# Sets everything up and runs every test of every language: TypeScript (vitest, unit and
# integration against a real Kafka broker), Java (Maven), Python (pytest, with real
# PySpark), the generated-code checks and the type check. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_NO_CLOUD=true NX_DAEMON=false NX_TUI=false
bash tools/setup.sh
printf '\n==> type check\n'
npx tsc -p tsconfig.json
printf '\n==> tests (all projects)\n'
npx nx run-many -t test --parallel=1 --outputStyle=stream
printf '\n==> the sidecar and SDK tests on the other Node LTS lines\n'
bash tools/test-node-lts.sh

#!/usr/bin/env bash
# The README's main command: set everything up, then run the sample job end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
npx tsx tools/quickstart/src/quickstart.ts

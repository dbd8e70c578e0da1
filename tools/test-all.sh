#!/usr/bin/env bash
# Sets everything up and runs every test of every language: TypeScript (vitest, unit and
# integration against a real Kafka broker), Java (Maven), Python (pytest, with real
# PySpark), the generated-code checks and the type check. CI runs exactly this.
#
# Usage: tools/test-all.sh [--node <major>]   (or SPARKWIRE_TEST_NODE=<major>)
#   Without it: the suite on the machine's node (20), then tools/test-node-lts.sh (the sidecar's
#   and the SDK's tests on the other LTS lines).
#   --node 22 / --node 24: the whole suite on that LTS line (installed by tools/setup.sh into
#   .cache/node-<major>, pinned in tools/node-lts.sh). Setup runs as usual; then that node's bin
#   goes first on PATH, so the type check (tsc), nx, vitest, npm/npx and every process the tests
#   spawn (process.execPath, `node`, npm in the install tests, the sidecars the Python and Java tests
#   start) run on it; Java and Python are unchanged. The tools/test-node-lts.sh step is skipped:
#   the whole suite on one line is a superset of what it runs there, and a run measures one line.
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_NO_CLOUD=true NX_DAEMON=false NX_TUI=false

line=${SPARKWIRE_TEST_NODE:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --node) [ $# -gt 1 ] || { echo "test-all: --node needs a major version (22, 24)" >&2; exit 2; }; line=$2; shift 2 ;;
    --node=*) line=${1#--node=}; shift ;;
    *) echo "usage: tools/test-all.sh [--node <major>]" >&2; exit 2 ;;
  esac
done
if [ -n "$line" ]; then
  lts_node=
  for n in $(bash tools/node-lts.sh --print); do
    [ "$(basename "$(dirname "$(dirname "$n")")")" = "node-$line" ] && lts_node=$n
  done
  if [ -z "$lts_node" ]; then
    echo "test-all: --node $line: not an LTS line tools/node-lts.sh installs ($(bash tools/node-lts.sh --print | sed 's|.*/node-\([0-9]*\)/bin/node|\1|' | xargs));" \
      "without --node the suite runs on the machine's node ($(node --version))" >&2
    exit 2
  fi
fi

bash tools/setup.sh

if [ -n "$line" ]; then
  [ -x "$lts_node" ] || { echo "test-all: $lts_node is missing after setup" >&2; exit 1; }
  export PATH="$(dirname "$lts_node"):$PATH"
  hash -r
  want=$("$lts_node" --version)
  printf '\n==> the whole suite on Node %s (%s first on PATH)\n' "$want" "$(dirname "$lts_node")"
  # What each tool really runs on: node itself, npm's own process, nx's own process, and what
  # npx/npm exec and nx's commands resolve `node` to (the bins tsc, vitest and nx start with
  # `#!/usr/bin/env node`).
  got_node=$(node --version)
  got_npm=$(npm version --json | sed -n 's/^ *"node": "\(.*\)",*$/v\1/p')
  got_npx=$(npm exec -c 'node --version')
  got_nx=v$(npx nx report 2>/dev/null | sed -n 's/^Node *: *//p')
  printf 'node --version: %s (%s)\nnpm %s runs on: %s\nnpx/npm exec (tsc, vitest): %s\nnx runs on: %s\n' \
    "$got_node" "$(command -v node)" "$(npm --version)" "$got_npm" "$got_npx" "$got_nx"
  for got in "$got_node" "$got_npm" "$got_npx" "$got_nx"; do
    [ "$got" = "$want" ] || { echo "test-all: a tool runs on $got, not $want" >&2; exit 1; }
  done
fi

printf '\n==> type check\n'
npx tsc -p tsconfig.json
printf '\n==> tests (all projects)\n'
npx nx run-many -t test --parallel=1 --outputStyle=stream
if [ -n "$line" ]; then
  printf '\n==> the whole suite passed on Node %s (tools/test-node-lts.sh skipped with --node)\n' "$(node --version)"
  exit 0
fi
printf '\n==> the sidecar and SDK tests on the other Node LTS lines\n'
bash tools/test-node-lts.sh

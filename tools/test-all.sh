#!/usr/bin/env bash
# Sets everything up and runs every test of every language: TypeScript (vitest, unit and
# integration against a real Kafka broker), Java (Maven), Python (pytest, with real
# PySpark), the generated-code checks and the type check. CI runs exactly this.
#
# Usage: tools/test-all.sh [--node <major>|machine]   (or SPARKWIRE_TEST_NODE=<major>|machine)
#   Without it: the whole suite on Node 24 (the active LTS line and the container image's
#   Node, installed by tools/setup.sh into .cache/node-24, pinned in tools/node-lts.sh), then
#   tools/test-node-lts.sh: the sidecar's and the SDK's tests on the other lines the package
#   supports (the machine's node, 20, the `engines` floor; and 22).
#   --node 22 / --node 24 / --node machine: the whole suite on that line only (machine: the
#   node found on PATH), and no tools/test-node-lts.sh step: a run measures one line.
#   The chosen node's bin goes first on PATH, so the type check (tsc), nx, vitest, npm/npx and
#   every process the tests spawn (process.execPath, `node`, npm in the install tests, the
#   sidecars the Python and Java tests start) run on it; Java and Python are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_NO_CLOUD=true NX_DAEMON=false NX_TUI=false

line=${SPARKWIRE_TEST_NODE:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --node) [ $# -gt 1 ] || { echo "test-all: --node needs a major version (22, 24) or machine" >&2; exit 2; }; line=$2; shift 2 ;;
    --node=*) line=${1#--node=}; shift ;;
    *) echo "usage: tools/test-all.sh [--node <major>|machine]" >&2; exit 2 ;;
  esac
done
# Without --node: the suite on this line, then the other lines' split (tools/test-node-lts.sh).
DEFAULT_LINE=24
split=0
if [ -z "$line" ]; then line=$DEFAULT_LINE; split=1; fi
machine_node=$(command -v node)
lts_node=
if [ "$line" != machine ]; then
  for n in $(bash tools/node-lts.sh --print); do
    [ "$(basename "$(dirname "$(dirname "$n")")")" = "node-$line" ] && lts_node=$n
  done
  if [ -z "$lts_node" ]; then
    echo "test-all: --node $line: not an LTS line tools/node-lts.sh installs ($(bash tools/node-lts.sh --print | sed 's|.*/node-\([0-9]*\)/bin/node|\1|' | xargs)," \
      "or machine: $("$machine_node" --version))" >&2
    exit 2
  fi
fi

bash tools/setup.sh

if [ -n "$lts_node" ] && [ ! -x "$lts_node" ] && [ $split = 1 ]; then
  # A platform the npm registry has no node package for (tools/node-lts.sh skipped it).
  echo "test-all: $lts_node is missing after setup: the suite runs on the machine's node" >&2
  lts_node=
fi
if [ -n "$lts_node" ]; then
  [ -x "$lts_node" ] || { echo "test-all: $lts_node is missing after setup" >&2; exit 1; }
  export PATH="$(dirname "$lts_node"):$PATH"
  hash -r
fi
want=$(node --version)
printf '\n==> the whole suite on Node %s (%s first on PATH)\n' "$want" "$(dirname "$(command -v node)")"
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

printf '\n==> type check\n'
npx tsc -p tsconfig.json
printf '\n==> tests (all projects)\n'
# The output is also kept, so that a failure ends with what each failed project reported (its
# failed tests and vitest's report of each): a log cut to its tail (as CI shows it) then still
# says what failed, not only which project.
nx_log=$(mktemp -t sparkwire-test-all.XXXXXX)
trap 'rm -f "$nx_log"' EXIT
set +e
npx nx run-many -t test --parallel=1 --outputStyle=stream 2>&1 | tee "$nx_log"
nx_rc=${PIPESTATUS[0]}
set -e
if [ "$nx_rc" != 0 ]; then
  plain=$(sed 's/\x1b\[[0-9;]*m//g' "$nx_log")
  failed=$(printf '%s\n' "$plain" | sed -n '/^Failed tasks:/,$p' | sed -n 's/^- \([A-Za-z0-9_.@/-]*\):test.*/\1/p')
  for p in $failed; do
    own=$(printf '%s\n' "$plain" | grep -a "^$p: " || true)
    printf '\n==> %s failed: the failed tests and vitest'"'"'s report of each\n' "$p"
    printf '%s\n' "$own" | grep -a -E '^[^ ]+: +(×|✗) ' | head -n 20 || true
    report=$(printf '%s\n' "$own" | grep -a -A 40 -E '^[^ ]+: +FAIL ' | head -n 160 || true)
    # No vitest report (a setup that threw, a non-vitest target): its last lines instead.
    if [ -n "$report" ]; then printf '%s\n' "$report"; else printf '%s\n' "$own" | tail -n 60; fi
  done
  printf '\n==> test-all: failed: %s\n' "$(echo $failed)"
  exit "$nx_rc"
fi
if [ $split = 0 ]; then
  printf '\n==> the whole suite passed on Node %s (tools/test-node-lts.sh skipped with --node)\n' "$(node --version)"
  exit 0
fi
printf '\n==> the sidecar and SDK tests on the other Node lines\n'
SPARKWIRE_MACHINE_NODE=$machine_node bash tools/test-node-lts.sh --except "$want"

#!/usr/bin/env bash
# Runs the SDK's and the sidecar's tests again on the Node lines the whole suite did not run
# on: tools/test-all.sh runs the whole suite on Node 24 (the active LTS line, the container
# image's Node), then this on the machine's node (20: the package's `engines` floor) and on 22
# (both from tools/node-lts.sh and the machine; 22 and 24 are installed by tools/setup.sh).
# To keep the extra CI time to a few minutes (the suite had reached 47.6 min of its 45): the
# unit projects of the libraries the SDK is made of run on every line; on 20 also the
# sidecar's main path as its own process (gRPC -> spool -> a real broker, sidecar-kafka), its
# lifecycle (ports taken, signals, exit codes), the Node-20 branch of the young-generation pin
# and its unit files, and the standalone build (all but its 17 s Kubernetes-shutdown case).
# Everything else ran in the whole suite on 24, and is the same JavaScript on every line:
# the other sidecar files (Kafka options, SASL, status page, traces, metrics, operator CLI,
# offsets, replay), the integration suites of the libraries (Kafka sink, offsets, gRPC
# receiver and its fuzz test), and everything that does not depend on the Node line: JVM,
# Python, PySpark, npm installs, the manifests' Go test.
# Usage: tools/test-node-lts.sh [--except <version>] [major ...]
#   (default: every line of tools/node-lts.sh and the machine's node, $SPARKWIRE_MACHINE_NODE
#   or the node on PATH; --except: not the line the whole suite just ran on)
# The whole suite on one line instead: tools/test-all.sh --node <major>|machine (which skips this).
set -euo pipefail
cd "$(dirname "$0")/.."
UNIT="libs/sdk libs/pipeline libs/encoding libs/file-sink libs/spool libs/otel-traces libs/otel-metrics testing/kit:src/synthetic-app.test.ts"
# Each entry: a project directory, then (after a colon) vitest arguments, commas for spaces.
# The sidecar's main path, lifecycle and units, and the standalone build: on the floor line
# (and on 24 when the whole suite ran on another line).
SIDECAR="apps/sidecar:test/sidecar-kafka.test.ts,test/lifecycle.test.ts,test/young-generation.test.ts,src/ testing/install-e2e:test/standalone.test.ts,--testNamePattern=^(?!.*Kubernetes.shutdown)"
declare -A RUNS=(
  [20]="$UNIT $SIDECAR"
  [22]="$UNIT"
  [24]="$UNIT $SIDECAR"
)
except=
if [ "${1:-}" = "--except" ]; then except=${2:?--except needs a version}; shift 2; fi
machine=${SPARKWIRE_MACHINE_NODE:-$(command -v node)}
# The machine's node first (the oldest line), then the pinned ones; one per major.
nodes=()
declare -A seen=()
for node in "$machine" $(bash tools/node-lts.sh --print); do
  [ -x "$node" ] || { [ "$node" = "$machine" ] || { echo "test-node-lts: $node is missing: run tools/setup.sh" >&2; exit 1; }; continue; }
  v=$("$node" --version); major=${v#v}; major=${major%%.*}
  [ -n "${seen[$major]:-}" ] && continue
  seen[$major]=1
  [ "$v" = "$except" ] && continue
  nodes+=("$major:$node")
done
failed=()
ran=()
for entry in "${nodes[@]}"; do
  major=${entry%%:*}; node=${entry#*:}
  if [ $# -gt 0 ] && [[ " $* " != *" $major "* ]]; then continue; fi
  v=$("$node" --version)
  ran+=("$v")
  printf '\n==> tests on Node %s (%s)\n' "$v" "$node"
  start=$SECONDS
  for run in ${RUNS[$major]:-$UNIT}; do
    dir=${run%%:*}
    args=()
    [ "$run" != "$dir" ] && IFS=, read -r -a args <<< "${run#*:}"
    printf '\n--> %s on Node %s: vitest run %s\n' "$dir" "$v" "${args[*]:-}"
    t=$SECONDS
    # vitest and every process the tests spawn (process.execPath) run on this node.
    (cd "$dir" && PATH="$(dirname "$node"):$PATH" "$node" "$OLDPWD/node_modules/vitest/vitest.mjs" run "${args[@]}") || failed+=("$dir@$v")
    printf -- '--> %s on Node %s: %d s\n' "$dir" "$v" $((SECONDS - t))
  done
  printf '==> Node %s: %d s\n' "$v" $((SECONDS - start))
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "test-node-lts: failed: ${failed[*]}" >&2
  exit 1
fi
echo "test-node-lts: passed on ${ran[*]:-no line}"

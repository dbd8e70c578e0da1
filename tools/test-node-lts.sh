#!/usr/bin/env bash
# Runs the sidecar's and the SDK's tests again on the other Node LTS lines (22 and 24, from
# tools/node-lts.sh, installed by tools/setup.sh); the main run (tools/test-all.sh) is on the
# machine's node (20). To keep the extra CI time to a few minutes, the unit projects of the
# libraries the SDK is made of run on both lines and each integration suite (real brokers, the
# sidecar as its own process) on one of them: the sidecar and the standalone build on 24 (the
# container image's Node), offsets and the gRPC receiver on 22. Left out of these runs (they
# run on 20 only): the Kafka sink's broker suite (84 s; its producer runs on 24 inside the
# sidecar's Kafka tests, and the whole suite passed on 22: README), the receiver's fuzz test
# (pure decoding), the sidecar's offsets file (the offsets library's own Kafka suite runs on
# 22) and operator-CLI files (tail, status, lag, replay: kafkajs clients, ~130 s), and
# everything that does not depend on the Node line: JVM, Python, PySpark, npm installs, the
# manifests' Go test.
# Usage: tools/test-node-lts.sh [major ...]   (default: every line tools/node-lts.sh installs)
# The whole suite on one of these lines instead: tools/test-all.sh --node <major> (which skips this).
set -euo pipefail
cd "$(dirname "$0")/.."
UNIT="libs/sdk libs/pipeline libs/encoding libs/file-sink libs/spool libs/otel-traces libs/otel-metrics testing/kit:src/synthetic-app.test.ts"
# Each entry: a project directory, then (after a colon) vitest arguments, commas for spaces.
declare -A RUNS=(
  [22]="$UNIT libs/offsets libs/grpc-receiver:--exclude=src/fuzz.test.ts"
  [24]="$UNIT apps/sidecar:--exclude=test/offsets-sidecar.test.ts,--exclude=test/operator-cli.test.ts,--exclude=test/replay-kafka.test.ts testing/install-e2e:test/standalone.test.ts"
)
failed=()
for node in $(bash tools/node-lts.sh --print); do
  major=$(basename "$(dirname "$(dirname "$node")")"); major=${major#node-}
  if [ $# -gt 0 ] && [[ " $* " != *" $major "* ]]; then continue; fi
  if [ ! -x "$node" ]; then echo "test-node-lts: $node is missing: run tools/setup.sh" >&2; exit 1; fi
  v=$("$node" --version)
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
echo "test-node-lts: passed on $(for n in $(bash tools/node-lts.sh --print); do "$n" --version; done | xargs)"

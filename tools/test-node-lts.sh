#!/usr/bin/env bash
# Runs the sidecar's and the SDK's tests again on the other Node LTS lines (22 and 24, from
# tools/node-lts.sh, installed by tools/setup.sh); the main run (tools/test-all.sh) is on the
# machine's node (20). To keep the extra CI time to a few minutes, the fast unit projects of
# the libraries the SDK is made of run on both lines, and each integration suite (real brokers,
# the sidecar as a process) on one of them: the sidecar and the standalone build on 24 (the
# container image's Node), the Kafka sink, offsets and the gRPC receiver on 22. So every
# project passes on 20 and on at least one newer line. The JVM, Python, PySpark and
# npm-install suites do not depend on the Node line and run once, on the machine's node.
# Usage: tools/test-node-lts.sh [major ...]   (default: every line tools/node-lts.sh installs)
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_NO_CLOUD=true NX_DAEMON=false NX_TUI=false
UNIT=sdk,pipeline,encoding,file-sink,spool,otel-traces,otel-metrics,synthetic
declare -A PROJECTS=(
  [22]="$UNIT,kafka-sink,offsets,grpc-receiver"
  [24]="$UNIT,sidecar"
)
# vitest files of apps/install-e2e run on that line too.
declare -A INSTALL_E2E=(
  [24]="test/standalone.test.ts"
)
failed=()
for node in $(bash tools/node-lts.sh --print); do
  major=$(basename "$(dirname "$(dirname "$node")")"); major=${major#node-}
  if [ $# -gt 0 ] && [[ " $* " != *" $major "* ]]; then continue; fi
  if [ ! -x "$node" ]; then echo "test-node-lts: $node is missing: run tools/setup.sh" >&2; exit 1; fi
  v=$("$node" --version)
  printf '\n==> tests on Node %s (%s): %s %s\n' "$v" "$node" "${PROJECTS[$major]:-$UNIT}" "${INSTALL_E2E[$major]:-}"
  start=$SECONDS
  # npx, nx, vitest and every process the tests spawn (process.execPath) run on this node.
  PATH="$(dirname "$node"):$PATH" npx nx run-many -t test -p "${PROJECTS[$major]:-$UNIT}" --parallel=1 --outputStyle=stream || failed+=("$v")
  if [ -n "${INSTALL_E2E[$major]:-}" ]; then
    # shellcheck disable=SC2086
    (cd apps/install-e2e && PATH="$(dirname "$node"):$PATH" npx vitest run ${INSTALL_E2E[$major]}) || failed+=("$v install-e2e")
  fi
  printf '==> Node %s: %d s\n' "$v" $((SECONDS - start))
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "test-node-lts: failures on ${failed[*]}" >&2
  exit 1
fi

#!/usr/bin/env bash
# Runs the go command for deploy/kubernetes/validate with the module and build caches under the
# repository's .cache/ (fetched from the Go module proxy once, by tools/setup.sh: `go.sh mod download`).
# Usage: deploy/kubernetes/validate/go.sh test | mod download | <any go arguments>
set -euo pipefail
cd "$(dirname "$0")"
CACHE=${SPARKWIRE_CACHE:-$(cd ../../.. && pwd)/.cache}
export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" GOFLAGS="-mod=mod -buildvcs=false"
if [ "${1:-}" = "test" ]; then
  shift
  exec go test -count=1 -v "$@" ./...
fi
exec go "$@"

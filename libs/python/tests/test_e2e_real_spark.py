"""End to end: real PySpark + the real JVM listener jar -> a ListenerService.

Skeleton: the receiving side is the in-process FakeSidecar from conftest.py for now;
it is to be completed with the real TypeScript sidecar (apps/sidecar). Skipped until
the listener jar of this venv's Spark line exists (packaged by tools/copy_jar.py, or
freshly built in libs/spark-listener/lines/*/target) and a java is on PATH.
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

import sparkwire

LINES_DIR = Path(__file__).resolve().parents[2] / "spark-listener" / "lines"


@pytest.fixture
def listener_jar(monkeypatch):
    # the freshly built jars first (sparkwire picks the one of this venv's Spark line)
    monkeypatch.setenv("SPARKWIRE_JAR_DIRS", os.pathsep.join(str(d) for d in sorted(LINES_DIR.glob("*/target"))))
    try:
        return sparkwire.jar_path()
    except sparkwire.JarNotFoundError:
        pytest.skip("listener jar not built: mvn package in libs/spark-listener, then tools/copy_jar.py")


@pytest.mark.skipif(shutil.which("java") is None, reason="PySpark needs a JVM (Java 17+)")
def test_listener_and_observations_reach_the_sidecar(listener_jar, start_server):
    from pyspark.sql import Observation, SparkSession
    from pyspark.sql import functions as F

    srv = start_server()
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("sparkwire-e2e")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")  # loopback only
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
    )
    spark = sparkwire.configure(builder, endpoint=srv.endpoint, labels={"suite": "e2e"}).getOrCreate()
    try:
        assert spark.range(1000).selectExpr("sum(id) AS s").collect()[0].s == 499500
        app_id = spark.sparkContext.applicationId
        obs = Observation("e2e.quality")
        df = spark.range(100).observe(obs, F.count(F.lit(1)).alias("rows"), F.max("id").alias("max_id"))
        df.collect()
        client = sparkwire.ObservationClient(endpoint=srv.endpoint)  # app id inferred
        client.observe("e2e.rows", numeric={"rows": 1000})
        sparkwire.observe_dataframe(client, "e2e.quality", obs)  # a real pyspark Observation
        assert client.close(timeout=20), client.stats()
    finally:
        spark.stop()  # the listener flushes (spark.sparkwire.flushTimeoutMs) on application end

    def bodies(s):
        return [e.WhichOneof("body") for r in s.requests for e in r.events]

    deadline = time.monotonic() + 30
    while "application_end" not in bodies(srv.servicer) and time.monotonic() < deadline:
        time.sleep(0.2)
    kinds = set(bodies(srv.servicer))
    for kind in ("application_start", "job_start", "job_end", "stage_completed", "application_end", "observation"):
        assert kind in kinds, f"{kind} missing; got {sorted(kinds)}"
    events = [e for r in srv.servicer.requests for e in r.events]
    assert {e.app_id for e in events} == {app_id}, sorted((e.app_id, e.WhichOneof("body")) for e in events)
    unlabelled = [e.WhichOneof("body") for e in events if e.WhichOneof("body") != "observation" and e.labels.get("suite") != "e2e"]
    assert not unlabelled
    observed = {e.observation.name: dict(e.observation.numeric) for e in events if e.WhichOneof("body") == "observation"}
    assert observed == {"e2e.rows": {"rows": 1000.0}, "e2e.quality": {"rows": 100.0, "max_id": 99.0}}
    # TODO(e2e): run against the real sidecar (apps/sidecar) with a file sink and check the records.

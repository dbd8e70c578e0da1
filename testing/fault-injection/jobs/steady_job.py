"""A steady PySpark job for the fault-injection suite: small Spark jobs back to back for a
while, each with a shuffle, so the sparkwire JVM listener emits a steady stream of job,
stage, task and SQL events to the sidecar while the test breaks things.

Settings (one JSON argument): endpoint, seconds, app_name.

Prints machine-readable lines starting with FI_JOB on stdout: "started" once the first
Spark job finished, "progress" after each job, "done" at the end. After spark.stop() the
listener writes its own account to the log (stderr): events acknowledged, dropped, not
delivered. The test reads that line and compares it with Kafka.
"""
from __future__ import annotations

import json
import sys
import time

import sparkwire
from pyspark.sql import SparkSession, functions as F

PREFIX = "FI_JOB "


def emit(kind: str, **data) -> None:
    print(PREFIX + json.dumps({"kind": kind, "t": time.time(), **data}), flush=True)


def main() -> None:
    s = json.loads(sys.argv[1])
    builder = (
        SparkSession.builder.master("local[2]")
        .appName(s.get("app_name", "fi-steady"))
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.adaptive.enabled", "false")
    )
    spark = sparkwire.configure(builder, endpoint=s["endpoint"], extended=True, labels={"suite": "fault-injection"}).getOrCreate()
    sc = spark.sparkContext
    sc.setLogLevel("WARN")
    jvm = sc._jvm
    # The listener's end-of-application line (events acknowledged, dropped, not delivered) at INFO.
    jvm.org.apache.logging.log4j.core.config.Configurator.setLevel("io.sparkwire", jvm.org.apache.logging.log4j.Level.INFO)

    deadline = time.monotonic() + float(s.get("seconds", 30))
    jobs = 0
    while True:
        df = spark.range(0, 20_000, numPartitions=4).withColumn("k", F.col("id") % 7)
        rows = df.groupBy("k").agg(F.count("*").alias("n")).collect()
        assert sum(r["n"] for r in rows) == 20_000
        jobs += 1
        emit("started" if jobs == 1 else "progress", jobs=jobs)
        if time.monotonic() > deadline:
            break
    emit("done", jobs=jobs, app_id=sc.applicationId)
    spark.stop()


if __name__ == "__main__":
    main()

"""The job behind `sparkwire report`'s test: a few jobs with a shuffle, an SQL query and a
deliberately skewed stage (one slow partition), then what Spark itself reports for every
stage attempt, read from the Spark UI REST API before spark.stop(): /stages (the stage's
summed task metrics, its times) and each stage attempt's /taskList (task durations).

Settings (JSON argument): {"app": str, "sparkwire": {configure() kwargs}}.
"""
from __future__ import annotations

import os
import sys
import time
import urllib.request
import json

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import builder, driver_logs, emit, settings, spark_report, with_sparkwire  # noqa: E402

cfg = settings()
spark = with_sparkwire(builder(cfg.get("app", "sparkwire-e2e-report")), cfg.get("sparkwire")).getOrCreate()
sc = spark.sparkContext
driver_logs(sc)
emit("started", appId=sc.applicationId, uiWebUrl=sc.uiWebUrl)

df = spark.range(0, 40_000, 1, 8)
assert df.count() == 40_000
assert len(df.selectExpr("id % 10 AS bucket").groupBy("bucket").count().collect()) == 10
df.createOrReplaceTempView("numbers")
assert len(spark.sql("SELECT id % 3 AS k, sum(id) AS s FROM numbers GROUP BY id % 3 ORDER BY k").collect()) == 3


def slow_partition(i, it):
    if i == 3:
        time.sleep(1.5)  # the skew the report must show: one task far slower than the median
    return [sum(1 for _ in it)]


assert sum(sc.parallelize(range(8000), 8).mapPartitionsWithIndex(slow_partition).collect()) == 8000

report = spark_report(sc)
base = sc.uiWebUrl.rstrip("/") + "/api/v1/applications/" + sc.applicationId


def get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.load(r)


stages = []
for s in get(base + "/stages?details=false"):
    if s["status"] not in ("COMPLETE", "FAILED"):
        continue
    tasks = get(f"{base}/stages/{s['stageId']}/{s['attemptId']}/taskList?length=100000")
    stages.append({**s, "tasks": [{"taskId": t["taskId"], "duration": t.get("duration"), "status": t["status"]} for t in tasks]})
emit("result", spark=report, stagesRest=stages)
spark.stop()
emit("stopped")

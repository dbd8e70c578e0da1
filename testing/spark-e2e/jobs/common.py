"""Helpers shared by the e2e job scripts.

A job script gets its settings as one JSON argument, runs real PySpark (local mode), and
prints what Spark itself reports, read through an independent path, as JSON lines that
start with PREFIX on stdout:

- the Spark UI REST API (spark.ui.port=0, then sc.uiWebUrl): /jobs, /stages (every stage
  attempt with numCompleteTasks / numFailedTasks / numKilledTasks), /sql, /allexecutors;
- the driver's metrics servlet (/metrics/json, on by default in the UI), where Spark's
  LiveListenerBus source publishes queue.<queue>.numDroppedEvents counters and the
  listenerProcessingTime.<listener class> timers.

Nothing here reads sparkwire's own counters: the test compares these numbers with what
reached Kafka.
"""
from __future__ import annotations

import json
import sys
import time
import urllib.request
from typing import Any

PREFIX = "SPARKWIRE_E2E "
LISTENER_CLASS = "io.sparkwire.spark.SparkwireListener"


def emit(kind: str, **data: Any) -> None:
    """One machine-readable line for the test (stdout, flushed at once)."""
    print(PREFIX + json.dumps({"kind": kind, "t": time.time(), **data}, default=str), flush=True)


def settings() -> dict[str, Any]:
    return json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}


def builder(app_name: str, master: str = "local[2]", conf: dict[str, str] | None = None):
    from pyspark.sql import SparkSession

    b = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "true")
        .config("spark.ui.port", "0")  # a free port; read back from sc.uiWebUrl
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        # The REST counts must cover the whole application: keep every job, stage and
        # SQL execution in the UI store (defaults are 1000 each; generous anyway).
        .config("spark.ui.retainedJobs", "100000")
        .config("spark.ui.retainedStages", "100000")
        .config("spark.sql.ui.retainedExecutions", "100000")
        # The REST counts are the oracle, so Spark's own status listener must see every
        # event: its queue (default 10,000) can overflow on a loaded 2-core machine while a
        # 20,000-task job runs, and one dropped task end makes Spark report one task fewer
        # than it ran. sparkwire's listener is on the shared queue, checked separately.
        .config("spark.scheduler.listenerbus.eventqueue.appStatus.capacity", "200000")
    )
    for k, v in (conf or {}).items():
        b = b.config(k, v)
    return b


def with_sparkwire(b, opts: dict[str, Any] | None):
    """sparkwire.configure(...) with the options the test passed, or the builder unchanged."""
    if not opts:
        return b
    import sparkwire

    return sparkwire.configure(b, **opts)


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.load(r)


def wait_listener_bus(sc) -> None:
    """Let every listener (Spark's AppStatusListener behind the REST API included) catch up.

    LiveListenerBus.waitUntilEmpty is private[spark] in Scala, public in bytecode, so py4j
    can call it; if that ever fails, the REST poll in spark_report() still waits for a
    stable answer.
    """
    try:
        sc._jsc.sc().listenerBus().waitUntilEmpty()
    except Exception as exc:  # pragma: no cover - fallback only
        emit("note", msg=f"waitUntilEmpty unavailable: {exc}")


def listener_bus_metrics(sc) -> dict[str, Any]:
    """Spark's own LiveListenerBus metrics from the driver's /metrics/json servlet."""
    m = _get(sc.uiWebUrl.rstrip("/") + "/metrics/json/")
    marker = ".driver.LiveListenerBus."
    counters = {k.split(marker, 1)[1]: v.get("count") for k, v in m.get("counters", {}).items() if marker in k}
    timers = {k.split(marker, 1)[1]: v for k, v in m.get("timers", {}).items() if marker in k}
    return {"counters": counters, "timers": timers}


def spark_report(sc) -> dict[str, Any]:
    """Jobs, stage attempts, SQL executions and executors as the Spark UI REST API has them."""
    wait_listener_bus(sc)
    base = sc.uiWebUrl.rstrip("/") + "/api/v1/applications/" + sc.applicationId

    def read() -> dict[str, Any]:
        jobs = _get(base + "/jobs")
        stages = _get(base + "/stages?details=false")
        sql = _get(base + "/sql?details=false&offset=0&length=100000")
        execs = _get(base + "/allexecutors")
        return {
            "jobs": sorted(
                (
                    {
                        "jobId": j["jobId"],
                        "status": j["status"],
                        # Spark's own times, e.g. "2026-11-24T13:00:01.123GMT" (the trace test compares spans with them).
                        "submissionTime": j.get("submissionTime"),
                        "completionTime": j.get("completionTime"),
                    }
                    for j in jobs
                ),
                key=lambda j: j["jobId"],
            ),
            "stages": sorted(
                (
                    {
                        "stageId": s["stageId"],
                        "attemptId": s["attemptId"],
                        "status": s["status"],
                        "numTasks": s["numTasks"],
                        "numCompleteTasks": s["numCompleteTasks"],
                        "numFailedTasks": s["numFailedTasks"],
                        "numKilledTasks": s["numKilledTasks"],
                    }
                    for s in stages
                ),
                key=lambda s: (s["stageId"], s["attemptId"]),
            ),
            "sql": sorted(({"id": q["id"], "status": q["status"]} for q in sql), key=lambda q: q["id"]),
            "executors": sorted(e["id"] for e in execs),
        }

    # Settled means: nothing running, and two reads in a row agree.
    deadline = time.monotonic() + 60
    last = read()
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = read()
        busy = any(j["status"] == "RUNNING" for j in now["jobs"]) or any(s["status"] == "ACTIVE" for s in now["stages"])
        if now == last and not busy:
            break
        last = now
    return {"appId": sc.applicationId, **last}


def driver_logs(sc) -> None:
    """Spark at WARN, sparkwire's listener at INFO: its end-of-application line (events
    acknowledged, dropped, task events not built, not delivered) is then always in the log."""
    sc.setLogLevel("WARN")
    jvm = sc._jvm
    jvm.org.apache.logging.log4j.core.config.Configurator.setLevel("io.sparkwire", jvm.org.apache.logging.log4j.Level.INFO)

"""One run of the Spark listener overhead benchmark (testing/bench/spark/run.ts).

Settings (JSON argument): {"mode": "none" | "sparkwire-extended" | "sparkwire-stage" |
"sparkmeasure" | "listener-disabled", "tasks": int, "warmup_tasks": int,
"endpoint": "host:port" (sparkwire), "sparkmeasure_jars": [paths], "kafka_broker": "host:port", "kafka_topic": str (sparkmeasure),
"app": str}. "sparkwire" is the old name of "sparkwire-extended".

A fresh SparkSession (local[2]) with the Spark UI on a free port (every mode, so the only
difference is the listener), then:
  1. a warm-up job of warmup_tasks tasks (JIT, class loading, the sidecar connection);
  2. the measured job: spark.range(10 * tasks rows, tasks partitions) written to the noop
     sink: `tasks` JVM-only tasks of well under a millisecond each, so per-task overhead
     (scheduling, listener events) dominates;
  3. the listener bus drained (LiveListenerBus.waitUntilEmpty), then Spark's own
     LiveListenerBus metrics read from the driver's /metrics/json before and after (2):
     listenerProcessingTime.<listener class> timers (Codahale: count, mean, percentiles of
     an exponentially decaying reservoir) and numEventsPosted;
  4. the listeners on the driver's listener bus and, for each sparkwire listener, whether it
     holds a client (py4j reflection on its private field; null: every callback returns at
     once): run.ts checks a listener-disabled run with it.
listener-disabled registers the listener exactly as sparkwire-stage does (sparkwire.configure)
with enabled=False (spark.sparkwire.enabled=false).
Prints one JSON line starting with "SPARKWIRE_BENCH ".
"""
from __future__ import annotations

import json
import os
import sys
import time
import urllib.request

cfg = json.loads(sys.argv[1])
mode = cfg["mode"]
DEBUG_THREADS = bool(cfg.get("debug_threads"))
tasks = int(cfg["tasks"])
warmup = int(cfg.get("warmup_tasks", 5000))

from pyspark.sql import SparkSession  # noqa: E402

t0 = time.perf_counter()
b = (
    SparkSession.builder.master("local[2]")
    .appName(cfg.get("app", f"sparkwire-bench-{mode}"))
    .config("spark.ui.enabled", "true")
    .config("spark.ui.port", "0")
    .config("spark.driver.host", "127.0.0.1")
    .config("spark.driver.bindAddress", "127.0.0.1")
    .config("spark.ui.showConsoleProgress", "false")
    .config("spark.sql.shuffle.partitions", "2")
)
if mode == "sparkwire":
    mode = "sparkwire-extended"
if mode in ("sparkwire-extended", "sparkwire-stage", "listener-disabled"):
    import sparkwire

    # listener-disabled: the stage-level configuration plus spark.sparkwire.enabled=false
    disabled = {"enabled": False} if mode == "listener-disabled" else {}
    b = sparkwire.configure(b, endpoint=cfg["endpoint"], extended=mode == "sparkwire-extended",
                            labels={"bench": "spark-listener"}, flush_timeout_ms=300_000, **disabled)
elif mode == "sparkmeasure":
    # sparkMeasure 0.28 as its docs attach it: both sinks, kafka-clients next to its jar.
    b = (
        b.config("spark.jars", ",".join(cfg["sparkmeasure_jars"]))
        .config("spark.extraListeners", "ch.cern.sparkmeasure.KafkaSink,ch.cern.sparkmeasure.KafkaSinkExtended")
        .config("spark.sparkmeasure.kafkaBroker", cfg["kafka_broker"])
        .config("spark.sparkmeasure.kafkaTopic", cfg["kafka_topic"])
    )
elif mode != "none":
    raise SystemExit(f"unknown mode {mode!r}")
spark = b.getOrCreate()
sc = spark.sparkContext
sc.setLogLevel("WARN")
jvm = sc._jvm
# sparkwire's end-of-application line (events acknowledged / dropped) at INFO.
jvm.org.apache.logging.log4j.core.config.Configurator.setLevel("io.sparkwire", jvm.org.apache.logging.log4j.Level.INFO)
startup_s = time.perf_counter() - t0


def bus_metrics() -> dict:
    with urllib.request.urlopen(sc.uiWebUrl.rstrip("/") + "/metrics/json/", timeout=30) as r:
        m = json.load(r)
    marker = ".driver.LiveListenerBus."
    return {
        "counters": {k.split(marker, 1)[1]: v["count"] for k, v in m.get("counters", {}).items() if marker in k},
        "timers": {k.split(marker, 1)[1]: v for k, v in m.get("timers", {}).items() if marker in k},
    }


def drain() -> float:
    t = time.perf_counter()
    sc._jsc.sc().listenerBus().waitUntilEmpty()
    return time.perf_counter() - t


def jvm_cpu() -> dict:
    """CPU seconds of the driver JVM: the whole process, GC, and threads grouped by role
    (ThreadMXBean / OperatingSystemMXBean / GarbageCollectorMXBeans, through py4j)."""
    mf = jvm.java.lang.management.ManagementFactory
    tmx = mf.getThreadMXBean()
    groups: dict[str, float] = {}
    for info in tmx.dumpAllThreads(False, False):
        name = info.getThreadName()
        cpu = tmx.getThreadCpuTime(info.getThreadId())
        if cpu < 0:
            continue
        if name.startswith("Executor task launch worker"):
            key = "task threads"
        elif name == "sparkwire-sender":
            key = "sparkwire-sender"
        elif name.startswith("grpc-") or "netty" in name.lower() and "sparkwire" not in name:
            key = "netty/grpc threads"
        elif name.startswith("spark-listener-group-"):
            key = name  # spark-listener-group-shared runs spark.extraListeners
        elif name.startswith("dispatcher-event-loop") or name.startswith("dag-scheduler-event-loop"):
            key = "scheduler (dispatcher, DAG scheduler)"
        else:
            key = "other" if not DEBUG_THREADS else "other: " + name
        groups[key] = groups.get(key, 0.0) + cpu / 1e9
    gc = sum(g.getCollectionTime() for g in mf.getGarbageCollectorMXBeans()) / 1000.0
    return {"process": _proc_cpu(JVM_PID), "gc_wall": gc, "threads": groups}


def _jvm_pid() -> int | None:
    """The driver JVM: the java child of this Python process (py4j gateway)."""
    me = os.getpid()
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    st = f.read()
                if int(st[st.rindex(")") + 2:].split()[1]) == me and "java" in st[: st.rindex(")")]:
                    return int(d)
            except (OSError, ValueError):
                pass
    return None


def _proc_cpu(pid: int | None) -> float:
    """utime + stime of a process (every thread: JIT and GC threads included), seconds."""
    if pid is None:
        return float("nan")
    with open(f"/proc/{pid}/stat") as f:
        st = f.read()
    fields = st[st.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


JVM_PID = _jvm_pid()


def noop_job(n: int) -> None:
    spark.range(0, n * 10, 1, n).write.format("noop").mode("overwrite").save()


LISTENER_CLASS = "io.sparkwire.spark.SparkwireListener"


def listener_probe() -> dict:
    """The listeners on the driver's LiveListenerBus (every queue) and, per SparkwireListener,
    whether its client field is set; spark.sparkwire.enabled and spark.extraListeners."""
    try:
        names: list[str] = []
        clients: list[bool] = []
        for listener in sc._jsc.sc().listenerBus().listeners():
            name = listener.getClass().getName()
            names.append(name)
            if name == LISTENER_CLASS:
                field = listener.getClass().getDeclaredField("client")
                field.setAccessible(True)
                clients.append(field.get(listener) is not None)
        conf = sc.getConf()
        return {
            "listeners": names,
            "sparkwire_clients": clients,
            "enabled_conf": conf.get("spark.sparkwire.enabled", None),
            "extra_listeners": conf.get("spark.extraListeners", None),
        }
    except Exception as e:  # reported, and a listener-disabled run without it fails
        return {"error": f"{type(e).__name__}: {e}"[:500]}


noop_job(warmup)
drain()
before = bus_metrics()
cpu_before = jvm_cpu()
t = time.perf_counter()
noop_job(tasks)
job_s = time.perf_counter() - t
cpu_after = jvm_cpu()
drain_s = drain()  # > 0 when a listener was still behind the job when it ended
after = bus_metrics()
cpu = {
    "process": cpu_after["process"] - cpu_before["process"],
    "gc_wall": cpu_after["gc_wall"] - cpu_before["gc_wall"],
    "threads": {k: v - cpu_before["threads"].get(k, 0.0) for k, v in cpu_after["threads"].items()},
}
print("SPARKWIRE_BENCH " + json.dumps({
    "mode": mode, "appId": sc.applicationId, "tasks": tasks, "startup_s": startup_s, "job_s": job_s,
    "drain_s": drain_s, "before": before, "after": after, "jvm_cpu": cpu,
    "listener_probe": listener_probe(),  # after the measured job and its metrics: not timed
}), flush=True)
t = time.perf_counter()
spark.stop()
print("SPARKWIRE_BENCH " + json.dumps({"mode": mode, "stop_s": time.perf_counter() - t}), flush=True)

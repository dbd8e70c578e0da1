package io.sparkwire.spark;

import java.lang.reflect.Method;
import java.util.Map;

/**
 * Reads Spark's own counter of events its listener bus dropped from the shared queue, the metric
 * {@code queue.shared.numDroppedEvents}, by reflection on the active SparkContext:
 * {@code SparkContext.getActive.get.listenerBus.metrics.metricRegistry}. Best effort: returns -1
 * when it cannot be read and never throws. Called from the sender thread only.
 */
final class SparkDroppedEvents {
  static final String METRIC = "queue.shared.numDroppedEvents";

  private Object counter;
  private Method getCount;
  private boolean disabled;
  private int misses;

  long read() {
    if (disabled) {
      return -1;
    }
    try {
      if (counter == null) {
        counter = findCounter();
        if (counter == null) {
          // no active SparkContext yet (or none at all): try again later, not forever
          if (++misses > 600) {
            disabled = true;
          }
          return -1;
        }
        getCount = counter.getClass().getMethod("getCount");
      }
      return ((Number) getCount.invoke(counter)).longValue();
    } catch (LinkageError | ReflectiveOperationException | ClassCastException e) {
      disabled = true;
      return -1;
    } catch (Throwable t) {
      counter = null;
      return -1;
    }
  }

  private static Object findCounter() throws ReflectiveOperationException {
    Class<?> scClass = Class.forName("org.apache.spark.SparkContext", false,
        SparkDroppedEvents.class.getClassLoader());
    Object active;
    try {
      active = scClass.getMethod("getActive").invoke(null);
    } catch (NoSuchMethodException e) {
      Class<?> module = Class.forName("org.apache.spark.SparkContext$", true,
          SparkDroppedEvents.class.getClassLoader());
      Object companion = module.getField("MODULE$").get(null);
      active = module.getMethod("getActive").invoke(companion);
    }
    if (!(active instanceof scala.Option) || ((scala.Option<?>) active).isEmpty()) {
      return null;
    }
    Object sc = ((scala.Option<?>) active).get();
    Object bus = call(sc, "listenerBus");
    Object metrics = call(bus, "metrics");
    Object registry = call(metrics, "metricRegistry");
    Object counters = call(registry, "getCounters");
    if (counters instanceof Map) {
      return ((Map<?, ?>) counters).get(METRIC);
    }
    return null;
  }

  private static Object call(Object target, String method) throws ReflectiveOperationException {
    Method m = target.getClass().getMethod(method);
    return m.invoke(target);
  }
}

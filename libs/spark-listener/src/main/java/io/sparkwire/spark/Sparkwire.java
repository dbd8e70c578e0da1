package io.sparkwire.spark;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

import io.sparkwire.proto.v1.Observation;
import io.sparkwire.proto.v1.SparkEvent;

/**
 * API for job code on the driver (Java, Scala, and PySpark through py4j): sends named figures,
 * such as data-quality checks or {@code df.observe(...)} results, as {@code observation} events
 * through the application's sparkwire client.
 *
 * <pre>{@code
 * Sparkwire.observe("dq.orders", Map.of("null_ids", 0.0, "rows", 1234.0));
 * Sparkwire.observe("dq.orders", numeric, Map.of("table", "orders"));
 * Sparkwire.observe(observation);            // org.apache.spark.sql.Observation, after the action
 * Sparkwire.observeValues("dq", row.getValuesMap(...)); // any Map: numbers, booleans, text
 * }</pre>
 *
 * <p>Never blocks (except {@link #observe(org.apache.spark.sql.Observation)}, which waits for the
 * observation's result as Spark's {@code Observation.get} does) and never throws. Without an
 * active listener the call is a no-op and counted in {@link #droppedWithoutListener()}. Returns
 * whether the event was buffered.
 */
public final class Sparkwire {
  private Sparkwire() {}

  private static final LongAdder DROPPED_WITHOUT_LISTENER = new LongAdder();

  public static boolean observe(String name, Map<String, Double> numeric) {
    return observe(name, numeric, null, null, null);
  }

  public static boolean observe(String name, Map<String, Double> numeric,
      Map<String, String> text) {
    return observe(name, numeric, text, null, null);
  }

  /** With the streaming query and micro-batch the figures belong to (either may be null). */
  public static boolean observe(String name, Map<String, Double> numeric, Map<String, String> text,
      String queryId, Long batchId) {
    return send(name, numeric, text, queryId, batchId);
  }

  /**
   * Any map, as {@code Observation.getAsJava()} or {@code Row.getValuesMap} give: numbers become
   * numeric figures, booleans 1.0 / 0.0, everything else text; nulls are skipped.
   */
  public static boolean observeValues(String name, Map<String, ?> values) {
    Map<String, Object> numeric = new HashMap<>();
    Map<String, Object> text = new HashMap<>();
    split(values, numeric, text);
    return send(name, numeric, text, null, null);
  }

  /** A row of aggregates (e.g. {@code df.agg(...).first()}), keyed by its schema's field names. */
  public static boolean observe(String name, org.apache.spark.sql.Row row) {
    try {
      return observeValues(name, RowValues.toMap(row));
    } catch (Throwable t) {
      DROPPED_WITHOUT_LISTENER.increment();
      return false;
    }
  }

  /**
   * An {@code org.apache.spark.sql.Observation} used with {@code df.observe(observation, ...)}:
   * waits for its result (call it after the action ran), then sends it under its name.
   */
  public static boolean observe(org.apache.spark.sql.Observation observation) {
    try {
      return observeValues(observation.name(), observation.getAsJava());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (Throwable t) {
      return false;
    }
  }

  /** Observations sent while no sparkwire listener was active in this JVM. */
  public static long droppedWithoutListener() {
    return DROPPED_WITHOUT_LISTENER.sum();
  }

  /** Whether a sparkwire client is running in this JVM (the driver). */
  public static boolean isActive() {
    return ClientRegistry.active() != null;
  }

  private static void split(Map<String, ?> values, Map<String, Object> numeric,
      Map<String, Object> text) {
    if (values == null) {
      return;
    }
    for (Map.Entry<String, ?> e : values.entrySet()) {
      Object v = e.getValue();
      if (e.getKey() == null || v == null) {
        continue;
      }
      if (v instanceof Number || v instanceof Boolean) {
        numeric.put(e.getKey(), v);
      } else {
        text.put(e.getKey(), v);
      }
    }
  }

  private static boolean send(String name, Map<String, ?> numeric, Map<String, ?> text,
      String queryId, Long batchId) {
    try {
      SparkwireClient c = ClientRegistry.active();
      if (c == null) {
        DROPPED_WITHOUT_LISTENER.increment();
        return false;
      }
      if (!c.hasRoom()) {
        return false;
      }
      Observation.Builder ob = Observation.newBuilder().setName(EventMapper.nz(name));
      if (numeric != null) {
        // values are read as Object: py4j hands over Integers and Longs as well as Doubles
        for (Map.Entry<String, ?> e : numeric.entrySet()) {
          Object v = e.getValue();
          if (e.getKey() == null || v == null) {
            continue;
          }
          if (v instanceof Number) {
            ob.putNumeric(e.getKey(), ((Number) v).doubleValue());
          } else if (v instanceof Boolean) {
            ob.putNumeric(e.getKey(), ((Boolean) v) ? 1.0 : 0.0);
          } else {
            try {
              ob.putNumeric(e.getKey(), Double.parseDouble(v.toString()));
            } catch (NumberFormatException nfe) {
              ob.putText(e.getKey(), v.toString());
            }
          }
        }
      }
      if (text != null) {
        for (Map.Entry<String, ?> e : text.entrySet()) {
          if (e.getKey() != null && e.getValue() != null) {
            ob.putText(e.getKey(), EventMapper.truncate(e.getValue().toString(),
                EventMapper.MAX_TEXT_CHARS));
          }
        }
      }
      if (queryId != null) {
        ob.setQueryId(queryId);
      }
      if (batchId != null) {
        ob.setBatchId(batchId);
      }
      return c.emit(SparkEvent.newBuilder()
          .setEventTimeMs(System.currentTimeMillis())
          .setObservation(ob));
    } catch (Throwable t) {
      return false;
    }
  }
}

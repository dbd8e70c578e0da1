package io.sparkwire.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's settings, read from {@code spark.sparkwire.*}. An invalid value is reported once
 * (one warning per key) and replaced by its default: parsing never throws.
 */
public final class SparkwireConfig {
  private static final Logger LOG = LoggerFactory.getLogger(SparkwireConfig.class);

  public static final String PREFIX = "spark.sparkwire.";
  public static final String LABELS_PREFIX = PREFIX + "labels.";

  public static final String ENABLED = PREFIX + "enabled";
  public static final String ENDPOINT = PREFIX + "endpoint";
  public static final String EXTENDED = PREFIX + "extended";
  public static final String TOKEN = PREFIX + "token";
  public static final String TLS = PREFIX + "tls";
  public static final String TLS_CA_CERT = PREFIX + "tls.caCert";
  public static final String BUFFER_SIZE = PREFIX + "bufferSize";
  public static final String BATCH_SIZE = PREFIX + "batchSize";
  public static final String LINGER_MS = PREFIX + "lingerMs";
  public static final String FLUSH_TIMEOUT_MS = PREFIX + "flushTimeoutMs";
  public static final String MAX_UNACKED_BATCHES = PREFIX + "maxUnackedBatches";
  public static final String MAX_OFFLINE_MS = PREFIX + "maxOfflineMs";
  public static final String TRACEPARENT = PREFIX + "traceparent";

  public static final String DEFAULT_ENDPOINT = "127.0.0.1:50551";

  /**
   * How long a partial batch waits for more events. Not shorter: the sidecar spends 1.5-2 ms of
   * CPU per batch whatever its size, and on a small driver host that CPU is taken from Spark. At
   * the 2,400 task events/s of a busy local[2] job, 150 ms gives batches of about 330 and cost
   * 44-48 us of sidecar CPU per event, against 60-71 us with 50 ms (batches of 110); longer gave
   * no more (docs/benchmarks.md). A full batch (batchSize) goes at once, and a flush does not wait.
   */
  public static final long DEFAULT_LINGER_MS = 150;

  /**
   * sparkMeasure's own settings, read when sparkwire's are absent (drop-in from sparkMeasure's
   * KafkaSinkV2): {@code spark.sparkmeasure.appLabels.<key>} become labels
   * ({@code spark.sparkwire.labels.<key>} wins on a clash). Its Kafka settings belong to the
   * sidecar, which owns the producer: the listener only logs which sidecar flags correspond.
   */
  public static final String SPARKMEASURE_LABELS_PREFIX = "spark.sparkmeasure.appLabels.";
  public static final String SPARKMEASURE_KAFKA_BROKER = "spark.sparkmeasure.kafkaBroker";
  public static final String SPARKMEASURE_KAFKA_TOPIC = "spark.sparkmeasure.kafkaTopic";

  /**
   * sparkMeasure V2's sparkConfigs allow-list (KafkaSinkV2, v0.28), in its order: 61 keys, matched
   * exactly (its first two entries are prefixes as strings but exact keys as it matches them, so
   * they are never set in practice; matching them as prefixes would copy
   * spark.sparkmeasure.kafka.* producer properties, which can hold SASL passwords).
   */
  static final List<String> SPARKMEASURE_V2_ALLOW_LIST = Collections.unmodifiableList(Arrays.asList(
      "spark.sparkmeasure.appLabels.", "spark.sparkmeasure.", "spark.executor.instances",
      "spark.executor.memory", "spark.executor.memoryOverhead", "spark.executor.cores",
      "spark.executor.heartbeatInterval", "spark.driver.memory", "spark.driver.memoryOverhead",
      "spark.driver.cores", "spark.driver.maxResultSize", "spark.dynamicAllocation.enabled",
      "spark.dynamicAllocation.minExecutors", "spark.dynamicAllocation.maxExecutors",
      "spark.dynamicAllocation.initialExecutors", "spark.dynamicAllocation.executorIdleTimeout",
      "spark.dynamicAllocation.cachedExecutorIdleTimeout",
      "spark.dynamicAllocation.schedulerBacklogTimeout", "spark.sql.shuffle.partitions",
      "spark.default.parallelism", "spark.sql.adaptive.enabled",
      "spark.sql.adaptive.coalescePartitions.enabled",
      "spark.sql.adaptive.coalescePartitions.minPartitionNum",
      "spark.sql.adaptive.advisoryPartitionSizeInBytes", "spark.sql.adaptive.skewJoin.enabled",
      "spark.sql.adaptive.skewJoin.skewedPartitionFactor",
      "spark.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes", "spark.shuffle.service.enabled",
      "spark.shuffle.compress", "spark.shuffle.spill.compress", "spark.shuffle.file.buffer",
      "spark.shuffle.io.retryWait", "spark.shuffle.io.maxRetries", "spark.memory.fraction",
      "spark.memory.storageFraction", "spark.memory.offHeap.enabled", "spark.memory.offHeap.size",
      "spark.kubernetes.executor.request.cores", "spark.kubernetes.executor.limit.cores",
      "spark.kubernetes.driver.request.cores", "spark.kubernetes.driver.limit.cores",
      "spark.kubernetes.memoryOverheadFactor", "spark.kubernetes.allocation.batch.size",
      "spark.kubernetes.allocation.batch.delay", "spark.kubernetes.executor.deleteOnTermination",
      "spark.serializer", "spark.kryoserializer.buffer.max", "spark.kryoserializer.buffer",
      "spark.rdd.compress", "spark.network.timeout", "spark.rpc.askTimeout", "spark.rpc.lookupTimeout",
      "spark.sql.autoBroadcastJoinThreshold", "spark.sql.broadcastTimeout",
      "spark.sql.files.maxPartitionBytes", "spark.sql.files.openCostInBytes",
      "spark.sql.files.minPartitionNum", "spark.speculation", "spark.speculation.multiplier",
      "spark.speculation.quantile", "spark.speculation.interval"));

  /**
   * sparkwire's additions to sparkMeasure's list: names, placement and scheduling settings,
   * never a secret (a value is a name, a mode, a number or a master URL).
   */
  static final List<String> SPARKWIRE_EXTRA_ALLOW_LIST = Collections.unmodifiableList(Arrays.asList(
      "spark.app.name",
      "spark.master",
      "spark.submit.deployMode",
      "spark.task.cpus",
      "spark.scheduler.mode"));

  /**
   * Resource and tuning keys copied into ApplicationStart/End.spark_configs when set: sparkMeasure
   * V2's allow-list plus {@link #SPARKWIRE_EXTRA_ALLOW_LIST}. Exact keys, never the whole conf: it
   * can hold secrets.
   */
  public static final List<String> SPARK_CONFIG_ALLOW_LIST;

  static {
    List<String> all = new ArrayList<>(SPARKWIRE_EXTRA_ALLOW_LIST);
    for (String k : SPARKMEASURE_V2_ALLOW_LIST) {
      if (!all.contains(k)) {
        all.add(k);
      }
    }
    SPARK_CONFIG_ALLOW_LIST = Collections.unmodifiableList(all);
  }

  final boolean enabled;
  final String endpoint;
  final boolean extended;
  final String token;
  final boolean tls;
  final String tlsCaCert;
  final int bufferSize;
  final int batchSize;
  final long lingerMs;
  final long flushTimeoutMs;
  final int maxUnackedBatches;
  final long maxOfflineMs;
  final String traceparent;
  final Map<String, String> labels;
  final Map<String, String> sparkConfigs;
  final String appId;
  final String appName;
  /** One line per rejected value, for tests and for the log. */
  final List<String> warnings;
  /** The info line about spark.sparkmeasure.kafkaBroker/kafkaTopic, null when neither is set. */
  final String sparkMeasureKafkaNote;

  private SparkwireConfig(Map<String, String> conf) {
    List<String> warn = new ArrayList<>();
    this.enabled = bool(conf, ENABLED, true, warn);
    String ep = trimToNull(conf.get(ENDPOINT));
    this.endpoint = ep == null ? DEFAULT_ENDPOINT : ep;
    this.extended = bool(conf, EXTENDED, false, warn);
    this.token = trimToNull(conf.get(TOKEN));
    boolean tlsFromScheme = this.endpoint.startsWith("https://");
    this.tls = bool(conf, TLS, false, warn) || tlsFromScheme;
    this.tlsCaCert = trimToNull(conf.get(TLS_CA_CERT));
    this.bufferSize = (int) number(conf, BUFFER_SIZE, 100_000, 1, 10_000_000, warn);
    this.batchSize = (int) number(conf, BATCH_SIZE, 500, 1, 10_000, warn);
    this.lingerMs = number(conf, LINGER_MS, DEFAULT_LINGER_MS, 0, 60_000, warn);
    this.flushTimeoutMs = number(conf, FLUSH_TIMEOUT_MS, 10_000, 0, 600_000, warn);
    this.maxUnackedBatches = (int) number(conf, MAX_UNACKED_BATCHES, 64, 1, 100_000, warn);
    this.maxOfflineMs = number(conf, MAX_OFFLINE_MS, 120_000, 0, Long.MAX_VALUE / 4, warn);
    String tp = trimToNull(conf.get(TRACEPARENT));
    this.traceparent = tp == null ? "" : tp;

    Map<String, String> lbl = new TreeMap<>();
    // sparkMeasure's appLabels first, so sparkwire's own labels win on a clash.
    putLabels(conf, SPARKMEASURE_LABELS_PREFIX, lbl);
    putLabels(conf, LABELS_PREFIX, lbl);
    this.labels = Collections.unmodifiableMap(lbl);

    Map<String, String> cfg = new LinkedHashMap<>();
    for (String key : SPARK_CONFIG_ALLOW_LIST) {
      String v = conf.get(key);
      if (v != null && !looksSecret(key)) {
        cfg.put(key, v);
      }
    }
    this.sparkConfigs = Collections.unmodifiableMap(cfg);
    this.appId = nullToEmpty(conf.get("spark.app.id"));
    this.appName = nullToEmpty(conf.get("spark.app.name"));
    this.warnings = Collections.unmodifiableList(warn);
    this.sparkMeasureKafkaNote = sparkMeasureKafkaNote(conf);
  }

  private static void putLabels(Map<String, String> conf, String prefix, Map<String, String> into) {
    for (Map.Entry<String, String> e : conf.entrySet()) {
      if (e.getKey().startsWith(prefix) && e.getValue() != null) {
        String k = e.getKey().substring(prefix.length());
        if (!k.isEmpty()) {
          into.put(k, e.getValue());
        }
      }
    }
  }

  /**
   * The info line for sparkMeasure's Kafka settings, or null when none is set: the sidecar owns
   * Kafka, these are the flags that correspond.
   */
  static String sparkMeasureKafkaNote(Map<String, String> conf) {
    String broker = trimToNull(conf.get(SPARKMEASURE_KAFKA_BROKER));
    String topic = trimToNull(conf.get(SPARKMEASURE_KAFKA_TOPIC));
    if (broker == null && topic == null) {
      return null;
    }
    StringBuilder b = new StringBuilder("sparkMeasure's Kafka settings are not used by the listener: the sparkwire"
        + " sidecar owns Kafka; start it with");
    if (broker != null) {
      b.append(" --kafka-brokers ").append(broker).append(" (").append(SPARKMEASURE_KAFKA_BROKER).append(')');
    }
    if (topic != null) {
      b.append(" --kafka-topic ").append(topic).append(" (").append(SPARKMEASURE_KAFKA_TOPIC).append(')');
    }
    return b.toString();
  }

  /** Parses the settings; logs one warning per invalid value. Never throws. */
  public static SparkwireConfig from(Map<String, String> conf) {
    SparkwireConfig c = new SparkwireConfig(conf == null ? Collections.<String, String>emptyMap() : conf);
    for (String w : c.warnings) {
      LOG.warn("sparkwire: {}", w);
    }
    if (c.sparkMeasureKafkaNote != null) {
      LOG.info("sparkwire: {}", c.sparkMeasureKafkaNote);
    }
    return c;
  }

  /**
   * The keys the client reads from a SparkConf: everything under spark.sparkwire., the app id and
   * name, sparkMeasure's appLabels and its two Kafka keys (for the info line; never its
   * spark.sparkmeasure.kafka.* producer properties) and the allow-listed keys. Never copies
   * anything else.
   */
  static boolean wanted(String key) {
    return key.startsWith(PREFIX)
        || key.equals("spark.app.id")
        || key.equals("spark.app.name")
        || key.startsWith(SPARKMEASURE_LABELS_PREFIX)
        || key.equals(SPARKMEASURE_KAFKA_BROKER)
        || key.equals(SPARKMEASURE_KAFKA_TOPIC)
        || SPARK_CONFIG_ALLOW_LIST.contains(key);
  }

  static boolean looksSecret(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    return k.contains("password") || k.contains("secret") || k.contains("token")
        || k.contains("credential");
  }

  private static boolean bool(Map<String, String> conf, String key, boolean def, List<String> warn) {
    String v = trimToNull(conf.get(key));
    if (v == null) {
      return def;
    }
    if (v.equalsIgnoreCase("true")) {
      return true;
    }
    if (v.equalsIgnoreCase("false")) {
      return false;
    }
    warn.add(key + "=" + v + " is not true or false; using the default " + def);
    return def;
  }

  private static long number(Map<String, String> conf, String key, long def, long min, long max,
      List<String> warn) {
    String v = trimToNull(conf.get(key));
    if (v == null) {
      return def;
    }
    try {
      long n = Long.parseLong(v);
      if (n < min || n > max) {
        warn.add(key + "=" + v + " is outside [" + min + ", " + max + "]; using the default " + def);
        return def;
      }
      return n;
    } catch (NumberFormatException e) {
      warn.add(key + "=" + v + " is not a whole number; using the default " + def);
      return def;
    }
  }

  private static String trimToNull(String s) {
    if (s == null) {
      return null;
    }
    String t = s.trim();
    return t.isEmpty() ? null : t;
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }

  public boolean enabled() {
    return enabled;
  }

  public String endpoint() {
    return endpoint;
  }

  public boolean extended() {
    return extended;
  }

  public int bufferSize() {
    return bufferSize;
  }

  public int batchSize() {
    return batchSize;
  }

  public long lingerMs() {
    return lingerMs;
  }

  public long flushTimeoutMs() {
    return flushTimeoutMs;
  }

  public int maxUnackedBatches() {
    return maxUnackedBatches;
  }

  public long maxOfflineMs() {
    return maxOfflineMs;
  }

  public Map<String, String> labels() {
    return labels;
  }

  public Map<String, String> sparkConfigs() {
    return sparkConfigs;
  }

  public List<String> warnings() {
    return warnings;
  }
}

package io.sparkwire.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

class SparkwireConfigTest {

  @Test
  void defaults() {
    SparkwireConfig c = SparkwireConfig.from(Map.of());
    assertTrue(c.enabled);
    assertEquals("127.0.0.1:50551", c.endpoint);
    assertFalse(c.extended);
    assertFalse(c.tls);
    assertEquals(100_000, c.bufferSize);
    assertEquals(500, c.batchSize);
    assertEquals(150, c.lingerMs);
    assertEquals(10_000, c.flushTimeoutMs);
    assertEquals(64, c.maxUnackedBatches);
    assertEquals(120_000, c.maxOfflineMs);
    assertEquals("", c.traceparent);
    assertTrue(c.labels.isEmpty());
    assertTrue(c.warnings.isEmpty());
  }

  @Test
  void readsEveryKey() {
    Map<String, String> m = new HashMap<>();
    m.put("spark.sparkwire.endpoint", "sidecar:9000");
    m.put("spark.sparkwire.extended", "TRUE");
    m.put("spark.sparkwire.token", "s3cr3t");
    m.put("spark.sparkwire.tls", "true");
    m.put("spark.sparkwire.tls.caCert", "/etc/ca.pem");
    m.put("spark.sparkwire.bufferSize", "10");
    m.put("spark.sparkwire.batchSize", "5");
    m.put("spark.sparkwire.lingerMs", "0");
    m.put("spark.sparkwire.flushTimeoutMs", "1234");
    m.put("spark.sparkwire.maxUnackedBatches", "3");
    m.put("spark.sparkwire.maxOfflineMs", "99");
    m.put("spark.sparkwire.traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    m.put("spark.sparkwire.labels.team", "data");
    m.put("spark.sparkwire.labels.pipeline", "orders");
    SparkwireConfig c = SparkwireConfig.from(m);
    assertEquals("sidecar:9000", c.endpoint);
    assertTrue(c.extended);
    assertEquals("s3cr3t", c.token);
    assertTrue(c.tls);
    assertEquals("/etc/ca.pem", c.tlsCaCert);
    assertEquals(10, c.bufferSize);
    assertEquals(5, c.batchSize);
    assertEquals(0, c.lingerMs);
    assertEquals(1234, c.flushTimeoutMs);
    assertEquals(3, c.maxUnackedBatches);
    assertEquals(99, c.maxOfflineMs);
    assertEquals("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", c.traceparent);
    assertEquals(Map.of("team", "data", "pipeline", "orders"), c.labels);
    assertTrue(c.warnings.isEmpty());
  }

  @Test
  void invalidValuesWarnAndUseDefaults() {
    Map<String, String> m = new HashMap<>();
    m.put("spark.sparkwire.bufferSize", "lots");
    m.put("spark.sparkwire.batchSize", "0");
    m.put("spark.sparkwire.lingerMs", "-5");
    m.put("spark.sparkwire.extended", "yes");
    m.put("spark.sparkwire.enabled", "maybe");
    m.put("spark.sparkwire.endpoint", "   ");
    SparkwireConfig c = SparkwireConfig.from(m);
    assertEquals(100_000, c.bufferSize);
    assertEquals(500, c.batchSize);
    assertEquals(150, c.lingerMs);
    assertFalse(c.extended);
    assertTrue(c.enabled);
    assertEquals("127.0.0.1:50551", c.endpoint);
    assertEquals(5, c.warnings.size(), c.warnings.toString());
  }

  @Test
  void httpsSchemeMeansTls() {
    assertTrue(SparkwireConfig.from(Map.of("spark.sparkwire.endpoint", "https://x:1")).tls);
  }

  @Test
  void sparkConfigsAreAnAllowListWithoutSecrets() {
    SparkConf conf = new SparkConf(false)
        .set("spark.executor.memory", "4g")
        .set("spark.sql.shuffle.partitions", "64")
        .set("spark.master", "local[2]")
        .set("spark.app.name", "orders")
        .set("spark.app.id", "app-1")
        .set("spark.dynamicAllocation.enabled", "true")
        .set("spark.ssl.keyPassword", "hunter2")
        .set("spark.authenticate.secret", "hunter2")
        .set("spark.hadoop.fs.s3a.secret.key", "hunter2")
        .set("spark.some.other", "x");
    Map<String, String> copied = ClientRegistry.toMap(conf);
    assertFalse(copied.containsKey("spark.ssl.keyPassword"));
    assertFalse(copied.containsKey("spark.authenticate.secret"));
    assertFalse(copied.containsKey("spark.some.other"));
    SparkwireConfig c = SparkwireConfig.from(copied);
    assertEquals(Map.of("spark.executor.memory", "4g", "spark.sql.shuffle.partitions", "64",
        "spark.master", "local[2]", "spark.app.name", "orders",
        "spark.dynamicAllocation.enabled", "true"), c.sparkConfigs);
    assertEquals("app-1", c.appId);
    assertEquals("orders", c.appName);
    for (String k : SparkwireConfig.SPARK_CONFIG_ALLOW_LIST) {
      assertFalse(SparkwireConfig.looksSecret(k), k);
    }
    assertTrue(SparkwireConfig.SPARK_CONFIG_ALLOW_LIST.size() >= 20);
  }

  @Test
  void disabledListenerDoesNothingAndNeverThrows() {
    SparkConf conf = new SparkConf(false).set("spark.sparkwire.enabled", "false");
    SparkwireListener l = new SparkwireListener(conf);
    assertEquals(null, l.client());
    l.onTaskEnd(SparkObjects.taskEnd(1, org.apache.spark.Success$.MODULE$, null));
    l.onApplicationEnd(SparkTestCompat.applicationEnd(1L, null));
  }

  @Test
  void sparkMeasureAppLabelsAreLabelsAndSparkwireWinsOnAClash() {
    SparkConf conf = new SparkConf(false)
        .set("spark.sparkmeasure.appLabels.team", "from-sparkmeasure")
        .set("spark.sparkmeasure.appLabels.env", "prod")
        .set("spark.sparkwire.labels.team", "data")
        .set("spark.sparkmeasure.kafka.sasl.jaas.config", "password=hunter2");
    Map<String, String> copied = ClientRegistry.toMap(conf);
    assertFalse(copied.containsKey("spark.sparkmeasure.kafka.sasl.jaas.config"));
    SparkwireConfig c = SparkwireConfig.from(copied);
    assertEquals(Map.of("team", "data", "env", "prod"), c.labels);
    assertEquals(null, c.sparkMeasureKafkaNote);
    // sparkMeasure's labels alone.
    assertEquals(Map.of("env", "prod"),
        SparkwireConfig.from(Map.of("spark.sparkmeasure.appLabels.env", "prod")).labels);
  }

  @Test
  void sparkMeasureKafkaSettingsNameTheSidecarFlags() {
    SparkConf conf = new SparkConf(false)
        .set("spark.sparkmeasure.kafkaBroker", "kafka:9092")
        .set("spark.sparkmeasure.kafkaTopic", "sparkmeasure");
    SparkwireConfig c = SparkwireConfig.from(ClientRegistry.toMap(conf));
    assertTrue(c.sparkMeasureKafkaNote.contains("sidecar owns Kafka"), c.sparkMeasureKafkaNote);
    assertTrue(c.sparkMeasureKafkaNote.contains("--kafka-brokers kafka:9092"), c.sparkMeasureKafkaNote);
    assertTrue(c.sparkMeasureKafkaNote.contains("--kafka-topic sparkmeasure"), c.sparkMeasureKafkaNote);
    assertTrue(c.warnings.isEmpty());
  }

  /** sparkMeasure V2's list, copied into a fixture (see its header for where it came from). */
  private static List<String> sparkMeasureV2AllowList() throws IOException {
    List<String> keys = new ArrayList<>();
    try (InputStream in = SparkwireConfigTest.class.getResourceAsStream("/sparkmeasure-v2-sparkconfigs-allowlist.txt")) {
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\\R")) {
        String k = line.trim();
        if (!k.isEmpty() && !k.startsWith("#")) {
          keys.add(k);
        }
      }
    }
    return keys;
  }

  @Test
  void allowListHasEverySparkMeasureV2KeyAndOnlySafeExtras() throws IOException {
    List<String> reference = sparkMeasureV2AllowList();
    assertEquals(61, reference.size());
    assertEquals(reference, SparkwireConfig.SPARKMEASURE_V2_ALLOW_LIST);
    Set<String> ours = new LinkedHashSet<>(SparkwireConfig.SPARK_CONFIG_ALLOW_LIST);
    assertEquals(SparkwireConfig.SPARK_CONFIG_ALLOW_LIST.size(), ours.size(), "no duplicates");
    for (String k : reference) {
      assertTrue(ours.contains(k), k);
    }
    Set<String> extras = new LinkedHashSet<>(ours);
    extras.removeAll(reference);
    assertEquals(new LinkedHashSet<>(List.of("spark.app.name", "spark.master", "spark.submit.deployMode",
        "spark.task.cpus", "spark.scheduler.mode")), extras);
    for (String k : ours) {
      assertFalse(SparkwireConfig.looksSecret(k), k);
    }
    // Every key of the list, when set, reaches sparkConfigs (exact keys: the conf's own
    // spark.sparkmeasure.kafka.* properties never do).
    SparkConf conf = new SparkConf(false).set("spark.sparkmeasure.kafka.ssl.keystore.password", "hunter2");
    for (String k : ours) {
      conf.set(k, "v");
    }
    Map<String, String> configs = SparkwireConfig.from(ClientRegistry.toMap(conf)).sparkConfigs;
    assertEquals(ours, configs.keySet());
  }
}

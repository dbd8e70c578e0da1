package io.sparkwire.spark;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.sparkwire.proto.v1.Observation;
import io.sparkwire.proto.v1.SparkEvent;

/** Clients for tests: no shutdown hooks; with or without the sender thread. */
final class TestClients {
  private TestClients() {}

  static SparkwireConfig config(String... kv) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i + 1 < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return SparkwireConfig.from(m);
  }

  /** Events stay in the buffer: for mapping tests. */
  static SparkwireClient offline(String... kv) {
    return new SparkwireClient(config(kv), false, false);
  }

  static SparkwireClient connected(int port, String... kv) {
    String[] all = new String[kv.length + 2];
    all[0] = SparkwireConfig.ENDPOINT;
    all[1] = "127.0.0.1:" + port;
    System.arraycopy(kv, 0, all, 2, kv.length);
    return new SparkwireClient(config(all), false, true);
  }

  static List<SparkEvent> drain(SparkwireClient c) {
    List<SparkEvent> out = new ArrayList<>();
    c.queue.drainTo(out);
    return out;
  }

  static SparkEvent.Builder observation(int i) {
    return SparkEvent.newBuilder()
        .setEventTimeMs(i)
        .setObservation(Observation.newBuilder().setName("n" + i).putNumeric("i", i));
  }
}

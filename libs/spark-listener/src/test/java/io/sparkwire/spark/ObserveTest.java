package io.sparkwire.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.sparkwire.proto.v1.Observation;
import io.sparkwire.proto.v1.SparkEvent;

class ObserveTest {

  @Test
  void withoutListenerIsACountedNoOp() {
    ClientRegistry.setActiveForTest(null);
    long before = Sparkwire.droppedWithoutListener();
    assertFalse(Sparkwire.isActive());
    assertFalse(Sparkwire.observe("dq", Map.of("rows", 1.0)));
    assertEquals(before + 1, Sparkwire.droppedWithoutListener());
  }

  @Test
  void observationsGoThroughTheClient() {
    SparkwireClient client = TestClients.offline("spark.app.id", "app-7");
    ClientRegistry.setActiveForTest(client);
    try {
      assertTrue(Sparkwire.isActive());
      assertTrue(Sparkwire.observe("dq.orders", Map.of("null_ids", 0.0, "rows", 1234.0),
          Map.of("table", "orders")));
      assertTrue(Sparkwire.observe("dq.stream", Map.of("late", 3.0), null, "query-1", 42L));
      // py4j hands Python ints over as Integer / Long even into a Map<String, Double>
      @SuppressWarnings({"unchecked", "rawtypes"})
      Map<String, Double> fromPython = (Map) new HashMap<>(Map.of("a", 1, "b", 2L, "c", 0.5));
      assertTrue(Sparkwire.observe("py", fromPython));
      Map<String, Object> mixed = new HashMap<>();
      mixed.put("rows", 10L);
      mixed.put("ok", true);
      mixed.put("table", "orders");
      mixed.put("skipped", null);
      assertTrue(Sparkwire.observeValues("mixed", mixed));
      assertTrue(Sparkwire.observe("row", StreamingMappingTest.row(5L, 2.5)));

      List<SparkEvent> events = TestClients.drain(client);
      assertEquals(5, events.size());
      Observation o = events.get(0).getObservation();
      assertEquals("app-7", events.get(0).getAppId());
      assertEquals("dq.orders", o.getName());
      assertEquals(Map.of("null_ids", 0.0, "rows", 1234.0), o.getNumericMap());
      assertEquals(Map.of("table", "orders"), o.getTextMap());
      assertEquals("", o.getQueryId());
      assertFalse(o.hasBatchId());

      o = events.get(1).getObservation();
      assertEquals("query-1", o.getQueryId());
      assertTrue(o.hasBatchId());
      assertEquals(42L, o.getBatchId());

      assertEquals(Map.of("a", 1.0, "b", 2.0, "c", 0.5), events.get(2).getObservation()
          .getNumericMap());

      o = events.get(3).getObservation();
      assertEquals(Map.of("rows", 10.0, "ok", 1.0), o.getNumericMap());
      assertEquals(Map.of("table", "orders"), o.getTextMap());

      assertEquals(Map.of("rows", 5.0, "rate", 2.5), events.get(4).getObservation()
          .getNumericMap());
    } finally {
      client.close(true);
      ClientRegistry.setActiveForTest(null);
    }
    assertFalse(Sparkwire.isActive());
  }
}

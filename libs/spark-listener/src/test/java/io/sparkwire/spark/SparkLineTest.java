package io.sparkwire.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The jar refuses, with one clear message, a Spark line or Scala version it is not built for. */
class SparkLineTest {
  private static final boolean SPARK4 = SparkCompat.LINE.equals("4");

  @Test
  void theTestClassPathsSparkFitsThisBuild() {
    assertNull(SparkLine.check(), "Spark " + SparkwireListener.sparkVersion());
  }

  @Test
  void supportedVersionsOfThisLine() {
    String scala = SparkLine.binary(SparkLine.scalaVersion());
    if (SPARK4) {
      for (String v : new String[] {"4.0.0", "4.0.1", "4.1.4", "4.2.1", "4.3.0"}) {
        assertNull(SparkLine.mismatch("a", "2.13", v, "2.13.16"), v);
      }
    } else {
      for (String v : new String[] {"3.5.0", "3.5.9", "3.5.1-amzn-0"}) {
        assertNull(SparkLine.mismatch("a", scala, v, SparkLine.scalaVersion()), v);
      }
    }
    assertNull(SparkLine.mismatch("a", scala, "", ""), "unknown versions are not held against it");
  }

  @Test
  void otherLinesNameTheArtifactToUse() {
    String other = SPARK4 ? "3.5.9" : "4.0.1";
    String m = SparkLine.mismatch("sparkwire-spark-listener_x", "2.13", other, "2.13.16");
    assertNotNull(m);
    assertTrue(m.contains("Spark " + other + " with Scala 2.13.16"), m);
    assertTrue(m.contains("built for Spark " + SparkCompat.LINE + ".x"), m);
    assertTrue(m.contains(SPARK4 ? "sparkwire-spark-listener-spark35_2.13"
        : "io.sparkwire:sparkwire-spark-listener_2.13"), m);

    String unsupported = SparkLine.mismatch("a", "2.12", "3.4.1", "2.12.17");
    assertTrue(unsupported.contains("No sparkwire build supports that Spark"), unsupported);
  }

  @Test
  void scalaMismatchIsRefusedToo() {
    String sparkV = SPARK4 ? "4.0.1" : "3.5.9";
    String m = SparkLine.mismatch("a", "2.12", sparkV, "2.13.8");
    assertNotNull(m);
    assertTrue(m.contains(SPARK4 ? "sparkwire-spark-listener_2.13"
        : "sparkwire-spark-listener-spark35_2.13"), m);
    assertEquals("2.13", SparkLine.binary("2.13.16"));
  }
}

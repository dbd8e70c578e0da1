package io.sparkwire.spark;

import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** A Row's values by field name (loaded only when a Row is passed in). */
final class RowValues {
  private RowValues() {}

  static Map<String, Object> toMap(Row row) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (row == null) {
      return m;
    }
    StructType schema = row.schema();
    StructField[] fields = schema == null ? null : schema.fields();
    for (int i = 0; i < row.length(); i++) {
      String key = fields != null && i < fields.length ? fields[i].name() : "_" + i;
      m.put(key, row.get(i));
    }
    return m;
  }
}

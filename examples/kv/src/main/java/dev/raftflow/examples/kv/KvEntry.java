package dev.raftflow.examples.kv;

import java.util.Arrays;
import java.util.Objects;

/** One key and its value, as a range scan returns them. Immutable (the array must not be modified). */
public record KvEntry(String key, byte[] value) {

  public KvEntry {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KvEntry e && e.key.equals(key) && Arrays.equals(e.value, value);
  }

  @Override
  public int hashCode() {
    return key.hashCode() * 31 + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    return key + "=" + value.length + " bytes";
  }
}

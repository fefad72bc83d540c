package dev.raftflow.storage.chronicle;

import java.util.Arrays;

/** The ascending indexes of a log's configuration entries (few): what recovery hands the node. Not thread-safe. */
final class ConfigIndexes {
  private long[] values = new long[8];
  private int size;

  void clear() {
    size = 0;
  }

  /** Adds {@code index}, above every index held. */
  void add(long index) {
    if (size == values.length) {
      values = Arrays.copyOf(values, size * 2);
    }
    values[size++] = index;
  }

  /** Drops the indexes at or after {@code index}. */
  void truncateFrom(long index) {
    while (size > 0 && values[size - 1] >= index) {
      size--;
    }
  }

  /** Drops the indexes up to and including {@code index}. */
  void dropUpTo(long index) {
    int k = 0;
    while (k < size && values[k] <= index) {
      k++;
    }
    System.arraycopy(values, k, values, 0, size - k);
    size -= k;
  }

  long[] toArray() {
    return Arrays.copyOf(values, size);
  }
}

package dev.raftflow.storage.chronicle;

import java.util.Arrays;

/**
 * A dense array of longs keyed by consecutive Raft indexes {@code first..last}; cheap to append,
 * truncate at the end and drop at the front. Not thread-safe.
 */
final class IndexArray {
  private long[] values = new long[64];
  private int start; // slot of first
  private int size;
  private long first = 1; // Raft index of slot start (meaningful when size > 0, else next append)

  /** Empties the array; the next {@link #add} gets Raft index {@code nextIndex}. */
  void reset(long nextIndex) {
    start = 0;
    size = 0;
    first = nextIndex;
  }

  long firstIndex() {
    return first;
  }

  /** Last Raft index held, or {@code firstIndex() - 1} when empty. */
  long lastIndex() {
    return first + size - 1;
  }

  int size() {
    return size;
  }

  boolean contains(long index) {
    return size > 0 && index >= first && index <= lastIndex();
  }

  long get(long index) {
    if (!contains(index)) {
      throw new IndexOutOfBoundsException("index " + index + " not in [" + first + ", " + lastIndex() + "]");
    }
    return values[start + (int) (index - first)];
  }

  /** Appends the value of Raft index {@code lastIndex() + 1}. */
  void add(long value) {
    if (start + size == values.length) {
      if (start > values.length / 2) {
        System.arraycopy(values, start, values, 0, size);
        start = 0;
      } else {
        values = Arrays.copyOf(values, values.length * 2);
      }
    }
    values[start + size++] = value;
  }

  /** Drops every index at or after {@code index}. */
  void truncateFrom(long index) {
    if (index <= first) {
      size = 0;
      first = index;
    } else if (index <= lastIndex()) {
      size = (int) (index - first);
    }
  }

  /** Drops every index up to and including {@code index}. */
  void dropUpTo(long index) {
    if (index < first) {
      return;
    }
    if (index >= lastIndex()) {
      reset(index + 1);
      return;
    }
    int n = (int) (index - first + 1);
    start += n;
    size -= n;
    first = index + 1;
    if (size < values.length / 4 && values.length > 1024) {
      values = Arrays.copyOfRange(values, start, start + Math.max(size * 2, 64));
      start = 0;
    }
  }
}

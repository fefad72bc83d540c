package dev.raftflow.engine.node;

/**
 * When ranges of log indexes reached one stage (proposed, committed), so that reaching the next
 * stage can be timed: {@link #mark} notes a range and a time, {@link #reach} records into a
 * histogram, for every index up to the one now reached, the time since its range was marked (each
 * index counted once). Holds a bounded number of ranges in arrays that start small and double up
 * to a cap (so an idle node keeps almost nothing); at the cap a new range joins the newest one
 * (keeping its older time, so those indexes look slightly slower). Allocates only while growing;
 * loop thread only.
 */
final class IndexTimeline {

  private static final int INITIAL = 8;

  private final int capacity;
  private long[] starts = new long[0];
  private long[] ends = new long[0];
  private long[] times = new long[0];
  private int head;
  private int size;
  /** Every index up to this one is recorded or forgotten. */
  private long done;

  IndexTimeline(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive, was " + capacity);
    }
    this.capacity = capacity;
  }

  /** Indexes {@code first..last} reached the stage at {@code nanos} (ignored unless after every range held). */
  void mark(long first, long last, long nanos) {
    if (size == 0) {
      done = first - 1;
    } else if (first <= ends[(head + size - 1) % ends.length]) {
      return;
    }
    if (last < first) {
      return;
    }
    if (size == ends.length && ends.length < capacity) {
      grow();
    }
    if (size == ends.length) {
      ends[(head + size - 1) % ends.length] = last;
      return;
    }
    int slot = (head + size) % ends.length;
    starts[slot] = first;
    ends[slot] = last;
    times[slot] = nanos;
    size++;
  }

  /** Indexes up to {@code index} reached the next stage at {@code nanos}: records each marked one's wait into {@code into}. */
  void reach(long index, long nanos, LogScaleHistogram into) {
    while (size > 0 && index > done) {
      long end = ends[head];
      long upTo = Math.min(end, index);
      long from = Math.max(done, starts[head] - 1);
      if (upTo > from) {
        into.record(nanos - times[head], upTo - from);
      }
      done = upTo;
      if (upTo == end) {
        head = (head + 1) % ends.length;
        size--;
      }
    }
    done = Math.max(done, index);
  }

  /** Doubles the arrays (up to the capacity), the ranges held moved to their start in order. */
  private void grow() {
    int n = Math.min(capacity, Math.max(INITIAL, ends.length * 2));
    long[] s = new long[n];
    long[] e = new long[n];
    long[] t = new long[n];
    for (int i = 0; i < size; i++) {
      int from = (head + i) % ends.length;
      s[i] = starts[from];
      e[i] = ends[from];
      t[i] = times[from];
    }
    starts = s;
    ends = e;
    times = t;
    head = 0;
  }

  /** Forgets every range (e.g. leadership was lost: proposed entries may be replaced). */
  void clear() {
    head = 0;
    size = 0;
  }

  boolean isEmpty() {
    return size == 0;
  }
}

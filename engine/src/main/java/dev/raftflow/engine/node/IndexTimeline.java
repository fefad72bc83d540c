package dev.raftflow.engine.node;

/**
 * When ranges of log indexes reached one stage (proposed, committed), so that reaching the next
 * stage can be timed: {@link #mark} notes a range and a time, {@link #reach} records into a
 * histogram, for every index up to the one now reached, the time since its range was marked (each
 * index counted once). Holds a bounded number of ranges in preallocated arrays: when full, a new
 * range joins the newest one (keeping its older time, so those indexes look slightly slower).
 * Allocation-free; loop thread only.
 */
final class IndexTimeline {

  private final long[] starts;
  private final long[] ends;
  private final long[] times;
  private int head;
  private int size;
  /** Every index up to this one is recorded or forgotten. */
  private long done;

  IndexTimeline(int capacity) {
    starts = new long[capacity];
    ends = new long[capacity];
    times = new long[capacity];
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

  /** Forgets every range (e.g. leadership was lost: proposed entries may be replaced). */
  void clear() {
    head = 0;
    size = 0;
  }

  boolean isEmpty() {
    return size == 0;
  }
}

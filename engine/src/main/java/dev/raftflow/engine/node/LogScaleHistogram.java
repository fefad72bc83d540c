package dev.raftflow.engine.node;

import dev.raftflow.engine.Histogram;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A {@link Histogram} with one writer (a node's event loop) and any number of readers. Recording
 * allocates nothing and takes no lock: each counter is written with release semantics (no full
 * fence), so readers see every count eventually and a snapshot may mix neighbouring records.
 */
final class LogScaleHistogram implements Histogram {

  private static final int COUNT = BUCKETS;
  private static final int SUM = BUCKETS + 1;
  private static final int MAX = BUCKETS + 2;

  /** The buckets, then count, sum and max. */
  private final AtomicLongArray cells = new AtomicLongArray(BUCKETS + 3);

  /** Records {@code value} once. Owner thread only. */
  void record(long value) {
    record(value, 1);
  }

  /** Records {@code value} {@code times} times (nothing when {@code times <= 0}). Owner thread only. */
  void record(long value, long times) {
    if (times <= 0) {
      return;
    }
    long v = Math.max(0, value);
    int b = Histogram.bucketOf(v);
    cells.setRelease(b, cells.getPlain(b) + times);
    cells.setRelease(COUNT, cells.getPlain(COUNT) + times);
    cells.setRelease(SUM, cells.getPlain(SUM) + v * times);
    if (v > cells.getPlain(MAX)) {
      cells.setRelease(MAX, v);
    }
  }

  @Override
  public long count() {
    return cells.get(COUNT);
  }

  @Override
  public long sum() {
    return cells.get(SUM);
  }

  @Override
  public long max() {
    return cells.get(MAX);
  }

  @Override
  public Snapshot snapshot() {
    long[] b = new long[BUCKETS];
    for (int i = 0; i < BUCKETS; i++) {
      b[i] = cells.get(i);
    }
    return new Snapshot(cells.get(COUNT), cells.get(SUM), cells.get(MAX), b);
  }

  @Override
  public String toString() {
    return "Histogram[count=" + count() + ", sum=" + sum() + ", max=" + max() + "]";
  }
}

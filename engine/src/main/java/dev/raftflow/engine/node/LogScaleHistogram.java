package dev.raftflow.engine.node;

import dev.raftflow.engine.Histogram;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A {@link Histogram} with one writer (a node's event loop) and any number of readers. Its buckets
 * come in chunks of 8 (one power of two), each allocated the first time a value falls in it, so a
 * histogram costs a few hundred bytes until used and about as many per power of two its values
 * span (a host with thousands of mostly idle groups keeps thousands of these). Once its chunks
 * exist, recording allocates nothing and takes no lock: each counter is written with release
 * semantics (no full fence), so readers see every count eventually and a snapshot may mix
 * neighbouring records.
 */
final class LogScaleHistogram implements Histogram {

  private static final int CHUNK = 8;
  private static final int CHUNKS = BUCKETS / CHUNK;
  private static final int COUNT = 0;
  private static final int SUM = 1;
  private static final int MAX = 2;

  /** Count, sum and max. */
  private final AtomicLongArray totals = new AtomicLongArray(3);
  /** The bucket chunks, each null until a value falls in it; the array itself null until the first record. */
  private volatile AtomicReferenceArray<AtomicLongArray> chunks;

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
    AtomicReferenceArray<AtomicLongArray> all = chunks;
    if (all == null) {
      all = new AtomicReferenceArray<>(CHUNKS);
      chunks = all;
    }
    AtomicLongArray chunk = all.getPlain(b / CHUNK);
    if (chunk == null) {
      chunk = new AtomicLongArray(CHUNK);
      all.setRelease(b / CHUNK, chunk);
    }
    int i = b % CHUNK;
    chunk.setRelease(i, chunk.getPlain(i) + times);
    totals.setRelease(COUNT, totals.getPlain(COUNT) + times);
    totals.setRelease(SUM, totals.getPlain(SUM) + v * times);
    if (v > totals.getPlain(MAX)) {
      totals.setRelease(MAX, v);
    }
  }

  @Override
  public long count() {
    return totals.get(COUNT);
  }

  @Override
  public long sum() {
    return totals.get(SUM);
  }

  @Override
  public long max() {
    return totals.get(MAX);
  }

  @Override
  public Snapshot snapshot() {
    long[] b = new long[BUCKETS];
    AtomicReferenceArray<AtomicLongArray> all = chunks;
    if (all != null) {
      for (int c = 0; c < CHUNKS; c++) {
        AtomicLongArray chunk = all.getAcquire(c);
        if (chunk != null) {
          for (int i = 0; i < CHUNK; i++) {
            b[c * CHUNK + i] = chunk.getAcquire(i);
          }
        }
      }
    }
    return new Snapshot(totals.get(COUNT), totals.get(SUM), totals.get(MAX), b);
  }

  @Override
  public String toString() {
    return "Histogram[count=" + count() + ", sum=" + sum() + ", max=" + max() + "]";
  }
}

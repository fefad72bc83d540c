package dev.raftflow.metrics;

import dev.raftflow.engine.Histogram;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.function.LongSupplier;

/**
 * Quantiles of what a {@link Histogram} recorded over the last window (between one and one and a
 * quarter windows back): it keeps a few snapshots, one per quarter of the window, and computes
 * from the difference between now and the oldest. Work happens only when read: a snapshot and one
 * pass over the buckets at most once per second (the gauges read in one scrape share it), then a
 * binary search per quantile. Thread-safe.
 */
final class RecentQuantiles {

  private static final int STEPS = 4;
  private static final long RECOMPUTE_NANOS = 1_000_000_000L;

  private final Histogram source;
  private final long stepNanos;
  private final LongSupplier clock;
  private final ArrayDeque<Histogram.Snapshot> past = new ArrayDeque<>();
  private long lastStep;
  private long computedAt;
  /** Values recorded in the window up to each bucket; null before the first read. */
  private long[] cumulative;
  private long windowMax;

  RecentQuantiles(Histogram source, Duration window, LongSupplier nanoClock) {
    if (window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("quantile window must be positive, was " + window);
    }
    this.source = source;
    this.stepNanos = window.toNanos() / STEPS;
    this.clock = nanoClock;
    this.lastStep = nanoClock.getAsLong();
    this.computedAt = lastStep - RECOMPUTE_NANOS;
    past.add(source.snapshot());
  }

  /** The value at quantile {@code q} (0..1) over the window; 0 when nothing was recorded in it. */
  synchronized double valueAt(double q) {
    if (!(q >= 0 && q <= 1)) {
      throw new IllegalArgumentException("quantile must be within 0..1, was " + q);
    }
    refresh();
    long total = cumulative[cumulative.length - 1];
    if (total == 0) {
      return 0;
    }
    long rank = Math.max(1, (long) Math.ceil(q * total));
    int lo = 0;
    int hi = cumulative.length - 1;
    while (lo < hi) { // the first bucket whose cumulative count reaches the rank
      int mid = (lo + hi) >>> 1;
      if (cumulative[mid] >= rank) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return Math.min(Histogram.upperBound(lo), windowMax);
  }

  /** The largest value recorded in the window (the upper bound of its bucket, never above the largest seen); 0 when none. */
  synchronized double max() {
    refresh();
    return windowMax;
  }

  /** Takes a new snapshot at most once a second, and one for the window's start once per quarter window. */
  private void refresh() {
    long now = clock.getAsLong();
    if (cumulative != null && now - computedAt < RECOMPUTE_NANOS) {
      return;
    }
    Histogram.Snapshot current = source.snapshot();
    if (now - lastStep >= stepNanos) {
      past.addLast(current);
      lastStep = now;
      while (past.size() > STEPS + 1) {
        past.removeFirst();
      }
    }
    long[] window = current.minus(past.peekFirst()).buckets();
    long[] c = new long[window.length];
    long sum = 0;
    int highest = -1;
    for (int b = 0; b < window.length; b++) {
      sum += window[b];
      c[b] = sum;
      if (window[b] > 0) {
        highest = b;
      }
    }
    cumulative = c;
    windowMax = highest < 0 ? 0 : Math.min(Histogram.upperBound(highest), current.max());
    computedAt = now;
  }
}

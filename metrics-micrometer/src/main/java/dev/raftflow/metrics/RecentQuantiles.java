package dev.raftflow.metrics;

import dev.raftflow.engine.Histogram;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.function.LongSupplier;

/**
 * Quantiles of what a {@link Histogram} recorded over the last window (between one and one and a
 * quarter windows back): it keeps a few snapshots, one per quarter of the window, and computes
 * from the difference between now and the oldest. Work happens only when read, at most once per
 * second (several gauges read in one scrape share it). Thread-safe.
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
  private Histogram.Snapshot window;

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

  /** The value at quantile {@code q} over the window; 0 when nothing was recorded in it. */
  synchronized double valueAt(double q) {
    return recent().valueAtQuantile(q);
  }

  /** The largest value recorded in the window (bounded by its bucket); 0 when nothing was. */
  synchronized double max() {
    Histogram.Snapshot w = recent();
    return w.count() == 0 ? 0 : w.valueAtQuantile(1);
  }

  private Histogram.Snapshot recent() {
    long now = clock.getAsLong();
    if (window != null && now - computedAt < RECOMPUTE_NANOS) {
      return window;
    }
    Histogram.Snapshot current = source.snapshot();
    if (now - lastStep >= stepNanos) {
      past.addLast(current);
      lastStep = now;
      while (past.size() > STEPS + 1) {
        past.removeFirst();
      }
    }
    window = current.minus(past.peekFirst());
    window = new Histogram.Snapshot(window.count(), window.sum(), maxOf(window), window.buckets());
    computedAt = now;
    return window;
  }

  /** The window's own largest value: the upper bound of its highest non-empty bucket, capped by the all-time max. */
  private static long maxOf(Histogram.Snapshot w) {
    long[] b = w.buckets();
    for (int i = b.length - 1; i >= 0; i--) {
      if (b[i] > 0) {
        return Math.min(Histogram.upperBound(i), w.max());
      }
    }
    return 0;
  }
}

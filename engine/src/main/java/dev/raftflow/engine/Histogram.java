package dev.raftflow.engine;

import java.util.Arrays;

/**
 * A distribution of non-negative values (latencies in nanoseconds, batch sizes, ...) that its owner
 * records and any thread reads: how many, their sum, the largest, and how many fell in each of a
 * fixed set of log-scale buckets. Bucket {@code b} holds the values from {@link #lowerBound(int)} to
 * {@link #upperBound(int)}; values below 8 have a bucket each, and above that each power of two is
 * split in 8, so a bucket's bounds differ by at most 1/8 of its lower bound. A read is a view of
 * counters that keep growing: take a {@link #snapshot()} to compute quantiles or rates.
 */
public interface Histogram {

  /** Number of buckets: values up to {@link Long#MAX_VALUE}. */
  int BUCKETS = 488;

  /** Values recorded (each weighted by the count it was recorded with). */
  long count();

  /** Sum of the values recorded (each times its count). */
  long sum();

  /** The largest value recorded, 0 before the first. */
  long max();

  /** A copy of the counts taken now; the counts are read one by one while the owner may record. */
  Snapshot snapshot();

  /** The bucket that holds {@code value} (a negative value counts as 0). */
  static int bucketOf(long value) {
    if (value < 8) {
      return value < 0 ? 0 : (int) value;
    }
    int exponent = 63 - Long.numberOfLeadingZeros(value); // 3..62
    int sub = (int) (value >>> (exponent - 3)) & 7;
    return 8 * (exponent - 2) + sub;
  }

  /** The smallest value bucket {@code bucket} holds. */
  static long lowerBound(int bucket) {
    if (bucket < 8) {
      return bucket;
    }
    int exponent = bucket / 8 + 2;
    return (8L + bucket % 8) << (exponent - 3);
  }

  /** The largest value bucket {@code bucket} holds. */
  static long upperBound(int bucket) {
    if (bucket < 8) {
      return bucket;
    }
    int exponent = bucket / 8 + 2;
    return lowerBound(bucket) + (1L << (exponent - 3)) - 1;
  }

  /**
   * A histogram's counts at one moment, immutable.
   *
   * @param count values recorded
   * @param sum their sum
   * @param max the largest (since the histogram started, also in a {@link #minus} difference)
   * @param buckets how many values each bucket holds ({@link #BUCKETS} long)
   */
  record Snapshot(long count, long sum, long max, long[] buckets) {

    public Snapshot {
      if (buckets.length != BUCKETS) {
        throw new IllegalArgumentException("a snapshot has " + BUCKETS + " buckets, got " + buckets.length);
      }
      buckets = buckets.clone();
    }

    /** A copy of the bucket counts. */
    @Override
    public long[] buckets() {
      return buckets.clone();
    }

    /** An empty snapshot. */
    public static Snapshot empty() {
      return new Snapshot(0, 0, 0, new long[BUCKETS]);
    }

    /**
     * The value at quantile {@code q} (0..1): the upper bound of the bucket holding the value of that
     * rank, never above {@link #max()}; 0 when empty.
     */
    public long valueAtQuantile(double q) {
      if (!(q >= 0 && q <= 1)) {
        throw new IllegalArgumentException("quantile must be within 0..1, was " + q);
      }
      long total = 0;
      for (long c : buckets) {
        total += c;
      }
      if (total == 0) {
        return 0;
      }
      long rank = Math.max(1, (long) Math.ceil(q * total));
      long seen = 0;
      for (int b = 0; b < BUCKETS; b++) {
        seen += buckets[b];
        if (seen >= rank) {
          long bound = upperBound(b);
          return max > 0 ? Math.min(bound, max) : bound;
        }
      }
      return max;
    }

    /** What was recorded between {@code earlier} and this snapshot ({@code max} stays this one's). */
    public Snapshot minus(Snapshot earlier) {
      long[] d = new long[BUCKETS];
      for (int b = 0; b < BUCKETS; b++) {
        d[b] = Math.max(0, buckets[b] - earlier.buckets[b]);
      }
      return new Snapshot(Math.max(0, count - earlier.count), Math.max(0, sum - earlier.sum), max, d);
    }

    /** The mean value, 0 when empty. */
    public double mean() {
      return count == 0 ? 0 : (double) sum / count;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Snapshot s && s.count == count && s.sum == sum && s.max == max
          && Arrays.equals(s.buckets, buckets);
    }

    @Override
    public int hashCode() {
      return Long.hashCode(count) * 31 + Arrays.hashCode(buckets);
    }

    @Override
    public String toString() {
      return "Snapshot[count=" + count + ", sum=" + sum + ", max=" + max + "]";
    }
  }
}

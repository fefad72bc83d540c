package dev.raftflow.engine.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.Histogram;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LogScaleHistogramTest {

  @Test
  void bucketsCoverEveryValueInOrderWithinAnEighth() {
    assertThat(Histogram.lowerBound(0)).isZero();
    for (int b = 1; b < Histogram.BUCKETS; b++) {
      assertThat(Histogram.lowerBound(b)).as("bucket %d starts after the previous one ends", b)
          .isEqualTo(Histogram.upperBound(b - 1) + 1);
      long lo = Histogram.lowerBound(b);
      long hi = Histogram.upperBound(b);
      assertThat(Histogram.bucketOf(lo)).isEqualTo(b);
      assertThat(Histogram.bucketOf(hi)).isEqualTo(b);
      assertThat((double) (hi - lo)).as("width of bucket %d", b).isLessThanOrEqualTo(lo / 8.0);
    }
    assertThat(Histogram.upperBound(Histogram.BUCKETS - 1)).isEqualTo(Long.MAX_VALUE);
    assertThat(Histogram.bucketOf(-5)).isZero();
  }

  @Test
  void quantilesAreWithinTheBucketError() {
    LogScaleHistogram h = new LogScaleHistogram();
    for (long v = 1; v <= 10_000; v++) {
      h.record(v * 1000); // 1 µs .. 10 ms in ns
    }
    Histogram.Snapshot s = h.snapshot();
    assertThat(s.count()).isEqualTo(10_000);
    assertThat(s.max()).isEqualTo(10_000_000);
    assertThat(s.sum()).isEqualTo(1000L * 10_000 * 10_001 / 2);
    assertThat(s.mean()).isEqualTo(5_000_500.0);
    assertThat(s.valueAtQuantile(0.5)).isBetween(5_000_000L, 5_625_000L);
    assertThat(s.valueAtQuantile(0.99)).isBetween(9_900_000L, 10_000_000L);
    assertThat(s.valueAtQuantile(1)).isEqualTo(10_000_000);
    assertThat(s.valueAtQuantile(0)).isBetween(1000L, 1125L);
    assertThatThrownBy(() -> s.valueAtQuantile(1.5)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void weightedRecordsAndDifferences() {
    LogScaleHistogram h = new LogScaleHistogram();
    h.record(100, 3);
    h.record(7, 0); // nothing
    Histogram.Snapshot first = h.snapshot();
    h.record(5000, 2);
    Histogram.Snapshot window = h.snapshot().minus(first);
    assertThat(first.count()).isEqualTo(3);
    assertThat(first.sum()).isEqualTo(300);
    assertThat(window.count()).isEqualTo(2);
    assertThat(window.sum()).isEqualTo(10_000);
    assertThat(window.valueAtQuantile(0.01)).isEqualTo(5000); // capped by max, the earlier 100s are gone
    assertThat(Histogram.Snapshot.empty().valueAtQuantile(0.5)).isZero();
  }

  @Test
  void readersSeeEveryRecordOnceTheWriterStops() throws Exception {
    LogScaleHistogram h = new LogScaleHistogram();
    Random r = new Random(7);
    long[] values = r.longs(200_000, 0, 1L << 40).toArray();
    Thread writer = new Thread(() -> {
      for (long v : values) {
        h.record(v);
      }
    });
    writer.start();
    while (writer.isAlive()) {
      Histogram.Snapshot s = h.snapshot();
      assertThat(s.count()).isLessThanOrEqualTo(values.length);
    }
    writer.join();
    long sum = 0;
    for (long v : values) {
      sum += v;
    }
    assertThat(h.count()).isEqualTo(values.length);
    assertThat(h.sum()).isEqualTo(sum);
    long inBuckets = 0;
    for (long c : h.snapshot().buckets()) {
      inBuckets += c;
    }
    assertThat(inBuckets).isEqualTo(values.length);
  }

  @Test
  void timelineTimesEachIndexOnceFromItsMark() {
    IndexTimeline t = new IndexTimeline(4);
    LogScaleHistogram h = new LogScaleHistogram();
    t.mark(1, 10, 1_000);
    t.mark(11, 12, 2_000);
    t.mark(20, 20, 3_000); // 13..19 were not marked (e.g. the leader's own entries)
    t.reach(5, 10_000, h); // 1..5 waited 9 µs
    assertThat(h.count()).isEqualTo(5);
    assertThat(h.sum()).isEqualTo(5 * 9_000);
    t.reach(20, 11_000, h); // 6..10: 10 µs; 11..12: 9 µs; 20: 8 µs
    assertThat(h.count()).isEqualTo(5 + 5 + 2 + 1);
    assertThat(h.sum()).isEqualTo(5 * 9_000 + 5 * 10_000 + 2 * 9_000 + 8_000);
    assertThat(t.isEmpty()).isTrue();
    t.reach(30, 12_000, h);
    assertThat(h.count()).as("nothing marked: nothing recorded").isEqualTo(13);
  }

  @Test
  void aFullTimelineJoinsNewRangesToTheNewestAndClearForgets() {
    IndexTimeline t = new IndexTimeline(2);
    LogScaleHistogram h = new LogScaleHistogram();
    t.mark(1, 1, 0);
    t.mark(2, 2, 100);
    t.mark(3, 4, 200); // full: joins 2..2, keeping time 100
    t.reach(4, 1_000, h);
    assertThat(h.count()).isEqualTo(4);
    assertThat(h.sum()).isEqualTo(1_000 + 3 * 900);
    t.mark(5, 6, 2_000);
    t.clear();
    t.reach(6, 3_000, h);
    assertThat(h.count()).isEqualTo(4);
    t.mark(3, 3, 4_000); // after a clear, a new leader may propose at lower indexes again
    t.reach(3, 5_000, h);
    assertThat(h.count()).isEqualTo(5);
  }

  @Test
  void aTimelineGrowsInOrderUpToItsCapacity() {
    IndexTimeline t = new IndexTimeline(20);
    LogScaleHistogram h = new LogScaleHistogram();
    t.reach(0, 0, h);
    for (int r = 0; r < 30; r++) { // 30 ranges of 2 indexes, marked at 0, 10, 20, ... ns
      t.mark(2L * r + 1, 2L * r + 2, 10L * r);
    }
    t.reach(3, 1_000, h); // 1, 2 (range 0) and 3 (range 1), in order across the growth from 8 to 16 to 20
    assertThat(h.count()).isEqualTo(3);
    assertThat(h.sum()).isEqualTo(2 * 1_000 + 990);
    t.reach(60, 2_000, h);
    assertThat(h.count()).as("every index once").isEqualTo(60);
    // ranges 19..29 joined range 19 (marked at 190 ns) once the 20 slots were full
    assertThat(h.snapshot().max()).isEqualTo(2_000 - 10);
    long joined = 2 * 11; // indexes 39..60
    long expected = 2 * 1_000 + 990 + (2_000 - 10); // 1, 2, 3, then 4
    for (int r = 2; r < 19; r++) {
      expected += 2 * (2_000 - 10L * r);
    }
    expected += joined * (2_000 - 190);
    assertThat(h.sum()).isEqualTo(expected);
  }

  @Test
  void anUnusedHistogramIsEmptyAndAllocatesItsChunksOnlyWhenUsed() {
    LogScaleHistogram h = new LogScaleHistogram();
    assertThat(h.snapshot()).isEqualTo(Histogram.Snapshot.empty());
    h.record(Long.MAX_VALUE);
    h.record(0);
    Histogram.Snapshot s = h.snapshot();
    assertThat(s.buckets()[0]).isEqualTo(1);
    assertThat(s.buckets()[Histogram.BUCKETS - 1]).isEqualTo(1);
    assertThat(s.valueAtQuantile(1)).isEqualTo(Long.MAX_VALUE);
  }
}

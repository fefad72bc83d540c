package dev.raftflow.engine.node;

/**
 * Not a test: prints what the engine's latency recording costs per call on this machine (for the
 * "Cost" section of docs/metrics.md). {@code java -cp ... dev.raftflow.engine.node.RecordingCost}
 */
public final class RecordingCost {

  private RecordingCost() {}

  public static void main(String[] args) {
    LogScaleHistogram h = new LogScaleHistogram();
    IndexTimeline t = new IndexTimeline(4096);
    for (int round = 0; round < 5; round++) {
      int n = 20_000_000;
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        h.record(i & 0xFFFFF);
      }
      long recordNs = System.nanoTime() - start;
      start = System.nanoTime();
      long index = 0;
      for (int i = 0; i < n; i++) { // one loop turn's worth: a batch of 8 marked, then reached
        t.mark(index + 1, index + 8, i);
        index += 8;
        t.reach(index, i + 100, h);
      }
      long turnNs = System.nanoTime() - start;
      start = System.nanoTime();
      long sum = 0;
      for (int i = 0; i < n; i++) {
        sum += System.nanoTime();
      }
      long clockNs = System.nanoTime() - start;
      System.out.printf("record_ns=%.1f mark_and_reach_ns=%.1f nanoTime_ns=%.1f (%d)%n", (double) recordNs / n,
          (double) turnNs / n, (double) clockNs / n, (sum & 1) + h.count() % 2);
    }
  }
}

package dev.raftflow.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.raftflow.engine.NodeState;
import dev.raftflow.engine.node.RaftNode;
import java.io.PrintWriter;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import org.HdrHistogram.Histogram;

/**
 * Measures a load against a cluster for a number of seconds: one {@link Sample} per second (printed
 * as a progress line), then the totals. CPU is the JVM process's, GC the collectors' time.
 */
final class Measurement {

  final List<Sample> samples = new ArrayList<>();
  final Histogram latency = new Histogram(3);
  long ops;
  double seconds;
  double cpuCores;
  long gcMs;
  long maxHeapMb;
  /** Context switches by kind of thread over the measured seconds ({@link ThreadSwitches}), or null off Linux. */
  java.util.Map<String, long[]> switches;

  /** Measures {@code seconds} of {@code load}; {@code progress} (null: none) gets a line per second. */
  static Measurement run(LoadTarget cluster, LoadDriver load, int seconds, PrintWriter progress, IntConsumer everySecond)
      throws InterruptedException {
    Measurement m = new Measurement();
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    load.latency.getIntervalHistogram(); // drop what came before
    long cpu0 = os.getProcessCpuTime();
    long gc0 = gcMillis();
    long ack0 = load.acked.get();
    long over0 = load.overloaded.get();
    long shed0 = load.shed.get();
    ThreadSwitches switches0 = ThreadSwitches.take();
    long t0 = System.nanoTime();
    long lastAck = ack0;
    for (int s = 1; s <= seconds; s++) {
      long wake = t0 + s * 1_000_000_000L;
      while (System.nanoTime() < wake) {
        Thread.sleep(Math.max(1, (wake - System.nanoTime()) / 1_000_000));
      }
      Histogram h = load.latency.getIntervalHistogram();
      m.latency.add(h);
      long acked = load.acked.get();
      RaftNode leader = cluster.leader();
      NodeState st = leader == null ? null : leader.state();
      long heapMb = liveHeapMb();
      m.maxHeapMb = Math.max(m.maxHeapMb, heapMb);
      Sample sample = new Sample(s, acked - lastAck, h.getValueAtPercentile(50) / 1000.0,
          h.getValueAtPercentile(99) / 1000.0, h.getMaxValue() / 1000.0,
          leader == null ? "-" : leader.id(), st == null ? 0 : st.term(), st == null ? 0 : st.commitIndex(),
          heapMb, cluster.queuedProposals(), cluster.leaderUnapplied(),
          load.overloaded.get() - over0, load.shed.get() - shed0);
      m.samples.add(sample);
      lastAck = acked;
      if (progress != null) {
        progress.printf("[%3ds] %,9d ops/s  p50 %8.1f us  p99 %9.1f us  leader %-3s term %-3d commit %,d%n",
            s, sample.ops(), sample.p50us(), sample.p99us(), sample.leader(), sample.term(), sample.commit());
      }
      everySecond.accept(s);
    }
    m.seconds = (System.nanoTime() - t0) / 1e9;
    m.ops = load.acked.get() - ack0;
    m.cpuCores = (os.getProcessCpuTime() - cpu0) / 1e9 / m.seconds;
    m.gcMs = gcMillis() - gc0;
    ThreadSwitches switches1 = switches0 == null ? null : ThreadSwitches.take();
    m.switches = switches1 == null ? null : switches1.since(switches0);
    return m;
  }

  /** Thread switches per command (see {@link ThreadSwitches#describePerOp}), or "n/a" off Linux. */
  String switchesPerOp() {
    return switches == null || ops == 0 ? "n/a" : ThreadSwitches.describePerOp(switches, ops);
  }

  /** Voluntary (blocking) switches of all threads per command, or -1 off Linux. */
  double blockingPerOp() {
    return switches == null || ops == 0 ? -1 : ThreadSwitches.total(switches, 0) / (double) ops;
  }

  double opsPerSecond() {
    return ops / seconds;
  }

  double us(double percentile) {
    return latency.getValueAtPercentile(percentile) / 1000.0;
  }

  double cpuMicrosPerOp() {
    return ops == 0 ? 0 : cpuCores * seconds * 1e6 / ops;
  }

  /** Heap in use after the most recent collection (live data, not garbage awaiting collection). */
  static long liveHeapMb() {
    long used = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null) {
        used += pool.getCollectionUsage().getUsed();
      }
    }
    return used >> 20;
  }

  private static long gcMillis() {
    long t = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      t += Math.max(0, gc.getCollectionTime());
    }
    return t;
  }
}

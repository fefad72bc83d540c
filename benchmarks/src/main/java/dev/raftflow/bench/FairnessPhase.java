package dev.raftflow.bench;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * One measured phase of {@code fairness}: the hot group's driver measured by a {@link Measurement}
 * (accepted, refused, shed, latency, CPU) and, over the same seconds, each other group's latency
 * and commits from its own driver. Runs on the calling thread and prints a line per second; the
 * drivers keep running afterwards. A group whose driver saw no commit in the phase is "starved":
 * it has no p99 ({@link Double#NaN}).
 */
final class FairnessPhase {

  /** The name {@link LoadDriver} gives its sending thread. */
  private static final String DRIVER_THREAD = "raftflow-client";

  /** One second of a phase, as printed and drawn. */
  record Second(int second, String phase, long hotAcked, long hotRefused, long hotShed, long othersOps,
      double othersP99Median, double othersP99Worst) {}

  final String name;
  final Measurement hot;
  /** The hot group's proposals refused by its leader (Overloaded) and shed by the client in the phase. */
  final long hotRefused;
  final long hotShed;
  /** The hot group's proposals that reached its leader in the phase: accepted, refused, failed, or still in flight at its end. */
  final long hotSent;
  /** Per other group (index 0 = group 1): p99 in microseconds (NaN: nothing committed) and commits. */
  final double[] othersP99us;
  final long[] othersOps;
  final List<Second> seconds = new ArrayList<>();
  /** CPU of the load drivers' own threads (sending, and refusals raised on the sender's thread), in cores. */
  double clientCpuCores;

  private FairnessPhase(String name, Measurement hot, long hotRefused, long hotShed, long hotSent, double[] othersP99us,
      long[] othersOps) {
    this.name = name;
    this.hot = hot;
    this.hotRefused = hotRefused;
    this.hotShed = hotShed;
    this.hotSent = hotSent;
    this.othersP99us = othersP99us;
    this.othersOps = othersOps;
  }

  /**
   * Measures {@code seconds} of the load now running: {@code hot} drives group 0, {@code others}
   * the groups 1.. in order. {@code firstSecond} numbers the progress lines (phases follow on).
   */
  static FairnessPhase run(String name, LoadTarget cluster, LoadDriver hot, List<LoadDriver> others, int seconds,
      int firstSecond, PrintWriter out) throws InterruptedException {
    int n = others.size();
    Histogram[] whole = new Histogram[n];
    long[] acked0 = new long[n];
    for (int i = 0; i < n; i++) {
      whole[i] = new Histogram(3);
      others.get(i).latency.getIntervalHistogram(); // drop what came before
      acked0[i] = others.get(i).acked.get();
    }
    long hotAcked0 = hot.acked.get();
    long refused0 = hot.overloaded.get();
    long shed0 = hot.shed.get();
    long errors0 = hot.errors.total();
    long outstanding0 = hot.outstanding.get();
    long[] lastOthers = acked0.clone();
    long[] lastHot = {hotAcked0, refused0, shed0};
    List<Second> perSecond = new ArrayList<>();
    long clientCpu0 = clientCpuNanos();
    Measurement m = Measurement.run(cluster, hot, seconds, null, s -> {
      double[] p99 = new double[n];
      int sampled = 0;
      long ops = 0;
      for (int i = 0; i < n; i++) {
        Histogram h = others.get(i).latency.getIntervalHistogram();
        whole[i].add(h);
        if (h.getTotalCount() > 0) {
          p99[sampled++] = h.getValueAtPercentile(99) / 1000.0;
        }
        long a = others.get(i).acked.get();
        ops += a - lastOthers[i];
        lastOthers[i] = a;
      }
      double[] seen = Arrays.copyOf(p99, sampled);
      Arrays.sort(seen);
      long a = hot.acked.get();
      long r = hot.overloaded.get();
      long sh = hot.shed.get();
      Second sec = new Second(firstSecond + s, name, a - lastHot[0], r - lastHot[1], sh - lastHot[2], ops,
          sampled == 0 ? Double.NaN : seen[sampled / 2], sampled == 0 ? Double.NaN : seen[sampled - 1]);
      lastHot[0] = a;
      lastHot[1] = r;
      lastHot[2] = sh;
      perSecond.add(sec);
      out.printf(Locale.ROOT, "[%3ds] %-8s g0 %,9d acked %,9d refused %,9d shed | others %,9d ops/s  p99 median %9.1f us  worst %9.1f us%n",
          sec.second(), name, sec.hotAcked(), sec.hotRefused(), sec.hotShed(), ops, sec.othersP99Median(), sec.othersP99Worst());
      out.flush();
    });
    double[] p99 = new double[n];
    long[] ops = new long[n];
    for (int i = 0; i < n; i++) {
      ops[i] = others.get(i).acked.get() - acked0[i];
      p99[i] = whole[i].getTotalCount() == 0 ? Double.NaN : whole[i].getValueAtPercentile(99) / 1000.0;
    }
    long refused = hot.overloaded.get() - refused0;
    long sent = m.ops + refused + (hot.errors.total() - errors0) + (hot.outstanding.get() - outstanding0);
    FairnessPhase phase = new FairnessPhase(name, m, refused, hot.shed.get() - shed0, sent, p99, ops);
    phase.seconds.addAll(perSecond);
    phase.clientCpuCores = (clientCpuNanos() - clientCpu0) / 1e9 / m.seconds;
    return phase;
  }

  /** CPU time of the live load-driver threads ({@code raftflow-client}), or 0 where the JVM does not measure it. */
  static long clientCpuNanos() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    if (!threads.isThreadCpuTimeSupported() || !threads.isThreadCpuTimeEnabled()) {
      return 0;
    }
    long total = 0;
    for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (t != null && t.getThreadName().equals(DRIVER_THREAD)) {
        total += Math.max(0, threads.getThreadCpuTime(t.getThreadId()));
      }
    }
    return total;
  }

  /** Commits of all the other groups per second. */
  double othersOpsPerSecond() {
    return Arrays.stream(othersOps).sum() / hot.seconds;
  }

  /** The median over the other groups of their p99 (starved groups left out), or NaN if every group starved. */
  double medianP99() {
    double[] v = Arrays.stream(othersP99us).filter(d -> !Double.isNaN(d)).sorted().toArray();
    return v.length == 0 ? Double.NaN : v[v.length / 2];
  }

  /** Other groups that committed nothing in the phase. */
  int starved() {
    return (int) Arrays.stream(othersP99us).filter(Double::isNaN).count();
  }
}

package dev.raftflow.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code overload}: the backpressure experiment. Measures capacity with a short closed-loop run, then
 * offers an open-loop load above it and prints, every second, heap use, queue depths, latency of
 * the admitted proposals, and how many were refused (Overloaded) or shed. Memory must stay bounded.
 */
@Command(name = "overload", mixinStandardHelpOptions = true,
    description = "Offer more load than the cluster can take and show that memory and latency stay bounded.")
final class OverloadCommand implements Callable<Integer> {

  @Mixin
  ClusterOptions cluster;

  @Option(names = "--factor", defaultValue = "3", description = "Offered load as a multiple of the measured capacity (default ${DEFAULT-VALUE}).")
  double factor;

  @Option(names = "--seconds", defaultValue = "20", description = "Seconds of overload (default ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--max-outstanding", defaultValue = "1000000",
      description = "Most proposals the client keeps in flight (default ${DEFAULT-VALUE}).")
  int maxOutstanding;

  @Option(names = "--report", description = "Write an HTML report to this file.")
  Path report;

  /**
   * Outstanding proposals of the capacity probe. Deep enough to fill the batches: with fewer (256
   * was tried) the probe reads well below what the open loop then gets through, and a "3x" load
   * is no overload at all.
   */
  private static final int PROBE_OUTSTANDING = 1024;

  @Override
  public Integer call() throws Exception {
    String problem = cluster.validate();
    if (problem != null) {
      System.err.println(problem);
      return 2;
    }
    System.out.println("raftflow overload: " + cluster.describe());
    try (LocalCluster c = cluster.start()) {
      c.awaitLeader(Duration.ofSeconds(10));
      double capacity;
      try (LoadDriver probe = new LoadDriver(LoadDriver.embedded(c::leader), cluster.size, PROBE_OUTSTANDING, 0, Integer.MAX_VALUE)) {
        probe.start();
        Thread.sleep(2000);
        capacity = Measurement.run(c, probe, 3, false, s -> {}).opsPerSecond();
      }
      long rate = (long) (capacity * factor);
      System.out.printf("capacity (closed loop, %d outstanding): %,.0f ops/s; offering %,d ops/s for %d s%n",
          PROBE_OUTSTANDING, capacity, rate, seconds);
      System.out.println("  sec    acked/s     p50 us     p99 us  live MB  queued  unapplied  overloaded/s    shed/s");
      try (LoadDriver d = new LoadDriver(LoadDriver.embedded(c::leader), cluster.size, 1, rate, maxOutstanding)) {
        d.start();
        long[] last = {0, 0};
        Measurement m = Measurement.run(c, d, seconds, false, s -> {});
        for (Sample s : m.samples) {
          System.out.printf("%5d %10d %10.1f %10.1f %8d %7d %10d %13d %9d%n", s.second(), s.ops(), s.p50us(), s.p99us(),
              s.heapMb(), s.queued(), s.unapplied(), s.overloaded() - last[0], s.shed() - last[1]);
          last[0] = s.overloaded();
          last[1] = s.shed();
        }
        System.out.printf("%nadmitted %,.0f ops/s of %,d offered; admitted p50 %.1f us p99 %.1f us; max live heap %d MB; "
                + "overloaded %,d; shed %,d%n",
            m.opsPerSecond(), rate, m.us(50), m.us(99), m.maxHeapMb, d.overloaded.get(), d.shed.get());
        if (report != null) {
          new HtmlReport("raftflow overload")
              .paragraph(cluster.describe() + String.format("; capacity %,.0f ops/s, offered %,d ops/s", capacity, rate))
              .timeChart("Admitted throughput", "ops/s", m.samples, new HtmlReport.Series<>("acked/s", "#1f77b4", Sample::ops))
              .timeChart("Latency of admitted proposals", "microseconds", m.samples,
                  new HtmlReport.Series<>("p50", "#2ca02c", Sample::p50us),
                  new HtmlReport.Series<>("p99", "#d62728", Sample::p99us))
              .timeChart("Heap live after GC", "MB", m.samples, new HtmlReport.Series<>("heap", "#9467bd", Sample::heapMb))
              .timeChart("Queue depths", "entries", m.samples,
                  new HtmlReport.Series<>("queued proposals", "#ff7f0e", Sample::queued),
                  new HtmlReport.Series<>("leader unapplied entries", "#8c564b", Sample::unapplied))
              .write(report);
          System.out.println("report written to " + report.toAbsolutePath());
        }
      }
    }
    return 0;
  }
}

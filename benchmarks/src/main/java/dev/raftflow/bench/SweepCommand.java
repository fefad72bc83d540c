package dev.raftflow.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sweep}: one cluster, a series of closed-loop runs at growing concurrency: the throughput–latency curve. */
@Command(name = "sweep", mixinStandardHelpOptions = true,
    description = "Measure throughput and latency for a series of outstanding-request counts.")
final class SweepCommand implements Callable<Integer> {

  @Mixin
  ClusterOptions cluster;

  @Option(names = "--concurrency", split = ",", defaultValue = "1,4,16,64,256,1024",
      description = "Outstanding proposals for each step (default ${DEFAULT-VALUE}).")
  List<Integer> steps;

  @Option(names = "--warmup", defaultValue = "2", description = "Warm-up seconds per step (default ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--seconds", defaultValue = "5", description = "Measured seconds per step (default ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--report", defaultValue = "raftflow-sweep.html", description = "HTML report file (default ${DEFAULT-VALUE}).")
  Path report;

  record Point(int concurrency, double opsPerSecond, double p50, double p99, double cpuUsPerOp) {}

  @Override
  public Integer call() throws Exception {
    String problem = cluster.validate();
    if (problem != null) {
      System.err.println(problem);
      return 2;
    }
    List<Point> points = new ArrayList<>();
    System.out.println("raftflow sweep: " + cluster.describe());
    System.out.println("concurrency      ops/s     p50 us     p99 us  cpu us/op");
    try (LocalCluster c = cluster.start()) {
      c.awaitLeader(Duration.ofSeconds(10));
      for (int conc : steps) {
        try (LoadDriver d = new LoadDriver(LoadDriver.embedded(c::leader), cluster.size, conc, 0, Integer.MAX_VALUE)) {
          d.start();
          Thread.sleep(warmup * 1000L);
          Measurement m = Measurement.run(c, d, seconds, false, s -> {});
          Point p = new Point(conc, m.opsPerSecond(), m.us(50), m.us(99), m.cpuMicrosPerOp());
          points.add(p);
          System.out.printf(Locale.ROOT, "%11d %10.0f %10.1f %10.1f %10.1f%n", conc, p.opsPerSecond, p.p50, p.p99, p.cpuUsPerOp);
        }
      }
    }
    double[] xs = points.stream().mapToDouble(Point::opsPerSecond).toArray();
    List<Point> byThroughput = new ArrayList<>(points);
    StringBuilder table = new StringBuilder("concurrency  ops/s  p50_us  p99_us\n");
    for (Point p : points) {
      table.append(String.format(Locale.ROOT, "%d  %.0f  %.1f  %.1f%n", p.concurrency, p.opsPerSecond, p.p50, p.p99));
    }
    new HtmlReport("raftflow sweep")
        .paragraph(cluster.describe() + "; closed loop, " + seconds + " s per step")
        .pre(table.toString())
        .chart("Latency against throughput (one point per concurrency)", "committed ops/s", "microseconds", xs, byThroughput,
            new HtmlReport.Series<>("p50", "#2ca02c", Point::p50),
            new HtmlReport.Series<>("p99", "#d62728", Point::p99))
        .write(report);
    System.out.println("report written to " + report.toAbsolutePath());
    return 0;
  }
}

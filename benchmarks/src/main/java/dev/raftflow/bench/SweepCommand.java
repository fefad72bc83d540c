package dev.raftflow.bench;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sweep}: one cluster, a series of closed-loop runs at growing concurrency: the throughput–latency curve. */
@Command(name = "sweep", mixinStandardHelpOptions = true, versionProvider = VersionInfo.class,
    description = {"Throughput and latency for a series of outstanding-request counts.",
        "One cluster, one closed-loop step per --concurrency value; writes the latency-throughput curve to --report."},
    exitCodeListHeading = ExitCodes.HEADING,
    exitCodeList = {ExitCodes.OK_TEXT, ExitCodes.SWEEP_FAILED_TEXT, ExitCodes.USAGE_TEXT})
final class SweepCommand implements Callable<Integer> {

  @Mixin VerboseOption verbose;

  @Spec
  CommandSpec spec;

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

  /** Refuses out-of-bounds flags before anything starts. */
  private void validate() throws java.io.IOException {
    FlagCheck check = new FlagCheck(spec);
    cluster.validate(check);
    check.require(!steps.isEmpty(), "--concurrency needs at least one value");
    for (int conc : steps) {
      check.range("--concurrency", conc, 1, 100_000, "outstanding proposals of a step");
    }
    check.range("--warmup", warmup, 0, 3600, "seconds per step")
        .range("--seconds", seconds, 1, 3600, "seconds per step")
        .require(!java.nio.file.Files.isDirectory(report), "--report " + report + " is a directory; name a file");
  }

  @Override
  public Integer call() throws Exception {
    validate();
    PrintWriter out = spec.commandLine().getOut();
    List<Point> points = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    out.println("raftflow sweep: " + cluster.describe());
    out.println("concurrency      ops/s     p50 us     p99 us  cpu us/op  errors");
    try (LocalCluster c = cluster.start()) {
      c.awaitLeader(Duration.ofSeconds(10));
      for (int conc : steps) {
        try (LoadDriver d = new LoadDriver(LoadDriver.embedded(c::leader), cluster.size, conc, 0, Integer.MAX_VALUE)) {
          d.start();
          Thread.sleep(warmup * 1000L);
          d.countErrors(true);
          Measurement m = Measurement.run(c, d, seconds, null, s -> {});
          d.countErrors(false);
          ProposalErrors.Snapshot errors = d.errors.snapshot();
          Point p = new Point(conc, m.opsPerSecond(), m.us(50), m.us(99), m.cpuMicrosPerOp());
          points.add(p);
          out.printf(Locale.ROOT, "%11d %10.0f %10.1f %10.1f %10.1f  %s%n", conc, p.opsPerSecond, p.p50, p.p99, p.cpuUsPerOp,
              errors.describe());
          if (errors.total() > 0) {
            failures.add("concurrency " + conc + ": " + errors.describe() + " proposals failed");
          } else if (m.ops == 0) {
            failures.add("concurrency " + conc + ": nothing committed");
          }
        }
      }
    }
    report(cluster.describe() + "; closed loop, " + seconds + " s per step", points).write(report);
    out.println("report written to " + report.toAbsolutePath());
    out.flush();
    for (String f : failures) {
      spec.commandLine().getErr().println("raftflow sweep: " + f);
    }
    return failures.isEmpty() ? ExitCodes.OK : ExitCodes.FAILED;
  }

  /** The report of a sweep: the table, and latency (log scale) against throughput, each point labelled with its concurrency. */
  static HtmlReport report(String description, List<Point> points) {
    StringBuilder table = new StringBuilder("concurrency  ops/s  p50_us  p99_us\n");
    for (Point p : points) {
      table.append(String.format(Locale.ROOT, "%d  %.0f  %.1f  %.1f%n", p.concurrency, p.opsPerSecond, p.p50, p.p99));
    }
    return new HtmlReport("raftflow sweep")
        .paragraph(description)
        .pre(table.toString())
        .chart("Latency against throughput (one point per concurrency, labelled c=outstanding)",
            new HtmlReport.Axes("committed ops/s", false, "microseconds (log scale)", true), points, Point::opsPerSecond,
            p -> "c=" + p.concurrency(),
            new HtmlReport.Series<>("p50", "#2ca02c", Point::p50),
            new HtmlReport.Series<>("p99", "#d62728", Point::p99));
  }
}

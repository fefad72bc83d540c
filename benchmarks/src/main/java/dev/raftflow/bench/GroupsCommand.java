package dev.raftflow.bench;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code groups}: aggregate throughput at a fixed total of outstanding proposals over a series of
 * group counts, with one shared log per host beside one log per group (what the shared log buys),
 * one fresh cluster per point, rounds interleaved; medians over rounds. Writes an HTML report with
 * the curves (groups on the x axis).
 */
@Command(name = "groups", mixinStandardHelpOptions = true, versionProvider = VersionInfo.class,
    description = {"Throughput over a number of groups (multi-raft), shared host log beside one log per group.",
        "One fresh cluster per point; rounds interleaved; medians; an HTML report with the curves."},
    exitCodeListHeading = ExitCodes.HEADING,
    exitCodeList = {ExitCodes.OK_TEXT, ExitCodes.FAILED_TEXT, ExitCodes.USAGE_TEXT})
final class GroupsCommand implements Callable<Integer> {

  @Mixin VerboseOption verbose;

  @Spec
  CommandSpec spec;

  @Mixin
  ClusterOptions cluster;

  @Option(names = "--groups", split = ",", defaultValue = "1,4,16,64,256",
      description = "Group counts, one point each (default ${DEFAULT-VALUE}).")
  List<Integer> groupCounts;

  @Option(names = "--concurrency", defaultValue = "1024",
      description = "Outstanding proposals in all, spread over the groups (default ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--logs", split = ",", defaultValue = "shared,per-group",
      description = "Log layouts to measure: shared (one per host) and/or per-group (default ${DEFAULT-VALUE}).")
  List<String> layouts;

  @Option(names = "--rounds", defaultValue = "1", description = "Rounds; figures are medians over them (default ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--warmup", defaultValue = "10", description = "Warm-up seconds per point: on 2 cores the JIT "
      + "still compiles the many-group paths for 10-20 s, so shorter warm-ups measure the compiler (default ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--seconds", defaultValue = "10", description = "Measured seconds per point (default ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--loops-per-host", defaultValue = "1", description = "Loop threads per host (default ${DEFAULT-VALUE}).")
  int loopsPerHost;

  @Option(names = "--report", defaultValue = "raftflow-groups.html", description = "HTML report file (default ${DEFAULT-VALUE}).")
  Path report;

  record Point(int groups, double sharedOps, double perGroupOps, double sharedP99, double perGroupP99) {}

  @Override
  public Integer call() throws Exception {
    FlagCheck check = new FlagCheck(spec);
    cluster.validate(check);
    check.require(!groupCounts.isEmpty(), "--groups needs at least one value");
    for (int g : groupCounts) {
      check.range("--groups", g, 1, 10_000, "groups of a point");
    }
    check.range("--concurrency", concurrency, 1, 100_000, "")
        .range("--rounds", rounds, 1, 20, "")
        .range("--warmup", warmup, 0, 3600, "seconds")
        .range("--seconds", seconds, 1, 3600, "seconds")
        .range("--loops-per-host", loopsPerHost, 1, 64, "")
        .require(!layouts.isEmpty(), "--logs needs shared and/or per-group")
        .require(!java.nio.file.Files.isDirectory(report), "--report " + report + " is a directory; name a file");
    for (String l : layouts) {
      check.oneOf("--logs", l, "shared", "per-group");
    }
    check.require(!layouts.contains("per-group") || cluster.storage.equals("chronicle"),
        "--logs per-group needs --storage chronicle");
    PrintWriter out = spec.commandLine().getOut();
    out.printf("raftflow groups: %s; %d outstanding in all; %d s warm-up + %d s per point; %d round(s)%n",
        cluster.describe(), concurrency, warmup, seconds, rounds);
    out.println("round  groups  log        ops/s     p50 us     p99 us  cpu us/op  errors");
    // ops[layout][point][round], p99 likewise
    double[][][] ops = new double[2][groupCounts.size()][rounds];
    double[][][] p99 = new double[2][groupCounts.size()][rounds];
    List<String> failures = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      for (int i = 0; i < groupCounts.size(); i++) {
        for (int l = 0; l < 2; l++) {
          String layout = l == 0 ? "shared" : "per-group";
          if (!layouts.contains(layout)) {
            continue;
          }
          int g = groupCounts.get(i);
          try (HostCluster c = new HostCluster(cluster, cluster.raftOptions(), g, loopsPerHost, l == 0)) {
            c.awaitLeaders(Duration.ofSeconds(120));
            c.spreadLeaders(Duration.ofSeconds(30));
            try (LoadDriver d = new LoadDriver(c.proposer(), cluster.size, concurrency, 0, Integer.MAX_VALUE)) {
              d.start();
              Thread.sleep(warmup * 1000L);
              d.countErrors(true);
              Measurement m = Measurement.run(c, d, seconds, null, s -> { });
              d.countErrors(false);
              ProposalErrors.Snapshot errors = d.errors.snapshot();
              ops[l][i][r] = m.opsPerSecond();
              p99[l][i][r] = m.us(99);
              out.printf(Locale.ROOT, "%5d %7d  %-9s %9.0f %10.1f %10.1f %10.1f  %s%n", r + 1, g, layout, m.opsPerSecond(),
                  m.us(50), m.us(99), m.cpuMicrosPerOp(), errors.describe());
              out.flush();
              if (errors.total() > 0 || m.ops == 0) {
                failures.add(g + " groups, " + layout + " log: " + (m.ops == 0 ? "nothing committed" : errors.describe()));
              }
            }
          }
        }
      }
    }
    List<Point> points = new ArrayList<>();
    for (int i = 0; i < groupCounts.size(); i++) {
      points.add(new Point(groupCounts.get(i), median(ops[0][i]), median(ops[1][i]), median(p99[0][i]), median(p99[1][i])));
    }
    StringBuilder table = new StringBuilder("groups  shared ops/s  per-group ops/s  shared p99 us  per-group p99 us\n");
    for (Point p : points) {
      table.append(String.format(Locale.ROOT, "%d  %.0f  %.0f  %.1f  %.1f%n", p.groups(), p.sharedOps(), p.perGroupOps(),
          p.sharedP99(), p.perGroupP99()));
    }
    out.println();
    out.print("medians:\n" + table);
    for (Point p : points) {
      out.printf(Locale.ROOT, "RESULT command=groups groups=%d conc=%d shared_ops_per_s=%.0f per_group_ops_per_s=%.0f "
          + "shared_p99_us=%.1f per_group_p99_us=%.1f rounds=%d%n", p.groups(), concurrency, p.sharedOps(), p.perGroupOps(),
          p.sharedP99(), p.perGroupP99(), rounds);
    }
    new HtmlReport("raftflow groups")
        .paragraph(cluster.describe() + "; " + concurrency + " outstanding in all, spread over the groups; medians of "
            + rounds + " round(s) of " + seconds + " s")
        .pre(table.toString())
        .chart("Aggregate throughput against the number of groups", new HtmlReport.Axes("groups", false, "committed ops/s", false),
            points, Point::groups, p -> "g=" + p.groups(),
            new HtmlReport.Series<>("one log per host", "#1f77b4", Point::sharedOps),
            new HtmlReport.Series<>("one log per group", "#ff7f0e", Point::perGroupOps))
        .chart("p99 latency against the number of groups", new HtmlReport.Axes("groups", false, "microseconds (log scale)", true),
            points, Point::groups, null,
            new HtmlReport.Series<>("one log per host", "#1f77b4", Point::sharedP99),
            new HtmlReport.Series<>("one log per group", "#ff7f0e", Point::perGroupP99))
        .write(report);
    out.println("report written to " + report.toAbsolutePath());
    out.flush();
    for (String f : failures) {
      spec.commandLine().getErr().println("raftflow groups: " + f);
    }
    return failures.isEmpty() ? ExitCodes.OK : ExitCodes.FAILED;
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v.length == 0 ? 0 : v[v.length / 2];
  }
}

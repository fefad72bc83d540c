package dev.raftflow.bench;

import dev.raftflow.engine.node.RaftNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fairness}: does one overloaded group hurt the others on the same hosts (multi-raft)? One
 * cluster of {@link HostCluster} hosts; every group other than the hot group g0 gets a closed loop
 * of {@code --concurrency} proposals of its own, unbroken through the phases on the same cluster
 * (same leaders, connections, logs and warmed-up JVM, so the only change between phases is g0's
 * load). Baseline: g0 runs the same closed loop as the others. Capacity probe: g0 a deep closed
 * loop ({@code --probe-concurrency}), never short of proposals: what it commits per second is its
 * capacity (a shallow loop is bounded by its own latency, not by the group). Overload: g0 an open
 * loop at {@code --overload} times that capacity, refusals (Overloaded) and client-side sheds
 * counted apart from errors. After (unless {@code --after-seconds 0}): g0 back on the baseline's
 * closed loop, a check that the baseline still holds (drift). Reports each other group's p99 in
 * the baseline and the overload, the ratio of their medians and the worst group's ratio against
 * the target of 2x. The ratio is a measurement: the exit code is 1 only for errors or a load that
 * committed nothing.
 */
@Command(name = "fairness", mixinStandardHelpOptions = true, versionProvider = VersionInfo.class,
    description = {"One group offered many times its capacity: the other groups' p99 against their p99 without that load.",
        "Baseline (every group a closed loop), g0's capacity (a deep closed loop), overload (g0 an open loop at --overload x it)."},
    exitCodeListHeading = ExitCodes.HEADING,
    exitCodeList = {ExitCodes.OK_TEXT, ExitCodes.FAILED_TEXT, ExitCodes.USAGE_TEXT})
final class FairnessCommand implements Callable<Integer> {

  /** The target: the other groups' p99 under the overload at most this multiple of their p99 without it. */
  static final double TARGET_RATIO = 2.0;

  @Mixin VerboseOption verbose;

  @Spec
  CommandSpec spec;

  @Mixin
  ClusterOptions cluster;

  @Option(names = "--groups", defaultValue = "16", description = "Groups, the hot group g0 among them (default ${DEFAULT-VALUE}).")
  int groups;

  @Option(names = "--concurrency", defaultValue = "16",
      description = "Outstanding proposals per group, closed loop (default ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--overload", defaultValue = "10",
      description = "The hot group's offered load as a multiple of its capacity (default ${DEFAULT-VALUE}).")
  double overload;

  @Option(names = "--probe-concurrency", defaultValue = "2048",
      description = "Outstanding proposals of g0's capacity probe: deep enough to keep the group busy, at most a host's "
          + "group's maxPendingProposals (RaftHost.GROUP_MAX_PENDING) so none is refused (default ${DEFAULT-VALUE}).")
  int probeConcurrency;

  @Option(names = "--probe-seconds", defaultValue = "3",
      description = "Measured seconds of the capacity probe, after one second of ramp (default ${DEFAULT-VALUE}).")
  int probeSeconds;

  @Option(names = "--warmup", defaultValue = "10", description = "Warm-up seconds before the baseline (default ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--seconds", defaultValue = "10", description = "Measured seconds per phase (default ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--after-seconds", defaultValue = "5",
      description = "Measured seconds after the overload, g0 back on its closed loop (one second to drain first): the "
          + "other groups' p99 against the baseline's, a check for drift; 0 = none (default ${DEFAULT-VALUE}).")
  int afterSeconds;

  @Option(names = "--loops-per-host", defaultValue = "1", description = "Loop threads per host (default ${DEFAULT-VALUE}).")
  int loopsPerHost;

  @Option(names = "--max-outstanding", defaultValue = "100000",
      description = "The hot group's open loop: most proposals in flight; beyond, sends are shed (default ${DEFAULT-VALUE}).")
  int maxOutstanding;

  @Option(names = "--report", description = "Write an HTML report (per-group p99 in both phases, the seconds) to this file.")
  Path report;

  @Override
  public Integer call() throws Exception {
    FlagCheck check = new FlagCheck(spec);
    cluster.validate(check);
    check.range("--groups", groups, 2, 10_000, "the hot group and at least one other")
        .range("--concurrency", concurrency, 1, 10_000, "per group")
        .rangeAbove("--overload", overload, 1, 1000, "a multiple of the hot group's capacity")
        .range("--warmup", warmup, 0, 3600, "seconds")
        .range("--seconds", seconds, 1, 3600, "seconds per phase")
        .range("--probe-concurrency", probeConcurrency, 1, 100_000, "")
        .range("--probe-seconds", probeSeconds, 1, 3600, "seconds")
        .range("--after-seconds", afterSeconds, 0, 3600, "seconds, 0 = none")
        .range("--loops-per-host", loopsPerHost, 1, 64, "")
        .range("--max-outstanding", maxOutstanding, 1, 10_000_000, "")
        .require(report == null || !Files.isDirectory(report), "--report " + report + " is a directory; name a file");
    PrintWriter out = spec.commandLine().getOut();
    out.printf(Locale.ROOT, "raftflow fairness: %d groups on %s; %d outstanding per group; g0 offered %sx its capacity; "
        + "%d s warm-up, %d s baseline, 1 + %d s capacity probe, %d s overload, 1 + %d s after, all on the same cluster%n",
        groups, cluster.describe(), concurrency, multiple(overload), warmup, seconds, probeSeconds, seconds, afterSeconds);
    try (HostCluster c = new HostCluster(cluster, cluster.raftOptions(), groups, loopsPerHost)) {
      long t0 = System.nanoTime();
      c.awaitLeaders(Duration.ofSeconds(60));
      c.spreadLeaders(Duration.ofSeconds(30));
      RaftNode hotLeader = c.leader();
      out.printf(Locale.ROOT, "every group has a leader after %.1f s; leaders per host %s; g0 led by %s%n",
          (System.nanoTime() - t0) / 1e9, c.leadersPerHost(), hotLeader == null ? "-" : hotLeader.id());
      List<LoadDriver> others = new ArrayList<>();
      List<LoadDriver> all = new ArrayList<>();
      try {
        for (int g = 1; g < groups; g++) {
          others.add(closedLoop(c, g));
        }
        LoadDriver hot = closedLoop(c, 0);
        all.addAll(others);
        all.add(hot);
        all.forEach(LoadDriver::start);
        Thread.sleep(warmup * 1000L);
        all.forEach(d -> d.countErrors(true));
        FairnessPhase baseline = FairnessPhase.run("baseline", c, hot, others, seconds, 0, out);
        if (baseline.hot.ops == 0) {
          return failed("g0 committed nothing in the baseline");
        }
        hot.close();
        LoadDriver probe = new LoadDriver(c.proposer(0), cluster.size, probeConcurrency, 0, Integer.MAX_VALUE);
        all.add(probe);
        probe.start();
        Thread.sleep(1000);
        probe.countErrors(true);
        FairnessPhase probed = FairnessPhase.run("probe", c, probe, others, probeSeconds, seconds, out);
        double capacity = probed.hot.opsPerSecond();
        if (capacity <= 0) {
          return failed("g0's capacity probe committed nothing: no capacity to overload");
        }
        probe.close();
        long rate = Math.min(10_000_000L, Math.max(1, Math.round(overload * capacity)));
        LoadDriver flood = new LoadDriver(c.proposer(0), cluster.size, 1, rate, maxOutstanding);
        all.add(flood);
        flood.countErrors(true);
        flood.start();
        FairnessPhase overloaded = FairnessPhase.run("overload", c, flood, others, seconds, seconds + probeSeconds, out);
        FairnessPhase after = null;
        if (afterSeconds > 0) {
          flood.close();
          LoadDriver again = closedLoop(c, 0);
          all.add(again);
          again.start();
          Thread.sleep(1000); // g0's backlog from the overload drains first
          again.countErrors(true);
          after = FairnessPhase.run("after", c, again, others, afterSeconds, 2 * seconds + probeSeconds, out);
        }
        all.forEach(d -> d.countErrors(false));
        // the open loop sends on a whole-nanosecond interval: what it offered, not the rounded target
        double offered = 1e9 / Math.max(1, 1_000_000_000L / rate);
        return report(out, c, all, baseline, probed, overloaded, after, offered);
      } finally {
        for (LoadDriver d : all) {
          d.close();
        }
      }
    }
  }

  private LoadDriver closedLoop(HostCluster c, int group) {
    return new LoadDriver(c.proposer(group), cluster.size, concurrency, 0, Integer.MAX_VALUE);
  }

  private int report(PrintWriter out, HostCluster c, List<LoadDriver> drivers, FairnessPhase base, FairnessPhase probe,
      FairnessPhase over, FairnessPhase after, double offered) throws java.io.IOException {
    double capacity = probe.hot.opsPerSecond();
    int n = groups - 1;
    double[] ratio = new double[n];
    int worst = -1;
    for (int i = 0; i < n; i++) {
      ratio[i] = over.othersP99us[i] / base.othersP99us[i];
      if (!Double.isNaN(ratio[i]) && (worst < 0 || ratio[i] > ratio[worst])) {
        worst = i;
      }
    }
    double baseP99 = base.medianP99();
    double overP99 = over.medianP99();
    double medianRatio = overP99 / baseP99;
    double worstRatio = worst < 0 ? Double.NaN : ratio[worst];
    int starved = over.starved() + base.starved();
    String worstName = worst < 0 ? "-" : "g" + (worst + 1);
    String medianVerdict = medianRatio <= TARGET_RATIO ? "within" : "exceeds";
    String worstVerdict = starved == 0 && worstRatio <= TARGET_RATIO ? "within" : "exceeds";
    long errors = 0;
    StringBuilder errorText = new StringBuilder();
    for (LoadDriver d : drivers) {
      ProposalErrors.Snapshot e = d.errors.snapshot();
      if (e.total() > 0) {
        errors += e.total();
        errorText.append(errorText.length() == 0 ? "" : "; ").append(e.describe());
      }
    }
    out.println();
    out.printf(Locale.ROOT, "baseline: g0 closed loop of %d: %,.0f ops/s, p99 %.1f us; other groups %,.0f ops/s in all, "
        + "p99 per group median %.1f us; CPU %.2f cores, %.2f of them the load drivers'%n", concurrency, base.hot.opsPerSecond(),
        base.hot.us(99), base.othersOpsPerSecond(), baseP99, base.hot.cpuCores, base.clientCpuCores);
    out.printf(Locale.ROOT, "probe: g0 closed loop of %d: capacity %,.0f ops/s, p99 %.1f us; other groups %,.0f ops/s in all, "
        + "p99 per group median %.1f us (%.2fx the baseline's); CPU %.2f cores, %.2f of them the load drivers'%n", probeConcurrency,
        capacity, probe.hot.us(99), probe.othersOpsPerSecond(), probe.medianP99(), probe.medianP99() / baseP99, probe.hot.cpuCores,
        probe.clientCpuCores);
    out.printf(Locale.ROOT, "overload: g0 open loop offered %,.0f ops/s (%sx): sent %,.0f ops/s to its leader, accepted %,.0f ops/s "
            + "(p99 %.1f us), refused %,d (Overloaded), shed %,d by the client; other groups %,.0f ops/s in all, p99 per group median %.1f us; "
            + "CPU %.2f cores, %.2f of them the load drivers' (on %d available)%n",
        offered, multiple(overload), over.hotSent / over.hot.seconds, over.hot.opsPerSecond(), over.hot.us(99), over.hotRefused,
        over.hotShed, over.othersOpsPerSecond(), overP99, over.hot.cpuCores, over.clientCpuCores,
        Runtime.getRuntime().availableProcessors());
    String afterP99 = after == null ? "-" : String.format(Locale.ROOT, "%.1f", after.medianP99());
    String afterRatio = after == null ? "-" : String.format(Locale.ROOT, "%.2f", after.medianP99() / baseP99);
    if (after != null) {
      out.printf(Locale.ROOT, "after: g0 closed loop of %d again: %,.0f ops/s; other groups %,.0f ops/s in all, p99 per group median "
          + "%s us (%sx the baseline's: near 1 unless the machine drifted or the overload left something behind)%n", concurrency,
          after.hot.opsPerSecond(), after.othersOpsPerSecond(), afterP99, afterRatio);
    }
    out.printf(Locale.ROOT, "g0 was sent %.1fx what it accepted in the overload, which is %.2fx its probed capacity%n",
        over.hotSent / (double) Math.max(1, over.hot.ops), over.hot.opsPerSecond() / capacity);
    out.println("p99 us per other group, baseline -> overload (ratio):");
    StringBuilder table = new StringBuilder();
    for (int i = 0; i < n; i++) {
      table.append(String.format(Locale.ROOT, "  g%-4d %10.1f -> %10.1f  (%.2fx)%s%n", i + 1, base.othersP99us[i],
          over.othersP99us[i], ratio[i], i == worst ? "  worst" : ""));
    }
    out.print(table);
    out.printf(Locale.ROOT, "fairness: median p99 %.2fx (%s %sx); worst group %s %.2fx (%s %sx); %d starved; errors %s; since start: %s%n",
        medianRatio, medianVerdict, multiple(TARGET_RATIO), worstName, worstRatio, worstVerdict, multiple(TARGET_RATIO),
        starved, errors == 0 ? "0" : errors + " (" + errorText + ")", c.batching());
    out.printf(Locale.ROOT, "RESULT command=fairness version=%s groups=%d conc=%d overload=%s seconds=%d "
            + "hot_baseline_ops_per_s=%.0f hot_capacity_ops_per_s=%.0f hot_offered_ops_per_s=%.0f hot_sent_ops_per_s=%.0f hot_accepted_ops_per_s=%.0f "
            + "hot_refused=%d hot_shed=%d others_ops_per_s_baseline=%.0f others_ops_per_s_overload=%.0f "
            + "baseline_p99_us=%.1f overload_p99_us=%.1f p99_ratio=%.2f worst_group=%s worst_ratio=%.2f starved=%d after_p99_us=%s after_ratio=%s "
            + "target_ratio=%s verdict=%s worst_verdict=%s errors=%d proc_cpu_cores_baseline=%.2f proc_cpu_cores_overload=%.2f "
            + "client_cpu_cores_baseline=%.2f client_cpu_cores_overload=%.2f fsync=%s transport=%s storage=%s%n",
        VersionInfo.current(), groups, concurrency, multiple(overload), seconds, base.hot.opsPerSecond(), capacity, offered,
        over.hotSent / over.hot.seconds, over.hot.opsPerSecond(), over.hotRefused, over.hotShed, base.othersOpsPerSecond(),
        over.othersOpsPerSecond(), baseP99, overP99, medianRatio, worstName, worstRatio, starved, afterP99, afterRatio, multiple(TARGET_RATIO),
        medianVerdict, worstVerdict, errors, base.hot.cpuCores, over.hot.cpuCores, base.clientCpuCores, over.clientCpuCores,
        cluster.fsync() ? "on" : "off", cluster.transport, cluster.storage);
    out.flush();
    if (report != null) {
      writeReport(base, probe, over, after, capacity, offered, table.toString());
      out.println("report written to " + report.toAbsolutePath());
      out.flush();
    }
    if (errors > 0) {
      return failed(errors + " proposals failed other than by refusal: " + errorText);
    }
    if (base.othersOpsPerSecond() == 0 || over.othersOpsPerSecond() == 0) {
      return failed("the other groups committed nothing in the " + (base.othersOpsPerSecond() == 0 ? "baseline" : "overload"));
    }
    return ExitCodes.OK;
  }

  private int failed(String why) {
    spec.commandLine().getErr().println("raftflow fairness: " + why);
    spec.commandLine().getErr().flush();
    return ExitCodes.FAILED;
  }

  /** A multiple as written on the command line: 10, 2.5. */
  private static String multiple(double v) {
    return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
  }

  /** A starved group (no p99) as a gap in a log chart's line. */
  private static double gapIfNaN(double v) {
    return Double.isNaN(v) ? 0 : v;
  }

  /** One point per other group: its p99 in each phase. */
  private record GroupP99(int group, double baseline, double overload) {}

  private void writeReport(FairnessPhase base, FairnessPhase probe, FairnessPhase over, FairnessPhase after, double capacity,
      double offered, String table)
      throws java.io.IOException {
    List<GroupP99> points = IntStream.range(0, groups - 1)
        .mapToObj(i -> new GroupP99(i + 1, gapIfNaN(base.othersP99us[i]), gapIfNaN(over.othersP99us[i]))).toList();
    List<FairnessPhase.Second> secs = new ArrayList<>(base.seconds);
    secs.addAll(probe.seconds);
    secs.addAll(over.seconds);
    if (after != null) {
      secs.addAll(after.seconds);
    }
    new HtmlReport("raftflow fairness")
        .paragraph(String.format(Locale.ROOT, "%d groups on %s; %d outstanding per group; g0's capacity %,.0f ops/s, "
            + "offered %,.0f ops/s in the overload; seconds 1 to %d baseline, %d to %d capacity probe, %d to %d overload%s", groups,
            cluster.describe(), concurrency, capacity, offered, seconds, seconds + 1, seconds + probeSeconds, seconds + probeSeconds + 1,
            2 * seconds + probeSeconds, after == null ? "" : String.format(", %d to %d after (g0 back on its closed loop)",
            2 * seconds + probeSeconds + 1, 2 * seconds + probeSeconds + afterSeconds)))
        .pre("p99 us per other group, baseline -> overload (ratio):\n" + table)
        .chart("p99 of each other group, without and with g0's overload", new HtmlReport.Axes("group", true, "microseconds (log scale)", true),
            points, GroupP99::group, null,
            new HtmlReport.Series<>("baseline", "#1f77b4", GroupP99::baseline),
            new HtmlReport.Series<>("g0 overloaded", "#d62728", GroupP99::overload))
        .chart("The other groups' p99 per second (median and worst over groups)", HtmlReport.Axes.secondsLog("microseconds"),
            secs, FairnessPhase.Second::second, null,
            new HtmlReport.Series<>("median", "#2ca02c", s -> gapIfNaN(s.othersP99Median())),
            new HtmlReport.Series<>("worst", "#d62728", s -> gapIfNaN(s.othersP99Worst())))
        .chart("g0 per second: accepted, refused (Overloaded), shed", HtmlReport.Axes.seconds("proposals per second"),
            secs, FairnessPhase.Second::second, null,
            new HtmlReport.Series<>("accepted", "#1f77b4", FairnessPhase.Second::hotAcked),
            new HtmlReport.Series<>("refused", "#ff7f0e", FairnessPhase.Second::hotRefused),
            new HtmlReport.Series<>("shed", "#7f7f7f", FairnessPhase.Second::hotShed))
        .write(report);
  }
}

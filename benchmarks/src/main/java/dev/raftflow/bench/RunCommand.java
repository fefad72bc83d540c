package dev.raftflow.bench;

import dev.raftflow.client.RemoteClient;
import dev.raftflow.engine.node.RaftNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.IntConsumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code run}: an embedded cluster in this process under load (closed loop with N outstanding
 * proposals, or open loop at a rate), with a progress line every second and a summary, ending with
 * one machine-readable {@code RESULT} line in the format of the peer harness. Flags are checked
 * before the cluster starts; failed proposals are reported by type, and the summary, the
 * {@code RESULT} line and the exit code use one count of them.
 */
@Command(name = "run", mixinStandardHelpOptions = true, versionProvider = VersionInfo.class,
    description = {"Drive a load through an embedded cluster (the default command).",
        "Starts N members in this process, offers a closed- or open-loop load, prints a line per second, a summary and a RESULT line."},
    exitCodeListHeading = ExitCodes.HEADING,
    exitCodeList = {ExitCodes.OK_TEXT, ExitCodes.RUN_FAILED_TEXT, ExitCodes.USAGE_TEXT})
final class RunCommand implements Callable<Integer> {

  @Mixin VerboseOption verbose;

  @Spec
  CommandSpec spec;

  @Mixin
  ClusterOptions cluster;

  @Mixin
  ProfileOption profile;

  @Option(names = "--concurrency", defaultValue = "64",
      description = "Outstanding proposals (closed loop); 1 = a synchronous client (default ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--rate", defaultValue = "0",
      description = "Proposals per second on a fixed schedule (open loop) instead of --concurrency.")
  long rate;

  @Option(names = "--max-outstanding", defaultValue = "100000",
      description = "Open loop: most proposals in flight; beyond, sends are shed (default ${DEFAULT-VALUE}).")
  int maxOutstanding;

  @Option(names = "--warmup", defaultValue = "3", description = "Warm-up seconds, not measured (default ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--seconds", defaultValue = "10", description = "Measured seconds (default ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--kill-leader-every", defaultValue = "0",
      description = "Stop the leader every N seconds and restart it from its store (failover under load).")
  int killLeaderEvery;

  @Option(names = "--report", description = "Write an HTML report (throughput and latency over time) to this file.")
  Path report;

  @Option(names = "--groups", defaultValue = "1",
      description = "Raft groups sharing the members' hosts (multi-raft: one transport endpoint, one log and shared loops per host; "
          + "leadership spread over the hosts); the load goes to the groups in turn (default ${DEFAULT-VALUE}).")
  int groups;

  @Option(names = "--loops-per-host", defaultValue = "1",
      description = "With --groups above 1: loop threads of each host (default ${DEFAULT-VALUE}; the hosts share this process).")
  int loopsPerHost;

  @Option(names = "--client", defaultValue = "embedded",
      description = "embedded (propose in-process) or remote (through each node's RSocket client endpoint, one loopback hop) (default ${DEFAULT-VALUE}).")
  String client;

  /** Refuses out-of-bounds flags before anything starts. */
  private void validate() throws java.io.IOException {
    FlagCheck check = new FlagCheck(spec);
    cluster.validate(check);
    profile.validate(check);
    check.range("--concurrency", concurrency, 1, 100_000, "")
        .range("--rate", rate, 0, 10_000_000, "0 = closed loop")
        .range("--max-outstanding", maxOutstanding, 1, 10_000_000, "")
        .range("--warmup", warmup, 0, 3600, "seconds")
        .range("--seconds", seconds, 1, 86_400, "")
        .oneOf("--client", client, "embedded", "remote")
        .range("--groups", groups, 1, 100_000, "")
        .range("--loops-per-host", loopsPerHost, 1, 64, "")
        .require(groups == 1 || (client.equals("embedded") && killLeaderEvery == 0),
            "--groups above 1 runs with --client embedded and without --kill-leader-every")
        .require(report == null || !java.nio.file.Files.isDirectory(report), "--report " + report + " is a directory; name a file");
    if (killLeaderEvery != 0) {
      check.range("--kill-leader-every", killLeaderEvery, 1, seconds - 1L, "0 = never; a crash needs a measured second after it");
    }
  }

  @Override
  public Integer call() throws Exception {
    validate();
    PrintWriter out = spec.commandLine().getOut();
    String load = rate > 0 ? "open loop at " + rate + " ops/s" : concurrency + " outstanding";
    if (groups > 1) {
      out.printf("raftflow run: %d groups on %s, %s, %d s warm-up + %d s%n", groups, cluster.describe(), load, warmup,
          seconds);
      return runGroups(out);
    }
    out.printf("raftflow run: %s, %s, %d s warm-up + %d s%n", cluster.describe(), load, warmup, seconds);
    try (LocalCluster c = cluster.start()) {
      RaftNode first = c.awaitLeader(Duration.ofSeconds(10));
      out.printf("leader %s elected in term %d%n", first.id(), first.state().term());
      RemoteClient remote = client.equals("remote") ? new RemoteClient(c.startClientEndpoints()) : null;
      LoadDriver.Proposer proposer = remote == null ? LoadDriver.embedded(c::leader) : remote::propose;
      try (remote; LoadDriver driver = new LoadDriver(proposer, cluster.size, concurrency, rate, maxOutstanding)) {
        driver.start();
        Thread.sleep(warmup * 1000L);
        driver.countErrors(killLeaderEvery == 0);
        Measurement m = measure(c, driver, out, s -> {
          if (killLeaderEvery > 0 && s % killLeaderEvery == 0 && s < seconds) {
            RaftNode l = c.leader();
            if (l != null) {
              out.printf("        crashing leader %s (term %d)%n", l.id(), l.state().term());
              c.crashAndRestart(l.id());
            }
          }
        });
        ProposalErrors.Snapshot errors = driver.errors.snapshot();
        summarize(out, c, driver, m, errors);
        if (report != null) {
          writeReport(m);
          out.println("report written to " + report.toAbsolutePath());
        }
        return verdict(m, errors);
      }
    }
  }

  /**
   * The measured seconds, profiled when {@code --profile} was given; the error counts end with them
   * (one number for every line of the summary), before the profile is written.
   */
  private Measurement measure(LoadTarget c, LoadDriver driver, PrintWriter out, IntConsumer everySecond) throws Exception {
    ProfileOption.Session profiling = profile.start();
    Measurement m = Measurement.run(c, driver, seconds, out, everySecond);
    driver.countErrors(false);
    if (profiling != null) {
      out.printf("%s profile of the measured seconds written to %s%n", profiling.event(), profiling.stop());
    }
    return m;
  }

  /** The load spread over {@link #groups} groups on one host per member ({@link HostCluster}). */
  private int runGroups(PrintWriter out) throws Exception {
    try (HostCluster c = new HostCluster(cluster, cluster.raftOptions(), groups, loopsPerHost)) {
      long t0 = System.nanoTime();
      c.awaitLeaders(Duration.ofSeconds(60));
      c.spreadLeaders(Duration.ofSeconds(30));
      out.printf("every group has a leader after %.1f s (spread over the hosts); leaders per host %s%n",
          (System.nanoTime() - t0) / 1e9, c.leadersPerHost());
      try (LoadDriver driver = new LoadDriver(c.proposer(), cluster.size, concurrency, rate, maxOutstanding)) {
        driver.start();
        Thread.sleep(warmup * 1000L);
        driver.countErrors(true);
        long[] before = new long[groups];
        for (int g = 0; g < groups; g++) {
          before[g] = c.acked[g].get();
        }
        Measurement m = measure(c, driver, out, s -> { });
        ProposalErrors.Snapshot errors = driver.errors.snapshot();
        long[] perGroup = new long[groups];
        for (int g = 0; g < groups; g++) {
          perGroup[g] = c.acked[g].get() - before[g];
        }
        java.util.Arrays.sort(perGroup);
        out.printf("%nsummary: %,d commands committed and applied in %.2f s = %,.0f ops/s over %d groups (%.2f MB/s)%n",
            m.ops, m.seconds, m.opsPerSecond(), groups, m.opsPerSecond() * cluster.size / 1e6);
        out.printf("per group ops/s: min %,.0f  median %,.0f  max %,.0f; leaders per host %s%n",
            perGroup[0] / m.seconds, perGroup[groups / 2] / m.seconds, perGroup[groups - 1] / m.seconds,
            c.leadersPerHost());
        out.printf("latency us: p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f%n",
            m.us(50), m.us(90), m.us(99), m.us(99.9), m.latency.getMaxValue() / 1000.0);
        out.printf("errors %s; overloaded %d; shed %d; CPU %.2f cores (%.1f us/op); GC %d ms%n", errors.describe(),
            driver.overloaded.get(), driver.shed.get(), m.cpuCores, m.cpuMicrosPerOp(), m.gcMs);
        out.printf("thread switches per command: %s%n", m.switchesPerOp());
        out.printf("since start: %s%n", c.batching());
        out.printf("RESULT peer=raftflow version=%s settings=default size=%d conc=%d mode=%s client=embedded groups=%d "
                + "seconds=%.2f ops_per_s=%.0f p50_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f errors=%d "
                + "proc_cpu_cores=%.2f cpu_us_per_op=%.1f gc_ms=%d fsync=%s transport=%s storage=%s "
                + "group_ops_min=%.0f group_ops_max=%.0f blocking_per_op=%.2f%n",
            VersionInfo.current(), cluster.size, concurrency, rate == 0 ? "async" : "open", groups, m.seconds,
            m.opsPerSecond(), m.us(50), m.us(90), m.us(99), m.us(99.9), m.latency.getMaxValue() / 1000.0,
            errors.total(), m.cpuCores, m.cpuMicrosPerOp(), m.gcMs, cluster.fsync() ? "on" : "off", cluster.transport,
            cluster.storage, perGroup[0] / m.seconds, perGroup[groups - 1] / m.seconds, m.blockingPerOp());
        out.flush();
        return verdict(m, errors);
      }
    }
  }

  private int verdict(Measurement m, ProposalErrors.Snapshot errors) {
    PrintWriter err = spec.commandLine().getErr();
    if (errors.total() > 0) {
      err.println("raftflow run: " + errors.total() + " proposals failed during the measured seconds: " + errors.describe());
      return ExitCodes.FAILED;
    }
    if (m.ops == 0) {
      err.println("raftflow run: nothing was committed during the measured seconds");
      return ExitCodes.FAILED;
    }
    return ExitCodes.OK;
  }

  private void summarize(PrintWriter out, LocalCluster c, LoadDriver d, Measurement m, ProposalErrors.Snapshot errors) {
    out.printf("%nsummary: %,d commands committed and applied in %.2f s = %,.0f ops/s (%.2f MB/s)%n",
        m.ops, m.seconds, m.opsPerSecond(), m.opsPerSecond() * cluster.size / 1e6);
    out.printf("latency us: p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f%n",
        m.us(50), m.us(90), m.us(99), m.us(99.9), m.latency.getMaxValue() / 1000.0);
    out.printf("applied per node: min %,d max %,d; errors %s; overloaded %d; shed %d; CPU %.2f cores (%.1f us/op); GC %d ms%n",
        c.minApplied(), c.maxApplied(), errors.describe(), d.overloaded.get(), d.shed.get(), m.cpuCores, m.cpuMicrosPerOp(),
        m.gcMs);
    out.printf("thread switches per command: %s%n", m.switchesPerOp());
    for (var e : new java.util.TreeMap<>(c.nodes).entrySet()) {
      dev.raftflow.engine.NodeMetrics nm = e.getValue().metrics();
      out.printf("node %s%s since start: %,d log writes, %.1f entries per write, %.0f us mean to durable; "
              + "%,d messages sent, %,d received; %d elections started, %d won; %d snapshot chunks sent, %d installed%n",
          e.getKey(), e.getValue().state().isLeader() ? " (leader)" : "", nm.logWrites(), nm.entriesPerWrite(),
          nm.meanLogWriteMicros(), nm.messagesSent(), nm.messagesReceived(), nm.electionsStarted(), nm.leadershipsWon(),
          nm.snapshotChunksSent(), nm.snapshotsInstalled());
    }
    out.printf("RESULT peer=raftflow version=%s settings=default size=%d conc=%d mode=%s client=%s "
            + "seconds=%.2f ops_per_s=%.0f p50_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f errors=%d "
            + "proc_cpu_cores=%.2f cpu_us_per_op=%.1f gc_ms=%d fsync=%s transport=%s storage=%s blocking_per_op=%.2f%n",
        VersionInfo.current(), cluster.size, concurrency, concurrency == 1 && rate == 0 ? "sync" : "async", client, m.seconds,
        m.opsPerSecond(), m.us(50), m.us(90), m.us(99), m.us(99.9), m.latency.getMaxValue() / 1000.0, errors.total(),
        m.cpuCores, m.cpuMicrosPerOp(), m.gcMs, cluster.fsync() ? "on" : "off", cluster.transport, cluster.storage,
        m.blockingPerOp());
    out.flush();
  }

  private void writeReport(Measurement m) throws java.io.IOException {
    new HtmlReport("raftflow run")
        .paragraph(cluster.describe() + (rate > 0 ? ", open loop at " + rate + " ops/s" : ", " + concurrency + " outstanding"))
        .pre(String.format(java.util.Locale.ROOT, "%,.0f ops/s  p50 %.1f us  p99 %.1f us  p99.9 %.1f us  CPU %.1f us/op",
            m.opsPerSecond(), m.us(50), m.us(99), m.us(99.9), m.cpuMicrosPerOp()))
        .timeChart("Throughput", "committed ops/s", m.samples, new HtmlReport.Series<>("ops/s", "#1f77b4", Sample::ops))
        .logTimeChart("Latency", "microseconds", m.samples,
            new HtmlReport.Series<>("p50", "#2ca02c", Sample::p50us),
            new HtmlReport.Series<>("p99", "#d62728", Sample::p99us))
        .write(report);
  }
}

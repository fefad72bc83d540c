package dev.raftflow.bench;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code overload}: the backpressure experiment. Measures capacity with a short closed-loop run, then
 * offers an open-loop load above it and prints, every second, heap use, queue depths, latency of
 * the admitted proposals, and how many were refused (Overloaded) or shed. Memory must stay bounded.
 */
@Command(name = "overload", mixinStandardHelpOptions = true, versionProvider = VersionInfo.class,
    description = {"Offer more than the capacity: memory and latency must stay bounded.",
        "Measures the capacity, then offers --factor times it open loop and prints, each second, what was admitted, refused and shed."},
    exitCodeListHeading = ExitCodes.HEADING,
    exitCodeList = {ExitCodes.OK_TEXT, ExitCodes.OVERLOAD_FAILED_TEXT, ExitCodes.USAGE_TEXT})
final class OverloadCommand implements Callable<Integer> {

  @Mixin VerboseOption verbose;

  @Spec
  CommandSpec spec;

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

  /** Most offered load, as a multiple of the capacity: beyond, the client alone saturates the machine. */
  static final double MAX_FACTOR = 100;

  /** One second of the overload: what was admitted, refused by the node (Overloaded) and shed by the client. */
  record Rates(int second, long acked, long refused, long shed) {}

  /** Refuses out-of-bounds flags before anything starts. */
  private void validate() throws java.io.IOException {
    FlagCheck check = new FlagCheck(spec);
    cluster.validate(check);
    check.rangeAbove("--factor", factor, 0, MAX_FACTOR, "offered load as a multiple of capacity")
        .range("--seconds", seconds, 1, 86_400, "")
        .range("--max-outstanding", maxOutstanding, 1, 10_000_000, "")
        .require(report == null || !java.nio.file.Files.isDirectory(report), "--report " + report + " is a directory; name a file");
  }

  @Override
  public Integer call() throws Exception {
    validate();
    PrintWriter out = spec.commandLine().getOut();
    out.println("raftflow overload: " + cluster.describe());
    try (LocalCluster c = cluster.start()) {
      c.awaitLeader(Duration.ofSeconds(10));
      double capacity;
      try (LoadDriver probe = new LoadDriver(LoadDriver.embedded(c::leader), cluster.size, PROBE_OUTSTANDING, 0, Integer.MAX_VALUE)) {
        probe.start();
        Thread.sleep(2000);
        capacity = Measurement.run(c, probe, 3, null, s -> {}).opsPerSecond();
      }
      if (capacity <= 0) {
        spec.commandLine().getErr().println("raftflow overload: the capacity probe committed nothing; no load to offer");
        return ExitCodes.FAILED;
      }
      long rate = Math.max(1, (long) (capacity * factor));
      out.printf("capacity (closed loop, %d outstanding): %,.0f ops/s; offering %,d ops/s for %d s%n",
          PROBE_OUTSTANDING, capacity, rate, seconds);
      out.println("  sec    acked/s     p50 us     p99 us  live MB  queued  unapplied  overloaded/s    shed/s");
      try (LoadDriver d = new LoadDriver(LoadDriver.embedded(c::leader), cluster.size, 1, rate, maxOutstanding)) {
        d.start();
        d.countErrors(true);
        Measurement m = Measurement.run(c, d, seconds, null, s -> {});
        d.countErrors(false);
        ProposalErrors.Snapshot errors = d.errors.snapshot();
        List<Rates> rates = rates(m.samples);
        for (int i = 0; i < rates.size(); i++) {
          Sample s = m.samples.get(i);
          out.printf("%5d %10d %10.1f %10.1f %8d %7d %10d %13d %9d%n", s.second(), s.ops(), s.p50us(), s.p99us(),
              s.heapMb(), s.queued(), s.unapplied(), rates.get(i).refused(), rates.get(i).shed());
        }
        out.printf("%nadmitted %,.0f ops/s of %,d offered; admitted p50 %.1f us p99 %.1f us; max live heap %d MB; "
                + "overloaded %,d; shed %,d; errors %s%n",
            m.opsPerSecond(), rate, m.us(50), m.us(99), m.maxHeapMb, d.overloaded.get(), d.shed.get(), errors.describe());
        if (report != null) {
          report(cluster.describe() + String.format("; capacity %,.0f ops/s, offered %,d ops/s", capacity, rate), m.samples)
              .write(report);
          out.println("report written to " + report.toAbsolutePath());
        }
        out.flush();
        if (errors.total() > 0 || m.ops == 0) {
          spec.commandLine().getErr().println("raftflow overload: " + (m.ops == 0 ? "nothing admitted" : "")
              + (errors.total() > 0 ? (m.ops == 0 ? "; " : "") + errors.describe() + " proposals failed other than by refusal" : ""));
          return ExitCodes.FAILED;
        }
      }
    }
    return ExitCodes.OK;
  }

  /** Per second: admitted, refused and shed (the samples count the last two since the start). */
  static List<Rates> rates(List<Sample> samples) {
    List<Rates> rates = new ArrayList<>();
    long refused = 0;
    long shed = 0;
    for (Sample s : samples) {
      rates.add(new Rates(s.second(), s.ops(), s.overloaded() - refused, s.shed() - shed));
      refused = s.overloaded();
      shed = s.shed();
    }
    return rates;
  }

  /** The report of an overload run: admitted, refused and shed per second; latency; heap; queues. */
  static HtmlReport report(String description, List<Sample> samples) {
    return new HtmlReport("raftflow overload")
        .paragraph(description)
        .chart("Admitted, refused (Overloaded) and shed proposals per second", HtmlReport.Axes.seconds("proposals per second"),
            rates(samples), Rates::second, null,
            new HtmlReport.Series<>("admitted (acked/s)", "#1f77b4", Rates::acked),
            new HtmlReport.Series<>("refused by the node (overloaded/s)", "#ff7f0e", Rates::refused),
            new HtmlReport.Series<>("shed by the client (shed/s)", "#7f7f7f", Rates::shed))
        .logTimeChart("Latency of admitted proposals", "microseconds", samples,
            new HtmlReport.Series<>("p50", "#2ca02c", Sample::p50us),
            new HtmlReport.Series<>("p99", "#d62728", Sample::p99us))
        .timeChart("Heap live after GC", "MB", samples, new HtmlReport.Series<>("heap", "#9467bd", Sample::heapMb))
        .timeChart("Queue depths", "entries", samples,
            new HtmlReport.Series<>("queued proposals", "#ff7f0e", Sample::queued),
            new HtmlReport.Series<>("leader unapplied entries", "#8c564b", Sample::unapplied));
  }
}

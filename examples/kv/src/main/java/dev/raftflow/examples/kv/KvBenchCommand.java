package dev.raftflow.examples.kv;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code kv --endpoints ... bench --mode MODE}: a closed-loop load on a running cluster ({@link
 * KvBench}); prints progress, a summary and a {@code RESULT} line. Exits 0 when some call completed in
 * the measured window (failed calls are counted in the line), 1 when none did or the preload failed,
 * 2 on bad flags (one line, before anything is sent).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Measure throughput and latency: preload a key set, then CONCURRENCY workers each keep one get "
        + "(read modes) or put (write) in flight; warm-up, then the measured seconds.")
final class KvBenchCommand implements Callable<Integer> {

  @ParentCommand KvCli parent;
  @Spec CommandSpec spec;

  @Option(names = "--mode", required = true, description = "read-index (gets at the leader), lease (gets at the "
      + "leader; members run --lease-reads), follower (gets spread over every member; members run "
      + "--follower-reads) or write (puts in exactly-once sessions).")
  String mode;

  @Option(names = "--concurrency", defaultValue = "64", description = "Workers, each with one call in flight "
      + "(1..4096; default ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--keys", defaultValue = "1000", description = "Keys preloaded and then read or written "
      + "(1..1000000; default ${DEFAULT-VALUE}).")
  int keys;

  @Option(names = "--value-bytes", defaultValue = "100", description = "Bytes per value (0..65536; default "
      + "${DEFAULT-VALUE}).")
  int valueBytes;

  @Option(names = "--warmup-s", defaultValue = "10", description = "Seconds of load before measuring (default "
      + "${DEFAULT-VALUE}).")
  long warmupSeconds;

  @Option(names = "--seconds", defaultValue = "20", description = "Seconds measured (default ${DEFAULT-VALUE}).")
  long seconds;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    KvBench.Settings settings;
    Map<String, InetSocketAddress> endpoints;
    Duration callTimeout;
    try {
      if (parent.readFrom != null) {
        throw new IllegalArgumentException("--read-from does not apply to bench: --mode follower spreads reads over "
            + "every member, the other modes read at the leader");
      }
      if (parent.timeoutMs <= 0) {
        throw new IllegalArgumentException("--timeout-ms must be positive, was " + parent.timeoutMs);
      }
      if (warmupSeconds < 0 || warmupSeconds > 86_400) {
        throw new IllegalArgumentException("--warmup-s must be 0..86400, was " + warmupSeconds);
      }
      if (seconds < 1 || seconds > 86_400) {
        throw new IllegalArgumentException("--seconds must be 1..86400, was " + seconds);
      }
      settings = new KvBench.Settings(KvBenchMode.parse(mode), concurrency, keys, valueBytes,
          Duration.ofSeconds(warmupSeconds), Duration.ofSeconds(seconds));
      endpoints = KvCli.parseEndpoints(parent.endpoints);
      callTimeout = Duration.ofMillis(parent.timeoutMs);
    } catch (IllegalArgumentException e) {
      return parent.report(err, e, KvCli.USAGE);
    }
    Duration tryTimeout = callTimeout.compareTo(Duration.ofSeconds(2)) < 0 ? callTimeout : Duration.ofSeconds(2);
    KvBench.Result r;
    try {
      r = KvBench.run(settings, endpoints, callTimeout, tryTimeout, out);
    } catch (RuntimeException e) {
      return parent.report(err, e, KvCli.FAILED);
    }
    out.printf(java.util.Locale.ROOT, "%d ops in %.1f s: %.1f ops/s, p50 %.2f ms, p99 %.2f ms, errors %d%n", r.ops(),
        r.seconds(), r.opsPerSecond(), r.p50Millis(), r.p99Millis(), r.errors());
    out.println(r.line());
    out.flush();
    if (r.ops() == 0) {
      err.println("kv: failed: no call completed in the measured window");
      err.flush();
      return KvCli.FAILED;
    }
    return 0;
  }
}

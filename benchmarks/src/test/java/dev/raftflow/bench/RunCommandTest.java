package dev.raftflow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A short {@code run} in process: the RESULT line keeps its fields, one error count, a report written. */
class RunCommandTest {

  /** The RESULT line's fields, in order, as the README and the peer harness read them. */
  private static final String[] RESULT_FIELDS = {"peer", "version", "settings", "size", "conc", "mode", "client", "seconds",
      "ops_per_s", "p50_us", "p90_us", "p99_us", "p999_us", "max_us", "errors", "proc_cpu_cores", "cpu_us_per_op", "gc_ms", "fsync",
      "transport", "storage", "blocking_per_op"};

  @Test
  void aShortRunEndsWithTheResultLineAndOneErrorCount(@TempDir Path dir) throws Exception {
    Path report = dir.resolve("run.html");
    CliTest.Outcome o = CliTest.raftflow("run", "--transport", "memory", "--storage", "memory", "--warmup", "1", "--seconds", "2",
        "--report", report.toString());
    assertThat(o.code()).as("exit code; err:%n%s%nout:%n%s", o.err(), o.out()).isZero();
    String result = o.out().lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElseThrow();
    String[] fields = Arrays.stream(result.substring("RESULT ".length()).split(" ")).map(f -> f.substring(0, f.indexOf('='))).toArray(String[]::new);
    assertThat(fields).containsExactly(RESULT_FIELDS);
    assertThat(result).contains("peer=raftflow version=" + VersionInfo.current() + " settings=default size=64 conc=64 mode=async client=embedded ");
    Matcher summary = Pattern.compile("; errors (\\d+)").matcher(o.out());
    Matcher inResult = Pattern.compile(" errors=(\\d+) ").matcher(result);
    assertThat(summary.find()).as("summary's error count in:%n%s", o.out()).isTrue();
    assertThat(inResult.find()).isTrue();
    assertThat(summary.group(1)).isEqualTo(inResult.group(1)).isEqualTo("0");
    assertThat(Files.readString(report)).contains("<svg").contains("(log scale)");
    if (ThreadSwitches.take() != null) { // Linux
      assertThat(o.out()).containsPattern("thread switches per command: \\d+\\.\\d\\d blocking \\(loops \\d+\\.\\d\\d, ");
      assertThat(result).containsPattern(" blocking_per_op=\\d+\\.\\d\\d$");
    }
  }

  /**
   * {@code --profile itimer}: async-profiler samples the measured seconds and writes folded stacks,
   * one tower per thread, in which the engine's loop (its drain of a node's events) shows up. (The
   * timer event, not {@code cpu}: it needs no perf events, which some machines do not allow.)
   */
  @Test
  void aProfiledRunWritesTheStacksOfTheMeasuredSeconds(@TempDir Path dir) throws Exception {
    Path stacks = dir.resolve("sub").resolve("run.collapsed");
    CliTest.Outcome o = CliTest.raftflow("run", "--transport", "memory", "--storage", "memory", "--warmup", "1", "--seconds", "2",
        "--profile", "itimer", "--profile-file", stacks.toString());
    assertThat(o.code()).as("exit code; err:%n%s%nout:%n%s", o.err(), o.out()).isZero();
    assertThat(o.out()).contains("itimer profile of the measured seconds written to " + stacks.toAbsolutePath());
    List<String> lines = Files.readAllLines(stacks);
    assertThat(lines).as("folded stacks: frames;frames count").isNotEmpty()
        .allSatisfy(l -> assertThat(l).matches(".+ \\d+"));
    assertThat(lines).as("the engine's loop was sampled").anySatisfy(l -> assertThat(l).contains("dev/raftflow/engine/node/NodeLoop.drain"));
  }

  /** {@code run --groups}: many groups on RSocket host transports and shared Chronicle logs, the load spread over them. */
  @Test
  void manyGroupsShareTheHostsTransportsAndLogs(@TempDir Path dir) throws Exception {
    CliTest.Outcome o = CliTest.raftflow("run", "--groups", "8", "--concurrency", "16", "--warmup", "1", "--seconds", "2",
        "--data-dir", dir.toString());
    assertThat(o.code()).as("exit code; err:%n%s%nout:%n%s", o.err(), o.out()).isZero();
    String result = o.out().lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElseThrow();
    assertThat(result).contains(" groups=8 ").contains(" errors=0 ").contains(" transport=rsocket storage=chronicle");
    Matcher min = Pattern.compile(" group_ops_min=(\\d+) ").matcher(result);
    assertThat(min.find()).isTrue();
    assertThat(Long.parseLong(min.group(1))).as("every group committed in the measured seconds").isPositive();
    assertThat(o.out()).containsPattern("messages in [\\d,]+ frames").containsPattern("[\\d,]+ log syncs");
    try (var hosts = Files.list(dir)) {
      assertThat(hosts.map(p -> p.getFileName().toString()).sorted()).as("one log directory per host").containsExactly("n1", "n2", "n3");
    }
  }

  @Test
  void manyGroupsRefuseARemoteClient() throws Exception {
    CliTest.Outcome o = CliTest.raftflow("run", "--groups", "4", "--client", "remote", "--transport", "memory", "--storage",
        "memory");
    assertThat(o.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(o.err()).contains("--groups above 1 runs with --client embedded");
  }
}

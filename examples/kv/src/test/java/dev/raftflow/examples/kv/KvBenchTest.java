package dev.raftflow.examples.kv;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.memory.MemoryNetwork;
import dev.raftflow.engine.node.RaftNode;
import dev.raftflow.engine.session.ExactlyOnceService;
import dev.raftflow.engine.session.SessionSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code kv bench} through the command line: briefly against three members in this JVM (in-memory
 * peers with follower reads on, each serving a {@link KvEndpoint} on 127.0.0.1) in each mode they
 * support, and its flag checks, which fail in one line before anything is sent.
 */
class KvBenchTest {

  private static final List<String> IDS = List.of("n1", "n2", "n3");
  private static final Pattern RESULT = Pattern.compile(
      "RESULT mode=(\\S+) concurrency=(\\d+) members=3 keys=(\\d+) ops=(\\d+) seconds=\\S+ ops_per_s=(\\S+) "
          + "p50_ms=(\\S+) p99_ms=(\\S+) errors=(\\d+)");

  private final List<RaftNode> nodes = new ArrayList<>();
  private final List<ExactlyOnceService> services = new ArrayList<>();
  private final List<KvEndpoint> endpoints = new ArrayList<>();
  private final List<KvStateMachine> maps = new ArrayList<>();

  private String startCluster() {
    MemoryNetwork net = new MemoryNetwork();
    RaftOptions options = RaftOptions.builder().tickInterval(Duration.ofMillis(10)).heartbeatTicks(5)
        .electionTicks(60).followerReads(true).build();
    List<String> parts = new ArrayList<>();
    for (String id : IDS) {
      RaftNode n = RaftNode.builder().id(id).members(IDS).transport(net.transport(id)).logStore(new MemoryLogStore())
          .options(options).start();
      KvStateMachine map = new KvStateMachine();
      ExactlyOnceService s = ExactlyOnceService.start(n, map, SessionSettings.defaults());
      KvEndpoint e = KvEndpoint.start(n, s, map, "127.0.0.1", 0);
      nodes.add(n);
      services.add(s);
      endpoints.add(e);
      maps.add(map);
      parts.add(id + "=127.0.0.1:" + e.address().getPort());
    }
    return String.join(",", parts);
  }

  @AfterEach
  void stop() {
    endpoints.forEach(KvEndpoint::close);
    services.forEach(ExactlyOnceService::close);
    nodes.forEach(RaftNode::close);
  }

  @Test
  void eachModeReportsAPositiveRateWithoutErrors() {
    String members = startCluster();
    for (String mode : List.of("read-index", "follower", "write")) {
      KvCommandLineTest.Run run = KvCommandLineTest.kv("--endpoints", members, "--timeout-ms", "10000", "bench",
          "--mode", mode, "--concurrency", "8", "--keys", "40", "--warmup-s", "0", "--seconds", "1");
      assertThat(run.code()).as(mode + ": " + run.out() + run.err()).isZero();
      Matcher m = RESULT.matcher(run.out());
      assertThat(m.find()).as(mode + " prints a RESULT line: " + run.out()).isTrue();
      assertThat(m.group(1)).isEqualTo(mode);
      assertThat(m.group(2)).isEqualTo("8");
      assertThat(Long.parseLong(m.group(4))).as(mode + " ops").isPositive();
      assertThat(Double.parseDouble(m.group(5))).as(mode + " ops/s").isPositive();
      assertThat(Double.parseDouble(m.group(6))).as(mode + " p50").isPositive()
          .isLessThanOrEqualTo(Double.parseDouble(m.group(7)));
      assertThat(m.group(8)).as(mode + " errors").isEqualTo("0");
    }
    // the preload put every key, and every member applied it
    for (KvStateMachine map : maps) {
      awaitSize(map, 40);
      assertThat(map.range(null, null, 1000).stream().map(KvEntry::key).collect(Collectors.toList()))
          .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 40).mapToObj(KvBench::key).toList());
    }
  }

  private static void awaitSize(KvStateMachine map, int size) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (map.size() < size && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "--mode=fast|--mode must be one of read-index, lease, follower, write; was 'fast'",
      "--mode=write --concurrency=0|--concurrency must be 1..4096, was 0",
      "--mode=write --keys=0|--keys must be 1..1000000, was 0",
      "--mode=write --value-bytes=-1|--value-bytes must be 0..65536, was -1",
      "--mode=write --seconds=0|--seconds must be 1..86400, was 0",
      "--mode=write --warmup-s=-1|--warmup-s must be 0..86400, was -1"})
  void badFlagsFailInOneLineBeforeSending(String spec) {
    String[] parts = spec.split("\\|");
    List<String> args = new ArrayList<>(List.of("--endpoints", "n1=127.0.0.1:1", "bench"));
    args.addAll(List.of(parts[0].split(" ")));
    KvCommandLineTest.Run run = KvCommandLineTest.kv(args.toArray(String[]::new));
    assertThat(run.code()).isEqualTo(KvCli.USAGE);
    assertThat(run.err()).isEqualTo("kv: " + parts[1] + System.lineSeparator());
    assertThat(run.out()).isEmpty();
  }

  @Test
  void readFromAndMissingEndpointsAreRefused() {
    KvCommandLineTest.Run readFrom = KvCommandLineTest.kv("--endpoints", "n1=127.0.0.1:1", "--read-from", "n1",
        "bench", "--mode", "follower");
    assertThat(readFrom.code()).isEqualTo(KvCli.USAGE);
    assertThat(readFrom.err()).startsWith("kv: --read-from does not apply to bench");
    KvCommandLineTest.Run noEndpoints = KvCommandLineTest.kv("bench", "--mode", "write");
    assertThat(noEndpoints.code()).isEqualTo(KvCli.USAGE);
    assertThat(noEndpoints.err()).isEqualTo("kv: --endpoints is required: id=host:port,..." + System.lineSeparator());
  }

  @Test
  void percentilesAreNearestRank() {
    long[] sorted = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    assertThat(KvBench.percentile(sorted, 0.5)).isEqualTo(5);
    assertThat(KvBench.percentile(sorted, 0.99)).isEqualTo(10);
    assertThat(KvBench.percentile(new long[0], 0.5)).isZero();
    assertThat(String.format(Locale.ROOT, "%s", KvBench.key(7))).isEqualTo("bench-0000007");
  }
}

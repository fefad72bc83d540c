package dev.raftflow.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.node.RaftNode;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code node --metrics-listen}: the node's meters over HTTP in the Prometheus text format. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetricsListenTest {

  @TempDir
  Path dir;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void servesRealCountsAndLatenciesAfterProposals() throws Exception {
    NodeCommand command = new NodeCommand();
    try (InProcessCommand c = InProcessCommand.start(command, "--id", "m1", "--listen", "127.0.0.1:0", "--data-dir",
        dir.resolve("m1").toString(), "--durability", "os-cache", "--metrics-listen", "127.0.0.1:0")) {
      String ready = c.awaitLine("READY .*");
      Matcher m = Pattern.compile(" metrics=([^ ]+):(\\d+) ").matcher(ready);
      assertThat(m.find()).as(ready).isTrue();
      String base = "http://127.0.0.1:" + m.group(2);
      c.awaitLine("STATE id=m1 .*role=LEADER.*");
      RaftNode node = command.node();
      for (int i = 0; i < 25; i++) {
        node.submit(new byte[] {(byte) i}).block(Duration.ofSeconds(5));
      }
      NodeCommandTest.await(() -> node.metrics().applyLatency().count() == node.state().appliedIndex(),
          "every entry applied");

      HttpResponse<String> r = get(base + "/metrics");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("content-type")).hasValue(MetricsEndpoint.CONTENT_TYPE);
      String text = r.body();
      assertThat(value(text, "raftflow_proposals_accepted_total")).isEqualTo(25);
      assertThat(value(text, "raftflow_commit_latency_seconds_count")).isEqualTo(25);
      assertThat(value(text, "raftflow_commit_latency_seconds_sum")).isPositive();
      assertThat(value(text, "raftflow_leader")).isEqualTo(1);
      assertThat(value(text, "raftflow_index_commit")).isGreaterThanOrEqualTo(25);
      assertThat(value(text, "raftflow_log_bytes_written_total")).as("25 one-byte commands").isEqualTo(25);
      assertThat(text).containsPattern("raftflow_commit_latency_quantile_seconds\\{node=\"m1\",quantile=\"0.99\"\\} [0-9.eE-]+")
          .contains("# HELP raftflow_apply_latency_seconds").contains("raftflow_transport_messages_sent_total")
          .contains("jvm_memory_used_bytes");

      assertThat(get(base + "/other").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void aBadOrBusyMetricsAddressIsAClearError() throws Exception {
    InProcessCommand bad = InProcessCommand.run(new NodeCommand(), "--id", "m2", "--listen", "127.0.0.1:0",
        "--data-dir", dir.resolve("m2").toString(), "--metrics-listen", "nowhere");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.err()).contains("--metrics-listen").contains("'nowhere' is not host:port");
    assertThat(dir.resolve("m2")).doesNotExist();

    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      InProcessCommand busy = InProcessCommand.run(new NodeCommand(), "--id", "m3", "--listen", "127.0.0.1:0",
          "--data-dir", dir.resolve("m3").toString(), "--metrics-listen", "127.0.0.1:" + taken.getLocalPort());
      assertThat(busy.exitCode()).isNotZero();
      assertThat(busy.err()).contains("cannot serve metrics on 127.0.0.1:" + taken.getLocalPort());
    }
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The value of the sample {@code name{node="m1"...}} in Prometheus text. */
  private static double value(String text, String name) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{[^}]*node=\"m1\"[^}]*\\} ([0-9.eE+-]+)$").matcher(text);
    assertThat(m.find()).as("%s in:%n%s", name, text).isTrue();
    return Double.parseDouble(m.group(1));
  }
}

package dev.raftflow.examples.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The {@code kv} command line run through picocli in this JVM: a one-member {@code kv server} on
 * 127.0.0.1 with a Chronicle log, driven by the client commands (output and exit codes), and the
 * usage errors, each one line without a stack trace.
 */
class KvCommandLineTest {

  @TempDir
  Path dir;

  /** One command's exit code and captured streams. */
  record Run(int code, String out, String err) {}

  static Run kv(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = KvCli.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void aServerStartedByTheCommandLineServesEveryClientCommand() throws Exception {
    StringWriter serverOut = new StringWriter();
    CommandLine cl = KvCli.commandLine();
    cl.setOut(new PrintWriter(serverOut, true));
    cl.setErr(new PrintWriter(new StringWriter(), true));
    KvServerCommand server = (KvServerCommand) cl.getSubcommands().get("server").getCommand();
    CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cl.execute("server", "--id", "n1",
        "--listen", "127.0.0.1:0", "--data-dir", dir.resolve("n1").toString(), "--durability", "os-cache",
        "--lease-reads", "--tick-ms", "10"));
    try {
      assertThat(server.awaitServing(Duration.ofSeconds(30))).as("serving; out: " + serverOut).isTrue();
      String client = awaitReady(serverOut, exit);
      String endpoints = "n1=" + client;

      assertThat(kv("--endpoints", endpoints, "put", "a", "1")).isEqualTo(new Run(0, "OK" + nl(), ""));
      assertThat(kv("--endpoints", endpoints, "get", "a")).isEqualTo(new Run(0, "1" + nl(), ""));
      assertThat(kv("--endpoints", endpoints, "cas", "a", "1", "2").code()).isZero();
      Run refused = kv("--endpoints", endpoints, "cas", "a", "1", "3");
      assertThat(refused.code()).isEqualTo(KvCli.NO);
      assertThat(refused.out()).contains("NOT APPLIED: 'a' is '2'");
      assertThat(kv("--endpoints", endpoints, "cas", "--absent", "b", "x").code()).isZero();
      assertThat(kv("--endpoints", endpoints, "cas", "--absent", "b", "y").code()).isEqualTo(KvCli.NO);
      assertThat(kv("--endpoints", endpoints, "put", "c", "3").code()).isZero();
      assertThat(kv("--endpoints", endpoints, "range").out()).isEqualTo("a=2" + nl() + "b=x" + nl() + "c=3" + nl());
      assertThat(kv("--endpoints", endpoints, "range", "b", "c").out()).isEqualTo("b=x" + nl());
      assertThat(kv("--endpoints", endpoints, "range", "--limit", "1").out()).isEqualTo("a=2" + nl());
      assertThat(kv("--endpoints", endpoints, "delete", "a").code()).isZero();
      Run absent = kv("--endpoints", endpoints, "get", "a");
      assertThat(absent.code()).isEqualTo(KvCli.NO);
      assertThat(absent.err()).contains("'a' is absent");
      assertThat(server.map().size()).isEqualTo(2);
      assertThat(server.sessions().openSessions()).as("each CLI call closes its session").isZero();
    } finally {
      server.shutdown();
    }
    assertThat(exit.get(30, TimeUnit.SECONDS)).isZero();
    assertThat(serverOut.toString()).contains("STATE");
  }

  private static String awaitReady(StringWriter out, CompletableFuture<Integer> exit) throws InterruptedException {
    Pattern ready = Pattern.compile("READY id=n1 peer=\\S+ client=(\\S+) ");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline && !exit.isDone()) {
      Matcher m = ready.matcher(out.toString());
      if (m.find()) {
        return m.group(1);
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no READY line: " + out);
  }

  private static String nl() {
    return System.lineSeparator();
  }

  @Test
  void badInputIsAUsageErrorInOneLine() {
    Run none = kv();
    assertThat(none.code()).isEqualTo(KvCli.USAGE);
    assertThat(none.err()).contains("name a command");

    Run endpoints = kv("--endpoints", "n1=nohost", "get", "a");
    assertThat(endpoints.code()).isEqualTo(KvCli.USAGE);
    assertThat(endpoints.err()).isEqualTo("kv: --endpoints: 'n1=nohost' is not id=host:port" + nl());

    Run missing = kv("get", "a");
    assertThat(missing.code()).isEqualTo(KvCli.USAGE);
    assertThat(missing.err()).contains("--endpoints is required");

    Run cas = kv("--endpoints", "n1=127.0.0.1:1", "cas", "a", "b");
    assertThat(cas.code()).isEqualTo(KvCli.USAGE);
    assertThat(cas.err()).contains("cas takes KEY EXPECTED NEW");

    Run limit = kv("--endpoints", "n1=127.0.0.1:1", "range", "--limit", "0");
    assertThat(limit.code()).isEqualTo(KvCli.USAGE);
    assertThat(limit.err()).contains("range limit is 1..");

    Run lease = kv("server", "--id", "n1", "--listen", "127.0.0.1:0", "--data-dir", dir.toString(), "--lease-reads",
        "--check-quorum", "false");
    assertThat(lease.code()).isEqualTo(KvCli.USAGE);
    assertThat(lease.err()).contains("--lease-reads needs --check-quorum true").doesNotContain("\tat ");
  }

  @Test
  void theServerHelpListsNodesFlagsAndItsOwn() {
    Run help = kv("server", "--help");
    assertThat(help.code()).isZero();
    assertThat(help.out()).contains("--peers", "--data-dir", "--secret-file", "--election-ticks", "--lease-reads",
        "--follower-reads", "--snapshot-every");
  }

  @Test
  void noAnswerIsAFailureWithoutAStackTrace() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort(); // closed below: nothing listens there
    }
    Run r = kv("--endpoints", "n1=127.0.0.1:" + port, "--timeout-ms", "1500", "get", "a");
    assertThat(r.code()).isEqualTo(KvCli.FAILED);
    assertThat(r.err()).startsWith("kv: failed: no member answered within 1500 ms").doesNotContain("\tat ");
    assertThat(r.err().lines()).hasSize(1);
  }

  @Test
  void endpointsParseInOrderAndRefuseDuplicates() {
    assertThat(KvCli.parseEndpoints("n1=127.0.0.1:7001, n2=localhost:7002").keySet()).containsExactly("n1", "n2");
    assertThat(KvCli.parseEndpoints("n1=[::1]:7001").get("n1").getHostString()).isEqualTo("::1");
    assertThatThrownBy(() -> KvCli.parseEndpoints("n1=a:1,n1=b:2"))
        .hasMessageContaining("listed twice");
    assertThatThrownBy(() -> KvCli.parseEndpoints("n1=a:99999"))
        .hasMessageContaining("not 1..65535");
  }
}

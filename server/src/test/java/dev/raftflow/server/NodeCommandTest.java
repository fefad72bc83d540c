package dev.raftflow.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.RaftOptions;
import dev.raftflow.testkit.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code node} through picocli in this JVM: what it refuses before starting (insecure non-loopback
 * listening, malformed addresses, unknown config keys, numbers out of bounds), the timing options it
 * hands the engine, the timestamps on its status lines, and whom its peer port accepts.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NodeCommandTest {

  private static final String UTC_MILLIS = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";

  @TempDir
  Path dir;

  @Test
  void refusesToListenBeyondLoopbackWithoutASecretOrTls() throws Exception {
    InProcessCommand c = InProcessCommand.run(new NodeCommand(), "--id", "n1", "--listen", "0.0.0.0:0",
        "--data-dir", dir.resolve("n1").toString());
    assertThat(c.exitCode()).isEqualTo(2);
    assertThat(c.err()).contains("--secret-file").contains("--tls-cert").contains("--insecure");
    assertThat(c.out()).doesNotContain("READY");
    assertThat(dir.resolve("n1")).doesNotExist();
  }

  @Test
  void aSecretTooShortOrAnIncompleteTlsSetIsRefused() throws Exception {
    Path secret = Files.writeString(dir.resolve("secret"), "short\n");
    InProcessCommand c = InProcessCommand.run(new NodeCommand(), "--id", "n1", "--listen", "127.0.0.1:0",
        "--data-dir", dir.resolve("n1").toString(), "--secret-file", secret.toString());
    assertThat(c.exitCode()).isEqualTo(2);
    assertThat(c.err()).contains("--secret-file").contains("at least 16");

    Path cert = Files.writeString(dir.resolve("cert.pem"), "x");
    InProcessCommand tls = InProcessCommand.run(new NodeCommand(), "--id", "n1", "--listen", "127.0.0.1:0",
        "--data-dir", dir.resolve("n1").toString(), "--tls-cert", cert.toString());
    assertThat(tls.exitCode()).isEqualTo(2);
    assertThat(tls.err()).contains("--tls-cert, --tls-key and --tls-trust");

    InProcessCommand missing = InProcessCommand.run(new NodeCommand(), "--id", "n1", "--listen", "127.0.0.1:0",
        "--data-dir", dir.resolve("n1").toString(), "--secret-file", dir.resolve("nothing-here").toString());
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("nothing-here").contains("not a readable file");
  }

  @ParameterizedTest
  @ValueSource(strings = {"--listen=127.0.0.1:abc", "--listen=no-port", "--listen=127.0.0.1:70000",
      "--client-listen=127.0.0.1:", "--peers=n2=127.0.0.1", "--peers=n2", "--peers=n2=127.0.0.1:7002,n2=127.0.0.1:7003",
      "--peers=n1=127.0.0.1:7001", "--id=a=b"})
  void aMalformedAddressOrIdIsOneLineWithoutAStackTrace(String bad) throws Exception {
    String flag = bad.substring(0, bad.indexOf('='));
    List<String> args = new ArrayList<>(List.of("--data-dir", dir.resolve("n1").toString(), bad));
    if (!flag.equals("--id")) {
      args.addAll(List.of("--id", "n1"));
    }
    if (!flag.equals("--listen")) {
      args.addAll(List.of("--listen", "127.0.0.1:0"));
    }
    InProcessCommand c = InProcessCommand.run(new NodeCommand(), args.toArray(String[]::new));
    assertThat(c.exitCode()).as("exit code for %s (err: %s)", bad, c.err()).isEqualTo(2);
    assertThat(c.err().strip().lines()).as(c.err()).hasSize(1);
    assertThat(c.err()).doesNotContain("Exception").doesNotContain("\tat ");
    assertThat(dir.resolve("n1")).doesNotExist();

    args.add("--verbose");
    InProcessCommand verbose = InProcessCommand.run(new NodeCommand(), args.toArray(String[]::new));
    assertThat(verbose.exitCode()).isEqualTo(2);
    assertThat(verbose.err()).contains("\tat ");
  }

  @Test
  void anUnknownConfigKeyIsAnError() throws Exception {
    Path config = Files.writeString(dir.resolve("node.properties"),
        "id=n1\nlisten=127.0.0.1:0\ndata-dir=" + dir.resolve("n1") + "\nelecton-ticks=30\n");
    InProcessCommand c = InProcessCommand.run(new NodeCommand(), "--config", config.toString());
    assertThat(c.exitCode()).isEqualTo(2);
    assertThat(c.err()).contains("unknown key").contains("electon-ticks").contains("election-ticks");
    assertThat(dir.resolve("n1")).doesNotExist();
  }

  @ParameterizedTest
  @ValueSource(strings = {"--tick-ms=0", "--tick-ms=-5", "--heartbeat-ticks=0", "--election-ticks=5",
      "--election-ticks=1", "--check-quorum=maybe", "--durability=sometimes", "--log-entries-in-memory=0"})
  void numericAndChoiceFlagsAreCheckedBeforeAnythingStarts(String bad) throws Exception {
    InProcessCommand c = InProcessCommand.run(new NodeCommand(), "--id", "n1", "--listen", "127.0.0.1:0",
        "--data-dir", dir.resolve("n1").toString(), bad);
    assertThat(c.exitCode()).as("exit code for %s (err: %s)", bad, c.err()).isEqualTo(2);
    assertThat(c.err()).doesNotContain("\tat ");
    assertThat(dir.resolve("n1")).doesNotExist();
  }

  @Test
  void aConfigValueOfTheWrongKindNamesTheKeyAndTheFile() throws Exception {
    Path config = Files.writeString(dir.resolve("node.properties"), "heartbeat-ticks=abc\npre-vote=yes\n");
    InProcessCommand c = InProcessCommand.run(new NodeCommand(), "--config", config.toString(), "--id", "n1",
        "--listen", "127.0.0.1:0", "--data-dir", dir.resolve("n1").toString());
    assertThat(c.exitCode()).isEqualTo(2);
    assertThat(c.err()).contains("heartbeat-ticks").contains("node.properties").contains("'abc'");
  }

  @Test
  void timingFlagsAndConfigKeysReachTheEngine() throws Exception {
    try (InProcessCommand flags = startNode("n1", "--tick-ms", "20", "--heartbeat-ticks", "3", "--election-ticks",
        "12", "--check-quorum", "false", "--pre-vote", "false", "--log-entries-in-memory", "256")) {
      flags.awaitLine("READY .*");
      RaftOptions o = ((NodeCommand) command(flags)).node().options();
      assertThat(o.logEntriesInMemory()).isEqualTo(256);
      assertThat(o.tickInterval()).isEqualTo(Duration.ofMillis(20));
      assertThat(o.heartbeatTicks()).isEqualTo(3);
      assertThat(o.electionTicks()).isEqualTo(12);
      assertThat(o.checkQuorum()).isFalse();
      assertThat(o.preVote()).isFalse();
    }
    Path config = Files.writeString(dir.resolve("node.properties"),
        "tick-ms=25\nheartbeat-ticks=4\nelection-ticks=40\ncheck-quorum=false\npre-vote=true\n");
    try (InProcessCommand file = startNode("n2", "--config", config.toString(), "--election-ticks", "30")) {
      file.awaitLine("READY .*");
      RaftOptions o = ((NodeCommand) command(file)).node().options();
      assertThat(o.tickInterval()).isEqualTo(Duration.ofMillis(25));
      assertThat(o.heartbeatTicks()).isEqualTo(4);
      assertThat(o.electionTicks()).as("the flag wins over the file").isEqualTo(30);
      assertThat(o.checkQuorum()).isFalse();
      assertThat(o.preVote()).isTrue();
      assertThat(o.logEntriesInMemory()).isEqualTo(Integer.MAX_VALUE);
    }
  }

  @Test
  void stateAndMembersLinesCarryAUtcTimestamp() throws Exception {
    try (InProcessCommand n = startNode("n1")) {
      n.awaitLine("MEMBERS id=n1 voters=\\[n1\\] outgoing=\\[\\] learners=\\[\\] at=" + UTC_MILLIS);
      n.awaitLine("STATE id=n1 term=\\d+ role=LEADER leader=n1 commit=\\d+ at=" + UTC_MILLIS);
      for (String line : n.out().split("\\R")) {
        if (line.startsWith("STATE") || line.startsWith("MEMBERS")) {
          assertThat(line).matches(".* at=" + UTC_MILLIS);
        }
      }
    }
  }

  @Test
  void aPeerWithAnUnknownIdIsRefusedUnlessJoinersAreAllowed() throws Exception {
    try (InProcessCommand n1 = startNode("n1")) {
      int port = peerPort(n1.awaitLine("READY .*"));
      assertThat(n1.out()).contains("joiners=refused");
      try (InProcessCommand n9 = startNode("n9", "--peers", "n1=127.0.0.1:" + port)) {
        n9.awaitLine("READY .*");
        NodeCommand node1 = (NodeCommand) command(n1);
        await(() -> node1.transport().metrics().refusedConnections() > 0, "n1 to refuse n9");
        assertThat(node1.transport().lastRefusal()).contains("unknown node id 'n9'");
        assertThat(node1.transport().peers()).doesNotContain("n9");
      }
    }
    try (InProcessCommand n1 = startNode("n1", "--allow-joiners")) {
      int port = peerPort(n1.awaitLine("READY .*"));
      assertThat(n1.out()).contains("joiners=allowed");
      try (InProcessCommand n9 = startNode("n9", "--peers", "n1=127.0.0.1:" + port)) {
        n9.awaitLine("READY .*");
        NodeCommand node1 = (NodeCommand) command(n1);
        await(() -> node1.transport().peers().contains("n9"), "n1 to accept n9");
        assertThat(node1.transport().metrics().refusedConnections()).isZero();
      }
    }
  }

  @Test
  void peersWithDifferentSecretsRefuseEachOther() throws Exception {
    Path a = Files.writeString(dir.resolve("a.secret"), "0123456789abcdef-one\n");
    Path b = Files.writeString(dir.resolve("b.secret"), "0123456789abcdef-two\n");
    try (InProcessCommand n1 = startNode("n1", "--secret-file", a.toString(), "--peers", "n2=127.0.0.1:1")) {
      int port = peerPort(n1.awaitLine("READY .*peer-auth=secret.*"));
      try (InProcessCommand n2 = startNode("n2", "--secret-file", b.toString(), "--peers", "n1=127.0.0.1:" + port)) {
        n2.awaitLine("READY .*");
        NodeCommand node1 = (NodeCommand) command(n1);
        await(() -> node1.transport().metrics().refusedConnections() > 0, "n1 to refuse n2");
        assertThat(node1.transport().lastRefusal()).isNotNull().doesNotContain("unknown node id");
      }
    }
  }

  @Test
  void twoNodesWithMutualTlsFromPemFilesElectALeader() throws Exception {
    Path[] pem = selfSignedPem("peer");
    String[] tls = {"--tls-cert", pem[0].toString(), "--tls-key", pem[1].toString(), "--tls-trust", pem[0].toString()};
    int p1 = FreePorts.forServer();
    int p2 = FreePorts.forServer();
    try (InProcessCommand n1 = startNode("n1", concat(tls, "--listen", "127.0.0.1:" + p1, "--peers", "n2=127.0.0.1:" + p2));
        InProcessCommand n2 = startNode("n2", concat(tls, "--listen", "127.0.0.1:" + p2, "--peers", "n1=127.0.0.1:" + p1))) {
      assertThat(n1.awaitLine("READY .*")).contains("peer-auth=tls");
      n2.awaitLine("READY .*");
      await(() -> n1.out().contains("role=LEADER") || n2.out().contains("role=LEADER"), "a leader over TLS");
      NodeCommand node1 = (NodeCommand) command(n1);
      assertThat(node1.transport().metrics().refusedConnections()).isZero();
    }
  }

  /**
   * A self-signed EC certificate (PEM) for 127.0.0.1 and localhost (a dialer checks that the peer's
   * certificate names the address it dialed) and its PKCS#8 key (PEM), made with the JDK's keytool.
   */
  private Path[] selfSignedPem(String name) throws Exception {
    Path store = dir.resolve(name + ".p12");
    char[] password = "changeit".toCharArray();
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=" + name, "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(),
        "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("keytool: %s", out).isZero();
    java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
    try (java.io.InputStream in = Files.newInputStream(store)) {
      ks.load(in, password);
    }
    java.util.Base64.Encoder b64 = java.util.Base64.getMimeEncoder(64, "\n".getBytes());
    Path cert = Files.writeString(dir.resolve(name + ".crt"), "-----BEGIN CERTIFICATE-----\n"
        + b64.encodeToString(ks.getCertificate(name).getEncoded()) + "\n-----END CERTIFICATE-----\n");
    Path key = Files.writeString(dir.resolve(name + ".key"), "-----BEGIN PRIVATE KEY-----\n"
        + b64.encodeToString(ks.getKey(name, password).getEncoded()) + "\n-----END PRIVATE KEY-----\n");
    return new Path[] {cert, key};
  }

  private static String[] concat(String[] a, String... b) {
    List<String> all = new ArrayList<>(List.of(a));
    all.addAll(List.of(b));
    return all.toArray(String[]::new);
  }

  // ---------------------------------------------------------------- helpers

  private final java.util.Map<InProcessCommand, Object> commands = new java.util.IdentityHashMap<>();

  @Test
  void namedGroupsRunAndAClientReachesEachByName() throws Exception {
    try (InProcessCommand node = startNode("n1", "--groups", "orders,users")) {
      String ready = node.awaitLine("READY .*groups=2 .*");
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("client=(\\S+):(\\d+)").matcher(ready);
      assertThat(m.find()).as(ready).isTrue();
      java.util.Map<String, java.net.InetSocketAddress> endpoints =
          java.util.Map.of("n1", new java.net.InetSocketAddress(m.group(1), Integer.parseInt(m.group(2))));
      for (String group : List.of("orders", "users")) {
        try (dev.raftflow.client.RemoteClient c = new dev.raftflow.client.RemoteClient(endpoints, group)) {
          assertThat(c.propose(new byte[] {1}, Duration.ofSeconds(5))
              .retryWhen(reactor.util.retry.Retry.fixedDelay(100, Duration.ofMillis(50))).block(Duration.ofSeconds(30))
              .index()).as(group).isPositive();
        }
      }
      try (dev.raftflow.client.RemoteClient none = new dev.raftflow.client.RemoteClient(endpoints, "g0")) {
        assertThatThrownBy(() -> none.propose(new byte[] {1}, Duration.ofSeconds(2)).block(Duration.ofSeconds(10)))
            .as("a group this node does not run").isNotNull();
      }
    }
    InProcessCommand bad = InProcessCommand.run(new NodeCommand(), "--id", "n9", "--listen", "127.0.0.1:0",
        "--data-dir", dir.resolve("n9").toString(), "--groups", "a,a");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.err()).contains("--groups names group 'a' twice");
  }

  private InProcessCommand startNode(String id, String... more) {
    List<String> args = new ArrayList<>(List.of("--id", id, "--data-dir", dir.resolve(id + "-" + System.nanoTime()).toString()));
    args.addAll(List.of(more));
    if (!args.contains("--listen")) {
      args.addAll(List.of("--listen", "127.0.0.1:0"));
    }
    NodeCommand node = new NodeCommand();
    InProcessCommand c = InProcessCommand.start(node, args.toArray(String[]::new));
    commands.put(c, node);
    return c;
  }

  private Object command(InProcessCommand c) {
    return commands.get(c);
  }

  static int peerPort(String readyLine) {
    Matcher m = Pattern.compile("peer=[^ ]+:(\\d+)").matcher(readyLine);
    assertThat(m.find()).as(readyLine).isTrue();
    return Integer.parseInt(m.group(1));
  }

  static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }
}

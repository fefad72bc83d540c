package dev.raftflow.transport.rsocket;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.message.RequestVote;
import dev.raftflow.transport.rsocket.TestKit.Inbox;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Identity at setup (cluster id, node ids, shared secret) and TLS: intruders are refused with a
 * logged reason while the server keeps serving its real peers.
 */
@Timeout(30)
class SecurityTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final byte[] SECRET = "correct horse battery staple".getBytes(StandardCharsets.UTF_8);
  private static final char[] PASSWORD = "changeit".toCharArray();

  @TempDir
  static Path dir;

  private static Path clusterStore;
  private static Path strangerStore;

  @BeforeAll
  static void certificates() throws Exception {
    clusterStore = selfSigned("cluster");
    strangerStore = selfSigned("stranger");
  }

  @AfterAll
  static void noLeaks() {
    LeakRecorder.assertNoLeaks();
  }

  /** A self-signed EC certificate for 127.0.0.1 made by the JDK's keytool (no extra dependency). */
  static Path selfSigned(String name) throws Exception {
    Path store = dir.resolve(name + ".p12");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=" + name, "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
        "-keystore", store.toString(), "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("keytool: %s", out).isZero();
    return store;
  }

  static KeyStore load(Path store) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, PASSWORD);
    }
    return ks;
  }

  /** Mutual TLS: each side presents {@code own} and trusts only {@code trusted}. */
  static UnaryOperator<RSocketTransport.Builder> tls(Path own, Path trusted) {
    return b -> {
      try {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(load(own), PASSWORD);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(load(trusted));
        SslContext server = SslContextBuilder.forServer(kmf).trustManager(tmf).clientAuth(ClientAuth.REQUIRE).build();
        SslContext client = SslContextBuilder.forClient().keyManager(kmf).trustManager(tmf).build();
        return b.tls(server, client);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    };
  }

  private static RSocketTransport intruder(String cluster, String id, byte[] secret, RSocketTransport target,
      UnaryOperator<RSocketTransport.Builder> custom) {
    RSocketTransport.Builder b = RSocketTransport.builder().clusterId(cluster).nodeId(id)
        .peer(target.nodeId(), target.localAddress()).backoff(Duration.ofMillis(20), Duration.ofMillis(100));
    if (secret != null) {
      b.sharedSecret(secret);
    }
    return custom.apply(b).start();
  }

  /** Sends from the intruder and checks it is refused for {@code reason} while n2 still gets through. */
  private static void assertRefused(RSocketTransport intruder, Map<String, RSocketTransport> ts, Inbox in1, String reason) {
    RSocketTransport n1 = ts.get("n1");
    long refused = n1.metrics().refusedConnections();
    TestKit.await("n1 refuses " + intruder.nodeId(), WAIT, () -> {
      intruder.send(new RequestVote(66, intruder.nodeId(), "n1", 0, 0));
      return n1.metrics().refusedConnections() > refused;
    });
    assertThat(n1.lastRefusal()).contains(reason);
    Message fromPeer = TestKit.sendUntilReceived(ts.get("n2"), new RequestVote(7, "n2", "n1", 0, 0), in1, WAIT);
    assertThat(fromPeer.from()).isEqualTo("n2");
    assertThat(in1.received).noneMatch(m -> m.term() == 66);
  }

  @Test
  void refusesOtherClustersUnknownNodesAndBadSecretsAndKeepsServing() {
    Map<String, RSocketTransport> ts = TestKit.cluster(List.of("n1", "n2"), b -> b.sharedSecret(SECRET));
    Inbox in1 = Inbox.unbounded(ts.get("n1"));
    List<RSocketTransport> intruders = new java.util.ArrayList<>();
    try {
      TestKit.sendUntilReceived(ts.get("n2"), new RequestVote(1, "n2", "n1", 0, 0), in1, WAIT);
      RSocketTransport other = intruder("another-cluster", "n2", SECRET, ts.get("n1"), b -> b);
      intruders.add(other);
      assertRefused(other, ts, in1, "belongs to cluster 'another-cluster'");

      RSocketTransport unknown = intruder("test", "n9", SECRET, ts.get("n1"), b -> b);
      intruders.add(unknown);
      assertRefused(unknown, ts, in1, "unknown node id 'n9'");

      RSocketTransport badSecret = intruder("test", "n2", "not the right secret!".getBytes(StandardCharsets.UTF_8),
          ts.get("n1"), b -> b);
      intruders.add(badSecret);
      assertRefused(badSecret, ts, in1, "bad shared-secret proof");

      RSocketTransport noSecret = intruder("test", "n2", null, ts.get("n1"), b -> b);
      intruders.add(noSecret);
      assertRefused(noSecret, ts, in1, "no shared-secret proof");

      assertThat(ts.get("n1").metrics().refusedConnections()).isGreaterThanOrEqualTo(4);
      assertThat(ts.get("n1").metrics().rejectedFrames()).isZero();
    } finally {
      intruders.forEach(RSocketTransport::close);
      TestKit.closeAll(ts);
    }
  }

  @Test
  void aNodeDialedAtTheWrongAddressRefusesTheMisdirectedPeer() {
    Map<String, RSocketTransport> ts = TestKit.cluster(List.of("n1", "n2", "n3"), b -> b);
    Inbox in1 = Inbox.unbounded(ts.get("n1"));
    try {
      // n3 believes n1 listens where n2 does: n2 refuses a connection meant for n1
      ts.get("n3").peerAddress("n1", ts.get("n2").localAddress());
      TestKit.await("n2 refuses", WAIT, () -> {
        ts.get("n3").send(new RequestVote(1, "n3", "n1", 0, 0));
        return ts.get("n2").metrics().refusedConnections() > 0;
      });
      assertThat(ts.get("n2").lastRefusal()).contains("dialed 'n1' but reached 'n2'");
      ts.get("n3").peerAddress("n1", ts.get("n1").localAddress());
      TestKit.sendUntilReceived(ts.get("n3"), new RequestVote(2, "n3", "n1", 0, 0), in1, WAIT);
    } finally {
      TestKit.closeAll(ts);
    }
  }

  @Test
  void tlsPeersTalkWhilePlaintextAndUntrustedDialersGetNothingThrough() {
    Map<String, RSocketTransport> ts = TestKit.cluster(List.of("n1", "n2"), tls(clusterStore, clusterStore));
    Inbox in1 = Inbox.unbounded(ts.get("n1"));
    Inbox in2 = Inbox.unbounded(ts.get("n2"));
    RSocketTransport plain = intruder("test", "n2", null, ts.get("n1"), b -> b);
    RSocketTransport stranger = intruder("test", "n2", null, ts.get("n1"), tls(strangerStore, clusterStore));
    try {
      TestKit.sendUntilReceived(ts.get("n2"), new RequestVote(1, "n2", "n1", 0, 0), in1, WAIT);
      TestKit.sendUntilReceived(ts.get("n1"), new RequestVote(1, "n1", "n2", 0, 0), in2, WAIT);
      // both intruders dial repeatedly (their links fail and back off) while n2 keeps getting through
      TestKit.await("both intruders dialed at least twice", WAIT, () -> {
        plain.send(new RequestVote(66, "n2", "n1", 0, 0));
        stranger.send(new RequestVote(66, "n2", "n1", 0, 0));
        TestKit.sendUntilReceived(ts.get("n2"), new RequestVote(8, "n2", "n1", 0, 0), in1, WAIT);
        return dials(plain) >= 2 && dials(stranger) >= 2;
      });
      TestKit.sendUntilReceived(ts.get("n2"), new RequestVote(9, "n2", "n1", 0, 0), in1, WAIT);
      assertThat(in1.received).noneMatch(m -> m.term() == 66);
      assertThat(ts.get("n1").metrics().rejectedFrames()).isZero();
    } finally {
      plain.close();
      stranger.close();
      TestKit.closeAll(ts);
    }
  }

  private static long dials(RSocketTransport t) {
    TransportMetrics m = t.metrics();
    return m.connects() + m.connectFailures();
  }
}

package dev.raftflow.transport.rsocket;

import static dev.raftflow.transport.rsocket.TestKit.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.message.RequestVote;
import dev.raftflow.transport.rsocket.TestKit.Inbox;
import io.netty.buffer.ByteBufAllocator;
import io.rsocket.Payload;
import io.rsocket.RSocket;
import io.rsocket.core.RSocketConnector;
import io.rsocket.transport.netty.client.TcpClientTransport;
import io.rsocket.util.ByteBufPayload;
import io.rsocket.util.DefaultPayload;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;

/** Peers added and removed while the transport runs (group membership changes). */
@Timeout(30)
class PeerSetTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  @AfterAll
  static void noLeaks() {
    LeakRecorder.assertNoLeaks();
  }

  private static RequestVote vote(long term, String from, String to) {
    return new RequestVote(term, from, to, 0, 0);
  }

  @Test
  void anAddedPeerIsDialedAndAccepted() {
    Map<String, RSocketTransport> ts = TestKit.cluster(List.of("a", "b"), b -> b);
    RSocketTransport a = ts.get("a");
    RSocketTransport c = RSocketTransport.builder().clusterId("test").nodeId("c").bind("127.0.0.1", 0)
        .peer("a", a.localAddress()).backoff(Duration.ofMillis(20), Duration.ofMillis(200)).start();
    try {
      Inbox inA = Inbox.unbounded(a);
      Inbox inC = Inbox.unbounded(c);
      // before: c is a stranger to a
      await("a refuses c", WAIT, () -> {
        c.send(vote(1, "c", "a"));
        return a.metrics().refusedConnections() > 0;
      });
      assertThat(a.lastRefusal()).contains("unknown node id 'c'");
      a.send(vote(1, "a", "c"));
      assertThat(a.metrics().droppedUnreachable()).isEqualTo(1);

      a.addPeer("c", c.localAddress());
      assertThat(a.peers()).containsExactlyInAnyOrder("b", "c");
      assertThat(TestKit.sendUntilReceived(a, vote(2, "a", "c"), inC, WAIT).from()).isEqualTo("a");
      assertThat(TestKit.sendUntilReceived(c, vote(2, "c", "a"), inA, WAIT).from()).isEqualTo("c");
      assertThat(a.isConnected("c")).isTrue();
    } finally {
      c.close();
      TestKit.closeAll(ts);
    }
  }

  @Test
  void aRemovedPeerIsCutOffBothWaysUntilAddedAgain() {
    Map<String, RSocketTransport> ts = TestKit.cluster(List.of("a", "b"), b -> b);
    RSocketTransport a = ts.get("a");
    RSocketTransport b = ts.get("b");
    try {
      Inbox inA = Inbox.unbounded(a);
      Inbox inB = Inbox.unbounded(b);
      TestKit.sendUntilReceived(a, vote(1, "a", "b"), inB, WAIT);
      TestKit.sendUntilReceived(b, vote(1, "b", "a"), inA, WAIT);
      assertThat(b.isConnected("a")).isTrue();

      a.removePeer("b");
      assertThat(a.peers()).isEmpty();
      assertThat(a.isConnected("b")).isFalse();
      // a's sends to b are dropped and counted, one each
      long droppedBefore = a.metrics().droppedUnreachable();
      for (int i = 0; i < 10; i++) {
        a.send(vote(66, "a", "b"));
      }
      assertThat(a.metrics().droppedUnreachable() - droppedBefore).isEqualTo(10);
      assertThat(a.metrics().queuedMessages()).isZero();
      await("a's connection to b closes", WAIT, () -> TestKit.acceptedConnections(b) == 0);
      // b's connection to a is closed, and its new dials are refused
      await("b's connection to a closes", WAIT, () -> {
        b.send(vote(66, "b", "a"));
        return !b.isConnected("a");
      });
      long refusedBefore = a.metrics().refusedConnections();
      await("a refuses b's new dial", WAIT, () -> {
        b.send(vote(66, "b", "a"));
        return a.metrics().refusedConnections() > refusedBefore;
      });
      assertThat(a.lastRefusal()).contains("unknown node id 'b'");
      assertThat(inA.poll(Duration.ofMillis(200))).as("nothing from b after its removal").isNull();
      assertThat(inA.all).noneMatch(m -> m.term() == 66);
      assertThat(inB.all).noneMatch(m -> m.term() == 66);

      // added again (its address was forgotten with it): two-way traffic is back
      a.addPeer("b", b.localAddress());
      assertThat(a.peers()).containsExactly("b");
      TestKit.sendUntilReceived(a, vote(2, "a", "b"), inB, WAIT);
      TestKit.sendUntilReceived(b, vote(2, "b", "a"), inA, WAIT);
    } finally {
      TestKit.closeAll(ts);
    }
  }

  @Test
  void ownIdIsNoPeerAndUnknownRemovalsAreNoOps() {
    Map<String, RSocketTransport> ts = TestKit.cluster(List.of("a", "b"), b -> b);
    RSocketTransport a = ts.get("a");
    try {
      assertThatThrownBy(() -> a.addPeer("a", ts.get("b").localAddress())).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> a.addPeer("", null)).isInstanceOf(IllegalArgumentException.class);
      a.removePeer("zz");
      assertThat(a.peers()).containsExactly("b");
      // re-adding an existing peer only updates its address; null keeps the known one
      a.addPeer("b", null);
      Inbox inB = Inbox.unbounded(ts.get("b"));
      TestKit.sendUntilReceived(a, vote(1, "a", "b"), inB, WAIT);
      assertThatThrownBy(() -> a.peers().add("x")).isInstanceOf(UnsupportedOperationException.class);
    } finally {
      TestKit.closeAll(ts);
    }
  }

  /** a and b (acceptUnknownPeers as given), and c, which has a as its peer but is not a's. */
  private static Map<String, RSocketTransport> withStranger(boolean acceptUnknown) {
    Map<String, RSocketTransport> ts = new java.util.LinkedHashMap<>(
        TestKit.cluster(List.of("a", "b"), b -> b.acceptUnknownPeers(acceptUnknown)));
    ts.put("c", RSocketTransport.builder().clusterId("test").nodeId("c").bind("127.0.0.1", 0)
        .peer("a", ts.get("a").localAddress()).backoff(Duration.ofMillis(20), Duration.ofMillis(200)).start());
    return ts;
  }

  /** With acceptUnknownPeers, a stranger advertising where it listens becomes a peer: answers reach it. */
  @Test
  void withAcceptUnknownPeersAnAdvertisingStrangerBecomesAPeer() {
    Map<String, RSocketTransport> ts = withStranger(true);
    RSocketTransport a = ts.get("a");
    RSocketTransport c = ts.get("c");
    try {
      Inbox inA = Inbox.unbounded(a);
      Inbox inC = Inbox.unbounded(c);
      assertThat(TestKit.sendUntilReceived(c, vote(1, "c", "a"), inA, WAIT).from()).isEqualTo("c");
      assertThat(a.metrics().refusedConnections()).isZero();
      assertThat(a.peers()).containsExactlyInAnyOrder("b", "c");
      // no addPeer: a dials c at the address c advertised
      assertThat(TestKit.sendUntilReceived(a, vote(2, "a", "c"), inC, WAIT).term()).isEqualTo(2);
      assertThat(a.isConnected("c")).isTrue();
    } finally {
      TestKit.closeAll(ts);
    }
  }

  /** A stranger advertising no address is heard, but sends to it are dropped until it is added. */
  @Test
  void withAcceptUnknownPeersASilentStrangerIsHeardButSentToOnlyOnceAdded() {
    Map<String, RSocketTransport> ts = TestKit.cluster(List.of("a", "b"), b -> b.acceptUnknownPeers(true));
    RSocketTransport a = ts.get("a");
    RSocket stranger = rawDial(a, SetupFrame.create("test", "e", "a", Optional.empty()), vote(1, "e", "a"));
    try {
      Inbox inA = Inbox.unbounded(a);
      assertThat(inA.poll(WAIT)).extracting(m -> m.from()).isEqualTo("e");
      assertThat(a.peers()).containsExactly("b");
      long dropped = a.metrics().droppedUnreachable();
      a.send(vote(2, "a", "e"));
      assertThat(a.metrics().droppedUnreachable() - dropped).isEqualTo(1);
    } finally {
      stranger.dispose();
      TestKit.closeAll(ts);
    }
  }

  /** An advertised address fills in a peer's unknown one but never replaces a configured one. */
  @Test
  void withAcceptUnknownPeersAnAdvertisedAddressOnlyFillsInAnUnknownOne() {
    Map<String, RSocketTransport> ts = TestKit.cluster(List.of("a", "b"), b -> b.acceptUnknownPeers(true));
    RSocketTransport a = ts.get("a");
    RSocketTransport c = RSocketTransport.builder().clusterId("test").nodeId("c").bind("127.0.0.1", 0)
        .peer("a", a.localAddress()).backoff(Duration.ofMillis(20), Duration.ofMillis(200)).start();
    // claims to be b (a known peer, address configured) and to listen on a port nobody serves
    RSocket liar = rawDial(a, SetupFrame.create("test", "b", "a",
        Optional.of(new InetSocketAddress("127.0.0.1", 1)), Optional.empty()), vote(1, "b", "a"));
    try {
      Inbox inA = Inbox.unbounded(a);
      Inbox inB = Inbox.unbounded(ts.get("b"));
      Inbox inC = Inbox.unbounded(c);
      assertThat(inA.poll(WAIT)).extracting(m -> m.from()).isEqualTo("b");
      assertThat(TestKit.sendUntilReceived(a, vote(2, "a", "b"), inB, WAIT).term()).isEqualTo(2);

      a.addPeer("c", null); // a peer whose address a does not know
      assertThat(TestKit.sendUntilReceived(c, vote(3, "c", "a"), inA, WAIT).from()).isEqualTo("c");
      assertThat(TestKit.sendUntilReceived(a, vote(4, "a", "c"), inC, WAIT).term()).isEqualTo(4);
    } finally {
      liar.dispose();
      c.close();
      TestKit.closeAll(ts);
    }
  }

  /** The advertised address is under the shared-secret proof: changing it in transit is refused. */
  @Test
  void withAcceptUnknownPeersATamperedAdvertisedAddressIsRefused() {
    byte[] secret = "0123456789abcdef0123".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Map<String, RSocketTransport> ts = TestKit.cluster(List.of("a", "b"), b -> b.sharedSecret(secret).acceptUnknownPeers(true));
    RSocketTransport a = ts.get("a");
    SetupFrame signed = SetupFrame.create("test", "d", "a", Optional.of(new InetSocketAddress("127.0.0.1", 4000)),
        Optional.of(secret));
    SetupFrame tampered = new SetupFrame("test", "d", "a", Optional.of(InetSocketAddress.createUnresolved("127.0.0.1", 4001)),
        signed.timestampMillis(), signed.nonce(), signed.mac());
    RSocket dialer = rawDial(a, tampered, vote(66, "d", "a"));
    try {
      Inbox inA = Inbox.unbounded(a);
      await("a refuses the tampered setup", WAIT, () -> a.metrics().refusedConnections() > 0);
      assertThat(a.lastRefusal()).contains("bad shared-secret proof");
      assertThat(a.peers()).containsExactly("b");
      assertThat(inA.poll(Duration.ofMillis(200))).isNull();
    } finally {
      dialer.dispose();
      TestKit.closeAll(ts);
    }
  }

  /** Dials {@code to} presenting {@code setup} and sends {@code m} on the channel, as a peer would. */
  private static RSocket rawDial(RSocketTransport to, SetupFrame setup, Message m) {
    RSocket r = RSocketConnector.create().dataMimeType(SetupFrame.MIME_TYPE)
        .setupPayload(DefaultPayload.create(setup.encode()))
        .connect(TcpClientTransport.create(to.localAddress())).block(WAIT);
    r.requestChannel(Flux.just(
            ByteBufPayload.create(WireFormat.encodeHello(ByteBufAllocator.DEFAULT, m.from())),
            ByteBufPayload.create(WireFormat.encodeMessage(m))))
        .subscribe(Payload::release, e -> {});
    return r;
  }

  @Test
  void byDefaultAStrangerIsRefused() {
    Map<String, RSocketTransport> ts = withStranger(false);
    RSocketTransport a = ts.get("a");
    try {
      Inbox inA = Inbox.unbounded(a);
      await("a refuses c", WAIT, () -> {
        ts.get("c").send(vote(66, "c", "a"));
        return a.metrics().refusedConnections() > 0;
      });
      assertThat(a.lastRefusal()).contains("unknown node id 'c'");
      assertThat(inA.poll(Duration.ofMillis(200))).isNull();
    } finally {
      TestKit.closeAll(ts);
    }
  }

  /** With acceptUnknownPeers, removePeer still cuts an id off (a peer or a stranger) until it is added again. */
  @Test
  void withAcceptUnknownPeersARemovedIdIsRefusedUntilAddedAgain() {
    Map<String, RSocketTransport> ts = withStranger(true);
    RSocketTransport a = ts.get("a");
    RSocketTransport b = ts.get("b");
    RSocketTransport c = ts.get("c");
    try {
      Inbox inA = Inbox.unbounded(a);
      TestKit.sendUntilReceived(b, vote(1, "b", "a"), inA, WAIT);
      TestKit.sendUntilReceived(c, vote(1, "c", "a"), inA, WAIT);

      a.removePeer("b");
      a.removePeer("c"); // a peer since it dialed in advertising its address
      for (RSocketTransport t : List.of(b, c)) {
        String id = t.nodeId();
        long refused = a.metrics().refusedConnections();
        await("a refuses " + id + "'s new dial", WAIT, () -> {
          t.send(vote(66, id, "a"));
          return a.metrics().refusedConnections() > refused;
        });
        assertThat(a.lastRefusal()).contains("node '" + id + "' was removed");
      }
      assertThat(inA.all).as("nothing from the removed ids").noneMatch(m -> m.term() == 66);

      a.addPeer("b", b.localAddress());
      a.addPeer("c", null); // a peer again, address not known: heard, not sent to
      TestKit.sendUntilReceived(b, vote(2, "b", "a"), inA, WAIT);
      TestKit.sendUntilReceived(c, vote(2, "c", "a"), inA, WAIT);
    } finally {
      TestKit.closeAll(ts);
    }
  }

  /** The option does not relax the other checks: the shared secret and this node's own id. */
  @Test
  void withAcceptUnknownPeersBadSecretsAndTheOwnIdAreRefused() {
    byte[] secret = "0123456789abcdef0123".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Map<String, RSocketTransport> ts = TestKit.cluster(List.of("a", "b"), b -> b.sharedSecret(secret).acceptUnknownPeers(true));
    RSocketTransport a = ts.get("a");
    RSocketTransport noSecret = RSocketTransport.builder().clusterId("test").nodeId("c").bind("127.0.0.1", 0)
        .peer("a", a.localAddress()).backoff(Duration.ofMillis(20), Duration.ofMillis(200)).start();
    RSocketTransport withSecret = RSocketTransport.builder().clusterId("test").nodeId("d").bind("127.0.0.1", 0)
        .sharedSecret(secret).peer("a", a.localAddress()).backoff(Duration.ofMillis(20), Duration.ofMillis(200)).start();
    try {
      Inbox inA = Inbox.unbounded(a);
      await("a refuses c", WAIT, () -> {
        noSecret.send(vote(66, "c", "a"));
        return a.metrics().refusedConnections() > 0;
      });
      assertThat(a.lastRefusal()).contains("no shared-secret proof");
      assertThat(TestKit.sendUntilReceived(withSecret, vote(1, "d", "a"), inA, WAIT).from()).isEqualTo("d");

      // a dialer claiming a's own id, with the right secret
      long refused = a.metrics().refusedConnections();
      io.rsocket.RSocket self = io.rsocket.core.RSocketConnector.create().dataMimeType(SetupFrame.MIME_TYPE)
          .setupPayload(io.rsocket.util.DefaultPayload.create(
              SetupFrame.create("test", "a", "a", java.util.Optional.of(secret)).encode()))
          .connect(io.rsocket.transport.netty.client.TcpClientTransport.create(a.localAddress())).block(WAIT);
      try {
        await("a refuses its own id", WAIT, () -> a.metrics().refusedConnections() > refused);
        assertThat(a.lastRefusal()).contains("node id 'a' is this node's own");
      } finally {
        self.dispose();
      }
    } finally {
      noSecret.close();
      withSecret.close();
      TestKit.closeAll(ts);
    }
  }

  /** Sends flat out while the peer is removed and re-added: nothing is left queued, nothing thrown. */
  @Test
  void sendsRacingRemovalsLeaveNothingQueued() throws Exception {
    Map<String, RSocketTransport> ts = TestKit.cluster(List.of("a", "b"), b -> b);
    RSocketTransport a = ts.get("a");
    RSocketTransport b = ts.get("b");
    AtomicBoolean stop = new AtomicBoolean();
    Thread sender = new Thread(() -> {
      while (!stop.get()) {
        a.send(vote(1, "a", "b"));
        a.metrics();
      }
    });
    try {
      Inbox inB = Inbox.unbounded(b);
      sender.start();
      for (int i = 0; i < 30; i++) {
        a.addPeer("b", b.localAddress());
        inB.received.clear();
        await("b hears from a", WAIT, () -> !inB.received.isEmpty());
        a.removePeer("b");
      }
      stop.set(true);
      sender.join();
      assertThat(a.metrics().queuedMessages()).isZero();
      assertThat(a.metrics().queuedBytes()).isZero();
      a.addPeer("b", b.localAddress());
      TestKit.sendUntilReceived(a, vote(2, "a", "b"), inB, WAIT);
    } finally {
      stop.set(true);
      sender.join();
      TestKit.closeAll(ts);
    }
  }
}

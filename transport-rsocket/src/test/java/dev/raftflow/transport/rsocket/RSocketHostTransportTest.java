package dev.raftflow.transport.rsocket;

import static dev.raftflow.transport.rsocket.TestKit.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.codec.MessageCodec;
import dev.raftflow.engine.message.AppendEntries;
import dev.raftflow.engine.message.EntryType;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.message.RequestVote;
import dev.raftflow.engine.spi.HostTransport.HostReachability;
import dev.raftflow.engine.spi.Transport;
import dev.raftflow.transport.rsocket.TestKit.Inbox;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.rsocket.Payload;
import io.rsocket.RSocket;
import io.rsocket.core.RSocketConnector;
import io.rsocket.transport.netty.client.TcpClientTransport;
import io.rsocket.util.ByteBufPayload;
import io.rsocket.util.DefaultPayload;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/** The host transport between live hosts on 127.0.0.1: many groups over one connection per host pair. */
@Timeout(60)
class RSocketHostTransportTest {

  @AfterAll
  static void noLeaks() {
    LeakRecorder.assertNoLeaks();
  }

  private static final Duration WAIT = Duration.ofSeconds(10);

  /** Starts one host per id on ephemeral ports and tells each the others' addresses. */
  private static Map<String, RSocketHostTransport> hosts(List<String> ids, UnaryOperator<RSocketHostTransport.Builder> custom) {
    Map<String, RSocketHostTransport> out = new LinkedHashMap<>();
    for (String id : ids) {
      out.put(id, custom.apply(builder(id, ids)).start());
    }
    for (RSocketHostTransport h : out.values()) {
      for (RSocketHostTransport other : out.values()) {
        if (h != other) {
          h.peerAddress(other.hostId(), other.localAddress());
        }
      }
    }
    return out;
  }

  private static RSocketHostTransport.Builder builder(String id, List<String> ids) {
    return RSocketHostTransport.builder().clusterId("test").hostId(id).bind("127.0.0.1", 0).peers(ids)
        .backoff(Duration.ofMillis(20), Duration.ofMillis(200));
  }

  private static void closeAll(Map<String, RSocketHostTransport> hs) {
    hs.values().forEach(RSocketHostTransport::close);
  }

  private static Inbox inbox(Transport t) {
    Inbox i = new Inbox(Long.MAX_VALUE);
    t.inbound().subscribe(i);
    return i;
  }

  private static Message vote(long term, String from, String to) {
    return new RequestVote(term, from, to, 0, 0);
  }

  /** Opens group "warm" everywhere and sends on it until every ordered pair of hosts is connected. */
  private static void connectAll(Map<String, RSocketHostTransport> hs) {
    Map<String, Transport> warm = new HashMap<>();
    Map<String, Inbox> inboxes = new HashMap<>();
    for (RSocketHostTransport h : hs.values()) {
      warm.put(h.hostId(), h.openGroup("warm"));
      inboxes.put(h.hostId(), inbox(warm.get(h.hostId())));
    }
    for (String from : hs.keySet()) {
      for (String to : hs.keySet()) {
        if (!from.equals(to)) {
          long deadline = System.nanoTime() + WAIT.toNanos();
          Message got = null;
          while (got == null && System.nanoTime() < deadline) {
            warm.get(from).send(vote(1, from, to));
            got = inboxes.get(to).poll(Duration.ofMillis(50));
          }
          assertThat(got).as(from + " reaches " + to).isNotNull();
          inboxes.get(to).received.clear();
        }
      }
    }
  }

  @Test
  void threeHostsWithSeveralGroupsExchangeMessagesBothWays() {
    List<String> ids = List.of("h1", "h2", "h3");
    Map<String, RSocketHostTransport> hs = hosts(ids, b -> b);
    try {
      connectAll(hs);
      int groups = 5;
      Map<String, Transport> ts = new HashMap<>();
      Map<String, Inbox> in = new HashMap<>();
      for (String h : ids) {
        for (int g = 0; g < groups; g++) {
          Transport t = hs.get(h).openGroup("g" + g);
          ts.put(h + "/g" + g, t);
          in.put(h + "/g" + g, inbox(t));
        }
      }
      int perPair = 20;
      for (int k = 0; k < perPair; k++) {
        for (String from : ids) {
          for (String to : ids) {
            for (int g = 0; g < groups; g++) {
              if (!from.equals(to)) {
                ts.get(from + "/g" + g).send(vote(1000L * g + k, from, to)); // the term names the group
              }
            }
          }
        }
      }
      int expected = (ids.size() - 1) * perPair;
      for (String to : ids) {
        for (int g = 0; g < groups; g++) {
          Inbox i = in.get(to + "/g" + g);
          await(to + "/g" + g + " receives every message for it", WAIT, () -> i.all.size() >= expected);
          synchronized (i.all) {
            assertThat(i.all).hasSize(expected);
            for (Message m : i.all) {
              assertThat(m.to()).isEqualTo(to);
              assertThat(m.term() / 1000).as("delivered to its own group").isEqualTo(g);
            }
            Set<String> senders = new HashSet<>();
            i.all.forEach(m -> senders.add(m.from()));
            assertThat(senders).containsExactlyInAnyOrderElementsOf(ids.stream().filter(x -> !x.equals(to)).toList());
          }
        }
      }
      for (RSocketHostTransport h : hs.values()) {
        HostTransportMetrics m = h.metrics();
        assertThat(m.receivedMessages()).isGreaterThanOrEqualTo((long) groups * expected);
        assertThat(m.droppedUnknownGroup()).isZero();
        assertThat(m.droppedGroupBufferFull()).isZero();
        assertThat(h.groupMetrics("g3").received()).isEqualTo(expected);
      }
    } finally {
      closeAll(hs);
    }
  }

  @Test
  void aMessageForAGroupNotOpenIsDroppedAndCountedAndOthersStillFlow() {
    Map<String, RSocketHostTransport> hs = hosts(List.of("h1", "h2"), b -> b);
    try {
      connectAll(hs);
      Transport ghost = hs.get("h1").openGroup("ghost");
      Transport real = hs.get("h1").openGroup("real");
      Inbox atReal = inbox(hs.get("h2").openGroup("real"));
      ghost.send(vote(1, "h1", "h2"));
      real.send(vote(2, "h1", "h2"));
      await("the message for the group not open is counted", WAIT,
          () -> hs.get("h2").metrics().droppedUnknownGroup() == 1);
      assertThat(atReal.take().term()).isEqualTo(2);
      assertThat(hs.get("h2").groupMetrics("ghost").droppedNotOpen()).isEqualTo(1);
      assertThat(hs.get("h2").groupMetrics("real").received()).isEqualTo(1);
      assertThat(hs.get("h2").metrics().rejectedFrames()).as("not a reason to close the connection").isZero();
    } finally {
      closeAll(hs);
    }
  }

  @Test
  void aGroupThatNeverRequestsDoesNotStopAnotherGroupOnTheSameConnection() {
    int capacity = 64;
    int window = 4;
    Map<String, RSocketHostTransport> hs = hosts(List.of("h1", "h2"),
        b -> b.groupBufferCapacity(capacity).inboundWindow(window));
    try {
      connectAll(hs);
      Transport stalledOut = hs.get("h1").openGroup("stalled");
      Transport busyOut = hs.get("h1").openGroup("busy");
      Inbox stalled = new Inbox(0); // subscribes, never requests
      hs.get("h2").openGroup("stalled").inbound().subscribe(stalled);
      Inbox busy = inbox(hs.get("h2").openGroup("busy"));
      int total = 5000;
      int chunk = 500;
      for (int sent = 0; sent < total; sent += chunk) {
        for (int k = sent; k < sent + chunk; k++) {
          stalledOut.send(vote(k, "h1", "h2"));
          busyOut.send(vote(k, "h1", "h2"));
        }
        int upTo = sent + chunk;
        await("the busy group receives " + upTo, WAIT, () -> busy.all.size() >= upTo);
      }
      assertThat(busy.all).hasSize(total);
      assertThat(stalled.all).as("nothing beyond the stalled group's demand (none)").isEmpty();
      await("the stalled group's overflow is counted", WAIT,
          () -> hs.get("h2").groupMetrics("stalled").droppedBufferFull() == total - capacity);
      assertThat(hs.get("h2").groupMetrics("stalled").received()).isEqualTo(capacity);
      assertThat(hs.get("h2").metrics().droppedGroupBufferFull()).isEqualTo(total - capacity);
      assertThat(hs.get("h1").metrics().droppedQueueFull()).isZero();
      await("the connection keeps its credit", WAIT, () -> hs.get("h1").credit("h2") >= window / 2);
      stalled.request(10);
      await("the stalled group gets what it asks for", WAIT, () -> stalled.all.size() == 10);
      assertThat(stalled.all.get(0).term()).isZero();
    } finally {
      closeAll(hs);
    }
  }

  /**
   * Batching takes what is waiting when the connection's loop drains the queue, never waits: here
   * the burst waits for the connection being dialed, so it leaves as one frame or a few.
   */
  @Test
  void oneMessageEachFromFiftyGroupsLeavesInFewerFramesThanMessages() {
    Map<String, RSocketHostTransport> hs = hosts(List.of("h1", "h2"), b -> b);
    try {
      int groups = 50;
      List<Transport> out = new ArrayList<>();
      List<Inbox> in = new ArrayList<>();
      for (int g = 0; g < groups; g++) {
        out.add(hs.get("h1").openGroup("group-" + g));
        in.add(inbox(hs.get("h2").openGroup("group-" + g)));
      }
      HostTransportMetrics before = hs.get("h1").metrics();
      for (int g = 0; g < groups; g++) {
        out.get(g).send(vote(g, "h1", "h2"));
      }
      for (int g = 0; g < groups; g++) {
        assertThat(in.get(g).take().term()).isEqualTo(g);
      }
      HostTransportMetrics after = hs.get("h1").metrics();
      long messages = after.sentMessages() - before.sentMessages();
      long frames = after.sentFrames() - before.sentFrames();
      assertThat(messages).isEqualTo(groups);
      assertThat(frames).as("messages of many groups share frames").isLessThan(messages);
      assertThat(hs.get("h2").metrics().receivedFrames()).isEqualTo(frames);
      assertThat(hs.get("h2").metrics().receivedMessages()).isEqualTo(groups);
    } finally {
      closeAll(hs);
    }
  }

  /**
   * Once connected, sends of one group at a time may each leave alone (the connection's loop drains
   * at once); a burst is all queued before the loop is woken, so the messages for one peer leave in
   * one frame, and those for another peer in another, in each group's order.
   */
  @Test
  void aBurstOfManyGroupsLeavesInOneFramePerPeer() {
    Map<String, RSocketHostTransport> hs = hosts(List.of("h1", "h2", "h3"), b -> b);
    try {
      connectAll(hs);
      int groups = 60;
      List<Transport> out = new ArrayList<>();
      List<Message> burst = new ArrayList<>();
      Map<String, List<Inbox>> in = new HashMap<>();
      for (int g = 0; g < groups; g++) {
        Transport t = hs.get("h1").openGroup("group-" + g);
        for (String peer : List.of("h2", "h3")) {
          in.computeIfAbsent(peer, p -> new ArrayList<>()).add(inbox(hs.get(peer).openGroup("group-" + g)));
          out.add(t);
          burst.add(vote(g, "h1", peer));
          out.add(t);
          burst.add(vote(1000 + g, "h1", peer));
        }
      }
      HostTransportMetrics before = hs.get("h1").metrics();
      hs.get("h1").sendBurst(out, burst);
      for (String peer : List.of("h2", "h3")) {
        for (int g = 0; g < groups; g++) {
          Inbox inbox = in.get(peer).get(g);
          assertThat(inbox.take().term()).as("group %d to %s, in order", g, peer).isEqualTo(g);
          assertThat(inbox.take().term()).isEqualTo(1000 + g);
        }
      }
      HostTransportMetrics after = hs.get("h1").metrics();
      assertThat(after.sentMessages() - before.sentMessages()).isEqualTo(4L * groups);
      assertThat(after.sentFrames() - before.sentFrames()).as("one frame per peer").isEqualTo(2);
    } finally {
      closeAll(hs);
    }
  }

  @Test
  void aPeerHostIsReportedDownWhenItClosesAndUpWhenItRestartsOnItsPort() throws Exception {
    List<String> ids = List.of("h1", "h2");
    Map<String, RSocketHostTransport> hs = hosts(ids, b -> b);
    RSocketHostTransport restarted = null;
    LinkedBlockingQueue<HostReachability> events = new LinkedBlockingQueue<>();
    Disposable watch = hs.get("h1").reachability(Duration.ofMillis(50), Duration.ofSeconds(1)).subscribe(events::add);
    try {
      assertThatThrownBy(() -> hs.get("h1").reachability(Duration.ofMillis(50), Duration.ofSeconds(1)).blockFirst())
          .isInstanceOf(IllegalStateException.class);
      await("h1 pings h2", WAIT, () -> hs.get("h1").metrics().pingsSent() > 2 && hs.get("h2").metrics().sentFrames() > 2);
      assertThat(events.poll(700, TimeUnit.MILLISECONDS)).as("a silent but live host answers the pings").isNull();
      InetSocketAddress h2At = hs.get("h2").localAddress();
      hs.get("h2").close();
      assertThat(events.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(new HostReachability("h2", false));
      restarted = builder("h2", ids).bind("127.0.0.1", h2At.getPort()).start();
      restarted.peerAddress("h1", hs.get("h1").localAddress());
      assertThat(events.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(new HostReachability("h2", true));
    } finally {
      watch.dispose();
      closeAll(hs);
      if (restarted != null) {
        restarted.close();
      }
    }
  }

  @Test
  void aGroupClosesAloneAndMayBeOpenedAgain() {
    Map<String, RSocketHostTransport> hs = hosts(List.of("h1", "h2"), b -> b);
    try {
      connectAll(hs);
      Transport sender = hs.get("h1").openGroup("g");
      Transport other = hs.get("h2").openGroup("other");
      Inbox atOther = inbox(other);
      Transport g = hs.get("h2").openGroup("g");
      Inbox first = inbox(g);
      assertThatThrownBy(() -> hs.get("h2").openGroup("g")).isInstanceOf(IllegalStateException.class);
      sender.send(vote(1, "h1", "h2"));
      assertThat(first.take().term()).isEqualTo(1);
      g.close();
      g.close(); // idempotent
      await("the closed group's stream completes", WAIT, () -> first.completed);
      sender.send(vote(2, "h1", "h2"));
      await("a message for the closed group is dropped as not open", WAIT,
          () -> hs.get("h2").groupMetrics("g").droppedNotOpen() == 1);
      hs.get("h1").openGroup("other").send(vote(3, "h1", "h2"));
      assertThat(atOther.take().term()).as("the other group is untouched").isEqualTo(3);
      Inbox second = inbox(hs.get("h2").openGroup("g"));
      sender.send(vote(4, "h1", "h2"));
      assertThat(second.take().term()).isEqualTo(4);
      assertThat(first.all).hasSize(1);
      assertThat(hs.get("h2").groupMetrics("g").received()).as("counters survive reopening").isEqualTo(2);
    } finally {
      closeAll(hs);
    }
  }

  @Test
  void badGroupIdsAndAClosedHostAreRefused() {
    RSocketHostTransport h = RSocketHostTransport.builder().clusterId("test").hostId("h1").peers(List.of("h2")).start();
    assertThatThrownBy(() -> h.openGroup("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> h.openGroup("x".repeat(256))).isInstanceOf(IllegalArgumentException.class);
    Transport g = h.openGroup("ü".repeat(127)); // 254 bytes
    h.close();
    Inbox i = inbox(g);
    await("closing the host completes its groups", WAIT, () -> i.completed);
    assertThatThrownBy(() -> h.openGroup("late")).isInstanceOf(IllegalStateException.class);
    g.send(vote(1, "h1", "h2"));
    assertThat(h.metrics().droppedUnreachable()).isEqualTo(1);
  }

  @Test
  void maxMessageBytesIsHonouredPerGroup() {
    int frame = 1024;
    Map<String, RSocketHostTransport> hs = hosts(List.of("h1", "h2"), b -> b.maxFrameBytes(frame));
    try {
      connectAll(hs);
      Transport out = hs.get("h1").openGroup("g");
      Inbox in = inbox(hs.get("h2").openGroup("g"));
      int max = out.maxMessageBytes();
      assertThat(max).isLessThan(frame).isGreaterThan(frame - 16);
      Message fits = appendOfSize(max, "h1", "h2");
      Message over = appendOfSize(max + 1, "h1", "h2");
      out.send(over);
      assertThat(hs.get("h1").metrics().droppedOversize()).isEqualTo(1);
      out.send(fits);
      Message got = in.take();
      assertThat(MessageCodec.encodedSize(got)).isEqualTo(max);
      assertThat(hs.get("h2").metrics().rejectedFrames()).isZero();
    } finally {
      closeAll(hs);
    }
  }

  /** An AppendEntries whose codec encoding is exactly {@code size} bytes. */
  private static Message appendOfSize(int size, String from, String to) {
    for (int data = Math.max(0, size - 64); data <= size; data++) {
      Message m = new AppendEntries(1, from, to, 0, 0, List.of(new LogEntry(1, 1, EntryType.COMMAND, new byte[data])), 0, 0);
      if (MessageCodec.encodedSize(m) == size) {
        return m;
      }
    }
    throw new IllegalStateException("no AppendEntries of " + size + " bytes");
  }

  @Test
  void aSingleGroupTransportIsRefusedAndBothSidesSayWhy() throws Exception {
    RSocketHostTransport host = RSocketHostTransport.builder().clusterId("test").hostId("h").peers(List.of("a")).start();
    RSocketTransport single = RSocketTransport.builder().clusterId("test").nodeId("a").bind("127.0.0.1", 0)
        .peers(List.of("h")).backoff(Duration.ofMillis(20), Duration.ofMillis(100)).start();
    try {
      single.peerAddress("h", host.localAddress());
      host.peerAddress("a", single.localAddress());
      Inbox atSingle = Inbox.unbounded(single);
      Transport g = host.openGroup("g");
      long deadline = System.nanoTime() + WAIT.toNanos();
      while ((host.lastRefusal() == null || single.lastRefusal() == null) && System.nanoTime() < deadline) {
        single.send(vote(1, "a", "h"));
        g.send(vote(1, "h", "a"));
        Thread.sleep(20);
      }
      assertThat(host.lastRefusal()).contains("'a' speaks wire version 1..2, this host speaks 3");
      assertThat(single.lastRefusal()).contains("speaks wire version 3, this node speaks 1..2");
      await("the refused single-group transport logs the host's reason", WAIT,
          () -> String.valueOf(single.refusalBy("h")).contains("this host speaks 3"));
      await("the refused host logs the node's reason", WAIT,
          () -> String.valueOf(host.refusalBy("a")).contains("this node speaks 1..2"));
      assertThat(atSingle.poll(Duration.ofMillis(200))).as("nothing delivered").isNull();
      assertThat(host.metrics().receivedMessages()).isZero();
    } finally {
      single.close();
      host.close();
    }
  }

  /** A group-tagged frame carrying {@code m} for {@code group}, as a host would send it. */
  private static byte[] groupFrame(String group, Message m) {
    LinkSettings settings = new LinkSettings("x", 1 << 20, 100, 64 * 1024, 256, Duration.ofMillis(1),
        Duration.ofMillis(1), 1, UnpooledByteBufAllocator.DEFAULT);
    OutboundFrames.Builder b = GroupFrames.INSTANCE.builder(settings);
    b.start(new PeerLink.Queued(m, group, GroupFrames.singleFrameSize(GroupFrames.groupIdBytes(group).length,
        MessageCodec.encodedSize(m)), (byte) 0));
    ByteBuf buf = b.build(UnpooledByteBufAllocator.DEFAULT);
    byte[] out = new byte[buf.readableBytes()];
    buf.readBytes(out);
    buf.release();
    return out;
  }

  @Test
  void badFramesCloseOnlyTheirConnectionAndTheHostKeepsServing() {
    Map<String, RSocketHostTransport> hs = hosts(List.of("h1", "h2", "h3"), b -> b);
    try {
      connectAll(hs);
      RSocketHostTransport h1 = hs.get("h1");
      Inbox atG = inbox(h1.openGroup("g"));
      Transport fromH3 = hs.get("h3").openGroup("g");
      byte[] valid = groupFrame("g", vote(7, "h2", "h1"));
      List<byte[]> bad = List.of(
          WireFormat.encodeMessage(vote(8, "h2", "h1")), // the single-group format
          groupFrame("g", vote(9, "h3", "h1")), // claims another sender
          groupFrame("g", vote(10, "h2", "h3")), // addressed to another host
          Arrays.copyOf(valid, valid.length - 1)); // truncated
      for (int i = 0; i < bad.size(); i++) {
        byte[] setup = SetupFrame.create("test", "h2", "h1", Optional.empty()).encode();
        RSocket raw = RSocketConnector.create()
            .dataMimeType(SetupFrame.MIME_TYPE)
            .setupPayload(DefaultPayload.create(setup, WireVersions.encode(WireVersions.HOSTS)))
            .connect(TcpClientTransport.create(h1.localAddress()))
            .block(WAIT);
        byte[] wrong = bad.get(i);
        Flux<Payload> frames = Flux.just(0, 1, 2).map(k -> switch (k) {
          case 0 -> ByteBufPayload.create(GroupFrames.INSTANCE.hello(ByteBufAllocator.DEFAULT, "h2"));
          case 1 -> ByteBufPayload.create(valid);
          default -> ByteBufPayload.create(wrong);
        });
        long rejected = h1.metrics().rejectedFrames();
        raw.requestChannel(frames).subscribe(Payload::release, e -> { });
        int round = i;
        await("bad frame " + i + " rejected", WAIT, () -> h1.metrics().rejectedFrames() == rejected + 1);
        await("its connection closed", WAIT, raw::isDisposed);
        assertThat(atG.take().term()).as("the valid frame before it was delivered").isEqualTo(7);
        fromH3.send(vote(100 + round, "h3", "h1"));
        assertThat(atG.take().term()).as("another host is still served").isEqualTo(100 + round);
      }
    } finally {
      closeAll(hs);
    }
  }

  @Test
  void aHostWithoutTheSharedSecretIsRefused() throws Exception {
    byte[] secret = "0123456789abcdef-secret".getBytes(StandardCharsets.UTF_8);
    RSocketHostTransport guarded = builder("h1", List.of("h1", "h2")).sharedSecret(secret).start();
    RSocketHostTransport stranger = builder("h2", List.of("h1", "h2")).start();
    try {
      stranger.peerAddress("h1", guarded.localAddress());
      Inbox at = inbox(guarded.openGroup("g"));
      Transport out = stranger.openGroup("g");
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (guarded.lastRefusal() == null && System.nanoTime() < deadline) {
        out.send(vote(1, "h2", "h1"));
        Thread.sleep(20);
      }
      assertThat(guarded.lastRefusal()).isEqualTo("no shared-secret proof presented");
      assertThat(at.poll(Duration.ofMillis(200))).isNull();
    } finally {
      guarded.close();
      stranger.close();
    }
  }
}

package dev.raftflow.examples.kv;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.client.ClientProtocol;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.memory.MemoryNetwork;
import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.node.RaftNode;
import dev.raftflow.engine.session.ExactlyOnceService;
import dev.raftflow.engine.session.SessionSettings;
import dev.raftflow.engine.session.StateMachine;
import dev.raftflow.engine.spi.Transport;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import reactor.core.publisher.Flux;

/**
 * Three members in this JVM (in-memory peers, each serving a {@link KvEndpoint} on 127.0.0.1) and a
 * {@link KvClient} doing puts, gets and compare-and-sets; the leader is cut off (it hears nothing,
 * still sends) a third of the way through. With each read mode, every acknowledged put is in the
 * final map, every CAS read-then-swap succeeds (a CAS applied twice, or a stale read, would make one
 * fail), the counter equals the CASes acknowledged, and every member applied each write exactly once.
 */
class KvClusterTest {

  enum ReadMode { READ_INDEX, LEASE, FOLLOWER }

  private static final List<String> IDS = List.of("n1", "n2", "n3");

  private final MemoryNetwork net = new MemoryNetwork();
  private final Map<String, RaftNode> nodes = new LinkedHashMap<>();
  private final Map<String, CutOff> transports = new LinkedHashMap<>();
  private final Map<String, KvStateMachine> maps = new LinkedHashMap<>();
  private final Map<String, Counting> counts = new LinkedHashMap<>();
  private final Map<String, ExactlyOnceService> services = new LinkedHashMap<>();
  private final List<KvEndpoint> endpoints = new ArrayList<>();
  private final Map<String, InetSocketAddress> addresses = new LinkedHashMap<>();

  /** Counts the commands the layer hands to the map. */
  static final class Counting implements StateMachine {
    final StateMachine inner;
    final AtomicLong applies = new AtomicLong();

    Counting(StateMachine inner) {
      this.inner = inner;
    }

    @Override
    public byte[] apply(long index, byte[] command) {
      applies.incrementAndGet();
      return inner.apply(index, command);
    }

    @Override
    public byte[] snapshot() {
      return inner.snapshot();
    }

    @Override
    public void restore(byte[] data) {
      inner.restore(data);
    }
  }

  /** While cut off, its member hears nothing; it still sends. */
  static final class CutOff implements Transport {
    final Transport inner;
    volatile boolean cut;

    CutOff(Transport inner) {
      this.inner = inner;
    }

    @Override
    public void send(Message m) {
      inner.send(m);
    }

    @Override
    public Flux<Message> inbound() {
      return inner.inbound().filter(m -> !cut);
    }

    @Override
    public void close() {
      inner.close();
    }
  }

  void start(ReadMode mode) {
    start(mode, SessionSettings.defaults());
  }

  void start(ReadMode mode, SessionSettings settings) {
    RaftOptions options = RaftOptions.builder().tickInterval(Duration.ofMillis(10)).heartbeatTicks(5)
        .electionTicks(60).leaseReads(mode == ReadMode.LEASE).followerReads(mode == ReadMode.FOLLOWER).build();
    for (String id : IDS) {
      CutOff t = new CutOff(net.transport(id));
      RaftNode n = RaftNode.builder().id(id).members(IDS).transport(t).logStore(new MemoryLogStore())
          .options(options).start();
      KvStateMachine kv = new KvStateMachine();
      Counting counting = new Counting(kv);
      ExactlyOnceService s = ExactlyOnceService.start(n, counting, settings);
      KvEndpoint e = KvEndpoint.start(n, s, kv, "127.0.0.1", 0);
      transports.put(id, t);
      nodes.put(id, n);
      maps.put(id, kv);
      counts.put(id, counting);
      services.put(id, s);
      endpoints.add(e);
      addresses.put(id, e.address());
    }
  }

  @AfterEach
  void stop() {
    endpoints.forEach(KvEndpoint::close);
    services.values().forEach(ExactlyOnceService::close);
    nodes.values().forEach(RaftNode::close);
  }

  @ParameterizedTest
  @EnumSource(ReadMode.class)
  void acknowledgedWritesSurviveACutOffLeaderAndEachIsAppliedOnce(ReadMode mode) {
    start(mode);
    String leader = awaitLeader(null);
    String readFrom = mode == ReadMode.FOLLOWER ? IDS.stream().filter(i -> !i.equals(leader)).findFirst().get() : null;
    int rounds = 90;
    long writes = 0;
    long casApplied = 0;
    Map<String, String> acknowledged = new LinkedHashMap<>();
    try (KvClient client = new KvClient(addresses, readFrom, Duration.ofSeconds(30), Duration.ofSeconds(2))) {
      for (int i = 0; i < rounds; i++) {
        if (i == rounds / 3) {
          transports.get(leader).cut = true;
        }
        client.put("k" + i, bytes("v" + i)).block(Duration.ofSeconds(35));
        writes++;
        acknowledged.put("k" + i, "v" + i);
        Optional<byte[]> current = client.get("counter").block(Duration.ofSeconds(35));
        long value = current.map(v -> Long.parseLong(new String(v, UTF_8))).orElse(0L);
        KvAnswer answer = client.cas("counter", current.orElse(null), bytes(Long.toString(value + 1)))
            .block(Duration.ofSeconds(35));
        writes++;
        assertThat(answer.status()).as("CAS of round " + i + " after reading " + value).isEqualTo(KvAnswer.Status.APPLIED);
        casApplied++;
      }
      String counter = new String(client.get("counter").block(Duration.ofSeconds(35)).orElseThrow(), UTF_8);
      assertThat(counter).isEqualTo(Long.toString(casApplied));
      List<KvEntry> scanned = client.range("k", "l", 1000).block(Duration.ofSeconds(35));
      Map<String, String> seen = new LinkedHashMap<>();
      scanned.forEach(e -> seen.put(e.key(), new String(e.value(), UTF_8)));
      assertThat(seen).isEqualTo(acknowledged);
    }

    String next = awaitLeader(leader);
    transports.get(leader).cut = false;
    long applied = services.get(next).appliedIndex();
    await(() -> services.values().stream().allMatch(s -> s.appliedIndex() >= applied), "every member applied " + applied);
    List<KvEntry> expected = maps.get(next).range(null, null, 10_000);
    assertThat(expected).hasSize(rounds + 1);
    for (String id : IDS) {
      assertThat(maps.get(id).range(null, null, 10_000)).as(id + "'s map").isEqualTo(expected);
      assertThat(counts.get(id).applies.get()).as(id + " applied each write once").isEqualTo(writes);
    }
  }

  /**
   * A write that timed out holds its session's acknowledgement mark; with only 4 unacknowledged
   * answers allowed per session, the client must move on to a new session, or its fifth write after
   * the timeout is refused.
   */
  @Test
  void writesKeepWorkingLongAfterAWriteTimedOut() {
    start(ReadMode.READ_INDEX, SessionSettings.defaults().withMaxUnacknowledgedAnswers(4));
    awaitLeader(null);
    try (KvClient client = new KvClient(addresses, null, Duration.ofSeconds(2), Duration.ofMillis(500))) {
      client.put("before", bytes("v")).block(Duration.ofSeconds(5));
      transports.values().forEach(t -> t.cut = true); // nobody hears anybody: nothing commits
      assertThatThrownBy(() -> client.put("lost", bytes("?")).block(Duration.ofSeconds(5)))
          .hasCauseInstanceOf(TimeoutException.class);
      transports.values().forEach(t -> t.cut = false);
      for (int i = 0; i < 12; i++) {
        putRetryingTimeouts(client, "after" + i, "v" + i);
      }
      assertThat(client.range("after", "aftes", 100).block(Duration.ofSeconds(5))).hasSize(12);
    }
  }

  /** Puts, trying again after a timeout (the cluster may still be electing); any other error fails. */
  private static void putRetryingTimeouts(KvClient client, String key, String value) {
    for (int attempt = 1; ; attempt++) {
      try {
        client.put(key, bytes(value)).block(Duration.ofSeconds(5));
        return;
      } catch (RuntimeException e) {
        if (!(e.getCause() instanceof TimeoutException) || attempt == 10) {
          throw e;
        }
      }
    }
  }

  @Test
  void aFollowerWithoutFollowerReadsNamesTheLeaderAndTheClientFollowsIt() {
    start(ReadMode.READ_INDEX);
    String leader = awaitLeader(null);
    String follower = IDS.stream().filter(i -> !i.equals(leader)).findFirst().get();
    await(() -> leader.equals(nodes.get(follower).state().leaderId()), follower + " knows the leader");

    ByteBuffer body = ByteBuffer.wrap(KvReads.getRequest("k"));
    body.get();
    ByteBuffer refused = KvEndpoint.read(nodes.get(follower), maps.get(follower), KvReads.OP_GET, body)
        .block(Duration.ofSeconds(10));
    assertThat(refused.get()).isEqualTo(ClientProtocol.NOT_LEADER);
    assertThat(ClientProtocol.getStr(refused)).isEqualTo(leader);

    ByteBuffer malformed = KvEndpoint.read(nodes.get(leader), maps.get(leader), KvReads.OP_RANGE,
        ByteBuffer.wrap(new byte[] {1})).block(Duration.ofSeconds(10));
    assertThat(malformed.get()).isEqualTo(ClientProtocol.ERROR);
    assertThat(ClientProtocol.getStr(malformed)).startsWith("malformed read");

    try (KvClient client = new KvClient(addresses, follower, Duration.ofSeconds(10), Duration.ofSeconds(2))) {
      client.put("k", bytes("v")).block(Duration.ofSeconds(15));
      assertThat(client.get("k").block(Duration.ofSeconds(15))).hasValueSatisfying(
          v -> assertThat(new String(v, UTF_8)).isEqualTo("v"));
      assertThat(client.range(null, null, 10).block(Duration.ofSeconds(15))).containsExactly(new KvEntry("k", bytes("v")));
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  private String awaitLeader(String not) {
    String[] found = {null};
    await(() -> {
      for (RaftNode n : nodes.values()) {
        if (!n.id().equals(not) && !n.isClosed() && n.state().isLeader()) {
          found[0] = n.id();
          return true;
        }
      }
      return false;
    }, "a leader other than " + not);
    return found[0];
  }

  private static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}

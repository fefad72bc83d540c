package dev.raftflow.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.client.ClientException;
import dev.raftflow.client.RemoteClient;
import dev.raftflow.client.RemoteSession;
import dev.raftflow.client.SessionRefusedException;
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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/**
 * Three nodes in this JVM, each running a counter through the exactly-once layer behind a {@link
 * ClientEndpoint} on 127.0.0.1, and a {@link RemoteSession} incrementing it: the leader is cut off in
 * the middle of the stream (it still sends, so entries it took reach the others, but hears nothing),
 * the session retries the same (session, seq) on the next leader, and every increment is applied
 * exactly once: the answers are 1..N with no value twice, and every member counts N.
 */
class SessionsOverTheWireTest {

  private static final RaftOptions OPTIONS = RaftOptions.builder()
      .tickInterval(Duration.ofMillis(10)).heartbeatTicks(5).electionTicks(100).build();
  private static final List<String> IDS = List.of("n1", "n2", "n3");

  private final MemoryNetwork net = new MemoryNetwork();
  private final Map<String, RaftNode> nodes = new LinkedHashMap<>();
  private final Map<String, Deafenable> transports = new LinkedHashMap<>();
  private final Map<String, Counter> counters = new LinkedHashMap<>();
  private final Map<String, ExactlyOnceService> services = new LinkedHashMap<>();
  private final List<ClientEndpoint> endpoints = new ArrayList<>();
  private final Map<String, InetSocketAddress> addresses = new LinkedHashMap<>();

  /** Each command adds one; the answer is the new value. Counts how often each command was applied. */
  static final class Counter implements StateMachine {
    volatile long value;
    final Map<String, AtomicInteger> applies = new ConcurrentHashMap<>();

    @Override
    public byte[] apply(long index, byte[] command) {
      applies.computeIfAbsent(new String(command, StandardCharsets.UTF_8), k -> new AtomicInteger()).incrementAndGet();
      return ByteBuffer.allocate(8).putLong(++value).array();
    }

    @Override
    public byte[] snapshot() {
      return ByteBuffer.allocate(8).putLong(value).array();
    }

    @Override
    public void restore(byte[] data) {
      value = ByteBuffer.wrap(data).getLong();
    }
  }

  /** While deaf, drops what is addressed to its member; it still sends. */
  static final class Deafenable implements Transport {
    final Transport inner;
    volatile boolean deaf;

    Deafenable(Transport inner) {
      this.inner = inner;
    }

    @Override
    public void send(Message m) {
      inner.send(m);
    }

    @Override
    public Flux<Message> inbound() {
      return inner.inbound().filter(m -> !deaf);
    }

    @Override
    public void close() {
      inner.close();
    }
  }

  @BeforeEach
  void start() {
    for (String id : IDS) {
      Deafenable t = new Deafenable(net.transport(id));
      RaftNode n = RaftNode.builder().id(id).members(IDS).transport(t).logStore(new MemoryLogStore())
          .options(OPTIONS).start();
      Counter c = new Counter();
      ExactlyOnceService s = ExactlyOnceService.start(n, c, SessionSettings.defaults());
      transports.put(id, t);
      nodes.put(id, n);
      counters.put(id, c);
      services.put(id, s);
      ClientEndpoint e = ClientEndpoint.startWithSessions(() -> n, () -> s, "127.0.0.1", 0);
      endpoints.add(e);
      addresses.put(id, e.address());
    }
  }

  @AfterEach
  void stop() {
    endpoints.forEach(ClientEndpoint::close);
    services.values().forEach(ExactlyOnceService::close);
    nodes.values().forEach(RaftNode::close);
  }

  @Test
  void everyIncrementIsAppliedExactlyOnceThroughALeaderCutOffMidStream() {
    int total = 300;
    int cutAfter = 100;
    String leader = awaitLeader(null);
    try (RemoteClient client = new RemoteClient(addresses)) {
      RemoteSession session = client.openSession(Duration.ofSeconds(30), Duration.ofSeconds(2))
          .block(Duration.ofSeconds(35));
      AtomicLong answered = new AtomicLong();
      Set<Long> answers = ConcurrentHashMap.newKeySet();
      List<Long> repeated = new ArrayList<>();
      Flux.range(1, total)
          .flatMap(i -> session.submit(bytes("inc-" + i)).map(a -> ByteBuffer.wrap(a).getLong()), 8)
          .doOnNext(v -> {
            if (!answers.add(v)) {
              synchronized (repeated) {
                repeated.add(v);
              }
            }
            if (answered.incrementAndGet() == cutAfter) {
              transports.get(leader).deaf = true; // mid-stream: proposals in flight on it
            }
          })
          .blockLast(Duration.ofSeconds(120));

      assertThat(transports.get(leader).deaf).as("the leader was cut off mid-stream").isTrue();
      assertThat(repeated).as("no answer twice").isEmpty();
      assertThat(new TreeSet<>(answers)).as("answers 1..N").hasSize(total).first().isEqualTo(1L);
      assertThat(new TreeSet<>(answers).last()).isEqualTo(total);

      String next = awaitLeader(leader);
      assertThat(next).isNotEqualTo(leader);
      transports.get(leader).deaf = false;
      long commit = services.get(next).appliedIndex(); // its answers came after it applied them
      awaitWithin(20_000, () -> services.values().stream().allMatch(s -> s.appliedIndex() >= commit),
          "every member applied " + commit);
      for (String id : IDS) {
        Counter c = counters.get(id);
        assertThat(c.value).as(id + "'s counter").isEqualTo(total);
        assertThat(c.applies.values()).as(id + ": every increment applied once").allMatch(n -> n.get() == 1);
        assertThat(c.applies).hasSize(total);
      }
    }
  }

  @Test
  void aClosedSessionIsRefusedAndAnEndpointWithoutSessionsSaysSo() {
    awaitLeader(null);
    try (RemoteClient client = new RemoteClient(addresses)) {
      RemoteSession session = client.openSession().block(Duration.ofSeconds(15));
      assertThat(ByteBuffer.wrap(session.submit(bytes("one")).block(Duration.ofSeconds(15))).getLong()).isEqualTo(1);
      session.close().block(Duration.ofSeconds(15));
      assertThatThrownBy(() -> session.submit(bytes("after close")).block(Duration.ofSeconds(15)))
          .isInstanceOfSatisfying(SessionRefusedException.class,
              e -> assertThat(e.reason()).isEqualTo(SessionRefusedException.Reason.UNKNOWN_SESSION));
    }
    RaftNode n = nodes.get(IDS.get(0));
    try (ClientEndpoint plain = ClientEndpoint.start(() -> n, "127.0.0.1", 0);
        RemoteClient client = new RemoteClient(Map.of(n.id(), plain.address()))) {
      assertThatThrownBy(() -> client.openSession().block(Duration.ofSeconds(15)))
          .isInstanceOf(ClientException.class).hasMessageContaining("serves no sessions");
    }
  }

  private String awaitLeader(String not) {
    return TestWaits.awaitLeader(nodes.values(), not, 20);
  }

  private static void awaitWithin(long ms, BooleanSupplier condition, String what) {
    TestWaits.awaitWithin(ms, condition, what);
  }

  private static void pause(long ms) {
    TestWaits.pause(ms);
  }

  private static byte[] bytes(String s) {
    return TestWaits.bytes(s);
  }
}

package dev.raftflow.engine.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.memory.MemoryNetwork;
import dev.raftflow.engine.node.RaftNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Three real-time nodes on a {@link MemoryNetwork}, each with an {@link ExactlyOnceService} over a
 * {@link CountingMachine}, a clock of its own the test moves, and a transport that can go deaf.
 * Members can be restarted from their stores. Every verdict each member reached is recorded.
 */
final class SessionGroup implements AutoCloseable {

  /** Elections after 300-600 ms: steady on a busy machine, quick enough for a test. */
  static final RaftOptions OPTIONS = RaftOptions.builder()
      .tickInterval(Duration.ofMillis(10)).heartbeatTicks(3).electionTicks(30).build();
  static final List<String> IDS = List.of("a", "b", "c");

  final MemoryNetwork net = new MemoryNetwork();
  final SessionSettings settings;
  final Map<String, MemoryLogStore> stores = new LinkedHashMap<>();
  final Map<String, AtomicLong> clocks = new LinkedHashMap<>();
  final Map<String, RaftNode> nodes = new LinkedHashMap<>();
  final Map<String, DeafTransport> transports = new LinkedHashMap<>();
  final Map<String, ExactlyOnceService> services = new LinkedHashMap<>();
  final Map<String, CountingMachine> machines = new LinkedHashMap<>();
  final Map<String, List<String>> verdicts = new LinkedHashMap<>();

  SessionGroup(SessionSettings settings) {
    this.settings = settings;
    for (String id : IDS) {
      stores.put(id, new MemoryLogStore());
      clocks.put(id, new AtomicLong(1_000_000));
      start(id);
    }
  }

  /** Starts (or restarts, from its store) member {@code id} with a fresh service. */
  void start(String id) {
    DeafTransport t = new DeafTransport(net.transport(id));
    RaftNode n = RaftNode.builder().id(id).members(IDS).transport(t).logStore(stores.get(id)).options(OPTIONS).start();
    CountingMachine m = new CountingMachine();
    List<String> seen = new CopyOnWriteArrayList<>();
    AtomicLong clock = clocks.get(id);
    ExactlyOnceService s = ExactlyOnceService.start(n, m, settings.withClock(clock::get),
        (index, v) -> seen.add(describe(index, v)));
    transports.put(id, t);
    nodes.put(id, n);
    machines.put(id, m);
    services.put(id, s);
    verdicts.put(id, seen);
  }

  /** A verdict as text, answers by content (records print arrays by identity). */
  static String describe(long index, SessionTable.Verdict v) {
    if (v instanceof SessionTable.Verdict.Duplicate d) {
      return index + " Duplicate[" + d.session() + ", " + d.seq() + ", " + Arrays.toString(d.answer()) + "]";
    }
    return index + " " + v;
  }

  void stop(String id) {
    services.get(id).close();
    nodes.get(id).close();
    nodes.get(id).onClose().block(Duration.ofSeconds(5));
  }

  /** A member other than {@code not} that leads, once one does. */
  String awaitLeader(String not) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      for (RaftNode n : nodes.values()) {
        if (!n.id().equals(not) && !n.isClosed() && n.state().isLeader()) {
          return n.id();
        }
      }
      assertThat(System.nanoTime()).as("a leader other than " + not + " within 20 s").isLessThan(deadline);
      pause(2);
    }
  }

  /** Waits until every member's service has taken at least up to {@code index}. */
  void awaitApplied(long index) {
    await(() -> services.values().stream().allMatch(s -> s.appliedIndex() >= index), "every member applied " + index);
  }

  static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as(what + " within 20 s").isLessThan(deadline);
      pause(2);
    }
  }

  static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  long lastIndex() {
    return nodes.values().stream().mapToLong(n -> n.state().lastIndex()).max().orElse(0);
  }

  List<String> others(String id) {
    List<String> out = new ArrayList<>(IDS);
    out.remove(id);
    return out;
  }

  @Override
  public void close() {
    services.values().forEach(ExactlyOnceService::close);
    nodes.values().forEach(RaftNode::close);
  }
}

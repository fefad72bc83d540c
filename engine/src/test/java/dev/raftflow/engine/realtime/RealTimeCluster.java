package dev.raftflow.engine.realtime;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.node.RaftNode;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.memory.MemoryNetwork;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/**
 * A cluster of real {@link RaftNode}s on real threads and timers, linked by a {@link MemoryNetwork}.
 * Records what each node applied, and checks that no two nodes applied different commands at one
 * index.
 */
final class RealTimeCluster implements AutoCloseable {

  final MemoryNetwork network = new MemoryNetwork();
  final List<String> ids = new ArrayList<>();
  final Map<String, RaftNode> nodes = new ConcurrentHashMap<>();
  final Map<String, MemoryLogStore> stores = new ConcurrentHashMap<>();
  final Map<String, List<ApplyEvent>> appliedBy = new ConcurrentHashMap<>();
  final List<String> errors = new CopyOnWriteArrayList<>();
  private final RaftOptions options;
  private final Random random = new Random(42);

  RealTimeCluster(int n, RaftOptions options) {
    this.options = options;
    for (int i = 0; i < n; i++) {
      ids.add("n" + i);
    }
    for (String id : ids) {
      stores.put(id, new MemoryLogStore());
      start(id);
    }
  }

  void start(String id) {
    appliedBy.put(id, new CopyOnWriteArrayList<>());
    RaftNode node = RaftNode.builder()
        .id(id)
        .members(ids)
        .transport(network.transport(id))
        .logStore(stores.get(id))
        .options(options)
        .random(new Random(random.nextLong()))
        .start();
    node.applied().subscribe(ev -> record(id, ev));
    nodes.put(id, node);
  }

  /** Crash (keeping the store's durable state) and restart. */
  void restart(String id) {
    RaftNode old = nodes.remove(id);
    MemoryLogStore copy = stores.get(id).copy();
    old.close();
    old.onClose().block(Duration.ofSeconds(5));
    stores.put(id, copy);
    start(id);
  }

  private void record(String id, ApplyEvent ev) {
    List<ApplyEvent> list = appliedBy.get(id);
    if (ev instanceof ApplyEvent.Entry e) {
      long expected = list.isEmpty() ? 1 : list.get(list.size() - 1).index() + 1;
      if (e.index() != expected) {
        errors.add(id + " applied " + e.index() + " but expected " + expected);
      }
      for (Map.Entry<String, List<ApplyEvent>> other : appliedBy.entrySet()) {
        for (ApplyEvent o : other.getValue()) {
          if (o instanceof ApplyEvent.Entry oe && oe.index() == e.index() && !java.util.Arrays.equals(oe.command(), e.command())) {
            errors.add("index " + e.index() + ": " + id + " and " + other.getKey() + " applied different commands");
          }
        }
      }
    } else {
      list.clear();
    }
    list.add(ev);
  }

  RaftNode awaitLeader(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (RaftNode n : nodes.values()) {
        if (n.state().isLeader()) {
          return n;
        }
      }
      pause();
    }
    throw new AssertionError("no leader within " + timeout);
  }

  static void await(BooleanSupplier condition, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      pause();
    }
  }

  private static void pause() {
    try {
      Thread.sleep(5);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  long appliedCount(String id) {
    return appliedBy.get(id).stream().filter(e -> e instanceof ApplyEvent.Entry en && en.isCommand()).count();
  }

  @Override
  public void close() {
    for (RaftNode n : nodes.values()) {
      n.close();
    }
    for (RaftNode n : nodes.values()) {
      n.onClose().block(Duration.ofSeconds(5));
    }
  }
}

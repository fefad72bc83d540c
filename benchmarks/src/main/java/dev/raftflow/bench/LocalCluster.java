package dev.raftflow.bench;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.NodeState;
import dev.raftflow.engine.RaftNode;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.memory.MemoryNetwork;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * N members of one group in this process, each with a trivial state machine that counts applied
 * commands and bytes. Members share a small pool of event loops, as Netty event loops are shared.
 */
final class LocalCluster implements AutoCloseable {

  /** Applied entries between two snapshots of the counting state machine. */
  static final long SNAPSHOT_EVERY = 50_000;

  final List<String> ids = new ArrayList<>();
  final Map<String, RaftNode> nodes = new ConcurrentHashMap<>();
  final Map<String, AtomicLong> appliedCommands = new ConcurrentHashMap<>();
  final Map<String, AtomicLong> appliedBytes = new ConcurrentHashMap<>();
  private final MemoryNetwork network = new MemoryNetwork();
  private final Scheduler loops;
  private final RaftOptions options;

  LocalCluster(int size, RaftOptions options) {
    this.options = options;
    this.loops = Schedulers.newParallel("raftflow-loop", Math.min(size, Runtime.getRuntime().availableProcessors()));
    for (int i = 1; i <= size; i++) {
      ids.add("n" + i);
    }
    for (String id : ids) {
      start(id);
    }
  }

  private void start(String id) {
    AtomicLong commands = appliedCommands.computeIfAbsent(id, k -> new AtomicLong());
    AtomicLong bytes = appliedBytes.computeIfAbsent(id, k -> new AtomicLong());
    RaftNode node = RaftNode.builder()
        .id(id)
        .members(ids)
        .transport(network.transport(id))
        .logStore(new MemoryLogStore())
        .options(options)
        .scheduler(loops)
        .start();
    node.applied().subscribe(ev -> {
      if (ev instanceof ApplyEvent.Entry e) {
        if (!e.noop()) {
          commands.incrementAndGet();
          bytes.addAndGet(e.command().length);
        }
        if (e.index() % SNAPSHOT_EVERY == 0) {
          // the counters are the whole state: snapshot them so the log stays bounded
          node.snapshot(e.index(), ByteBuffer.allocate(16).putLong(commands.get()).putLong(bytes.get()).array());
        }
      } else if (ev instanceof ApplyEvent.SnapshotInstalled s) {
        ByteBuffer b = ByteBuffer.wrap(s.data());
        commands.set(b.getLong());
        bytes.set(b.getLong());
      }
    });
    nodes.put(id, node);
  }

  /** The member that leads the highest term, or null. */
  RaftNode leader() {
    RaftNode best = null;
    for (RaftNode n : nodes.values()) {
      NodeState s = n.state();
      if (s.isLeader() && (best == null || s.term() > best.state().term())) {
        best = n;
      }
    }
    return best;
  }

  RaftNode awaitLeader(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    RaftNode l;
    while ((l = leader()) == null) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no leader elected within " + timeout);
      }
      Thread.sleep(5);
    }
    return l;
  }

  long minApplied() {
    return appliedCommands.values().stream().mapToLong(AtomicLong::get).min().orElse(0);
  }

  long maxApplied() {
    return appliedCommands.values().stream().mapToLong(AtomicLong::get).max().orElse(0);
  }

  @Override
  public void close() {
    nodes.values().forEach(RaftNode::close);
    for (RaftNode n : nodes.values()) {
      n.onClose().block(Duration.ofSeconds(5));
    }
    loops.dispose();
  }
}

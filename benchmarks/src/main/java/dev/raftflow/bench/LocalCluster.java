package dev.raftflow.bench;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.NodeState;
import dev.raftflow.engine.node.RaftNode;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.memory.MemoryNetwork;
import dev.raftflow.engine.spi.LogStore;
import dev.raftflow.engine.spi.Transport;
import dev.raftflow.server.ClientEndpoint;
import dev.raftflow.storage.chronicle.ChronicleLogStore;
import dev.raftflow.transport.rsocket.RSocketTransport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * N members of one group in this process, each with a trivial state machine that counts applied
 * commands and bytes and snapshots its counters every {@link #SNAPSHOT_EVERY} entries. Members share
 * a small pool of event loops, as Netty event loops are shared. Members talk over the in-memory
 * network or RSocket on 127.0.0.1, and keep their logs in memory or in Chronicle Queue directories
 * (a temporary directory deleted at close unless one is given). A member can be crashed and
 * restarted from what its store made durable.
 */
public final class LocalCluster implements AutoCloseable, LoadTarget {

  /** Applied entries between two snapshots of the counting state machine. */
  static final long SNAPSHOT_EVERY = 50_000;

  final List<String> ids = new ArrayList<>();
  final Map<String, RaftNode> nodes = new ConcurrentHashMap<>();
  final Map<String, AtomicLong> appliedCommands = new ConcurrentHashMap<>();
  final Map<String, AtomicLong> appliedBytes = new ConcurrentHashMap<>();
  private final Map<String, LogStore> stores = new ConcurrentHashMap<>();
  private final Map<String, RSocketTransport> sockets = new ConcurrentHashMap<>();
  private final List<ClientEndpoint> endpoints = new ArrayList<>();
  private final MemoryNetwork network = new MemoryNetwork();
  private final ClusterOptions config;
  private final Path dataDir;
  private final boolean deleteDataDir;
  private final Scheduler loops;
  private final Scheduler appliers;
  private final RaftOptions options;
  private final long applyDelayNanos;

  /**
   * @param applyDelayMicros busy work per applied entry on a separate applier thread (a slow state
   *     machine); 0 applies on the node's loop
   */
  LocalCluster(ClusterOptions config, RaftOptions options) throws IOException {
    this.config = config;
    int size = config.nodes;
    long applyDelayMicros = config.applyDelayMicros;
    this.options = options;
    this.applyDelayNanos = applyDelayMicros * 1000;
    if (config.storage.equals("chronicle")) {
      this.deleteDataDir = config.dataDir == null;
      this.dataDir = config.dataDir != null ? config.dataDir : Files.createTempDirectory("raftflow-run-");
    } else {
      this.deleteDataDir = false;
      this.dataDir = null;
    }
    this.loops = Schedulers.newParallel("raftflow-loop", Math.min(size, Runtime.getRuntime().availableProcessors()));
    this.appliers = applyDelayMicros > 0 ? Schedulers.newParallel("raftflow-apply", size) : null;
    for (int i = 1; i <= size; i++) {
      ids.add("n" + i);
    }
    for (String id : ids) {
      stores.put(id, openStore(id));
      start(id);
    }
  }

  private LogStore openStore(String id) {
    if (dataDir == null) {
      return new MemoryLogStore();
    }
    ChronicleLogStore.Options o = ChronicleLogStore.Options.defaults().withDurability(config.durability());
    return ChronicleLogStore.open(dataDir.resolve(id), o);
  }

  private Transport openTransport(String id) {
    if (!config.transport.equals("rsocket")) {
      return network.transport(id);
    }
    RSocketTransport t = RSocketTransport.builder().clusterId("raftflow-run").nodeId(id).bind("127.0.0.1", 0)
        .peers(ids).start();
    sockets.put(id, t);
    // tell everyone where this member listens now, and it where the others do
    for (Map.Entry<String, RSocketTransport> other : sockets.entrySet()) {
      if (!other.getKey().equals(id)) {
        other.getValue().peerAddress(id, t.localAddress());
        t.peerAddress(other.getKey(), other.getValue().localAddress());
      }
    }
    return t;
  }

  private void start(String id) {
    AtomicLong commands = appliedCommands.computeIfAbsent(id, k -> new AtomicLong());
    AtomicLong bytes = appliedBytes.computeIfAbsent(id, k -> new AtomicLong());
    RaftNode node = RaftNode.builder()
        .id(id)
        .members(ids)
        .transport(openTransport(id))
        .logStore(stores.get(id))
        .options(options)
        .scheduler(loops)
        .start();
    Flux<ApplyEvent> stream = node.applied();
    if (appliers != null) {
      stream = stream.publishOn(appliers, 256); // bounded hand-off: demand holds the node back
    }
    stream.subscribe(ev -> {
      if (ev instanceof ApplyEvent.Entry e) {
        if (e.isCommand()) {
          commands.incrementAndGet();
          bytes.addAndGet(e.command().length);
          if (applyDelayNanos > 0) {
            long until = System.nanoTime() + applyDelayNanos;
            while (System.nanoTime() < until) {
              Thread.onSpinWait();
            }
          }
        }
        if (e.index() % SNAPSHOT_EVERY == 0) {
          node.snapshot(e.index(), ByteBuffer.allocate(16).putLong(commands.get()).putLong(bytes.get()).array());
        }
      } else if (ev instanceof ApplyEvent.SnapshotInstalled s) {
        ByteBuffer b = ByteBuffer.wrap(s.data());
        commands.set(b.getLong());
        bytes.set(b.getLong());
      }
    }, error -> { /* the node stopped (crash injected or store failure): already logged */ });
    nodes.put(id, node);
  }

  /**
   * Stops {@code id} and starts it again from its store: a memory store keeps what it held, a
   * Chronicle store is closed by the node (writes handed over are finished) and reopened.
   */
  void crashAndRestart(String id) {
    RaftNode old = nodes.remove(id);
    LogStore store = stores.get(id);
    LogStore reopened;
    old.close(); // stops the node's loop, which closes its store
    reopened = store instanceof MemoryLogStore m ? m.copy() : null;
    old.onClose().block(Duration.ofSeconds(10));
    RSocketTransport socket = sockets.remove(id);
    if (socket != null) {
      socket.onClose().block(Duration.ofSeconds(10));
    }
    stores.put(id, reopened != null ? reopened : openStore(id));
    start(id);
  }

  /**
   * A cluster for benchmarks outside the command line (JMH): {@code transport} rsocket|memory,
   * {@code storage} chronicle|memory, {@code durability} fsync|os-cache.
   */
  public static LocalCluster create(int nodes, String transport, String storage, String durability) throws IOException {
    ClusterOptions o = new ClusterOptions();
    o.nodes = nodes;
    o.transport = transport;
    o.storage = storage;
    o.durability = durability;
    String problem = o.validate();
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    return o.start();
  }

  /** Starts a client-protocol endpoint for every member on 127.0.0.1; returns member id → address. */
  Map<String, java.net.InetSocketAddress> startClientEndpoints() {
    Map<String, java.net.InetSocketAddress> out = new java.util.LinkedHashMap<>();
    for (String id : ids) {
      ClientEndpoint e = ClientEndpoint.start(() -> nodes.get(id), "127.0.0.1", 0);
      endpoints.add(e);
      out.put(id, e.address());
    }
    return out;
  }

  /** The member that leads the highest term, or null. */
  public RaftNode leader() {
    RaftNode best = null;
    for (RaftNode n : nodes.values()) {
      NodeState s = n.state();
      if (s.isLeader() && (best == null || s.term() > best.state().term())) {
        best = n;
      }
    }
    return best;
  }

  public RaftNode awaitLeader(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    RaftNode l;
    while ((l = leader()) == null) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no leader elected within " + timeout);
      }
      LockSupport.parkNanos(2_000_000);
    }
    return l;
  }

  long minApplied() {
    return appliedCommands.values().stream().mapToLong(AtomicLong::get).min().orElse(0);
  }

  long maxApplied() {
    return appliedCommands.values().stream().mapToLong(AtomicLong::get).max().orElse(0);
  }

  /** Proposals waiting in every member's queue. */
  public long queuedProposals() {
    return nodes.values().stream().mapToLong(RaftNode::queuedProposals).sum();
  }

  /** The leader's entries not yet taken by its service. */
  public long leaderUnapplied() {
    RaftNode l = leader();
    return l == null ? 0 : l.state().lastIndex() - l.state().appliedIndex();
  }

  @Override
  public void close() {
    endpoints.forEach(ClientEndpoint::close);
    nodes.values().forEach(RaftNode::close);
    for (RaftNode n : nodes.values()) {
      n.onClose().block(Duration.ofSeconds(5));
    }
    for (RSocketTransport t : sockets.values()) {
      t.onClose().block(Duration.ofSeconds(10));
    }
    loops.dispose();
    if (appliers != null) {
      appliers.dispose();
    }
    if (deleteDataDir) {
      deleteRecursively(dataDir);
    }
  }

  /** Disk used by the members' data directories, in bytes (0 in memory). */
  long diskBytes() {
    if (dataDir == null) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(dataDir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (IOException e) {
          return 0;
        }
      }).sum();
    } catch (IOException e) {
      return 0;
    }
  }

  private static void deleteRecursively(Path root) {
    try (Stream<Path> files = Files.walk(root)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          // best effort: a temp directory
        }
      });
    } catch (IOException e) {
      // already gone
    }
  }
}

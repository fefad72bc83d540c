package dev.raftflow.bench;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.Role;
import dev.raftflow.engine.memory.MemoryHostLogStore;
import dev.raftflow.engine.memory.MemoryHostNetwork;
import dev.raftflow.engine.node.RaftHost;
import dev.raftflow.engine.node.RaftNode;
import dev.raftflow.engine.spi.HostLogStore;
import dev.raftflow.engine.spi.HostTransport;
import dev.raftflow.storage.chronicle.ChronicleHostLogStore;
import dev.raftflow.storage.chronicle.ChronicleLogStore;
import dev.raftflow.transport.rsocket.RSocketHostTransport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * Many groups on a few hosts in this process (multi-raft): each member id is a {@link RaftHost}
 * with one transport endpoint (RSocket on 127.0.0.1 or in memory), one log for all its groups
 * (Chronicle or in memory) and its own loop threads; every host is a member of every group, and
 * the hosts spread leadership among themselves. Proposals go to the groups in turn.
 */
final class HostCluster implements AutoCloseable, LoadTarget {

  private final ClusterOptions config;
  private final int groupCount;
  private final List<String> ids = new ArrayList<>();
  private final List<RaftHost> hosts = new ArrayList<>();
  private final Path dataDir;
  private final boolean deleteDataDir;
  private final RaftNode[] leaders;
  /** Commands acknowledged per group (committed and applied on its leader). */
  final AtomicLong[] acked;
  private final AtomicInteger next = new AtomicInteger();
  private final Map<String, AtomicLong> applied = new ConcurrentHashMap<>();
  private final List<RSocketHostTransport> sockets = new ArrayList<>();
  private final List<ChronicleHostLogStore> logs = new ArrayList<>();

  HostCluster(ClusterOptions config, RaftOptions options, int groups, int loopsPerHost) throws IOException {
    this(config, options, groups, loopsPerHost, true);
  }

  /**
   * @param sharedLog with Chronicle storage: one log per host for all its groups ({@link
   *     ChronicleHostLogStore}); false: a Chronicle store of its own per group and host (what the
   *     shared log saves: a sync per group)
   */
  HostCluster(ClusterOptions config, RaftOptions options, int groups, int loopsPerHost, boolean sharedLog)
      throws IOException {
    this.config = config;
    this.groupCount = groups;
    this.leaders = new RaftNode[groups];
    this.acked = new AtomicLong[groups];
    for (int g = 0; g < groups; g++) {
      acked[g] = new AtomicLong();
    }
    this.deleteDataDir = config.storage.equals("chronicle") && config.dataDir == null;
    this.dataDir = !config.storage.equals("chronicle") ? null
        : config.dataDir != null ? config.dataDir : Files.createTempDirectory("raftflow-hosts-");
    for (int i = 1; i <= config.nodes; i++) {
      ids.add("n" + i);
    }
    MemoryHostNetwork memory = new MemoryHostNetwork();
    RaftOptions hostOptions = RaftHost.groupOptions(options);
    for (String id : ids) {
      HostTransport transport;
      if (config.transport.equals("rsocket")) {
        RSocketHostTransport t = RSocketHostTransport.builder().clusterId("raftflow-run").hostId(id)
            .bind("127.0.0.1", 0).peers(ids).start();
        for (RSocketHostTransport other : sockets) {
          other.peerAddress(id, t.localAddress());
          t.peerAddress(other.hostId(), other.localAddress());
        }
        sockets.add(t);
        transport = t;
      } else {
        transport = memory.host(id);
      }
      HostLogStore store;
      if (dataDir == null) {
        store = new MemoryHostLogStore();
      } else if (!sharedLog) {
        store = new PerGroupLogs(dataDir.resolve(id),
            ChronicleLogStore.Options.defaults().withDurability(config.durability()));
      } else {
        ChronicleHostLogStore log = ChronicleHostLogStore.open(dataDir.resolve(id),
            ChronicleLogStore.Options.defaults().withDurability(config.durability()));
        logs.add(log);
        store = log;
      }
      hosts.add(RaftHost.builder().transport(transport).logStore(store).options(hostOptions).loops(loopsPerHost)
          .random(new Random(id.hashCode())).build());
    }
    for (int g = 0; g < groups; g++) {
      for (RaftHost h : hosts) {
        start(h, "g" + g);
      }
    }
  }

  private void start(RaftHost host, String group) {
    RaftNode node = host.startGroup(group, ids);
    AtomicLong commands = applied.computeIfAbsent(host.id() + "/" + group, k -> new AtomicLong());
    node.applied().subscribe(ev -> {
      if (ev instanceof ApplyEvent.Entry e) {
        if (e.isCommand()) {
          commands.incrementAndGet();
        }
        if (e.index() % LocalCluster.SNAPSHOT_EVERY == 0) {
          node.snapshot(e.index(), ByteBuffer.allocate(8).putLong(commands.get()).array());
        }
      } else if (ev instanceof ApplyEvent.SnapshotInstalled s) {
        commands.set(ByteBuffer.wrap(s.data()).getLong());
      }
    }, error -> { /* the node stopped: already logged */ });
  }

  int groups() {
    return groupCount;
  }

  /** Waits until every group has a leader. */
  void awaitLeaders(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      int led = 0;
      for (int g = 0; g < groupCount; g++) {
        if (leaderOf(g) != null) {
          led++;
        }
      }
      if (led == groupCount) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(led + " of " + groupCount + " groups have a leader after " + timeout);
      }
      LockSupport.parkNanos(5_000_000);
    }
  }

  /**
   * Spreads leadership over the hosts before a measurement ({@link RaftHost#balanceLeaders()} in
   * rounds until no host hands a group over), so transfers do not refuse proposals while it runs.
   */
  void spreadLeaders(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    int quietRounds = 0;
    while (quietRounds < 3 && System.nanoTime() < deadline) {
      boolean moved = false;
      for (RaftHost h : hosts) {
        moved |= h.balanceLeaders() != null;
      }
      quietRounds = moved ? 0 : quietRounds + 1;
      LockSupport.parkNanos(moved ? 50_000_000L : 20_000_000L);
      awaitLeaders(timeout);
    }
  }

  /** How many groups each host leads, in host order. */
  List<Integer> leadersPerHost() {
    List<Integer> counts = new ArrayList<>();
    for (String id : ids) {
      int n = 0;
      for (int g = 0; g < groupCount; g++) {
        RaftNode l = leaderOf(g);
        if (l != null && l.id().equals(id)) {
          n++;
        }
      }
      counts.add(n);
    }
    return counts;
  }

  private RaftNode leaderOf(int g) {
    RaftNode cached = leaders[g];
    if (cached != null && cached.state().role() == Role.LEADER && !cached.isClosed()) {
      return cached;
    }
    for (RaftHost h : hosts) {
      RaftNode n = h.group("g" + g).orElse(null);
      if (n != null && n.state().role() == Role.LEADER) {
        leaders[g] = n;
        return n;
      }
    }
    return null;
  }

  /** Proposes to the groups in turn, each to its leader; counts acknowledgements per group. */
  LoadDriver.Proposer proposer() {
    return command -> {
      int g = Math.floorMod(next.getAndIncrement(), groupCount);
      RaftNode l = leaderOf(g);
      if (l == null) {
        return null;
      }
      AtomicLong count = acked[g];
      return l.submit(command).doOnNext(p -> count.incrementAndGet());
    };
  }

  /**
   * Proposes every command to group {@code group}'s leader (null while it has none) and counts its
   * acknowledgements in {@link #acked}: a load of its own for one group.
   */
  LoadDriver.Proposer proposer(int group) {
    if (group < 0 || group >= groupCount) {
      throw new IllegalArgumentException("group " + group + " outside 0.." + (groupCount - 1));
    }
    AtomicLong count = acked[group];
    return command -> {
      RaftNode l = leaderOf(group);
      return l == null ? null : l.submit(command).doOnNext(p -> count.incrementAndGet());
    };
  }

  /** Messages per frame on the hosts' connections and writes per sync of their logs, as far as they count them. */
  String batching() {
    long frames = 0;
    long messages = 0;
    long queueFull = 0;
    long bufferFull = 0;
    for (RSocketHostTransport t : sockets) {
      frames += t.metrics().sentFrames();
      messages += t.metrics().sentMessages();
      queueFull += t.metrics().droppedQueueFull();
      bufferFull += t.metrics().droppedGroupBufferFull();
    }
    long syncs = 0;
    for (ChronicleHostLogStore l : logs) {
      syncs += l.syncCount();
    }
    return (frames == 0 ? "" : String.format("%,d messages in %,d frames (%.1f per frame)", messages, frames,
        messages / (double) frames)) + (syncs == 0 ? "" : String.format("; %,d log syncs", syncs))
        + (queueFull + bufferFull == 0 ? "" : String.format("; dropped %,d at full peer queues, %,d at full group buffers",
            queueFull, bufferFull));
  }

  @Override
  public RaftNode leader() {
    return leaderOf(0);
  }

  @Override
  public long queuedProposals() {
    long q = 0;
    for (RaftHost h : hosts) {
      for (String g : h.groups()) {
        q += h.group(g).map(RaftNode::queuedProposals).orElse(0);
      }
    }
    return q;
  }

  @Override
  public long leaderUnapplied() {
    long max = 0;
    for (int g = 0; g < groupCount; g++) {
      RaftNode l = leaderOf(g);
      if (l != null) {
        max = Math.max(max, l.state().lastIndex() - l.state().appliedIndex());
      }
    }
    return max;
  }

  @Override
  public void close() {
    for (RaftHost h : hosts) {
      h.close();
    }
    if (deleteDataDir) {
      try (Stream<Path> files = Files.walk(dataDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // best effort: a temp directory
      }
    }
  }
}

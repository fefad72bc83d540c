package dev.raftflow.transport.rsocket;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.LogPosition;
import dev.raftflow.engine.NodeState;
import dev.raftflow.engine.node.RaftNode;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.memory.MemoryLogStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Real {@link RaftNode}s on real timers, each with its own {@link RSocketTransport} on a
 * 127.0.0.1 ephemeral port, with the 6.5840 lab's checks. Disconnection is at the socket level
 * ({@link RSocketTransport#isolate} / {@link RSocketTransport#block}); a crash closes the node and
 * its transport and restarts both on the same port from a copy of the durable store.
 */
final class SocketCluster implements AutoCloseable {

  final List<String> ids = new ArrayList<>();
  final Map<String, RaftNode> nodes = new ConcurrentHashMap<>();
  final Map<String, RSocketTransport> transports = new ConcurrentHashMap<>();
  final Map<String, MemoryLogStore> stores = new ConcurrentHashMap<>();
  private final Map<String, Integer> ports = new ConcurrentHashMap<>();
  private final Set<String> connected = ConcurrentHashMap.newKeySet();
  /** index → command applied there (first applier wins; any other applier must agree). */
  private final Map<Long, byte[]> committed = new ConcurrentHashMap<>();
  /** node → index → command it applied (cleared when it restarts). */
  private final Map<String, Map<Long, byte[]>> appliedBy = new ConcurrentHashMap<>();
  private final Map<Long, String> leaderOfTerm = new ConcurrentHashMap<>();
  final List<String> errors = new CopyOnWriteArrayList<>();
  private final RaftOptions options;
  private final Random random = new Random(20261122);
  private int starts;

  SocketCluster(int n) {
    this(n, RaftOptions.builder().electionTicks(20).build());
  }

  SocketCluster(int n, RaftOptions options) {
    this.options = options;
    for (int i = 1; i <= n; i++) {
      ids.add("s" + i);
    }
    for (String id : ids) {
      stores.put(id, new MemoryLogStore());
      RSocketTransport t = newTransport(id, 0);
      transports.put(id, t);
      ports.put(id, t.localAddress().getPort());
    }
    for (String id : ids) {
      wire(id);
    }
    for (String id : ids) {
      startNode(id);
      connected.add(id);
    }
  }

  private RSocketTransport newTransport(String id, int port) {
    return RSocketTransport.builder().clusterId("lab").nodeId(id).bind("127.0.0.1", port).peers(ids)
        .backoff(Duration.ofMillis(20), Duration.ofMillis(200)).start();
  }

  private void wire(String id) {
    for (String other : ids) {
      if (!other.equals(id)) {
        transports.get(id).peerAddress(other, new java.net.InetSocketAddress("127.0.0.1", ports.get(other)));
      }
    }
  }

  private void startNode(String id) {
    appliedBy.put(id, new ConcurrentHashMap<>());
    RaftNode node = RaftNode.builder().id(id).members(ids).transport(transports.get(id)).logStore(stores.get(id))
        .options(options).random(new Random(random.nextLong())).start();
    node.applied().subscribe(ev -> record(id, ev), e -> errors.add(id + " apply stream failed: " + e));
    nodes.put(id, node);
  }

  private void record(String id, ApplyEvent ev) {
    if (ev instanceof ApplyEvent.Entry e) {
      Map<Long, byte[]> mine = appliedBy.get(id);
      if (e.index() > 1 && !mine.isEmpty() && !mine.containsKey(e.index() - 1)) {
        errors.add(id + " applied " + e.index() + " out of order");
      }
      byte[] cmd = !e.isCommand() ? new byte[0] : e.command();
      mine.put(e.index(), cmd);
      byte[] prior = committed.putIfAbsent(e.index(), cmd);
      if (prior != null && !Arrays.equals(prior, cmd)) {
        errors.add("index " + e.index() + ": " + id + " applied a different command than another node");
      }
    } else {
      errors.add(id + " got an unexpected snapshot");
    }
  }

  // ------------------------------------------------------------ faults at the socket level

  /** Cuts {@code id} off: every connection closed, new ones refused. */
  void disconnect(String id) {
    connected.remove(id);
    transports.get(id).isolate(true);
  }

  void reconnect(String id) {
    transports.get(id).isolate(false);
    connected.add(id);
  }

  /** Splits the cluster: members of {@code side} talk only among themselves, the rest likewise. */
  void partition(Set<String> side) {
    for (String id : ids) {
      Set<String> blocked = new HashSet<>();
      for (String other : ids) {
        if (side.contains(id) != side.contains(other)) {
          blocked.add(other);
        }
      }
      transports.get(id).block(blocked);
    }
  }

  void heal() {
    for (String id : ids) {
      transports.get(id).block(Set.of());
      transports.get(id).isolate(false);
      connected.add(id);
    }
  }

  /** Crash: the node and its transport stop; volatile state is lost, the durable store is kept. */
  void crash(String id) {
    RaftNode n = nodes.remove(id);
    if (n == null) {
      return;
    }
    connected.remove(id);
    MemoryLogStore copy = stores.get(id).copy();
    n.close();
    n.onClose().block(Duration.ofSeconds(5));
    RSocketTransport t = transports.get(id);
    t.close();
    t.onClose().block(Duration.ofSeconds(5));
    stores.put(id, copy);
  }

  /** Restarts a crashed node on its old port. */
  void restart(String id) {
    crash(id);
    transports.put(id, newTransport(id, ports.get(id)));
    wire(id);
    startNode(id);
    connected.add(id);
  }

  boolean isUp(String id) {
    return nodes.containsKey(id);
  }

  // ------------------------------------------------------------ the lab's checks

  private void observeLeaders() {
    for (RaftNode n : nodes.values()) {
      NodeState s = n.state();
      if (s.isLeader()) {
        String prior = leaderOfTerm.putIfAbsent(s.term(), n.id());
        if (prior != null && !prior.equals(n.id())) {
          errors.add("term " + s.term() + " has two leaders: " + prior + " and " + n.id());
        }
      }
    }
  }

  /** Waits for exactly one leader among connected nodes (in the newest term) and returns it. */
  String checkOneLeader(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      observeLeaders();
      long bestTerm = -1;
      List<String> best = new ArrayList<>();
      for (String id : connected) {
        RaftNode n = nodes.get(id);
        if (n != null && n.state().isLeader()) {
          long t = n.state().term();
          if (t > bestTerm) {
            bestTerm = t;
            best.clear();
          }
          if (t == bestTerm) {
            best.add(id);
          }
        }
      }
      if (best.size() > 1) {
        throw new AssertionError("term " + bestTerm + " has leaders " + best);
      }
      if (best.size() == 1) {
        return best.get(0);
      }
      pause(10);
    }
    throw new AssertionError("no leader among " + connected + " within " + timeout + ": " + states());
  }

  /** Asserts that for {@code duration} no connected node in {@code among} is leader. */
  void checkNoLeader(Set<String> among, Duration duration) {
    long deadline = System.nanoTime() + duration.toNanos();
    while (System.nanoTime() < deadline) {
      observeLeaders();
      for (String id : among) {
        RaftNode n = nodes.get(id);
        if (n != null && n.state().isLeader()) {
          throw new AssertionError(id + " is leader without a majority: " + states());
        }
      }
      pause(10);
    }
  }

  /** How many nodes applied {@code index}, failing if they disagree; with the command. */
  record Applied(int count, byte[] command) {}

  Applied nCommitted(long index) {
    int count = 0;
    byte[] cmd = null;
    for (String id : ids) {
      Map<Long, byte[]> m = appliedBy.get(id);
      byte[] c = m == null ? null : m.get(index);
      if (c != null) {
        if (cmd != null && !Arrays.equals(cmd, c)) {
          throw new AssertionError("nodes disagree at index " + index);
        }
        cmd = c;
        count++;
      }
    }
    return new Applied(count, cmd);
  }

  /**
   * The lab's {@code one}: submits {@code command} to a leader and waits until at least {@code
   * expected} nodes applied it; with {@code retry}, tries again with a new leader after a failure.
   */
  long one(byte[] command, int expected, boolean retry, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      observeLeaders();
      long index = -1;
      // like the lab, start from a different server each try; prefer the newest term's leader
      List<String> order = new ArrayList<>(ids);
      java.util.Collections.rotate(order, -(starts++ % ids.size()));
      order.removeIf(id -> !connected.contains(id) || nodes.get(id) == null);
      order.sort(java.util.Comparator.comparingLong((String id) -> -nodes.get(id).state().term()));
      for (String id : order) {
        RaftNode n = nodes.get(id);
        if (n == null || !n.state().isLeader()) {
          continue;
        }
        try {
          LogPosition p = n.propose(command).get(1, TimeUnit.SECONDS);
          index = p.index();
          break;
        } catch (Exception e) {
          // not leader any more, or overloaded: try another
        }
      }
      if (index > 0) {
        long until = Math.min(deadline, System.nanoTime() + Duration.ofSeconds(2).toNanos());
        while (System.nanoTime() < until) {
          Applied a = nCommitted(index);
          if (a.count() >= expected && Arrays.equals(a.command(), command)) {
            return index;
          }
          pause(10);
        }
        if (!retry) {
          throw new AssertionError("one(" + new String(command) + ") failed to reach agreement: " + states());
        }
      } else {
        pause(20);
      }
    }
    throw new AssertionError("one(" + new String(command) + ") failed within " + timeout + ": " + states());
  }

  String states() {
    StringBuilder b = new StringBuilder();
    for (String id : ids) {
      RaftNode n = nodes.get(id);
      b.append(id).append(connected.contains(id) ? "" : "(cut)").append('=')
          .append(n == null ? "down" : n.state()).append(' ');
    }
    return b.toString();
  }

  void assertNoErrors() {
    observeLeaders();
    if (!errors.isEmpty()) {
      throw new AssertionError(String.join("\n", errors));
    }
  }

  static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Override
  public void close() {
    for (RaftNode n : nodes.values()) {
      n.close();
    }
    for (RaftNode n : nodes.values()) {
      n.onClose().block(Duration.ofSeconds(5));
    }
    for (RSocketTransport t : transports.values()) {
      t.close();
      t.onClose().block(Duration.ofSeconds(5));
    }
  }
}

package dev.raftflow.server;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.Role;
import dev.raftflow.engine.node.RaftHost;
import dev.raftflow.engine.node.RaftNode;
import dev.raftflow.storage.chronicle.ChronicleHostLogStore;
import dev.raftflow.storage.chronicle.ChronicleLogStore;
import dev.raftflow.storage.chronicle.Durability;
import dev.raftflow.transport.rsocket.RSocketHostTransport;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code node --groups}: one member of many groups in one process (multi-raft). A {@link RaftHost}
 * with an RSocket host transport (one connection per peer member, all groups' messages on it), one
 * Chronicle log for every group in the data directory, and for each group the {@code node}
 * command's counting service; clients name their group per connection ({@code client --group}).
 * The members are fixed to {@code --peers} (no membership changes in this mode). Prints {@code
 * READY ... groups=N}, then a status line per second: groups led here, quiet, and the highest commit.
 */
final class GroupsNode {

  /** Entries between two snapshots of a group. */
  static final long SNAPSHOT_EVERY = 10_000;

  record Settings(String id, InetSocketAddress bind, InetSocketAddress clientBind, Map<String, InetSocketAddress> peers,
      Path dataDir, Durability durability, String clusterId, PeerSecurity security, RaftOptions options,
      List<String> groups, boolean recordCommands) {}

  private GroupsNode() {}

  /** Runs until {@code stop} opens; returns 0, or FAILED when the host stopped by itself. */
  static int run(Settings s, PrintWriter out, PrintWriter err, CountDownLatch stop) throws InterruptedException {
    RSocketHostTransport.Builder tb = RSocketHostTransport.builder().clusterId(s.clusterId()).hostId(s.id())
        .bind(s.bind().getHostString(), s.bind().getPort());
    s.security().applyTo(tb);
    s.peers().forEach(tb::peer);
    RSocketHostTransport transport;
    try {
      transport = tb.start();
    } catch (RuntimeException e) {
      throw new IllegalStateException("cannot listen for peers on " + HostPort.format(s.bind()) + ": "
          + Failures.describe(e), e);
    }
    ChronicleHostLogStore store;
    try {
      store = ChronicleHostLogStore.open(s.dataDir(), ChronicleLogStore.Options.defaults().withDurability(s.durability()));
    } catch (RuntimeException e) {
      transport.close();
      throw e;
    }
    List<String> members = new ArrayList<>();
    members.add(s.id());
    members.addAll(s.peers().keySet());
    RaftHost host = RaftHost.builder().transport(transport).logStore(store)
        .options(RaftHost.groupOptions(s.options())).balanceLeaders(java.time.Duration.ofSeconds(5)).build();
    ClientEndpoint endpoint = null;
    try {
      Map<String, java.util.concurrent.atomic.AtomicReference<Counted>> counted = new java.util.concurrent.ConcurrentHashMap<>();
      Map<String, Map<Long, byte[]>> recorded = new java.util.concurrent.ConcurrentHashMap<>();
      for (String g : s.groups()) {
        Map<Long, byte[]> log = s.recordCommands() ? new java.util.concurrent.ConcurrentSkipListMap<>() : null;
        if (log != null) {
          recorded.put(g, log);
        }
        counted.put(g, serve(host.startGroup(g, members), log));
      }
      // the shared log frees its oldest file once the groups still needing it snapshot
      host.snapshotRequests().subscribe(g -> host.group(g).ifPresent(n -> {
        Counted c = counted.get(g).get();
        if (c.index() > 0 && !s.recordCommands()) { // at or below the group's last snapshot, this changes nothing
          n.snapshot(c.index(), ByteBuffer.allocate(8).putLong(c.commands()).array()).exceptionally(e -> null);
        }
      }));
      endpoint = ClientEndpoint.startForGroups(g -> host.group(g).orElse(null),
          (g, index) -> recorded.getOrDefault(g, Map.of()).get(index), s.clientBind().getHostString(),
          s.clientBind().getPort());
      out.printf("READY id=%s peer=%s client=%s members=%s groups=%d peer-auth=%s%n", s.id(),
          HostPort.format(transport.localAddress()), HostPort.format(endpoint.address()), members, s.groups().size(),
          s.security().describe());
      out.flush();
      String last = "";
      while (!stop.await(1, TimeUnit.SECONDS)) {
        int led = 0;
        int quiet = 0;
        long commit = 0;
        for (String g : host.groups()) {
          RaftNode n = host.group(g).orElse(null);
          if (n != null) {
            led += n.state().role() == Role.LEADER ? 1 : 0;
            quiet += n.isQuiet() ? 1 : 0;
            commit = Math.max(commit, n.state().commitIndex());
          }
        }
        String line = String.format("GROUPS id=%s running=%d led=%d quiet=%d max-commit=%d", s.id(), host.groups().size(),
            led, quiet, commit);
        if (!line.equals(last)) {
          out.println(line);
          out.flush();
          last = line;
        }
        if (host.groups().isEmpty()) {
          err.println("node " + s.id() + ": every group stopped by itself (see the log above)");
          err.flush();
          return Failures.FAILED;
        }
      }
      return 0;
    } finally {
      if (endpoint != null) {
        endpoint.close();
      }
      host.close();
    }
  }

  /** A group's state: the commands applied up to {@code index}. */
  private record Counted(long index, long commands) {}

  /**
   * The counting service of one group: counts the commands it applies (its state, with the index it
   * reflects, readable from any thread for a snapshot on request), snapshots every so often unless it
   * records every command ({@code recorded} not null: tests read them back, so the log is kept).
   */
  private static java.util.concurrent.atomic.AtomicReference<Counted> serve(RaftNode node, Map<Long, byte[]> recorded) {
    java.util.concurrent.atomic.AtomicReference<Counted> state = new java.util.concurrent.atomic.AtomicReference<>(
        new Counted(0, 0));
    node.applied().subscribe(ev -> {
      if (ev instanceof ApplyEvent.Entry e) {
        Counted now = new Counted(e.index(), state.get().commands() + (e.isCommand() ? 1 : 0));
        state.set(now);
        if (recorded != null && e.isCommand()) {
          recorded.put(e.index(), e.command());
        }
        if (e.index() % SNAPSHOT_EVERY == 0 && recorded == null) {
          node.snapshot(e.index(), ByteBuffer.allocate(8).putLong(now.commands()).array());
        }
      } else if (ev instanceof ApplyEvent.SnapshotInstalled si) {
        state.set(new Counted(si.index(), ByteBuffer.wrap(si.data()).getLong()));
      }
    }, error -> { /* the group stopped: logged by the engine */ });
    return state;
  }
}

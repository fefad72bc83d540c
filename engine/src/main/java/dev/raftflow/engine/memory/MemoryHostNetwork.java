package dev.raftflow.engine.memory;

import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.spi.HostTransport;
import dev.raftflow.engine.spi.Transport;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/**
 * An in-process network of hosts for real-time runs of many groups in one JVM: each {@link
 * #host(String)} is one process's {@link HostTransport}. Delivery is immediate and in order per
 * group and pair; a message to an unknown or closed host, a group not open there, or an isolated
 * host is dropped, as is one that finds the receiving group's bounded queue full. Thread-safe.
 */
public final class MemoryHostNetwork {

  private final Map<String, Host> hosts = new ConcurrentHashMap<>();
  private final Set<String> isolated = ConcurrentHashMap.newKeySet();
  private final int queueCapacity;

  /** A network whose groups buffer up to 4096 undelivered messages each. */
  public MemoryHostNetwork() {
    this(4096);
  }

  public MemoryHostNetwork(int queueCapacity) {
    if (queueCapacity <= 0) {
      throw new IllegalArgumentException("queueCapacity must be positive, was " + queueCapacity);
    }
    this.queueCapacity = queueCapacity;
  }

  /** Creates host {@code id}'s endpoint, replacing (and closing) any earlier one. */
  public HostTransport host(String id) {
    Host h = new Host(id);
    Host old = hosts.put(id, h);
    if (old != null) {
      old.close();
    }
    return h;
  }

  /** Cuts every link of host {@code id} (all its groups) until {@link #reconnect}. */
  public void isolate(String id) {
    isolated.add(id);
  }

  public void reconnect(String id) {
    isolated.remove(id);
  }

  private boolean linked(String a, String b) {
    return !isolated.contains(a) && !isolated.contains(b) && hosts.containsKey(b) && hosts.containsKey(a);
  }

  /** Messages dropped on the way to host {@code id}'s groups (unknown group or full queue). */
  public long dropped(String id) {
    Host h = hosts.get(id);
    return h == null ? 0 : h.dropped.get();
  }

  private final class Host implements HostTransport {
    private final String id;
    private final Map<String, MemoryTransport> groups = new ConcurrentHashMap<>();
    private final AtomicLong dropped = new AtomicLong();
    private volatile boolean closed;

    Host(String id) {
      this.id = id;
    }

    @Override
    public String hostId() {
      return id;
    }

    @Override
    public Transport openGroup(String groupId) {
      if (groupId == null || groupId.isEmpty()) {
        throw new IllegalArgumentException("a group id must not be empty");
      }
      if (closed) {
        throw new IllegalStateException("host " + id + " is closed");
      }
      GroupTransport t = new GroupTransport(groupId);
      if (groups.putIfAbsent(groupId, t.local) != null) {
        throw new IllegalStateException("group " + groupId + " is already open on host " + id);
      }
      return t;
    }

    void deliver(String groupId, Message m) {
      MemoryTransport t = groups.get(groupId);
      if (t == null) {
        dropped.incrementAndGet();
        return;
      }
      long before = t.droppedMessages();
      t.deliver(m);
      if (t.droppedMessages() != before) {
        dropped.incrementAndGet();
      }
    }

    @Override
    public Flux<HostReachability> reachability(Duration pingInterval, Duration downAfter) {
      long downNanos = downAfter.toNanos();
      Map<String, Long> lastHeard = new HashMap<>();
      Map<String, Boolean> reported = new HashMap<>();
      return Flux.interval(pingInterval, pingInterval, Schedulers.parallel())
          .takeWhile(t -> !closed)
          .concatMapIterable(t -> {
            long now = System.nanoTime();
            java.util.List<HostReachability> changes = new java.util.ArrayList<>();
            java.util.Set<String> peers = new java.util.TreeSet<>(hosts.keySet());
            peers.addAll(lastHeard.keySet()); // a host that closed is gone from the network, not from our view
            for (String peer : peers) {
              if (peer.equals(id)) {
                continue;
              }
              if (linked(id, peer)) {
                lastHeard.put(peer, now);
              }
              boolean up = now - lastHeard.computeIfAbsent(peer, p -> now) < downNanos;
              Boolean before = reported.put(peer, up);
              if ((before == null && !up) || (before != null && before != up)) {
                changes.add(new HostReachability(peer, up));
              }
            }
            return changes;
          });
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        hosts.remove(id, this);
        groups.values().forEach(MemoryTransport::close);
        groups.clear();
      }
    }

    /** One group's view: sends travel tagged with the group; inbound is the group's own queue. */
    private final class GroupTransport implements Transport {
      private final String groupId;
      private final MemoryTransport local;

      GroupTransport(String groupId) {
        this.groupId = groupId;
        this.local = new MemoryTransport(id + "/" + groupId, null, queueCapacity);
      }

      @Override
      public void send(Message m) {
        if (closed || !linked(id, m.to())) {
          return;
        }
        Host target = hosts.get(m.to());
        if (target != null) {
          target.deliver(groupId, m);
        }
      }

      @Override
      public Flux<Message> inbound() {
        return local.inbound();
      }

      @Override
      public void close() {
        groups.remove(groupId, local);
        local.close();
      }
    }
  }
}

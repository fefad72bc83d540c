package dev.raftflow.engine.sim;

import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.spi.HostTransport;
import dev.raftflow.engine.spi.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import reactor.core.publisher.Flux;

/**
 * Hosts of many groups on a {@link Simulation}: each group travels on a {@link SimNetwork} of its
 * own (member ids are host ids), and a host's faults hit all its groups at once: {@link #isolate}
 * cuts every link of the host in every group, {@link #crash} kills its incarnation. Reachability
 * is what the hosts' pings would see: a peer isolated or crashed, seen from a host, answers
 * nothing. Simulation thread only.
 */
public final class SimHostNetwork {

  private final Simulation sim;
  private final Map<String, SimNetwork> groups = new HashMap<>();
  private final Map<String, Host> hosts = new HashMap<>();
  private final Set<String> isolated = new HashSet<>();

  public SimHostNetwork(Simulation sim) {
    this.sim = sim;
  }

  /** A new incarnation of host {@code id} (the previous one, if any, is dead). */
  public HostTransport host(String id) {
    Host old = hosts.get(id);
    if (old != null) {
      old.alive = false;
    }
    Host h = new Host(id);
    hosts.put(id, h);
    return h;
  }

  /** Cuts every link of host {@code id}, in every group, until {@link #heal}. */
  public void isolate(String id) {
    isolated.add(id);
    groups.values().forEach(n -> n.disconnect(id));
  }

  public void heal(String id) {
    isolated.remove(id);
    Host h = hosts.get(id);
    if (h != null && h.alive) {
      for (String g : h.open) {
        groups.get(g).connect(id);
      }
    }
  }

  /** Kills host {@code id}'s incarnation: nothing reaches it or leaves it any more. */
  public void crash(String id) {
    Host h = hosts.get(id);
    if (h != null) {
      h.alive = false;
      groups.values().forEach(n -> n.deleteServer(id));
    }
  }

  /** The network of group {@code groupId} (its counters, reliability). */
  public SimNetwork group(String groupId) {
    return groups.computeIfAbsent(groupId, g -> new SimNetwork(sim, sim.newRandom()));
  }

  private boolean answers(String from, String peer) {
    Host p = hosts.get(peer);
    return p != null && p.alive && !isolated.contains(peer) && !isolated.contains(from);
  }

  private final class Host implements HostTransport {
    private final String id;
    private final Set<String> open = new HashSet<>();
    private boolean alive = true;

    Host(String id) {
      this.id = id;
    }

    @Override
    public String hostId() {
      return id;
    }

    @Override
    public Transport openGroup(String groupId) {
      if (!open.add(groupId)) {
        throw new IllegalStateException("group " + groupId + " is already open on host " + id);
      }
      SimNetwork net = group(groupId);
      SimTransport t = net.transport(id);
      if (alive && !isolated.contains(id)) {
        net.connect(id);
      }
      return new Transport() {
        @Override
        public void send(Message message) {
          t.send(message);
        }

        @Override
        public Flux<Message> inbound() {
          return t.inbound();
        }

        @Override
        public void close() {
          open.remove(groupId);
          t.close();
        }
      };
    }

    @Override
    public Flux<HostReachability> reachability(Duration pingInterval, Duration downAfter) {
      Map<String, Long> lastHeard = new HashMap<>();
      Map<String, Boolean> reported = new HashMap<>();
      return Flux.interval(pingInterval, pingInterval, sim.scheduler())
          .takeWhile(t -> alive)
          .concatMapIterable(t -> {
            long now = sim.nowNanos();
            List<HostReachability> changes = new ArrayList<>();
            for (String peer : new ArrayList<>(hosts.keySet())) {
              if (peer.equals(id)) {
                continue;
              }
              if (answers(id, peer)) {
                lastHeard.put(peer, now);
              }
              boolean up = now - lastHeard.computeIfAbsent(peer, p -> now) < downAfter.toNanos();
              Boolean before = reported.put(peer, up);
              if (before != null ? before != up : !up) {
                changes.add(new HostReachability(peer, up));
              }
            }
            return changes;
          });
    }

    @Override
    public void close() {
      alive = false;
    }
  }
}

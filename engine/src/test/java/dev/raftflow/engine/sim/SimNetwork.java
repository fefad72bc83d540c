package dev.raftflow.engine.sim;

import dev.raftflow.engine.codec.MessageCodec;
import dev.raftflow.engine.message.Message;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The lab's simulated network (labrpc) for one-way Raft messages, on a {@link Simulation}'s clock.
 *
 * <p>Model. A request ({@link Message#isRequest()}) and its reply are two messages. Servers are
 * connected or disconnected as a whole: a link carries messages only while both ends are connected
 * and are the servers' current incarnations ({@link #transport} makes a new one, which starts
 * disconnected; {@link #deleteServer} kills the current one). Every message is deep-copied through
 * {@link MessageCodec} (encoded at send, decoded at delivery).
 *
 * <p>A request: counted (+1 RPC, + its bytes) as it enters the network, even if it is then lost;
 * dropped when the link is down; on an unreliable network delayed U[0,26] ms and then dropped with
 * probability 10 %; at delivery the link and both incarnations are checked again, then the target's
 * incoming count goes up. Unreachable targets are simply never reached (the lab's "long delays"
 * only change when a synchronous caller learns of that).
 *
 * <p>A reply goes to the incarnation that sent the last request the replier received from that
 * peer, so a reply meant for a crashed incarnation is never delivered to its successor. It is
 * suppressed when the link is down; on an unreliable network dropped with probability 10 %; with
 * long reordering 2/3 of replies are held back 200 + U[0, U[0,2000]] ms and then delivered to the
 * caller even if it was disconnected meanwhile (never to a dead incarnation); other replies are
 * delivered at once, after a last link check. Reply bytes count when delivered.
 *
 * <p>Threading: used from the simulation's threads only (node loops and test code). All random
 * choices come from the random source given at construction.
 */
public final class SimNetwork {

  private final Simulation sim;
  private final Random random;
  private final Map<String, SimTransport> servers = new HashMap<>();
  private final Set<String> connected = new HashSet<>();
  private long nextIncarnation = 1;
  private boolean reliable = true;
  private boolean longReordering;
  private long rpcTotal;
  private long bytesTotal;
  private final Stats stats = new Stats();

  public SimNetwork(Simulation sim, Random random) {
    this.sim = sim;
    this.random = random;
  }

  /** Counters beyond the lab's, for tests of the network itself. */
  public static final class Stats {
    public long requestsUnreachable;
    public long requestsDropped;
    public long requestsSuppressed;
    public long requestsDelivered;
    public long repliesSuppressed;
    public long repliesDropped;
    public long repliesHeld;
    public long repliesDelivered;
    public long inboundOverflow;
    public long requestDelayTotalMs;
    public int requestDelayMaxMs;
    /** Messages sent, by type (simple class name), whatever became of them. */
    public final java.util.SortedMap<String, Long> sentByType = new java.util.TreeMap<>();

    @Override
    public String toString() {
      return "requests: unreachable=" + requestsUnreachable + " dropped=" + requestsDropped + " suppressed="
          + requestsSuppressed + " delivered=" + requestsDelivered + "; replies: suppressed=" + repliesSuppressed
          + " dropped=" + repliesDropped + " held=" + repliesHeld + " delivered=" + repliesDelivered
          + "; inboundOverflow=" + inboundOverflow + "; sent " + sentByType;
    }
  }

  /**
   * A new incarnation of server {@code id} (the lab's start1: fresh ends, new server object). The
   * previous incarnation, if any, is dead from now on. The server starts disconnected.
   */
  public SimTransport transport(String id) {
    SimTransport t = new SimTransport(this, id, nextIncarnation++);
    servers.put(id, t);
    connected.remove(id);
    return t;
  }

  /** Turns on every link between {@code id} and the servers already connected. */
  public void connect(String id) {
    connected.add(id);
  }

  /** Cuts every link of {@code id}; messages already travelling on them are lost. */
  public void disconnect(String id) {
    connected.remove(id);
  }

  public boolean isConnected(String id) {
    return connected.contains(id);
  }

  /** Kills the current incarnation of {@code id}: nothing reaches it or leaves it any more. */
  public void deleteServer(String id) {
    servers.remove(id);
  }

  public void setReliable(boolean reliable) {
    this.reliable = reliable;
  }

  public boolean isReliable() {
    return reliable;
  }

  public void setLongReordering(boolean longReordering) {
    this.longReordering = longReordering;
  }

  /** Requests that entered the network (lab: GetTotalCount). */
  public long rpcTotal() {
    return rpcTotal;
  }

  /** Request bytes at send plus delivered reply bytes (lab: GetTotalBytes). */
  public long bytesTotal() {
    return bytesTotal;
  }

  /** Requests dispatched to the current incarnation of {@code id} (lab: GetCount). */
  public long rpcCount(String id) {
    SimTransport t = servers.get(id);
    if (t == null) {
      throw new IllegalStateException("rpcCount of deleted server " + id);
    }
    return t.incomingRequests();
  }

  public Stats stats() {
    return stats;
  }

  private boolean isCurrent(SimTransport t) {
    return servers.get(t.id()) == t;
  }

  private boolean linkUp(SimTransport from, SimTransport to) {
    return isCurrent(from) && isCurrent(to) && connected.contains(from.id()) && connected.contains(to.id());
  }

  void send(SimTransport from, Message m) {
    if (!m.from().equals(from.id())) {
      sim.fail(new SimulationFailure("server " + from.id() + " sent a message claiming from=" + m.from() + ": " + m, null));
      return;
    }
    if (m.to().equals(from.id())) {
      sim.fail(new SimulationFailure("server " + from.id() + " sent a message to itself: " + m, null));
      return;
    }
    byte[] frame = MessageCodec.encode(m);
    stats.sentByType.merge(m.getClass().getSimpleName(), 1L, Long::sum);
    if (m.isRequest()) {
      sendRequest(from, m.to(), frame);
    } else {
      sendReply(from, m.to(), frame);
    }
  }

  private void sendRequest(SimTransport from, String toId, byte[] frame) {
    rpcTotal++;
    bytesTotal += frame.length;
    SimTransport to = servers.get(toId);
    if (to == null || !linkUp(from, to)) {
      stats.requestsUnreachable++;
      return;
    }
    long delay = 0;
    if (!reliable) {
      int ms = random.nextInt(27);
      stats.requestDelayTotalMs += ms;
      stats.requestDelayMaxMs = Math.max(stats.requestDelayMaxMs, ms);
      delay = ms;
      if (random.nextInt(1000) < 100) {
        stats.requestsDropped++;
        return;
      }
    }
    sim.schedule(delay, () -> deliverRequest(from, to, frame));
  }

  private void deliverRequest(SimTransport from, SimTransport to, byte[] frame) {
    if (!linkUp(from, to)) {
      stats.requestsSuppressed++;
      return;
    }
    to.noteRequest(from.id(), from.incarnation());
    stats.requestsDelivered++;
    if (!to.offer(MessageCodec.decode(frame))) {
      stats.inboundOverflow++;
    }
  }

  private void sendReply(SimTransport from, String toId, byte[] frame) {
    SimTransport caller = servers.get(toId);
    long expected = from.lastCaller(toId);
    if (caller == null || !linkUp(from, caller) || (expected >= 0 && expected != caller.incarnation())) {
      stats.repliesSuppressed++;
      return;
    }
    if (!reliable && random.nextInt(1000) < 100) {
      stats.repliesDropped++;
      return;
    }
    if (longReordering && random.nextInt(900) < 600) {
      int ms = 200 + random.nextInt(1 + random.nextInt(2000));
      stats.repliesHeld++;
      sim.schedule(ms, () -> deliverReply(caller, frame));
    } else {
      sim.schedule(0, () -> {
        if (linkUp(from, caller)) {
          deliverReply(caller, frame);
        } else {
          stats.repliesSuppressed++;
        }
      });
    }
  }

  private void deliverReply(SimTransport caller, byte[] frame) {
    if (!isCurrent(caller)) {
      stats.repliesSuppressed++;
      return;
    }
    bytesTotal += frame.length;
    stats.repliesDelivered++;
    if (!caller.offer(MessageCodec.decode(frame))) {
      stats.inboundOverflow++;
    }
  }
}

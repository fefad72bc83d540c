package dev.raftflow.transport.rsocket;

import dev.raftflow.engine.spi.HostTransport.HostReachability;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * When each peer host was last heard from, and the reachability state derived from it. {@link
 * #heard} is called from Netty threads for every inbound frame; {@link #tick} from one timer
 * thread at a time. Every peer starts as reachable, with its silence counted from {@link #start}.
 */
final class ReachabilityWatch {

  /** What a tick does besides emitting changes. */
  interface Pinger {
    void ping(String peer);
  }

  private final Map<String, AtomicLong> lastHeard = new ConcurrentHashMap<>();
  /** Peers currently reported unreachable; touched by the timer thread only. */
  private final Map<String, Boolean> down = new ConcurrentHashMap<>();
  private final long pingNanos;
  private final long downNanos;
  private volatile long startNanos;

  ReachabilityWatch(long pingNanos, long downNanos) {
    this.pingNanos = pingNanos;
    this.downNanos = downNanos;
  }

  void start(long nowNanos) {
    startNanos = nowNanos;
  }

  void heard(String peer, long nowNanos) {
    AtomicLong t = lastHeard.get(peer);
    if (t == null) {
      t = lastHeard.computeIfAbsent(peer, p -> new AtomicLong());
    }
    t.set(nowNanos);
  }

  /**
   * Pings every peer in {@code peers} not heard from for a ping interval and reports each change:
   * down after {@code downAfter} of silence, up once heard from again.
   */
  void tick(long now, Iterable<String> peers, Pinger pinger, Consumer<HostReachability> changes) {
    for (String peer : peers) {
      AtomicLong t = lastHeard.get(peer);
      long heard = t == null ? Long.MIN_VALUE : t.get();
      if (t == null || now - heard >= pingNanos) {
        pinger.ping(peer);
      }
      long silentSince = t == null ? startNanos : Math.max(heard, startNanos);
      boolean silent = now - silentSince >= downNanos;
      boolean wasDown = down.containsKey(peer);
      if (silent && !wasDown) {
        down.put(peer, Boolean.TRUE);
        changes.accept(new HostReachability(peer, false));
      } else if (!silent && wasDown && t != null && heard - startNanos >= 0) {
        down.remove(peer);
        changes.accept(new HostReachability(peer, true));
      }
    }
  }
}

package dev.raftflow.engine.memory;

import dev.raftflow.engine.message.Message;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-process network for real-time runs of several nodes in one JVM: each {@link
 * #transport(String)} is one member's endpoint. Delivery is immediate and in order per pair;
 * a message to an unknown, closed or isolated member is dropped, as is one that finds the
 * receiver's bounded inbound queue full. Thread-safe.
 */
public final class MemoryNetwork {

  private final Map<String, MemoryTransport> endpoints = new ConcurrentHashMap<>();
  private final Set<String> isolated = ConcurrentHashMap.newKeySet();
  private final int queueCapacity;

  /** A network whose endpoints buffer up to 65536 undelivered messages each. */
  public MemoryNetwork() {
    this(1 << 16);
  }

  public MemoryNetwork(int queueCapacity) {
    if (queueCapacity <= 0) {
      throw new IllegalArgumentException("queueCapacity must be positive, was " + queueCapacity);
    }
    this.queueCapacity = queueCapacity;
  }

  /** Creates the endpoint of member {@code id}, replacing (and closing) any earlier one. */
  public MemoryTransport transport(String id) {
    MemoryTransport t = new MemoryTransport(id, this, queueCapacity);
    MemoryTransport old = endpoints.put(id, t);
    if (old != null) {
      old.close();
    }
    return t;
  }

  /** Cuts every link of {@code id} until {@link #reconnect}. */
  public void isolate(String id) {
    isolated.add(id);
  }

  public void reconnect(String id) {
    isolated.remove(id);
  }

  void route(Message m) {
    if (isolated.contains(m.from()) || isolated.contains(m.to())) {
      return;
    }
    MemoryTransport target = endpoints.get(m.to());
    if (target != null) {
      target.deliver(m);
    }
  }

  void remove(String id, MemoryTransport t) {
    endpoints.remove(id, t);
  }
}

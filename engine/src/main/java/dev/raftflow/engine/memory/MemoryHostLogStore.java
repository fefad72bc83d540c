package dev.raftflow.engine.memory;

import dev.raftflow.engine.spi.ForwardingLogStore;
import dev.raftflow.engine.spi.HostLogStore;
import dev.raftflow.engine.spi.LogStore;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link HostLogStore} in memory: one {@link MemoryLogStore} per group, kept while this object
 * lives, so a group stopped and started again (or a host "restarted" with the same object) finds
 * its state. Thread-safe.
 */
public final class MemoryHostLogStore implements HostLogStore {

  private final Map<String, MemoryLogStore> stores = new ConcurrentHashMap<>();
  private final Set<String> open = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  @Override
  public LogStore openGroup(String groupId) {
    if (closed) {
      throw new IllegalStateException("the host store is closed");
    }
    if (!open.add(groupId)) {
      throw new IllegalStateException("the store of group " + groupId + " is already open");
    }
    MemoryLogStore store = stores.computeIfAbsent(groupId, g -> new MemoryLogStore());
    return new ForwardingLogStore(store) {
      private boolean released;

      @Override
      public synchronized void close() {
        if (!released) {
          released = true;
          open.remove(groupId);
        }
      }
    };
  }

  private volatile Set<String> pinning = Set.of();

  /** What {@link #pinningGroups()} answers from now on (an in-memory store frees nothing by itself). */
  public void pinning(Set<String> groups) {
    this.pinning = Set.copyOf(groups);
  }

  @Override
  public Set<String> pinningGroups() {
    return pinning;
  }

  @Override
  public Set<String> groups() {
    return new TreeSet<>(stores.keySet());
  }

  @Override
  public void deleteGroup(String groupId) {
    if (open.contains(groupId)) {
      throw new IllegalStateException("the store of group " + groupId + " is open: close it first");
    }
    stores.remove(groupId);
  }

  /**
   * What a crash leaves: a new host store holding a copy of every group's durable state, none of
   * them open (for a test that restarts a host from it).
   */
  public MemoryHostLogStore crashCopy() {
    MemoryHostLogStore copy = new MemoryHostLogStore();
    stores.forEach((g, s) -> copy.stores.put(g, s.copy()));
    return copy;
  }

  /** The group's store, for a test to inspect; null when the group has no data. */
  public MemoryLogStore store(String groupId) {
    return stores.get(groupId);
  }

  @Override
  public void close() {
    closed = true;
  }
}

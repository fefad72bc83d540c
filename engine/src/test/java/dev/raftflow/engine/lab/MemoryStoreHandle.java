package dev.raftflow.engine.lab;

import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.spi.LogStore;
import dev.raftflow.engine.spi.Snapshot;
import dev.raftflow.engine.testkit.MeteredLogStore;
import dev.raftflow.engine.testkit.RaftStateMeter;

/**
 * A {@link StoreHandle} over a {@link MemoryLogStore}, metered by a {@link MeteredLogStore}; a copy
 * is {@link MemoryLogStore#copy()} with a copy of the meter.
 */
public final class MemoryStoreHandle implements StoreHandle {

  private final MemoryLogStore memory;
  private final MeteredLogStore store;

  public MemoryStoreHandle() {
    this(new MemoryLogStore(), new RaftStateMeter());
  }

  private MemoryStoreHandle(MemoryLogStore memory, RaftStateMeter meter) {
    this.memory = memory;
    this.store = new MeteredLogStore(memory, meter);
  }

  @Override
  public LogStore store() {
    return store;
  }

  @Override
  public StoreHandle copy() {
    return new MemoryStoreHandle(memory.copy(), store.meter().copy());
  }

  @Override
  public long raftStateSize() {
    return store.meter().raftStateSize();
  }

  @Override
  public byte[] snapshotData() {
    Snapshot s = store.meter().snapshot();
    return s == null ? null : s.data().clone();
  }
}

package dev.raftflow.engine.lab;

import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.spi.LogStore;
import dev.raftflow.engine.spi.Snapshot;

/** A {@link StoreHandle} over a {@link MemoryLogStore}; a copy is {@link MemoryLogStore#copy()}. */
public final class MemoryStoreHandle implements StoreHandle {

  private final MemoryLogStore store;

  public MemoryStoreHandle() {
    this(new MemoryLogStore());
  }

  public MemoryStoreHandle(MemoryLogStore store) {
    this.store = store;
  }

  @Override
  public LogStore store() {
    return store;
  }

  @Override
  public StoreHandle copy() {
    return new MemoryStoreHandle(store.copy());
  }

  @Override
  public long raftStateSize() {
    return store.raftStateSize();
  }

  @Override
  public byte[] snapshotData() {
    Snapshot s = store.snapshot();
    return s == null ? null : s.data().clone();
  }
}

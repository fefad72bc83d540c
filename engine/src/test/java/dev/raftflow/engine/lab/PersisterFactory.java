package dev.raftflow.engine.lab;

/** Makes the empty persister of a server that boots for the first time (lab: MakePersister). */
@FunctionalInterface
public interface PersisterFactory {

  StoreHandle create(String serverId);

  /** Persisters backed by {@link dev.raftflow.engine.memory.MemoryLogStore}, metered by {@link MemoryStoreHandle}. */
  static PersisterFactory memory() {
    return id -> new MemoryStoreHandle();
  }
}

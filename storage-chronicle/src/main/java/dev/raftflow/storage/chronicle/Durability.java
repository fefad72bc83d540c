package dev.raftflow.storage.chronicle;

/**
 * When a {@link ChronicleLogStore} completes a write's future.
 *
 * <p>In both modes term and vote are fsynced before the future of a batch carrying a hard state
 * completes, and a snapshot (its file and the queue record installing it) is fsynced before its
 * future completes.
 */
public enum Durability {
  /**
   * Default. The batch is on stable storage (fsync of the queue's cycle file) before its future
   * completes: survives a process crash and a power loss. Group commit: batches that queue up
   * while a sync is running share the next sync.
   */
  FSYNC,
  /**
   * The batch is in the OS page cache (written to the memory-mapped queue) when its future
   * completes: survives a process crash, not a power loss or kernel crash.
   */
  OS_CACHE
}

package dev.raftflow.engine.lab;

import dev.raftflow.engine.spi.LogStore;

/**
 * One server's persister in the lab harness: the durable state a node boots from and writes to.
 * A crash keeps exactly what was durable when it began, as the lab's {@code Persister.Copy()}.
 *
 * <p>Used from the simulation's threads only. Implementations for real stores (files, Chronicle)
 * copy their durable data into a fresh, independent location.
 */
public interface StoreHandle {

  /** The store a node booted on this persister uses. */
  LogStore store();

  /** An independent persister holding what is durable now; later writes to either stay apart. */
  StoreHandle copy();

  /** Size of the durable Raft state, log and hard state, without the snapshot (lab: RaftStateSize). */
  long raftStateSize();

  /** The stored snapshot's bytes, or {@code null} when there is none (lab: ReadSnapshot). */
  byte[] snapshotData();

  /** Releases what an orphaned persister holds (files...). Default: nothing. */
  default void discard() {}
}

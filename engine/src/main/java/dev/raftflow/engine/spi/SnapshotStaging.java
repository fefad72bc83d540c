package dev.raftflow.engine.spi;

import dev.raftflow.engine.SnapshotData;

/**
 * Where snapshots are written before a {@link LogStore} stores them: a store that keeps snapshots
 * in files stages them in its own directory, so a snapshot larger than the heap never sits in
 * memory, and storing it later moves the file instead of copying it. {@link #inMemory()} keeps them
 * in arrays (at most {@link SnapshotData#MAX_ARRAY_BYTES}).
 *
 * <p>Threads: {@link #begin} may be called from any thread; each sink it returns is used by one.
 */
public interface SnapshotStaging {

  /**
   * Starts a snapshot of {@code expectedBytes} (-1 when not known in advance).
   *
   * @throws java.io.UncheckedIOException when the staging area cannot be written
   */
  SnapshotSink begin(long expectedBytes);

  /** Staging in memory: today's snapshots as arrays. */
  static SnapshotStaging inMemory() {
    return MemorySnapshotSink::new;
  }
}

package dev.raftflow.engine.spi;

import java.util.concurrent.CompletableFuture;

/**
 * Durable storage of one member's Raft state: hard state (term, vote), the log and the latest
 * snapshot.
 *
 * <p>Threading and order: every method is called from the node's event loop. Writes take effect
 * in call order; the futures they return complete in call order, on any thread, once the batch is
 * durable as the store's durability policy defines it. A store that is durable on return may
 * return a completed future. A failed future means the node can no longer trust its storage: the
 * node stops.
 *
 * <p>Errors: {@link #load()} throws {@link IllegalStateException} with a clear message when the
 * stored data is damaged in a way that cannot be repaired without losing acknowledged entries.
 */
public interface LogStore extends AutoCloseable {

  /** Reads what survived the last run. Called once, before any write. */
  PersistentState load();

  /**
   * The largest entry payload this store can hold, in bytes. The node refuses proposals above it
   * (see {@code RaftOptions#maxCommandBytes()}), so an entry the store cannot take never enters the
   * log. Default: no limit of its own.
   */
  default int maxEntryBytes() {
    return Integer.MAX_VALUE;
  }

  /**
   * Where snapshots are written before a {@link LogWrite} carries them here (the service's
   * streamed snapshots, a follower's received chunks). A store that keeps snapshots in files stages
   * them in its own directory so that storing one moves a file. Default: in memory.
   */
  default SnapshotStaging snapshotStaging() {
    return SnapshotStaging.inMemory();
  }

  /**
   * Reads back the entries this store holds ({@link EntryReader}), or null when it cannot: the node
   * then keeps every entry since its snapshot in memory. Called once, after {@link #load()}.
   * Default: null.
   */
  default EntryReader entryReader() {
    return null;
  }

  /** Makes {@code write} durable; the future completes when it is. */
  CompletableFuture<Void> write(LogWrite write);

  /** Releases resources. What was durable stays durable. Idempotent. */
  @Override
  void close();
}

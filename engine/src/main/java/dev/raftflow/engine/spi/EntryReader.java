package dev.raftflow.engine.spi;

import dev.raftflow.engine.message.LogEntry;

/**
 * Reads back entries a {@link LogStore} holds, so that a node keeps in memory only its recent
 * entries ({@code RaftOptions#logEntriesInMemory()}) and reads older ones (to send them to a
 * follower that is behind) from the store.
 *
 * <p>The node reads only an entry it wrote to this store, whose write completed, that it has
 * applied, and that no later write replaced and no snapshot write dropped: before handing the store
 * a snapshot it copies into memory the entries at or below it that it still needs.
 *
 * <p>Threading: called from the node's event loop while the store's own threads write. Errors:
 * {@link IllegalStateException} when the entry is damaged or the store is closed (the node stops).
 */
@FunctionalInterface
public interface EntryReader {

  /** The entry at {@code index}, verified. */
  LogEntry read(long index);
}

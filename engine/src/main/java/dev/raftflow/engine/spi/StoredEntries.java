package dev.raftflow.engine.spi;

import dev.raftflow.engine.message.LogEntry;

/**
 * Log entries a {@link LogStore} recovered without loading them into memory: the node reads each
 * one from the store when it needs it (to apply it, or to send it to a follower) and keeps only
 * what it appends afterwards. A store hands them out in {@link PersistentState#entries()} as a
 * {@link StoredEntryList}, so that restarting with a large log costs neither the time nor the heap
 * of reading it all.
 *
 * <p>The view is of the log as recovered: the node reads only indexes it still holds as recovered
 * (it stops reading an index once a write of its own replaced or compacted it), and it copies into
 * memory, before handing the store a snapshot, the entries at or below it that it still needs.
 *
 * <p>Threading: called from the node's event loop while the store's own threads write. Errors:
 * {@link #read} throws {@link IllegalStateException} when the entry is damaged or the store closed.
 */
public interface StoredEntries {

  /** Index of the first entry (the snapshot's index + 1). */
  long firstIndex();

  /** Index of the last entry; {@code firstIndex() - 1} when there is none. */
  long lastIndex();

  /** Term of the entry at {@code index}, without reading it; {@code firstIndex() <= index <= lastIndex()}. */
  long termAt(long index);

  /** Reads the entry at {@code index} from storage, verified. */
  LogEntry read(long index);

  /** Indexes of the CONFIG entries, ascending (they are few; recovery needs their contents). */
  long[] configIndexes();
}

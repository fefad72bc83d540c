package dev.raftflow.storage.chronicle;

import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.StoredEntries;

/**
 * The entries recovery verified and left in the queue: their terms as recovered, the indexes of the
 * configuration entries, and reads through the store's reader. The node reads only indexes it still
 * holds as recovered, which the queue keeps until a snapshot drops them. Thread-safe: reads go
 * through the {@link EntryReader} ({@link QueueLog#read}).
 */
final class RecoveredEntries implements StoredEntries {

  /** Reads a stored entry, verified (a {@link QueueLog}, or one group's log in a host store). */
  interface EntryReader {
    /** The entry at {@code index}; throws {@link IllegalStateException} saying {@code whyNot} when closed. */
    LogEntry read(long index, java.util.function.Supplier<String> whyNot);
  }

  private final IndexRuns terms;
  private final long[] configs;
  private final EntryReader log;

  RecoveredEntries(IndexRuns terms, long[] configs, EntryReader log) {
    this.terms = terms;
    this.configs = configs;
    this.log = log;
  }

  @Override
  public long firstIndex() {
    return terms.firstIndex();
  }

  @Override
  public long lastIndex() {
    return terms.lastIndex();
  }

  @Override
  public long termAt(long index) {
    return terms.get(index);
  }

  @Override
  public LogEntry read(long index) {
    if (!terms.contains(index)) {
      throw new IndexOutOfBoundsException("entry " + index + " was not recovered (" + firstIndex() + ".." + lastIndex() + ")");
    }
    return log.read(index, () -> "the log store is closed");
  }

  @Override
  public long[] configIndexes() {
    return configs.clone();
  }
}

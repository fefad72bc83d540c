package dev.raftflow.engine.spi;

import dev.raftflow.engine.message.LogEntry;
import java.util.AbstractList;
import java.util.RandomAccess;

/**
 * {@link StoredEntries} as the list {@link PersistentState#entries()} is: each {@code get} reads
 * from storage. The node's core recognises it and keeps the entries where they are; code that
 * iterates it reads every entry (slow on a large log, but correct). Read-only.
 */
public final class StoredEntryList extends AbstractList<LogEntry> implements RandomAccess {

  private final StoredEntries stored;

  public StoredEntryList(StoredEntries stored) {
    this.stored = stored;
  }

  /** The entries behind this list. */
  public StoredEntries stored() {
    return stored;
  }

  @Override
  public LogEntry get(int i) {
    if (i < 0 || i >= size()) {
      throw new IndexOutOfBoundsException("entry " + i + " of " + size());
    }
    return stored.read(stored.firstIndex() + i);
  }

  @Override
  public int size() {
    return (int) (stored.lastIndex() - stored.firstIndex() + 1);
  }
}

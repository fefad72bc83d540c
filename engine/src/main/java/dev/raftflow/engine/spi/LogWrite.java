package dev.raftflow.engine.spi;

import dev.raftflow.engine.message.LogEntry;
import java.util.List;

/**
 * One batch of changes the core asks a {@link LogStore} to make durable, applied in this order:
 *
 * <ol>
 *   <li>{@code hardState}, when not null, replaces the stored term and vote;
 *   <li>{@code snapshot}, when not null, replaces the stored snapshot; stored entries up to its
 *       index are discarded, and if the stored entry at its index does not have its term, every
 *       stored entry is discarded;
 *   <li>{@code entries}, when not empty, are consecutive; every stored entry at or after the first
 *       one's index is discarded, then they are appended.
 * </ol>
 *
 * {@code lastIndex}/{@code lastTerm} name the end of the log once the batch is applied; the store
 * reports them back when the batch is durable.
 */
public record LogWrite(
    HardState hardState, Snapshot snapshot, List<LogEntry> entries, long lastIndex, long lastTerm) {

  public LogWrite {
    entries = entries == null ? List.of() : entries;
  }

  public boolean isEmpty() {
    return hardState == null && snapshot == null && entries.isEmpty();
  }
}

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
 * {@code lastIndex}/{@code lastTerm} name the end of the log once the batch is applied. {@code seq}
 * numbers the writes one core hands out (1, 2, 3, ...; 0 for a write made elsewhere): the driver
 * reports it back through {@code RaftCore.persisted(seq)} once the batch is durable.
 */
public record LogWrite(
    HardState hardState, Snapshot snapshot, List<LogEntry> entries, long lastIndex, long lastTerm, long seq) {

  public LogWrite {
    entries = entries == null ? List.of() : entries;
  }

  /** A write without a sequence number (seq 0). */
  public LogWrite(HardState hardState, Snapshot snapshot, List<LogEntry> entries, long lastIndex, long lastTerm) {
    this(hardState, snapshot, entries, lastIndex, lastTerm, 0);
  }

  /** This write numbered {@code seq}. */
  public LogWrite withSeq(long seq) {
    return new LogWrite(hardState, snapshot, entries, lastIndex, lastTerm, seq);
  }

  public boolean isEmpty() {
    return hardState == null && snapshot == null && entries.isEmpty();
  }
}

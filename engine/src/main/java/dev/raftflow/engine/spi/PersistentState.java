package dev.raftflow.engine.spi;

import dev.raftflow.engine.message.LogEntry;
import java.util.List;

/**
 * What a {@link LogStore} recovered: the hard state, the latest snapshot ({@code null} when
 * none), and the log entries after the snapshot, consecutive, in index order. A store may hand the
 * entries out as a {@link StoredEntryList}, read on demand instead of loaded into memory.
 */
public record PersistentState(HardState hardState, Snapshot snapshot, List<LogEntry> entries) {
  public static final PersistentState EMPTY = new PersistentState(HardState.INITIAL, null, List.of());

  public PersistentState {
    hardState = hardState == null ? HardState.INITIAL : hardState;
    entries = entries == null ? List.of() : entries;
  }
}

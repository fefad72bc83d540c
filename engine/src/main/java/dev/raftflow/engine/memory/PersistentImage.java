package dev.raftflow.engine.memory;

import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.Snapshot;
import java.util.ArrayList;
import java.util.List;

/**
 * A member's durable state kept whole in memory, folded from {@link LogWrite}s exactly as {@link
 * LogWrite} defines them (hard state replaced; a snapshot drops the entries it covers, and all of them
 * when the log does not match at its index; entries replace the suffix from their first index). Each
 * write costs what it adds, not a copy of the log. A driver of its own (a bridge to an external
 * tester, say) folds every durable write here and reads the image back with {@link #state()}, or as
 * bytes through {@code PersistentStateCodec}. Not thread-safe.
 */
public final class PersistentImage {

  private HardState hardState = HardState.INITIAL;
  private Snapshot snapshot;
  private final ArrayList<LogEntry> entries = new ArrayList<>();

  /** An empty image (what a member that never ran holds). */
  public PersistentImage() {}

  /** An image holding {@code state}. */
  public PersistentImage(PersistentState state) {
    hardState = state.hardState();
    snapshot = state.snapshot();
    entries.addAll(state.entries());
  }

  /**
   * Applies {@code w}.
   *
   * @throws IllegalStateException when its entries would leave a gap or replace entries the snapshot
   *     covers (a write no core produces); nothing is changed then
   */
  public void apply(LogWrite w) {
    if (!w.entries().isEmpty()) {
      long first = w.entries().get(0).index();
      long base = w.snapshot() != null && w.snapshot().index() > baseIndex() ? w.snapshot().index() : baseIndex();
      if (first <= base) {
        throw new IllegalStateException("cannot replace entry " + first + " covered by the snapshot at " + base);
      }
    }
    if (w.hardState() != null) {
      hardState = w.hardState();
    }
    if (w.snapshot() != null) {
      install(w.snapshot());
    }
    if (!w.entries().isEmpty()) {
      long first = w.entries().get(0).index();
      int pos = (int) (first - baseIndex() - 1);
      if (pos > entries.size()) {
        throw new IllegalStateException("append at " + first + " leaves a gap; next index is " + (lastIndex() + 1));
      }
      entries.subList(pos, entries.size()).clear();
      entries.addAll(w.entries());
    }
  }

  private void install(Snapshot s) {
    long base = baseIndex();
    boolean matches = s.index() > base && s.index() <= lastIndex()
        && entries.get((int) (s.index() - base - 1)).term() == s.term();
    if (matches) {
      entries.subList(0, (int) (s.index() - base)).clear();
    } else {
      entries.clear();
    }
    entries.trimToSize();
    snapshot = s;
  }

  /** The image as recovered state (a copy of the entry list; the entries themselves are immutable). */
  public PersistentState state() {
    return new PersistentState(hardState, snapshot, List.copyOf(entries));
  }

  public HardState hardState() {
    return hardState;
  }

  /** The latest snapshot, or null. */
  public Snapshot snapshot() {
    return snapshot;
  }

  /**
   * The entry at {@code index}.
   *
   * @throws IllegalStateException when the image does not hold it (covered by the snapshot, or past the end)
   */
  public LogEntry entry(long index) {
    if (index <= baseIndex() || index > lastIndex()) {
      throw new IllegalStateException("entry " + index + " is not held (" + (baseIndex() + 1) + ".." + lastIndex()
          + ")");
    }
    return entries.get((int) (index - baseIndex() - 1));
  }

  /** The index of the last entry (the snapshot's when no entry follows it; 0 when empty). */
  public long lastIndex() {
    return baseIndex() + entries.size();
  }

  private long baseIndex() {
    return snapshot == null ? 0 : snapshot.index();
  }

  /** An independent copy. */
  public PersistentImage copy() {
    return new PersistentImage(state());
  }
}

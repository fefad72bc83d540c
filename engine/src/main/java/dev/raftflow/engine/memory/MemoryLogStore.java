package dev.raftflow.engine.memory;

import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.LogStore;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.Snapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link LogStore} in memory: every write is "durable" when {@link #write} returns, and survives
 * as long as this object does. A process crash is simulated by {@link #copy()}ing the store and
 * dropping the node that used it.
 *
 * <p>Thread-safe: every method is synchronized, so a test may inspect or copy it while a node runs.
 */
public final class MemoryLogStore implements LogStore {

  private HardState hardState = HardState.INITIAL;
  private Snapshot snapshot;
  private final ArrayList<LogEntry> entries = new ArrayList<>();

  public MemoryLogStore() {}

  private MemoryLogStore(MemoryLogStore other) {
    this.hardState = other.hardState;
    this.snapshot = other.snapshot;
    this.entries.addAll(other.entries);
  }

  @Override
  public synchronized PersistentState load() {
    return new PersistentState(hardState, snapshot, List.copyOf(entries));
  }

  @Override
  public synchronized CompletableFuture<Void> write(LogWrite w) {
    if (w.hardState() != null) {
      hardState = w.hardState();
    }
    if (w.snapshot() != null) {
      installSnapshot(w.snapshot());
    }
    if (!w.entries().isEmpty()) {
      long first = w.entries().get(0).index();
      truncateFrom(first);
      long expected = nextIndex();
      if (first != expected) {
        throw new IllegalStateException("append at " + first + " leaves a gap; next index is " + expected);
      }
      entries.addAll(w.entries());
    }
    return CompletableFuture.completedFuture(null);
  }

  private void installSnapshot(Snapshot s) {
    long base = baseIndex();
    int keepFrom = (int) (s.index() - base); // position in entries of the first entry after s
    boolean matches = s.index() > base && s.index() <= base + entries.size()
        && entries.get((int) (s.index() - base - 1)).term() == s.term();
    List<LogEntry> kept = matches ? new ArrayList<>(entries.subList(keepFrom, entries.size())) : List.of();
    entries.clear();
    entries.addAll(kept);
    entries.trimToSize();
    snapshot = s;
  }

  private void truncateFrom(long index) {
    long base = baseIndex();
    if (index <= base) {
      throw new IllegalStateException("cannot replace entry " + index + " covered by snapshot at " + base);
    }
    int pos = (int) (index - base - 1);
    if (entries.size() > pos) {
      entries.subList(pos, entries.size()).clear();
    }
  }

  private long baseIndex() {
    return snapshot == null ? 0 : snapshot.index();
  }

  private long nextIndex() {
    return baseIndex() + entries.size() + 1;
  }

  /** A deep copy of the durable state: the "persister copy" of a simulated crash. */
  public synchronized MemoryLogStore copy() {
    return new MemoryLogStore(this);
  }

  /** The stored hard state. */
  public synchronized HardState hardState() {
    return hardState;
  }

  @Override
  public void close() {}
}

package dev.raftflow.engine.memory;

import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.EntryReader;
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

  private final PersistentImage image;

  public MemoryLogStore() {
    this.image = new PersistentImage();
  }

  private MemoryLogStore(PersistentImage image) {
    this.image = image;
  }

  @Override
  public synchronized PersistentState load() {
    return image.state();
  }

  @Override
  public synchronized CompletableFuture<Void> write(LogWrite w) {
    image.apply(w);
    return CompletableFuture.completedFuture(null);
  }

  /** Reads entries from the image (a node that uses it keeps fewer entries itself; for tests of that path). */
  @Override
  public EntryReader entryReader() {
    return this::entry;
  }

  private synchronized LogEntry entry(long index) {
    return image.entry(index);
  }

  /** A deep copy of the durable state: the "persister copy" of a simulated crash. */
  public synchronized MemoryLogStore copy() {
    return new MemoryLogStore(image.copy());
  }

  /** The stored hard state. */
  public synchronized HardState hardState() {
    return image.hardState();
  }

  @Override
  public void close() {}
}

package dev.raftflow.engine.spi;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link LogStore} that forwards every call to another one: extend it and override what a
 * decorator changes (observing what is loaded or written, say). Threading and errors are the
 * wrapped store's.
 */
public abstract class ForwardingLogStore implements LogStore {

  /** The store calls are forwarded to. */
  protected final LogStore delegate;

  protected ForwardingLogStore(LogStore delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  @Override
  public PersistentState load() {
    return delegate.load();
  }

  @Override
  public int maxEntryBytes() {
    return delegate.maxEntryBytes();
  }

  @Override
  public EntryReader entryReader() {
    return delegate.entryReader();
  }

  @Override
  public SnapshotStaging snapshotStaging() {
    return delegate.snapshotStaging();
  }

  @Override
  public CompletableFuture<Void> write(LogWrite write) {
    return delegate.write(write);
  }

  @Override
  public void close() {
    delegate.close();
  }
}

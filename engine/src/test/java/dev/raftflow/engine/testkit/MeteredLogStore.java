package dev.raftflow.engine.testkit;

import dev.raftflow.engine.spi.ForwardingLogStore;
import dev.raftflow.engine.spi.LogStore;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.PersistentState;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link LogStore} that forwards every call to another store and records what it forwarded in a
 * {@link RaftStateMeter}: {@link #load()} resets the meter to the loaded state, {@link #write}
 * records the write once the store has accepted it (a write the store refuses, by throwing or by
 * returning an already failed future, is not recorded). The meter follows the writes handed over, not their durability.
 *
 * <p>Threading and errors as the wrapped store's; the meter is thread-safe.
 */
public final class MeteredLogStore extends ForwardingLogStore {

  private final RaftStateMeter meter;

  /** Wraps {@code store} with a fresh meter (an empty store until {@link #load()}). */
  public MeteredLogStore(LogStore store) {
    this(store, new RaftStateMeter());
  }

  /** Wraps {@code store}, recording into {@code meter} (which should describe the store already). */
  public MeteredLogStore(LogStore store, RaftStateMeter meter) {
    super(store);
    this.meter = Objects.requireNonNull(meter, "meter");
  }

  /** The meter this store records into. */
  public RaftStateMeter meter() {
    return meter;
  }

  @Override
  public PersistentState load() {
    PersistentState state = delegate.load();
    meter.reset(state);
    return state;
  }

  @Override
  public CompletableFuture<Void> write(LogWrite write) {
    CompletableFuture<Void> done = delegate.write(write);
    if (!done.isCompletedExceptionally()) { // refused at once (a closed store): nothing changed
      meter.record(write);
    }
    return done;
  }
}

package dev.raftflow.storage.chronicle;

import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.EntryReader;
import dev.raftflow.engine.spi.LogStore;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.Snapshot;
import dev.raftflow.engine.spi.SnapshotStaging;
import dev.raftflow.engine.spi.StoredEntryList;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * One group's {@link LogStore} in a {@link ChronicleHostLogStore}: {@link #load()} hands over what
 * the host's recovery replayed for this group (refusing, with the group's name and the place, when
 * its acknowledged records are damaged); {@link #write} checks the batch against the group's log
 * shape on the group's loop and hands it to the host's I/O thread. Futures complete in call order.
 * {@link #close()} waits until the group's writes handed over are durable.
 */
final class HostGroupStore implements LogStore {
  private enum State { NEW, OPEN, CLOSED, FAILED }

  private final ChronicleHostLogStore host;
  private final GroupLog group;
  private volatile State state = State.NEW;
  private LogShape shape; // group loop

  HostGroupStore(ChronicleHostLogStore host, GroupLog group) {
    this.host = host;
    this.group = group;
  }

  String id() {
    return group.id;
  }

  @Override
  public synchronized PersistentState load() {
    if (state != State.NEW) {
      throw new IllegalStateException("load() may be called once, before any write; " + group.describe() + " is " + state);
    }
    try {
      PersistentState ps = recover();
      state = State.OPEN;
      return ps;
    } catch (StoreRefusedException e) {
      state = State.FAILED;
      throw e;
    } catch (IOException e) {
      state = State.FAILED;
      throw new StoreRefusedException(host.directory(), group.snapshotDir, group.describe() + ": cannot read or write"
          + " its files (" + e + ")", StoreRefusedException.Recovery.FIX_ACCESS, e);
    }
  }

  private StoreRefusedException refused(Path file, String problem) {
    return new StoreRefusedException(host.directory(), file, group.describe() + ": " + problem,
        StoreRefusedException.Recovery.DELETE_GROUP_AND_REJOIN);
  }

  private PersistentState recover() throws IOException {
    GroupLog g = group;
    g.loaded = true;
    if (g.damage != null) {
      throw refused(g.damageFile, g.damage);
    }
    Records.SnapshotMark mark = g.replay.mark;
    Snapshot snapshot = null;
    long base = 0;
    if (mark != null) {
      try {
        snapshot = g.snapshots.read(mark.seq());
      } catch (StoreRefusedException e) {
        throw refused(e.file(), e.problem());
      }
      if (snapshot.index() != mark.index() || snapshot.term() != mark.term()) {
        throw refused(g.snapshots.file(mark.seq()), "the snapshot file holds " + snapshot.index() + "@"
            + snapshot.term() + " but the log installed " + mark.index() + "@" + mark.term());
      }
      base = mark.index();
    }
    g.snapshots.deleteAllBut(mark == null ? -1 : mark.seq());
    g.snapshotSeq = Math.max(mark == null ? 0 : mark.seq(), g.snapshots.maxSeq());
    synchronized (g.log) {
      if (g.positions.size() > 0 && g.replay.terms.firstIndex() != base + 1) {
        throw refused(g.damageFile == null ? host.directory() : g.damageFile, "the group's log is inconsistent:"
            + " entries start at " + g.replay.terms.firstIndex() + " but the snapshot ends at " + base);
      }
      if (g.positions.size() == 0) {
        g.positions.reset(base + 1);
        g.replay.terms.reset(base + 1);
        g.replay.configs.clear();
      }
    }
    shape = new LogShape(g.replay.terms, base);
    RecoveredEntries stored = new RecoveredEntries(g.replay.terms.copy(), g.replay.configs.toArray(), g);
    return new PersistentState(g.hard, snapshot, new StoredEntryList(stored));
  }

  /** Snapshots are staged in the group's snapshot directory, so storing one renames a file. */
  @Override
  public SnapshotStaging snapshotStaging() {
    return group.snapshots.staging();
  }

  @Override
  public int maxEntryBytes() {
    return (int) Math.min(Integer.MAX_VALUE, host.options().blockSize() / 4 - ChronicleLogStore.RECORD_HEADROOM);
  }

  @Override
  public CompletableFuture<Void> write(LogWrite w) {
    State s = state;
    if (s != State.OPEN) {
      return CompletableFuture.failedFuture(new IllegalStateException(
          s == State.NEW ? "load() was not called" : group.describe() + " is " + s.name().toLowerCase()));
    }
    boolean keep = shape.apply(w, maxEntryBytes(), host.options().blockSize());
    CompletableFuture<Void> f = new CompletableFuture<>();
    host.submit(new PendingWrite(w, keep, f, group));
    return f;
  }

  /**
   * The stored entry at {@code index}, read from the shared queue and verified; only entries whose
   * writes completed are sure to be visible.
   *
   * @throws IndexOutOfBoundsException if the group's log does not hold {@code index}
   */
  /**
   * Reads entries back with {@link #read(long)} (under the shared queue's lock, which a round's
   * appends hold too): a node keeps only its recent entries in memory.
   */
  @Override
  public EntryReader entryReader() {
    return this::read;
  }

  LogEntry read(long index) {
    return group.read(index, () -> group.describe() + " is " + state.name().toLowerCase());
  }

  /** Index of the first stored entry (snapshot index + 1), as written so far. */
  long firstIndex() {
    synchronized (group.log) {
      return group.positions.firstIndex();
    }
  }

  /** Index of the last stored entry (or the snapshot's), as written so far. */
  long lastIndex() {
    synchronized (group.log) {
      return group.positions.lastIndex();
    }
  }

  /** Waits until every write handed over is durable, then releases the group. Idempotent. */
  @Override
  public synchronized void close() {
    if (state == State.CLOSED) {
      return;
    }
    boolean wasOpen = state == State.OPEN;
    state = State.CLOSED;
    if (wasOpen) {
      CompletableFuture<Void> barrier = new CompletableFuture<>();
      host.submit(new PendingWrite(new LogWrite(null, null, List.of(), 0, 0), false, barrier, group));
      try {
        barrier.join();
      } catch (CompletionException | java.util.concurrent.CancellationException e) {
        // the host closed or failed: what was durable stays durable
      }
    }
    host.closed(this);
  }

  /** The host is closing: no more writes; the host's final round makes the rest durable. */
  void hostClosing() {
    state = State.CLOSED;
  }
}

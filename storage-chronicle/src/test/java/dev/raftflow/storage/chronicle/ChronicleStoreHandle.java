package dev.raftflow.storage.chronicle;

import dev.raftflow.engine.lab.PersisterFactory;
import dev.raftflow.engine.lab.StoreHandle;
import dev.raftflow.engine.spi.LogStore;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.Snapshot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The lab harness's persister on a {@link ChronicleLogStore} directory. A copy (the lab's crash)
 * is a file copy of the store as written so far, in a new directory; it is opened, and recovered,
 * when first used. Stores run inline, so the simulation stays deterministic.
 */
final class ChronicleStoreHandle implements StoreHandle {

  static PersisterFactory factory(Path base, ChronicleLogStore.Options options) {
    AtomicLong n = new AtomicLong();
    return id -> new ChronicleStoreHandle(base, id, base.resolve(id + "-" + n.incrementAndGet()), options, n);
  }

  private final Path base;
  private final String serverId;
  private final Path dir;
  private final ChronicleLogStore.Options options;
  private final AtomicLong counter;
  private ChronicleLogStore store;
  private PersistentState recovered;

  private ChronicleStoreHandle(Path base, String serverId, Path dir, ChronicleLogStore.Options options,
      AtomicLong counter) {
    this.base = base;
    this.serverId = serverId;
    this.dir = dir;
    this.options = options;
    this.counter = counter;
  }

  private ChronicleLogStore open() {
    if (store == null) {
      store = ChronicleLogStore.open(dir, options);
      recovered = store.load();
    }
    return store;
  }

  @Override
  public LogStore store() {
    ChronicleLogStore s = open();
    return new LogStore() { // the node's load() gets what the handle already recovered
      @Override
      public PersistentState load() {
        PersistentState r = recovered;
        recovered = null;
        if (r == null) {
          throw new IllegalStateException("load() called twice");
        }
        return r;
      }

      @Override
      public CompletableFuture<Void> write(LogWrite write) {
        return s.write(write);
      }

      @Override
      public void close() {
        s.close();
      }
    };
  }

  @Override
  public StoreHandle copy() {
    // a fresh name per copy: appending to the old one outgrew the file-name limit after many crashes
    ChronicleStoreHandle c = new ChronicleStoreHandle(base, serverId,
        base.resolve(serverId + "-" + counter.incrementAndGet()), options, counter);
    if (store != null) {
      store.copyTo(c.dir);
    } else {
      try {
        Files.createDirectories(dir);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      ChronicleLogStore s = ChronicleLogStore.open(dir, options); // not loaded: files only
      s.copyTo(c.dir);
      s.close();
    }
    return c;
  }

  @Override
  public long raftStateSize() {
    return open().raftStateSize();
  }

  @Override
  public byte[] snapshotData() {
    Snapshot s = open().snapshot();
    return s == null ? null : s.data().clone();
  }

  @Override
  public void discard() {
    if (store != null) {
      store.close();
    }
    try (Stream<Path> w = Files.exists(dir) ? Files.walk(dir) : Stream.empty()) {
      for (Path p : w.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

package dev.raftflow.storage.chronicle;

import dev.raftflow.engine.lab.PersisterFactory;
import dev.raftflow.engine.lab.StoreHandle;
import dev.raftflow.engine.spi.ForwardingLogStore;
import dev.raftflow.engine.spi.LogStore;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.Snapshot;
import dev.raftflow.engine.testkit.MeteredLogStore;
import dev.raftflow.engine.testkit.RaftStateMeter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The lab harness's persister on a {@link ChronicleLogStore} directory, metered by a {@link
 * MeteredLogStore}. A copy (the lab's crash) is a file copy of the store as written so far, in a new
 * directory; it is opened, and recovered, when first used. Stores run inline, so the simulation
 * stays deterministic and every write handed over is written when {@code write} returns.
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
  private MeteredLogStore metered;

  private ChronicleStoreHandle(Path base, String serverId, Path dir, ChronicleLogStore.Options options,
      AtomicLong counter) {
    this.base = base;
    this.serverId = serverId;
    this.dir = dir;
    this.options = options;
    this.counter = counter;
  }

  /** Opens and recovers the store on first use; the meter starts from what was recovered. */
  private MeteredLogStore open() {
    if (metered == null) {
      store = ChronicleLogStore.open(dir, options);
      PersistentState recovered = store.load();
      metered = new MeteredLogStore(new Recovered(store, recovered), new RaftStateMeter(recovered));
    }
    return metered;
  }

  @Override
  public LogStore store() {
    return open();
  }

  @Override
  public StoreHandle copy() {
    // a fresh name per copy: appending to the old one outgrew the file-name limit after many crashes
    ChronicleStoreHandle c = new ChronicleStoreHandle(base, serverId,
        base.resolve(serverId + "-" + counter.incrementAndGet()), options, counter);
    // The stores run inline: every write handed over is written, so the files are the crash image.
    try {
      Files.createDirectories(dir); // a persister never booted has no files yet
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    StoreFiles.copy(dir, c.dir);
    return c;
  }

  @Override
  public long raftStateSize() {
    return open().meter().raftStateSize();
  }

  @Override
  public byte[] snapshotData() {
    Snapshot s = open().meter().snapshot();
    return s == null ? null : s.data().clone();
  }

  /** A loaded store whose {@link #load()} hands over, once, what was recovered when it was opened. */
  private static final class Recovered extends ForwardingLogStore {
    private PersistentState recovered;

    Recovered(ChronicleLogStore store, PersistentState recovered) {
      super(store);
      this.recovered = recovered;
    }

    @Override
    public PersistentState load() {
      PersistentState r = recovered;
      recovered = null;
      if (r == null) {
        throw new IllegalStateException("load() called twice");
      }
      return r;
    }
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

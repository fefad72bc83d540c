package dev.raftflow.storage.chronicle;

import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.EntryReader;
import dev.raftflow.engine.spi.LogStore;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.SnapshotStaging;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable {@link LogStore} on Chronicle Queue: entries, term and vote as CRC32C-checked batch
 * records in an append-only queue, snapshots in their own files. The directory layout, the record
 * format, group commit and recovery are described in {@code docs/storage-chronicle.md}. What it
 * promises:
 *
 * <ul>
 *   <li><b>Durability:</b> a {@link #write}'s future completes once the batch is durable as its
 *       {@link Durability} defines it (FSYNC: fsynced; OS_CACHE: handed to the OS, hard state and
 *       snapshots still fsynced), in call order; many writes share one fsync.
 *   <li><b>Recovery:</b> {@link #load()} verifies every record; a torn or damaged tail beyond what was
 *       acknowledged is voided. Damage at or before it, a damaged cycle file header, a missing
 *       {@code format} or {@code ack} file in a store with records, a directory of another format or
 *       one that cannot be read throw {@link StoreRefusedException}, naming the directory, the
 *       file, what is wrong and what to do (docs/runbook.md). Nothing is misread.
 *   <li><b>Bounded disk:</b> once a snapshot is durable, cycle files it covers are deleted.
 *   <li><b>Threading:</b> {@link #write} is called on the node's event loop and hands the work to
 *       the store's I/O thread; {@link #read} may be called from any thread. One store per directory
 *       (a file lock).
 * </ul>
 */
public final class ChronicleLogStore implements LogStore {

  /** Tuning knobs; {@link #defaults()} suits production. */
  public record Options(
      Durability durability, long segmentBytes, long rollOnSnapshotBytes, long blockSize,
      long ackSyncIntervalMillis, long chronicleTimeoutMillis, boolean inline, long preallocateBytes) {

    public Options {
      Objects.requireNonNull(durability, "durability");
      if (segmentBytes <= 0) {
        throw new IllegalArgumentException("segmentBytes must be positive");
      }
      if (blockSize < MIN_BLOCK_SIZE) {
        throw new IllegalArgumentException("blockSize must be at least " + MIN_BLOCK_SIZE + " (entries up to a quarter of it, "
            + "less record headers), was " + blockSize);
      }
      if (preallocateBytes < 0) {
        throw new IllegalArgumentException("preallocateBytes must not be negative");
      }
    }

    /**
     * FSYNC, 64 MiB segments, roll at a snapshot past 1 MiB, 4 MiB blocks (largest entry ~1 MiB),
     * 1 MiB of the cycle file preallocated ahead of the writes.
     */
    public static Options defaults() {
      return new Options(Durability.FSYNC, 64L << 20, 1L << 20, 4L << 20, 1000, 2000, false, 1L << 20);
    }

    public Options withDurability(Durability d) {
      return new Options(d, segmentBytes, rollOnSnapshotBytes, blockSize, ackSyncIntervalMillis, chronicleTimeoutMillis, inline, preallocateBytes);
    }

    public Options withSegmentBytes(long n) {
      return new Options(durability, n, rollOnSnapshotBytes, blockSize, ackSyncIntervalMillis, chronicleTimeoutMillis, inline, preallocateBytes);
    }

    public Options withRollOnSnapshotBytes(long n) {
      return new Options(durability, segmentBytes, n, blockSize, ackSyncIntervalMillis, chronicleTimeoutMillis, inline, preallocateBytes);
    }

    /**
     * Inline mode: {@link ChronicleLogStore#write} does the I/O on the caller's thread and returns
     * a completed future (no I/O thread, no group commit across calls). For deterministic
     * simulations; the event loop then waits for the disk.
     */
    public Options withInline(boolean on) {
      return new Options(durability, segmentBytes, rollOnSnapshotBytes, blockSize, ackSyncIntervalMillis, chronicleTimeoutMillis, on, preallocateBytes);
    }

    public Options withBlockSize(long n) {
      return new Options(durability, segmentBytes, rollOnSnapshotBytes, n, ackSyncIntervalMillis, chronicleTimeoutMillis, inline, preallocateBytes);
    }

    /**
     * In {@link Durability#FSYNC} mode, keeps this many bytes of the current cycle file past the
     * last record written with zeros and synced, so that a round's fsync finds its blocks
     * allocated and writes back data pages only (0: off, the file grows sparse).
     */
    public Options withPreallocateBytes(long n) {
      return new Options(durability, segmentBytes, rollOnSnapshotBytes, blockSize, ackSyncIntervalMillis, chronicleTimeoutMillis, inline, n);
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(ChronicleLogStore.class);
  /** Smallest block size: leaves entries of at least 8 KiB. */
  static final long MIN_BLOCK_SIZE = 64 << 10;
  /** Room left in a document for a record's header, a hard state and Chronicle's own header. */
  static final int RECORD_HEADROOM = 8 << 10;

  private enum State { NEW, OPEN, CLOSED, FAILED }

  private final StoreDirectory directory;
  private final Options options;
  private volatile SnapshotStaging staging;
  private volatile State state = State.NEW;
  private volatile Throwable failure;
  private AckFile ack;
  private ResetFile resets;
  private volatile QueueLog queueLog;
  private LogShape shape; // event loop side: the log as the writes handed over leave it
  private volatile RoundWriter rounds;
  private WriterThread writerThread; // null in inline mode

  private ChronicleLogStore(StoreDirectory directory, Options options) {
    this.directory = directory;
    this.options = options;
  }

  /** A store in {@code dir} (created if absent) with {@link Options#defaults()}. */
  public static ChronicleLogStore open(Path dir) {
    return open(dir, Options.defaults());
  }

  /**
   * A store in {@code dir} (created if absent). Takes the directory's lock; nothing is read until
   * {@link #load()}.
   *
   * @throws StoreRefusedException if another store holds the directory, or it cannot be created or
   *     locked
   */
  public static ChronicleLogStore open(Path dir, Options options) {
    return new ChronicleLogStore(StoreDirectory.lock(dir), options);
  }

  public Path directory() {
    return directory.path();
  }

  public Options options() {
    return options;
  }

  // ------------------------------------------------------------------------------------------
  // Recovery

  @Override
  public synchronized PersistentState load() {
    if (state != State.NEW) {
      throw new IllegalStateException("load() may be called once, before any write; store is " + state);
    }
    try {
      PersistentState ps = recover();
      state = State.OPEN;
      if (!options.inline()) {
        writerThread = new WriterThread("raftflow-chronicle-io-" + directory.path().getFileName(), rounds, ack,
            options.ackSyncIntervalMillis(), this::failed);
        writerThread.start();
      }
      return ps;
    } catch (RuntimeException | IOException e) {
      state = State.FAILED;
      releaseResources();
      throw refusal(e);
    }
  }

  /** What load() throws for {@code e}: a {@link StoreRefusedException} naming a file and the recovery. */
  private StoreRefusedException refusal(Exception e) {
    if (e instanceof StoreRefusedException r) {
      return r;
    }
    if (e instanceof IOException io) {
      Path file = io instanceof FileSystemException fse && fse.getFile() != null ? Path.of(fse.getFile()) : directory.path();
      return new StoreRefusedException(directory.path(), file, "cannot read or write the store (" + io + ")",
          StoreRefusedException.Recovery.FIX_ACCESS, io);
    }
    // Chronicle's own exceptions on a damaged queue that the header checks did not catch.
    return new StoreRefusedException(directory.path(), directory.queue(), "the queue cannot be read (" + e + ")",
        StoreRefusedException.Recovery.WIPE_AND_REJOIN, e);
  }

  private PersistentState recover() throws IOException {
    directory.checkFormat();
    directory.checkAckPresent();
    boolean created = !Files.exists(directory.ack());
    ack = new AckFile(directory.ack());
    Path records = directory.firstCycleFile();
    if (ack.unreadable() && records == null) {
      ack.initialize();
    }
    if (created) {
      SnapshotFiles.syncDirectory(directory.path());
    }
    if (ack.unreadable()) {
      throw new StoreRefusedException(directory.path(), directory.ack(), "the acknowledged watermark is unreadable (empty,"
          + " truncated or no slot with a valid checksum) but the log holds records (" + records + "): without it the"
          + " store cannot tell a torn tail from lost acknowledged entries",
          StoreRefusedException.Recovery.WIPE_AND_REJOIN);
    }
    resets = new ResetFile(directory.resets());
    SnapshotFiles snapshots = new SnapshotFiles(directory.snapshots());
    staging = snapshots.staging();
    boolean tailDropped = CycleFileHeaders.checkBytes(directory, ack.queueIndex());
    QueueLog log;
    try {
      log = new QueueLog(directory, options);
    } catch (RuntimeException e) {
      boolean io = false;
      for (Throwable c = e; c != null && !io; c = c.getCause()) {
        io = c instanceof IOException;
      }
      // An I/O failure (permissions, a full disk) is the environment's; anything else is its metadata file.
      throw new StoreRefusedException(directory.path(), io ? directory.queue() : directory.queue().resolve("metadata.cq4t"),
          "Chronicle cannot open the queue (" + e + ")",
          io ? StoreRefusedException.Recovery.FIX_ACCESS : StoreRefusedException.Recovery.WIPE_AND_REJOIN, e);
    }
    queueLog = log;
    if (tailDropped) {
      log.queue().refreshDirectoryListing();
    }
    CycleFileHeaders.checkStores(directory, log, ack.queueIndex());
    LogRecovery.Recovered recovered = new LogRecovery(directory, log, ack, resets, snapshots).run();
    shape = new LogShape(recovered.terms(), recovered.baseIndex());
    rounds = new RoundWriter(options, log, ack, snapshots, recovered);
    return recovered.state();
  }

  private void failed(Throwable t) {
    failure = t;
    state = State.FAILED;
  }

  // ------------------------------------------------------------------------------------------
  // Writes (event loop)

  /**
   * Chronicle takes documents of at most a quarter of its block size; one entry, with its record's
   * header and a hard state, must fit in one.
   */
  /**
   * Snapshots are staged in the store's {@code snapshots} directory, so storing one (the service's
   * streamed snapshot, or one received from a leader) renames a file instead of copying it.
   *
   * @throws IllegalStateException before {@link #load()}
   */
  @Override
  public SnapshotStaging snapshotStaging() {
    SnapshotStaging s = staging;
    if (s == null) {
      throw new IllegalStateException("load() the store before staging snapshots in it");
    }
    return s;
  }

  @Override
  public int maxEntryBytes() {
    return (int) Math.min(Integer.MAX_VALUE, options.blockSize() / 4 - RECORD_HEADROOM);
  }

  @Override
  public CompletableFuture<Void> write(LogWrite w) {
    State s = state;
    if (s != State.OPEN) {
      return CompletableFuture.failedFuture(new IllegalStateException(
          s == State.NEW ? "load() was not called" : "log store is " + s.name().toLowerCase(), failure));
    }
    boolean keep = shape.apply(w, maxEntryBytes(), options.blockSize());
    CompletableFuture<Void> f = new CompletableFuture<>();
    PendingWrite pending = new PendingWrite(w, keep, f);
    if (options.inline()) {
      try {
        rounds.write(List.of(pending), false, false);
      } catch (Throwable t) {
        failed(t);
        f.completeExceptionally(t);
      }
      return f;
    }
    writerThread.submit(pending);
    if (state != State.OPEN) { // closed concurrently: make sure nobody waits forever
      writerThread.failPending(new IllegalStateException("log store is " + state.name().toLowerCase()));
    }
    return f;
  }

  // ------------------------------------------------------------------------------------------
  // Reads and metrics (any thread)

  /**
   * The stored entry at {@code index}, read from the queue and checksum-verified; only entries
   * the I/O thread has written (whose write futures completed, at least) are visible.
   *
   * @throws IndexOutOfBoundsException if the log does not hold {@code index}
   * @throws IllegalStateException if the store is not loaded or closed, or the entry is damaged
   */
  /** Reads entries back with {@link #read(long)}: a node keeps only its recent entries in memory. */
  @Override
  public EntryReader entryReader() {
    return this::read;
  }

  public LogEntry read(long index) {
    QueueLog log = queueLog;
    if (log == null) {
      throw new IllegalStateException("log store is " + state.name().toLowerCase());
    }
    return log.read(index, () -> "log store is " + state.name().toLowerCase());
  }

  /** Index of the first stored entry (snapshot index + 1), as written so far. */
  public long firstIndex() {
    QueueLog log = queueLog;
    return log == null ? 1 : log.firstIndex();
  }

  /** Index of the last stored entry (or the snapshot's), as written so far. */
  public long lastIndex() {
    QueueLog log = queueLog;
    return log == null ? 0 : log.lastIndex();
  }

  /**
   * Number of sync rounds of the queue so far: with the number of writes, the group commit's
   * effect (an operator's figure: writes per fsync).
   */
  public long syncCount() {
    RoundWriter r = rounds;
    return r == null ? 0 : r.syncCount();
  }

  // ------------------------------------------------------------------------------------------
  // Shutdown

  /** Writes and syncs everything handed over, then releases the directory. Idempotent. */
  @Override
  public synchronized void close() {
    if (state == State.CLOSED) {
      return;
    }
    boolean running = state == State.OPEN;
    state = State.CLOSED;
    if (running && writerThread != null) {
      writerThread.closeAndJoin();
    } else if (running) {
      try {
        rounds.write(List.of(), true, true);
      } catch (IOException e) {
        LOG.warn("log in {}: final sync failed", directory.path(), e);
      }
    }
    if (writerThread != null) {
      writerThread.failPending(new IllegalStateException("log store is closed"));
    }
    releaseResources();
  }

  private void releaseResources() {
    QueueLog log = queueLog;
    if (log != null) {
      log.close();
    }
    QueueLog.closeQuietly(ack);
    QueueLog.closeQuietly(resets);
    directory.release();
  }
}

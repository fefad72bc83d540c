package dev.raftflow.storage.chronicle;

import dev.raftflow.engine.codec.MessageCodec;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.LogStore;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.Snapshot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.rollcycles.LegacyRollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable {@link LogStore} on Chronicle Queue: entries, term and vote as CRC32C-checked batch
 * records in an append-only queue, snapshots in their own files.
 *
 * <h2>Layout of the directory</h2>
 *
 * <ul>
 *   <li>{@code format} — the storage format ({@code raftflow-chronicle-log format 2}). A directory
 *       written in another format (format 1 had no such file and one document per entry) is refused
 *       by {@link #load()} with a message saying so, never misread.
 *   <li>{@code queue/} — the Chronicle Queue. Records: BATCH (optional term and vote, then a run of
 *       consecutive entries, each with its own CRC32C) and SNAPSHOT (commit point of a snapshot
 *       file, carrying the hard state); see {@code Records}. One Chronicle document per record, so
 *       Chronicle's per-document costs (header, index) are paid per batch, not per entry. The roll
 *       cycle is driven by a logical clock, so the store decides when a new cycle file starts: when
 *       the current one holds {@link Options#segmentBytes()}, at a snapshot once it holds {@link
 *       Options#rollOnSnapshotBytes()}, and at every open.
 *   <li>{@code snapshots/snapshot-<seq>.snap} — the snapshot, written temp-file, fsync, rename,
 *       directory fsync; it counts once the SNAPSHOT record naming it is durable.
 *   <li>{@code ack} — the acknowledged watermark (queue index of the last record reported
 *       durable), see {@code AckFile}.
 *   <li>{@code resets} — cut points that void a torn or damaged cycle tail, see {@code ResetFile}.
 *   <li>{@code LOCK} — an exclusive file lock: one store per directory.
 * </ul>
 *
 * <h2>Truncation and compaction</h2>
 *
 * A BATCH record whose first entry is at index {@code i} replaces every entry at or after {@code
 * i}: a conflicting suffix is dropped by appending its replacement, and replay (and the in-memory
 * index from Raft index to the queue index of the batch holding it) honours it. A snapshot drops
 * entries up to its index (all entries when the stored entry at its index has another term); once
 * its record is durable, the oldest cycle files whose entries are all covered by it are deleted, in
 * order, stopping at the first one still needed, so disk use is bounded by the snapshot plus the
 * tail plus one segment.
 *
 * <h2>Threading and durability</h2>
 *
 * {@link #write} is called on the node's event loop: it validates the batch, updates the log's
 * shape (index and term of each entry) and hands the batch to the store's I/O thread. That thread
 * drains every batch that is waiting and appends them as few records as it can (consecutive writes
 * that append to the run of the previous one share its BATCH record, up to an eighth of a Chronicle
 * block; a write that replaces a suffix, or carries a term or vote, starts a new one; a snapshot
 * has its own), makes them durable with one fsync of the cycle file(s) written (group commit),
 * records the watermark and completes the futures in call order. In {@link Durability#OS_CACHE}
 * mode it skips the fsync unless the round carries a hard state or a snapshot. In FSYNC mode it
 * keeps {@link Options#preallocateBytes()} of the cycle file ahead of the writes filled with zeros
 * and synced, so that a round's fsync writes back the pages it dirtied and allocates nothing.
 * {@link #read} may be called from any thread.
 *
 * <h2>Recovery</h2>
 *
 * {@link #load()} replays the queue, verifying every record's CRC32Cs. A record that is damaged,
 * missing or torn beyond the acknowledged watermark is the torn tail of the last run: it (a batch
 * is dropped whole) and everything after it are voided (a cut point, then writing resumes in a new
 * cycle file). Damage at or before the watermark means acknowledged data is lost: load throws
 * {@link IllegalStateException} saying where.
 */
public final class ChronicleLogStore implements LogStore {

  /** Tuning knobs; {@link #defaults()} suits production, {@link #forTests()} many small nodes. */
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

    /**
     * Like {@link #defaults()} with 1 MiB blocks, 4 MiB segments, a roll at every snapshot and 64
     * KiB preallocated.
     */
    public static Options forTests() {
      return new Options(Durability.FSYNC, 4L << 20, 0, 1L << 20, 1000, 500, false, 64L << 10);
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
  private static final long NONE = Long.MIN_VALUE;
  private static final RollCycle ROLL_CYCLE = LegacyRollCycles.MINUTELY;
  private static final long PAGE = 4096;

  private enum State { NEW, OPEN, CLOSED, CRASHED, FAILED }

  private record Batch(LogWrite write, boolean keep, CompletableFuture<Void> future, Path copyTo) {}

  private static final Batch CLOSE = new Batch(null, false, null, null);

  /** A SNAPSHOT record written: its snapshot file seq, index, and the cycle holding it. */
  private record Committed(long seq, long index, int cycle) {}

  private final Path dir;
  private final Path queueDir;
  private final Options options;
  private final DateTimeFormatter cycleFormat;

  private volatile State state = State.NEW;
  private volatile Throwable failure;
  private FileChannel lockChannel;
  private FileLock lock;

  // ---- event-loop side: the shape of the log as the batches handed over so far leave it
  private final IndexArray terms = new IndexArray();
  private final IndexArray sizes = new IndexArray(); // encoded size of each entry, as MemoryLogStore counts it
  private long logBytes;
  private long baseIndex;
  private HardState shapeHard = HardState.INITIAL;
  private Snapshot shapeSnapshot;

  // ---- I/O side (the I/O thread; reads under ioLock)
  private final Object ioLock = new Object();
  private final LinkedBlockingQueue<Batch> pending = new LinkedBlockingQueue<>();
  private Thread ioThread;
  private volatile boolean crashed;
  private CycleClock clock;
  private SingleChronicleQueue queue;
  private ExcerptAppender appender;
  private ExcerptTailer reader;
  private AckFile ack;
  private ResetFile resets;
  private SnapshotFiles snapshots;
  private final IndexArray positions = new IndexArray(); // Raft index -> queue index
  private HardState hard = HardState.INITIAL;
  private long snapshotSeq;
  private long lastQueueIndex = NONE;
  private long syncedQueueIndex = NONE;
  private long cycleBytes;
  private int[] dirtyCycles = new int[4]; // cycle files written since the last sync
  private int dirtyCount;
  private boolean newCycleFile;
  private int channelCycle = Integer.MIN_VALUE;
  private FileChannel cycleChannel;
  private ByteBuffer encodeBuf = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
  private final CRC32C crc = new CRC32C();
  private final Records.BatchEncoder batch = new Records.BatchEncoder(crc);
  private final long maxBatchBytes;
  /** Smallest block size: leaves entries of at least 8 KiB. */
  static final long MIN_BLOCK_SIZE = 64 << 10;
  /** Room left in a document for a record's header, a hard state and Chronicle's own header. */
  private static final int RECORD_HEADROOM = 8 << 10;
  private int writeCycle = Integer.MIN_VALUE; // cycle of the last record appended
  private long writeEnd; // file offset of its end
  private long zeroedTo; // the current cycle file is written with zeros up to here
  private final ByteBuffer zeros = ByteBuffer.allocateDirect(64 << 10);
  private long syncs;
  private long recordsAppended;

  private ChronicleLogStore(Path dir, Options options) {
    this.dir = dir;
    this.queueDir = dir.resolve("queue");
    this.options = options;
    this.cycleFormat = DateTimeFormatter.ofPattern(ROLL_CYCLE.format()).withZone(ZoneOffset.UTC);
    // Chronicle keeps a document within a quarter of a block; stay well inside it.
    this.maxBatchBytes = Math.max(4096, options.blockSize() / 8);
  }

  /** A store in {@code dir} (created if absent) with {@link Options#defaults()}. */
  public static ChronicleLogStore open(Path dir) {
    return open(dir, Options.defaults());
  }

  /**
   * A store in {@code dir} (created if absent). Takes the directory's lock; nothing is read until
   * {@link #load()}.
   *
   * @throws IllegalStateException if another store holds the directory
   */
  public static ChronicleLogStore open(Path dir, Options options) {
    ChronicleLogStore s = new ChronicleLogStore(dir, options);
    try {
      Files.createDirectories(dir);
      s.lockChannel = FileChannel.open(dir.resolve("LOCK"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      try {
        s.lock = s.lockChannel.tryLock();
      } catch (OverlappingFileLockException e) {
        s.lock = null;
      }
      if (s.lock == null) {
        s.lockChannel.close();
        throw new IllegalStateException("log directory " + dir + " is in use by another store");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open log directory " + dir, e);
    }
    return s;
  }

  public Path directory() {
    return dir;
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
        ioThread = new Thread(this::ioLoop, "raftflow-chronicle-io-" + dir.getFileName());
        ioThread.setDaemon(true);
        ioThread.start();
      }
      return ps;
    } catch (RuntimeException | IOException e) {
      state = State.FAILED;
      releaseResources();
      if (e instanceof IOException io) {
        throw new UncheckedIOException("cannot recover log in " + dir, io);
      }
      throw (RuntimeException) e;
    }
  }

  private PersistentState recover() throws IOException {
    checkFormat();
    ack = new AckFile(dir.resolve("ack"));
    resets = new ResetFile(dir.resolve("resets"));
    snapshots = new SnapshotFiles(dir.resolve("snapshots"));
    clock = new CycleClock(ROLL_CYCLE.lengthInMillis());
    clock.cycle(0);
    queue = SingleChronicleQueueBuilder.binary(queueDir)
        .rollCycle(ROLL_CYCLE)
        .epoch(0)
        .timeProvider(clock)
        .blockSize(options.blockSize())
        .timeoutMS(options.chronicleTimeoutMillis())
        .build();

    long acked = ack.queueIndex();
    ArrayList<LogEntry> entries = new ArrayList<>();
    long first = 1; // index of entries.get(0)
    Records.SnapshotMark mark = null;
    long lastGood = NONE;
    long damage = NONE;
    String damageWhy = null;

    try (ExcerptTailer t = queue.createTailer()) {
      t.toStart();
      while (true) {
        long qi;
        Records.Record rec = null;
        String bad = null;
        boolean present;
        try (DocumentContext dc = t.readingDocument()) {
          present = dc.isPresent();
          if (present) {
            qi = dc.index();
            Bytes<?> b = dc.wire().bytes();
            byte[] raw = new byte[(int) b.readRemaining()];
            b.read(raw);
            try {
              rec = Records.decode(raw, crc);
            } catch (Records.CorruptRecordException e) {
              bad = e.getMessage();
            }
          } else {
            qi = t.index();
          }
        } catch (RuntimeException e) {
          present = true;
          qi = lastGood == NONE ? t.index() : Math.max(t.index(), lastGood + 1);
          bad = "unreadable: " + e;
        }
        int c = ROLL_CYCLE.toCycle(qi);
        Long cut = resets.cut(c);
        boolean later = laterCycle(c) != null;
        if (cut != null && qi >= cut) {
          Integer next = laterCycle(c);
          if (next == null || !t.moveToCycle(next)) {
            break;
          }
          continue;
        }
        if (!present && !later) {
          break; // the end
        }
        if (!present) {
          bad = "log stops in cycle " + c + " although later cycle files exist";
        }
        if (bad != null) {
          if (acked != NONE && qi <= acked) {
            throw new IllegalStateException("log in " + dir + " is damaged inside the acknowledged region: record at queue"
                + " index " + describe(qi) + " (" + bad + "), acknowledged through " + describe(acked)
                + "; refusing to start rather than lose acknowledged entries");
          }
          damage = qi;
          damageWhy = bad;
          break;
        }
        lastGood = qi;
        if (rec instanceof Records.Batch rb) {
          if (rb.hardState() != null) {
            hard = rb.hardState();
          }
          if (!rb.entries().isEmpty()) {
            long i = rb.firstIndex();
            long next = first + entries.size();
            if (entries.isEmpty() || i < first) {
              entries.clear();
              first = i;
              positions.reset(i);
            } else if (i > next) {
              throw new IllegalStateException("log in " + dir + " is inconsistent: entry " + i + " at queue index "
                  + describe(qi) + " follows entry " + (next - 1));
            } else {
              entries.subList((int) (i - first), entries.size()).clear();
              positions.truncateFrom(i);
            }
            for (LogEntry e : rb.entries()) {
              entries.add(e);
              positions.add(qi);
            }
          }
        } else if (rec instanceof Records.SnapshotMark m) {
          mark = m;
          hard = m.hardState();
          if (m.keep() && !entries.isEmpty() && m.index() < first + entries.size() - 1) {
            if (m.index() >= first) {
              entries.subList(0, (int) (m.index() - first + 1)).clear();
              positions.dropUpTo(m.index());
              first = m.index() + 1;
            }
          } else {
            entries.clear();
            first = m.index() + 1;
            positions.reset(first);
          }
        }
      }
    }
    if (acked != NONE && (lastGood == NONE || lastGood < acked)) {
      throw new IllegalStateException("log in " + dir + " ends at queue index " + describe(lastGood)
          + " but was acknowledged through " + describe(acked) + " (raft index " + ack.raftLastIndex()
          + "); refusing to start rather than lose acknowledged entries");
    }

    // Void the tail: drop cycles after a damaged one, cut the last cycle, resume in a new one.
    int lastCycle = queue.lastCycle();
    if (damage != NONE) {
      int dc = ROLL_CYCLE.toCycle(damage);
      for (Integer c = laterCycle(dc); c != null; c = laterCycle(c)) {
        Files.deleteIfExists(cycleFile(c));
      }
      queue.refreshDirectoryListing();
      lastCycle = dc;
      LOG.warn("log in {}: dropped the unacknowledged tail from queue index {} ({})", dir, describe(damage), damageWhy);
    }
    if (lastCycle != Integer.MIN_VALUE) {
      long cutAt = lastGood != NONE && ROLL_CYCLE.toCycle(lastGood) == lastCycle
          ? lastGood + 1 : ROLL_CYCLE.toIndex(lastCycle, 0);
      resets.add(lastCycle, cutAt);
      clock.cycle(lastCycle + 1);
    } else {
      clock.cycle(1);
    }
    lastQueueIndex = lastGood;
    syncedQueueIndex = lastGood;

    // Snapshot and the shape of the log.
    Snapshot snapshot = null;
    if (mark != null) {
      snapshot = snapshots.read(mark.seq());
      if (snapshot.index() != mark.index() || snapshot.term() != mark.term()) {
        throw new IllegalStateException("snapshot file " + snapshots.file(mark.seq()) + " is " + snapshot
            + " but the log installed " + mark.index() + "@" + mark.term());
      }
      snapshotSeq = mark.seq();
      baseIndex = mark.index();
    } else {
      baseIndex = 0;
    }
    snapshots.deleteAllBut(mark == null ? -1 : mark.seq());
    snapshotSeq = Math.max(snapshotSeq, snapshots.maxSeq());
    if (!entries.isEmpty() && first != baseIndex + 1) {
      throw new IllegalStateException("log in " + dir + " is inconsistent: entries start at " + first
          + " but the snapshot ends at " + baseIndex);
    }
    if (entries.isEmpty()) {
      positions.reset(baseIndex + 1);
    }
    terms.reset(baseIndex + 1);
    sizes.reset(baseIndex + 1);
    for (LogEntry e : entries) {
      terms.add(e.term());
      sizes.add(sizeOf(e));
      logBytes += sizeOf(e);
    }
    shapeHard = hard;
    shapeSnapshot = snapshot;
    reader = queue.createTailer();
    reader.singleThreadedCheckDisabled(true);
    return new PersistentState(hard, snapshot, Collections.unmodifiableList(entries));
  }

  static final String FORMAT_FILE = "format";

  private static String formatLine(int format) {
    return "raftflow-chronicle-log format " + format + "\n";
  }

  /**
   * Refuses a directory written in another storage format; marks a new one with this format
   * (durably, before anything else is written).
   */
  private void checkFormat() throws IOException {
    Path f = dir.resolve(FORMAT_FILE);
    if (Files.exists(f)) {
      String line = Files.readString(f, java.nio.charset.StandardCharsets.UTF_8);
      if (!line.equals(formatLine(Records.FORMAT))) {
        throw new IllegalStateException("log in " + dir + " has storage format '" + line.strip() + "'; this build reads"
            + " only format " + Records.FORMAT + " (" + formatLine(Records.FORMAT).strip() + ")");
      }
      return;
    }
    boolean used = Files.exists(dir.resolve("ack")) || Files.exists(dir.resolve("resets"));
    if (!used && Files.isDirectory(queueDir)) {
      try (var files = Files.list(queueDir)) {
        used = files.anyMatch(p -> p.getFileName().toString().endsWith(".cq4"));
      }
    }
    if (used) {
      throw new IllegalStateException("log in " + dir + " was written by storage format 1 (one Chronicle document per"
          + " entry, no '" + FORMAT_FILE + "' file); this build reads only format " + Records.FORMAT
          + ". Refusing to misread it: move it away or migrate it with the release that wrote it");
    }
    Path tmp = dir.resolve(FORMAT_FILE + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(formatLine(Records.FORMAT).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
    Files.move(tmp, f, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    SnapshotFiles.syncDirectory(dir);
  }

  /** The first existing cycle after {@code c}, or null. */
  private Integer laterCycle(int c) {
    int last = queue.lastCycle();
    if (last == Integer.MIN_VALUE || last <= c) {
      return null;
    }
    NavigableSet<Long> cycles = queue.listCyclesBetween(c + 1, last);
    return cycles.isEmpty() ? null : cycles.first().intValue();
  }

  private Path cycleFile(int cycle) {
    return queueDir.resolve(cycleFormat.format(Instant.ofEpochMilli((long) cycle * ROLL_CYCLE.lengthInMillis())) + ".cq4");
  }

  private static String describe(long qi) {
    return qi == NONE ? "(none)" : ROLL_CYCLE.toCycle(qi) + "/" + ROLL_CYCLE.toSequenceNumber(qi);
  }

  // ------------------------------------------------------------------------------------------
  // Writes (event loop)

  /**
   * Chronicle takes documents of at most a quarter of its block size; one entry, with its record's
   * header and a hard state, must fit in one.
   */
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
    Snapshot snap = w.snapshot();
    List<LogEntry> es = w.entries();
    boolean keep = snap != null && snap.index() > baseIndex && terms.contains(snap.index())
        && terms.get(snap.index()) == snap.term();
    if (!es.isEmpty()) {
      long newBase = snap != null ? snap.index() : baseIndex;
      long lastAfterSnap = snap == null ? terms.lastIndex() : keep ? Math.max(terms.lastIndex(), newBase) : newBase;
      long firstNew = es.get(0).index();
      if (firstNew <= newBase) {
        throw new IllegalStateException("cannot replace entry " + firstNew + " covered by snapshot at " + newBase);
      }
      if (firstNew > lastAfterSnap + 1) {
        throw new IllegalStateException("append at " + firstNew + " leaves a gap; next index is " + (lastAfterSnap + 1));
      }
      for (int k = 0; k < es.size(); k++) {
        LogEntry e = es.get(k);
        if (e.index() != firstNew + k) {
          throw new IllegalStateException("entries are not consecutive at " + e.index());
        }
        if (e.data().length > maxEntryBytes()) {
          throw new IllegalArgumentException("entry " + e.index() + " holds " + e.data().length
              + " bytes; this store takes at most " + maxEntryBytes() + " per entry (a quarter of its "
              + options.blockSize() + "-byte block, less record headers)");
        }
      }
    }
    if (w.hardState() != null) {
      shapeHard = w.hardState();
    }
    if (snap != null) {
      if (keep) {
        for (long i = sizes.firstIndex(); i <= snap.index(); i++) {
          logBytes -= sizes.get(i);
        }
        terms.dropUpTo(snap.index());
        sizes.dropUpTo(snap.index());
      } else {
        terms.reset(snap.index() + 1);
        sizes.reset(snap.index() + 1);
        logBytes = 0;
      }
      baseIndex = snap.index();
      shapeSnapshot = snap;
    }
    if (!es.isEmpty()) {
      long from = es.get(0).index();
      for (long i = Math.max(from, sizes.firstIndex()); i <= sizes.lastIndex(); i++) {
        logBytes -= sizes.get(i);
      }
      terms.truncateFrom(from);
      sizes.truncateFrom(from);
      for (LogEntry e : es) {
        terms.add(e.term());
        sizes.add(sizeOf(e));
        logBytes += sizeOf(e);
      }
    }
    CompletableFuture<Void> f = new CompletableFuture<>();
    Batch batch = new Batch(w, keep, f, null);
    if (options.inline()) {
      try {
        processRound(List.of(batch), false, false);
      } catch (Throwable t) {
        failure = t;
        state = State.FAILED;
        f.completeExceptionally(t);
      }
      return f;
    }
    pending.add(batch);
    if (state != State.OPEN) { // closed or crashed concurrently: make sure nobody waits forever
      failPending(new IllegalStateException("log store is " + state.name().toLowerCase()));
    }
    return f;
  }

  // ------------------------------------------------------------------------------------------
  // The I/O thread

  private void ioLoop() {
    List<Batch> round = new ArrayList<>();
    long lastAckSync = System.nanoTime();
    try {
      boolean closing = false;
      while (!closing) {
        Batch b = ack.dirty()
            ? pending.poll(Math.max(1, options.ackSyncIntervalMillis()), TimeUnit.MILLISECONDS)
            : pending.take();
        if (b == null) {
          if (crashed) {
            return;
          }
          ack.sync();
          lastAckSync = System.nanoTime();
          continue;
        }
        round.clear();
        round.add(b);
        pending.drainTo(round, 4096);
        if (crashed) { // fails every future taken (the catch below)
          throw new IllegalStateException("log store crashed");
        }
        closing = false;
        for (int k = round.size() - 1; k >= 0 && !closing; k--) {
          closing = round.get(k) == CLOSE;
        }
        boolean syncAck = closing
            || System.nanoTime() - lastAckSync > TimeUnit.MILLISECONDS.toNanos(options.ackSyncIntervalMillis());
        processRound(round, closing, syncAck);
        if (syncAck) {
          lastAckSync = System.nanoTime();
        }
      }
    } catch (Throwable t) {
      failure = t;
      if (!crashed) {
        state = State.FAILED;
      }
      for (Batch x : round) {
        if (x.future() != null) {
          x.future().completeExceptionally(t);
        }
      }
      failPending(t);
    }
  }

  /**
   * Appends a round of batches, makes it durable per the policy with one sync, records the
   * watermark and completes the futures in order. On the I/O thread, or the caller's in inline
   * mode. Consecutive writes that only append (and set the hard state) share one BATCH record.
   */
  private void processRound(List<Batch> round, boolean forceSync, boolean syncAck) throws IOException {
    boolean sync = forceSync || options.durability() == Durability.FSYNC;
    Committed committed = null;
    synchronized (ioLock) {
      if (appender == null) {
        appender = queue.createAppender();
        appender.singleThreadedCheckDisabled(true);
      }
      for (int k = 0, n = round.size(); k < n; k++) {
        Batch x = round.get(k);
        if (crashed) {
          throw new IllegalStateException("log store crashed");
        }
        if (x.write() == null) {
          if (x.copyTo() != null) {
            flushBatch();
            copyFiles(dir, x.copyTo());
            x.future().complete(null);
          }
          continue;
        }
        LogWrite w = x.write();
        sync |= w.hardState() != null || w.snapshot() != null;
        Committed m = apply(x);
        if (m != null) {
          committed = m;
        }
      }
      flushBatch();
    }
    if (sync) {
      syncDirty();
      syncedQueueIndex = lastQueueIndex;
    }
    if (crashed) {
      throw new IllegalStateException("log store crashed"); // nothing more is acknowledged
    }
    // The watermark only ever names synced data (in OS_CACHE mode it lags the acknowledgements).
    if (syncedQueueIndex != NONE) {
      ack.write(syncedQueueIndex, positions.lastIndex());
    }
    if (syncAck) {
      ack.sync();
    }
    if (committed != null) {
      compact(committed); // before completing: whoever sees the snapshot durable sees it compacted
    }
    for (int k = 0, n = round.size(); k < n; k++) {
      Batch x = round.get(k);
      if (x.write() != null) {
        x.future().complete(null);
      }
    }
    if (options.durability() == Durability.FSYNC && options.preallocateBytes() > 0 && !crashed) {
      preallocate();
    }
  }

  /**
   * Adds a write to the BATCH record being built (starting a new one when it must); a snapshot
   * writes the batch so far and its own record. Returns the snapshot record written, if any.
   */
  private Committed apply(Batch x) throws IOException {
    LogWrite w = x.write();
    Committed mark = null;
    Snapshot s = w.snapshot();
    if (s != null) {
      flushBatch();
      if (w.hardState() != null) {
        hard = w.hardState(); // the SNAPSHOT record carries it
      }
      long seq = ++snapshotSeq;
      snapshots.write(seq, s);
      if (cycleBytes > 0 && cycleBytes >= options.rollOnSnapshotBytes()) {
        roll();
      }
      long qi = append(Records.encodeSnapshot(seq, s.index(), s.term(), x.keep(), hard, buffer(Records.maxHardSize(hard) + 32), crc));
      if (x.keep()) {
        positions.dropUpTo(s.index());
      } else {
        positions.reset(s.index() + 1);
      }
      mark = new Committed(seq, s.index(), ROLL_CYCLE.toCycle(qi));
    } else if (w.hardState() != null) {
      hard = w.hardState();
      flushBatch(); // the hard state goes in the header of a new batch
      batch.begin(hard);
    }
    List<LogEntry> es = w.entries();
    if (!es.isEmpty()) {
      if (batch.isOpen() && batch.count() > 0 && es.get(0).index() != batch.nextIndex()) {
        flushBatch(); // replaces a suffix: a batch holds one run of consecutive entries
      }
      for (int k = 0, n = es.size(); k < n; k++) {
        LogEntry e = es.get(k);
        if (batch.isOpen() && batch.count() > 0 && batch.size() + Records.entrySize(e) > maxBatchBytes) {
          flushBatch();
        }
        if (!batch.isOpen()) {
          batch.begin(null);
        }
        batch.add(e);
      }
    }
    return mark;
  }

  /** Appends the BATCH record being built, if any, and maps its entries to it. */
  private void flushBatch() {
    if (!batch.isOpen()) {
      return;
    }
    int count = batch.count();
    long first = batch.firstIndex();
    ByteBuffer rec = batch.finish();
    if (cycleBytes >= options.segmentBytes()) {
      roll();
    }
    long qi = append(rec);
    if (count > 0) {
      positions.truncateFrom(first);
      for (int k = 0; k < count; k++) {
        positions.add(qi);
      }
    }
  }

  private ByteBuffer buffer(int size) {
    if (encodeBuf.capacity() < size) {
      encodeBuf = ByteBuffer.allocate(Math.max(size, encodeBuf.capacity() * 2)).order(ByteOrder.LITTLE_ENDIAN);
    }
    return encodeBuf;
  }

  private long append(ByteBuffer rec) {
    long end;
    try (DocumentContext dc = appender.writingDocument()) {
      Bytes<?> bytes = dc.wire().bytes();
      bytes.write(rec.array(), 0, rec.limit());
      end = bytes.writePosition();
    }
    long qi = appender.lastIndexAppended();
    int c = ROLL_CYCLE.toCycle(qi);
    if (lastQueueIndex == NONE || ROLL_CYCLE.toCycle(lastQueueIndex) != c) {
      newCycleFile = true;
    }
    if (c != writeCycle) {
      writeCycle = c;
      zeroedTo = 0;
    }
    writeEnd = end;
    recordsAppended++;
    markDirty(c);
    cycleBytes += rec.limit() + 4;
    lastQueueIndex = qi;
    return qi;
  }

  /**
   * Keeps the current cycle file written with zeros (real blocks, not a sparse hole) a stretch
   * ahead of the write position, and synced, so that the fsync of a round only writes back the
   * pages the round dirtied: no block allocation on the durable path, hence no inode or journal
   * write beside the data (measured on ext4: a sparse file costs an extra metadata write in many
   * fsyncs). Runs after a round's futures completed. Zeros go only past the end of the last
   * record, where a Chronicle cycle file holds nothing but zeros; Chronicle later writes over
   * them through its mapping (the same page cache pages).
   */
  private void preallocate() throws IOException {
    long ahead = options.preallocateBytes();
    if (writeCycle == Integer.MIN_VALUE || writeEnd + ahead - ahead / 4 <= zeroedTo) {
      return; // at least three quarters of the stretch is still ahead
    }
    FileChannel ch = channelFor(writeCycle);
    if (ch == null) {
      return;
    }
    // A quarter of the stretch per round at most, so no single round waits long for it.
    long from = Math.max(zeroedTo, (writeEnd + PAGE - 1) & -PAGE);
    long to = Math.min((writeEnd + ahead) & -PAGE, from + Math.max(PAGE, (ahead / 4) & -PAGE));
    if (to <= from) {
      return;
    }
    for (long pos = from; pos < to; ) {
      zeros.clear().limit((int) Math.min(zeros.capacity(), to - pos));
      pos += ch.write(zeros, pos);
    }
    ch.force(false);
    zeroedTo = to;
  }

  /** The open channel of the current cycle file (opened on first use), or null for another cycle. */
  private FileChannel channelFor(int c) throws IOException {
    if (c == channelCycle) {
      return cycleChannel;
    }
    if (c != clock.cycle()) {
      return null;
    }
    if (cycleChannel != null) {
      cycleChannel.close();
    }
    cycleChannel = FileChannel.open(cycleFile(c), StandardOpenOption.READ, StandardOpenOption.WRITE);
    channelCycle = c;
    return cycleChannel;
  }

  private void markDirty(int c) {
    for (int k = 0; k < dirtyCount; k++) {
      if (dirtyCycles[k] == c) {
        return;
      }
    }
    if (dirtyCount == dirtyCycles.length) {
      dirtyCycles = java.util.Arrays.copyOf(dirtyCycles, dirtyCount * 2);
    }
    dirtyCycles[dirtyCount++] = c;
  }

  private void roll() {
    if (lastQueueIndex != NONE) {
      markDirty(ROLL_CYCLE.toCycle(lastQueueIndex)); // it gets an EOF marker
    }
    clock.cycle(clock.cycle() + 1);
    cycleBytes = 0;
  }

  /** fsyncs every cycle file written since the last sync (data, index and headers alike). */
  private void syncDirty() throws IOException {
    for (int k = 0; k < dirtyCount; k++) {
      int c = dirtyCycles[k];
      FileChannel ch = channelFor(c);
      if (ch != null) {
        ch.force(false);
      } else {
        try (FileChannel other = FileChannel.open(cycleFile(c), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
          other.force(false);
        }
      }
    }
    dirtyCount = 0;
    if (newCycleFile) {
      SnapshotFiles.syncDirectory(queueDir);
      newCycleFile = false;
    }
    syncs++;
  }

  /**
   * After {@code m} is durable: drops older snapshot files and every cycle file before both the
   * cycle holding {@code m} and the cycle holding the first entry still in the log. Everything in
   * those files is dead: entries covered by the snapshot or truncated since, hard states and
   * snapshot records superseded by {@code m} (which carries the hard state). Replay of the files
   * left yields the same log (see {@link #recover()}: it starts wherever the first file starts).
   */
  private void compact(Committed m) throws IOException {
    snapshots.deleteAllBut(m.seq());
    synchronized (ioLock) {
      int keepFrom = m.cycle();
      if (positions.size() > 0) {
        keepFrom = Math.min(keepFrom, ROLL_CYCLE.toCycle(positions.get(positions.firstIndex())));
      }
      int deleted = 0;
      int firstCycle = queue.firstCycle();
      if (firstCycle == Integer.MAX_VALUE || firstCycle == Integer.MIN_VALUE || firstCycle >= keepFrom) {
        return;
      }
      for (Long cl : queue.listCyclesBetween(firstCycle, keepFrom - 1)) {
        int c = cl.intValue();
        if (c == channelCycle) {
          cycleChannel.close();
          cycleChannel = null;
          channelCycle = Integer.MIN_VALUE;
        }
        Files.deleteIfExists(cycleFile(c));
        deleted++;
      }
      if (deleted > 0) {
        reader.close();
        queue.refreshDirectoryListing();
        reader = queue.createTailer();
        reader.singleThreadedCheckDisabled(true);
      }
    }
  }

  private void failPending(Throwable t) {
    for (Batch x; (x = pending.poll()) != null; ) {
      if (x.future() != null) {
        x.future().completeExceptionally(t);
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Reads and introspection (any thread)

  /**
   * The stored entry at {@code index}, read from the queue and checksum-verified; only entries
   * the I/O thread has written (whose write futures completed, at least) are visible.
   *
   * @throws IndexOutOfBoundsException if the log does not hold {@code index}
   */
  public LogEntry read(long index) {
    synchronized (ioLock) {
      if (reader == null) {
        throw new IllegalStateException("log store is " + state.name().toLowerCase());
      }
      long qi = positions.get(index);
      if (!reader.moveToIndex(qi)) {
        throw new IllegalStateException("queue index " + describe(qi) + " of entry " + index + " is unreadable");
      }
      try (DocumentContext dc = reader.readingDocument()) {
        return Records.readEntry(new DocumentView(dc.wire().bytes()), index, new CRC32C());
      } catch (Records.CorruptRecordException e) {
        throw new IllegalStateException("entry " + index + " is damaged: " + e.getMessage());
      }
    }
  }

  /** Index of the first stored entry (snapshot index + 1), as written so far. */
  public long firstIndex() {
    synchronized (ioLock) {
      return positions.firstIndex();
    }
  }

  /** Index of the last stored entry (or the snapshot's), as written so far. */
  public long lastIndex() {
    synchronized (ioLock) {
      return positions.lastIndex();
    }
  }

  /** The document being read, seen in place: only the bytes asked for are copied. */
  private static final class DocumentView implements Records.RecordView {
    private final Bytes<?> bytes;
    private final long base;
    private final int length;

    DocumentView(Bytes<?> bytes) {
      this.bytes = bytes;
      this.base = bytes.readPosition();
      this.length = (int) Math.min(Integer.MAX_VALUE, bytes.readRemaining());
    }

    @Override
    public int length() {
      return length;
    }

    @Override
    public byte byteAt(int offset) {
      return bytes.readByte(base + offset);
    }

    @Override
    public int intAt(int offset) {
      // assembled byte by byte: records are little-endian whatever the platform's order
      return (byteAt(offset) & 0xff) | (byteAt(offset + 1) & 0xff) << 8 | (byteAt(offset + 2) & 0xff) << 16
          | (byteAt(offset + 3) & 0xff) << 24;
    }

    @Override
    public byte[] copy(int offset, int len) {
      byte[] out = new byte[len];
      if (offset < 0 || len > length - offset || bytes.read(base + offset, out, 0, len) != len) {
        throw new IllegalArgumentException("bytes " + offset + ".." + (offset + len) + " of a " + length + "-byte record");
      }
      return out;
    }
  }

  private static long sizeOf(LogEntry e) {
    return MessageCodec.entrySize(e) + 9;
  }

  /**
   * Size of the Raft state (hard state and log, not the snapshot) in the compact encoding {@link
   * dev.raftflow.engine.memory.MemoryLogStore#raftStateSize()} uses, as of the writes handed over;
   * call it on the event loop.
   */
  public long raftStateSize() {
    String vote = shapeHard.votedFor();
    return 10 + (vote == null ? 1 : 1 + vote.length()) + 10 + logBytes;
  }

  /** The latest snapshot handed over or recovered, or {@code null}; call it on the event loop. */
  public Snapshot snapshot() {
    return shapeSnapshot;
  }

  /**
   * For tests: copies the store's files to {@code target} (a new directory), as they are once
   * every write handed over so far is written: the image a crash at this point could leave.
   * The store keeps working; later writes to it do not reach the copy. Blocks until done.
   */
  public void copyTo(Path target) {
    try {
      if (state == State.OPEN && ioThread != null) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        pending.add(new Batch(null, false, done, target));
        done.join();
      } else {
        synchronized (ioLock) {
          copyFiles(dir, target);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Copies a store directory (not its LOCK), keeping Chronicle's sparse files sparse. */
  private static void copyFiles(Path from, Path to) throws IOException {
    try (var walk = Files.walk(from)) {
      for (Path src : walk.toList()) {
        Path dst = to.resolve(from.relativize(src).toString());
        if (Files.isDirectory(src)) {
          Files.createDirectories(dst);
        } else if (!src.getFileName().toString().equals("LOCK")) {
          sparseCopy(src, dst);
        }
      }
    }
  }

  private static void sparseCopy(Path src, Path dst) throws IOException {
    try (FileChannel in = FileChannel.open(src, StandardOpenOption.READ);
        FileChannel out = FileChannel.open(dst, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      long size = in.size();
      ByteBuffer buf = ByteBuffer.allocate(64 << 10);
      long pos = 0;
      while (pos < size) {
        buf.clear();
        int n = in.read(buf, pos);
        if (n <= 0) {
          break;
        }
        boolean zero = true;
        for (int k = 0; k < n && zero; k++) {
          zero = buf.get(k) == 0;
        }
        if (!zero) {
          buf.flip();
          while (buf.hasRemaining()) {
            out.write(buf, pos + buf.position());
          }
        }
        pos += n;
      }
      if (out.size() < size) {
        out.write(ByteBuffer.allocate(1), size - 1);
      }
    }
  }

  /** Number of cycle files in the queue directory. */
  public int cycleFileCount() throws IOException {
    try (var s = Files.list(queueDir)) {
      return (int) s.filter(p -> p.getFileName().toString().endsWith(".cq4")).count();
    }
  }

  /** Number of fsync rounds of the queue so far (group commit makes this smaller than writes). */
  public long syncCount() {
    return syncs;
  }

  /** Number of records (Chronicle documents) appended since open; for tests. */
  long recordsAppended() {
    synchronized (ioLock) {
      return recordsAppended;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Shutdown

  /** Writes and syncs everything handed over, then releases the directory. Idempotent. */
  @Override
  public synchronized void close() {
    if (state == State.CLOSED || state == State.CRASHED) {
      return;
    }
    boolean running = state == State.OPEN;
    state = State.CLOSED;
    if (running && ioThread != null) {
      pending.add(CLOSE);
      joinIo();
    } else if (running) {
      try {
        processRound(List.of(), true, true);
      } catch (IOException e) {
        LOG.warn("log in {}: final sync failed", dir, e);
      }
    }
    failPending(new IllegalStateException("log store is closed"));
    releaseResources();
  }

  /**
   * For tests: simulates a crash. Batches not yet written are lost, nothing more is synced or
   * acknowledged, pending futures fail; what was written stays in the OS page cache, as after a
   * process crash. Reopen with {@link #open} on the same directory.
   */
  public synchronized void crash() {
    if (state == State.CLOSED || state == State.CRASHED) {
      return;
    }
    boolean running = state == State.OPEN;
    crashed = true;
    state = State.CRASHED;
    if (running && ioThread != null) {
      pending.add(CLOSE); // wakes the thread; it sees `crashed` and stops
      joinIo();
    }
    failPending(new IllegalStateException("log store crashed"));
    releaseResources();
  }

  private void joinIo() {
    boolean interrupted = false;
    while (ioThread.isAlive()) {
      try {
        ioThread.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void releaseResources() {
    synchronized (ioLock) {
      closeQuietly(reader);
      reader = null;
      closeQuietly(appender);
      closeQuietly(cycleChannel);
      closeQuietly(queue);
      closeQuietly(ack);
      closeQuietly(resets);
      try {
        if (lock != null) {
          lock.release();
        }
      } catch (IOException ignored) {
        // closing the channel releases it too
      }
      closeQuietly(lockChannel);
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception ignored) {
        // best effort on shutdown
      }
    }
  }
}

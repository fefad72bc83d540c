package dev.raftflow.storage.chronicle;

import dev.raftflow.engine.message.LogEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.NavigableSet;
import java.util.function.Supplier;
import java.util.zip.CRC32C;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.queue.rollcycles.LegacyRollCycles;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * The Chronicle queue of a store and the map from each stored Raft index to the queue index of the
 * record holding it: appends records, rolls to a new cycle file when the store decides (a logical
 * {@link CycleClock} drives the roll cycle), reads one entry back, and deletes whole cycle files
 * that compaction made dead.
 *
 * <p>Threading: one thread appends (the store's I/O thread, or the caller in inline mode); reads
 * come from any thread. Appends, reads and compaction hold this object's monitor.
 */
final class QueueLog implements AutoCloseable, RecoveredEntries.EntryReader {
  /** Queue index meaning "no record". */
  static final long NONE = Long.MIN_VALUE;
  static final RollCycle ROLL_CYCLE = LegacyRollCycles.MINUTELY;

  private final SingleChronicleQueue queue;
  private final CycleClock clock;
  private final CycleFiles files;
  private final long segmentBytes;
  private final IndexRuns positions = new IndexRuns(); // Raft index -> queue index, a run per batch
  private ExcerptAppender appender;
  private ExcerptTailer reader;
  /**
   * The batch record last read, decoded: entries are read in runs (applied again after a restart,
   * sent to a follower catching up), so the next read is usually in it. Queue indexes are never
   * reused, so a record's decoding stays valid.
   */
  private long cachedQueueIndex = NONE;
  private java.util.List<LogEntry> cachedEntries;
  private long cachedFirst;
  private long lastQueueIndex = NONE;
  private long cycleBytes;

  /** Opens the queue in {@code dir}; nothing is read until recovery replays it. */
  QueueLog(StoreDirectory dir, ChronicleLogStore.Options options) {
    this.clock = new CycleClock(ROLL_CYCLE.lengthInMillis());
    clock.cycle(0);
    this.queue = SingleChronicleQueueBuilder.binary(dir.queue())
        .rollCycle(ROLL_CYCLE)
        .epoch(0)
        .timeProvider(clock)
        .blockSize(options.blockSize())
        .timeoutMS(options.chronicleTimeoutMillis())
        .build();
    this.files = new CycleFiles(dir.queue(), ROLL_CYCLE, clock, options.preallocateBytes());
    this.segmentBytes = options.segmentBytes();
  }

  static int cycleOf(long queueIndex) {
    return ROLL_CYCLE.toCycle(queueIndex);
  }

  /** A queue index as {@code cycle/sequence}, for messages. */
  static String describe(long qi) {
    return qi == NONE ? "(none)" : ROLL_CYCLE.toCycle(qi) + "/" + ROLL_CYCLE.toSequenceNumber(qi);
  }

  /** The queue itself, for recovery's replay. */
  SingleChronicleQueue queue() {
    return queue;
  }

  CycleFiles files() {
    return files;
  }

  /** Raft index to queue index; recovery fills it, appends keep it. */
  IndexRuns positions() {
    return positions;
  }

  /** The first existing cycle after {@code c}, or null. */
  Integer laterCycle(int c) {
    int last = queue.lastCycle();
    if (last == Integer.MIN_VALUE || last <= c) {
      return null;
    }
    NavigableSet<Long> cycles = queue.listCyclesBetween(c + 1, last);
    return cycles.isEmpty() ? null : cycles.first().intValue();
  }

  /**
   * After recovery: writing resumes in cycle {@code nextCycle} (a fresh cycle file), after the
   * record at {@code lastGood}.
   */
  synchronized void resume(int nextCycle, long lastGood) {
    clock.cycle(nextCycle);
    lastQueueIndex = lastGood;
    reader = queue.createTailer();
    reader.singleThreadedCheckDisabled(true);
  }

  /** Queue index of the last record appended (or recovered), or {@link #NONE}. */
  long lastQueueIndex() {
    return lastQueueIndex;
  }

  /** Whether the current cycle file holds at least {@code bytes} of records. */
  boolean cycleHolds(long bytes) {
    return cycleBytes > 0 && cycleBytes >= bytes;
  }

  /**
   * Appends one record (rolling to a new cycle file first if the current one is full), and maps
   * Raft indexes {@code first .. first + count - 1} to it, replacing any mapping from {@code first}
   * on. Returns its queue index.
   */
  synchronized long appendEntries(ByteBuffer rec, long first, int count) {
    if (cycleBytes >= segmentBytes) {
      roll();
    }
    long qi = append(rec);
    if (count > 0) {
      positions.truncateFrom(first);
      for (int k = 0; k < count; k++) {
        positions.add(qi);
      }
    }
    return qi;
  }

  /**
   * Appends a SNAPSHOT record at {@code index} and drops the mapping it covers (up to {@code
   * index} when {@code keep}, all of it otherwise). Returns its queue index.
   */
  synchronized long appendSnapshot(ByteBuffer rec, long index, boolean keep) {
    long qi = append(rec);
    if (keep) {
      positions.dropUpTo(index);
    } else {
      positions.reset(index + 1);
    }
    return qi;
  }

  /** Creates the appender if there is none yet; each round of writes starts with it. */
  synchronized void openAppender() {
    if (appender == null) {
      appender = queue.createAppender();
      appender.singleThreadedCheckDisabled(true);
    }
  }

  private long append(ByteBuffer rec) {
    long end;
    try (DocumentContext dc = appender.writingDocument()) {
      Bytes<?> bytes = dc.wire().bytes();
      bytes.write(rec.array(), 0, rec.limit());
      end = bytes.writePosition();
    }
    long qi = appender.lastIndexAppended();
    int c = cycleOf(qi);
    files.appended(c, end, lastQueueIndex == NONE || cycleOf(lastQueueIndex) != c);
    cycleBytes += rec.limit() + 4;
    lastQueueIndex = qi;
    return qi;
  }

  /** Starts a new cycle file for the next record. */
  synchronized void roll() {
    if (lastQueueIndex != NONE) {
      files.markDirty(cycleOf(lastQueueIndex)); // it gets an EOF marker
    }
    clock.cycle(clock.cycle() + 1);
    cycleBytes = 0;
  }

  /**
   * Deletes every cycle file before both {@code snapshotCycle} (the cycle holding a durable
   * SNAPSHOT record) and the cycle holding the first entry still in the log: everything in them is
   * dead. Replay of the files left yields the same log (it starts wherever the first file starts).
   */
  synchronized void deleteCyclesBefore(int snapshotCycle) throws IOException {
    int keepFrom = snapshotCycle;
    if (positions.size() > 0) {
      keepFrom = Math.min(keepFrom, cycleOf(positions.get(positions.firstIndex())));
    }
    int deleted = 0;
    int firstCycle = queue.firstCycle();
    if (firstCycle == Integer.MAX_VALUE || firstCycle == Integer.MIN_VALUE || firstCycle >= keepFrom) {
      return;
    }
    for (Long cl : queue.listCyclesBetween(firstCycle, keepFrom - 1)) {
      files.delete(cl.intValue());
      deleted++;
    }
    if (deleted > 0) {
      reader.close();
      queue.refreshDirectoryListing();
      reader = queue.createTailer();
      reader.singleThreadedCheckDisabled(true);
    }
  }

  /**
   * The stored entry at {@code index}, read and checksum-verified.
   *
   * @throws IllegalStateException saying {@code whyNot} if the queue is not readable (closed)
   * @throws IndexOutOfBoundsException if the log does not hold {@code index}
   * @throws IllegalStateException if its record is unreadable or damaged
   */
  @Override
  public synchronized LogEntry read(long index, Supplier<String> whyNot) {
    if (reader == null) {
      throw new IllegalStateException(whyNot.get());
    }
    long qi = positions.get(index);
    if (qi == cachedQueueIndex && index >= cachedFirst && index < cachedFirst + cachedEntries.size()) {
      return cachedEntries.get((int) (index - cachedFirst));
    }
    if (!reader.moveToIndex(qi)) {
      throw new IllegalStateException("queue index " + describe(qi) + " of entry " + index + " is unreadable");
    }
    try (DocumentContext dc = reader.readingDocument()) {
      Bytes<?> b = dc.wire().bytes();
      byte[] raw = new byte[(int) b.readRemaining()];
      b.read(raw);
      if (!(Records.decode(raw, new CRC32C()) instanceof Records.Batch batch)
          || index < batch.firstIndex() || index >= batch.firstIndex() + batch.entries().size()) {
        throw new Records.CorruptRecordException("queue index " + describe(qi) + " does not hold entry " + index);
      }
      cachedQueueIndex = qi;
      cachedFirst = batch.firstIndex();
      cachedEntries = batch.entries();
      return cachedEntries.get((int) (index - cachedFirst));
    } catch (Records.CorruptRecordException e) {
      throw new IllegalStateException("entry " + index + " is damaged: " + e.getMessage());
    }
  }

  /**
   * The bytes of the record at queue index {@code qi}, or null when the queue has none there.
   *
   * @throws IllegalStateException saying {@code whyNot} if the queue is not readable (closed)
   */
  synchronized byte[] readRecord(long qi, Supplier<String> whyNot) {
    if (reader == null) {
      throw new IllegalStateException(whyNot.get());
    }
    if (!reader.moveToIndex(qi)) {
      return null;
    }
    try (DocumentContext dc = reader.readingDocument()) {
      if (!dc.isPresent()) {
        return null;
      }
      Bytes<?> b = dc.wire().bytes();
      byte[] raw = new byte[(int) b.readRemaining()];
      b.read(raw);
      return raw;
    }
  }

  synchronized long firstIndex() {
    return positions.firstIndex();
  }

  synchronized long lastIndex() {
    return positions.lastIndex();
  }

  /** Closes the reader, the appender, the cycle files' channel and the queue. Quiet. */
  @Override
  public synchronized void close() {
    closeQuietly(reader);
    reader = null;
    closeQuietly(appender);
    closeQuietly(files);
    closeQuietly(queue);
  }

  static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception ignored) {
        // best effort on shutdown
      }
    }
  }
}

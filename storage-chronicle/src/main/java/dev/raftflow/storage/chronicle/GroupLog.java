package dev.raftflow.storage.chronicle;

import static dev.raftflow.storage.chronicle.QueueLog.NONE;

import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.HardState;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import java.util.zip.CRC32C;

/**
 * One group's log inside a {@link ChronicleHostLogStore}'s shared queue: where each of its entries
 * is (Raft index to queue index), its hard state and snapshot sequence, which records it still needs
 * (so compaction keeps their files), and, while the host recovers, the replay of its records.
 *
 * <p>Threading: recovery fills it on the thread opening the host; then the host's writer thread
 * changes it, and reads come from the group's loop. {@link #positions}, the read cache and the pins
 * are guarded by the {@link QueueLog}'s monitor; the rest belongs to the writer thread.
 */
final class GroupLog implements RecoveredEntries.EntryReader {
  final String id;
  final int number;
  final QueueLog log;
  final SnapshotFiles snapshots;
  final Path snapshotDir;

  /** Raft index to queue index of the record holding it (a run per record). */
  final IndexRuns positions = new IndexRuns();
  /** The replay of its records (recovery thread), then used up by the group's load(). */
  final LogReplay replay = new LogReplay(positions);
  /** Whether a store of this run loaded it (its replay state is then used up). */
  boolean loaded;
  /** Why the group's recovered data cannot be trusted (its load() refuses), or null. */
  String damage;
  Path damageFile;
  // writer thread
  HardState hard = HardState.INITIAL;
  long snapshotSeq;
  /** Snapshot files seq committed by a durable record, whose older files can go; 0 when none pending. */
  long committedSeq;
  /** Queue index of the record carrying the current hard state, of the last SNAPSHOT record, of the first record seen. */
  long hardQi = NONE;
  long markQi = NONE;
  /** The last SNAPSHOT record's snapshot file seq, index and term (seq 0: none), to write it again forward. */
  long markSeq;
  long markIndex;
  long markTerm;
  long firstQi = NONE;
  private final CRC32C crc = new CRC32C();
  private long cachedQueueIndex = NONE;
  private List<LogEntry> cachedEntries;
  private long cachedFirst;

  GroupLog(String id, int number, QueueLog log, Path snapshotDir) throws java.io.IOException {
    this.id = id;
    this.number = number;
    this.log = log;
    this.snapshotDir = snapshotDir;
    this.snapshots = new SnapshotFiles(snapshotDir);
  }

  /** "group 'id' (number n)", for messages. */
  String describe() {
    return "group '" + id + "' (number " + number + ")";
  }

  // ------------------------------------------------------------------------------------------
  // Replay (the single store's LogReplay, for this group's records only, noting what it pins)

  /** Applies a verified BATCH record at queue index {@code qi}; returns a problem, or null. */
  String replayBatch(long qi, Records.ScannedBatch rb, LogRecovery.BatchScratch scratch) {
    noteRecord(qi);
    if (rb.hardState() != null) {
      hardQi = qi;
    }
    String problem = replay.batch(qi, rb, scratch);
    hard = replay.hard;
    return problem;
  }

  /** Applies a verified SNAPSHOT record at queue index {@code qi}. */
  void replaySnapshot(long qi, Records.SnapshotMark m) {
    noteRecord(qi);
    replay.snapshot(m);
    hard = replay.hard;
    markQi = qi;
    markSeq = m.seq();
    markIndex = m.index();
    markTerm = m.term();
    hardQi = qi;
  }

  /** Notes a record of this group, intact or not (it pins its file while the group keeps it). */
  void noteRecord(long qi) {
    if (firstQi == NONE) {
      firstQi = qi;
    }
  }

  /** Marks the group's data as untrustworthy: its load() refuses saying {@code problem} about {@code file}. */
  void damaged(Path file, String problem) {
    if (damage == null) {
      damage = problem;
      damageFile = file;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Compaction (under the queue's monitor)

  /**
   * The first queue index this group needs for its replay to give its current state (the record
   * holding its first entry, its last SNAPSHOT record, the record carrying its hard state; all of
   * its records when it is damaged), or {@link QueueLog#NONE} when it needs none.
   */
  long neededFrom() {
    if (damage != null) {
      return firstQi;
    }
    long from = Long.MAX_VALUE;
    if (positions.size() > 0) {
      from = Math.min(from, positions.get(positions.firstIndex()));
    }
    if (markQi != NONE) {
      from = Math.min(from, markQi);
    }
    if (hardQi != NONE) {
      from = Math.min(from, hardQi);
    }
    return from == Long.MAX_VALUE ? NONE : from;
  }

  // ------------------------------------------------------------------------------------------
  // Reads (any thread)

  @Override
  public LogEntry read(long index, Supplier<String> whyNot) {
    synchronized (log) {
      long qi = positions.get(index);
      if (qi == cachedQueueIndex && index >= cachedFirst && index < cachedFirst + cachedEntries.size()) {
        return cachedEntries.get((int) (index - cachedFirst));
      }
      byte[] doc = log.readRecord(qi, whyNot);
      if (doc == null) {
        throw new IllegalStateException(describe() + ": queue index " + QueueLog.describe(qi) + " of entry " + index
            + " is unreadable");
      }
      try {
        if (TaggedRecords.groupOf(doc, crc) != number
            || !(Records.decode(TaggedRecords.body(doc), crc) instanceof Records.Batch batch)
            || index < batch.firstIndex() || index >= batch.firstIndex() + batch.entries().size()) {
          throw new Records.CorruptRecordException("queue index " + QueueLog.describe(qi) + " does not hold entry "
              + index);
        }
        cachedQueueIndex = qi;
        cachedFirst = batch.firstIndex();
        cachedEntries = batch.entries();
        return cachedEntries.get((int) (index - cachedFirst));
      } catch (Records.CorruptRecordException e) {
        throw new IllegalStateException(describe() + ": entry " + index + " is damaged: " + e.getMessage());
      }
    }
  }
}

package dev.raftflow.storage.chronicle;

import static dev.raftflow.storage.chronicle.QueueLog.NONE;
import static dev.raftflow.storage.chronicle.QueueLog.cycleOf;
import static dev.raftflow.storage.chronicle.QueueLog.describe;

import dev.raftflow.engine.message.EntryType;
import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.StoredEntryList;
import dev.raftflow.engine.spi.Snapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recovery of a store when it opens: replays the queue, verifying every record's CRC32Cs, rebuilds
 * the log, the hard state and the map from Raft index to queue index, and voids a torn tail.
 *
 * <p>A record that is damaged, missing or torn beyond the acknowledged watermark is the torn tail
 * of the last run: it and everything after it are voided (later cycle files deleted, a cut point
 * in the {@link ResetFile}), and writing resumes in a new cycle file. Damage at or before the
 * watermark means acknowledged data is lost: {@link #run} throws {@link StoreRefusedException}
 * saying where, as it does for a log that contradicts itself or its snapshot file.
 *
 * <p>Runs once, on the thread that loads the store.
 */
final class LogRecovery {
  private static final Logger LOG = LoggerFactory.getLogger(LogRecovery.class);

  /**
   * What recovery found: the state to hand to the node, the snapshot file sequence to continue
   * from, the snapshot's index (0 when none) and the queue index of the last good record.
   */
  record Recovered(PersistentState state, long snapshotSeq, long baseIndex, long lastGood, IndexRuns terms) {}

  private final StoreDirectory dir;
  private final QueueLog log;
  private final AckFile ack;
  private final ResetFile resets;
  private final SnapshotFiles snapshots;
  private final CRC32C crc = new CRC32C();

  LogRecovery(StoreDirectory dir, QueueLog log, AckFile ack, ResetFile resets, SnapshotFiles snapshots) {
    this.dir = dir;
    this.log = log;
    this.ack = ack;
    this.resets = resets;
    this.snapshots = snapshots;
  }

  Recovered run() throws IOException {
    long acked = ack.queueIndex();
    // the entries stay in the queue: recovery keeps their terms (as runs) and where the few
    // configuration entries are, and verifies every one of them
    LogReplay replay = new LogReplay(log.positions());
    BatchScratch scratch = new BatchScratch();
    long lastGood = NONE;
    long damage = NONE;
    String damageWhy = null;

    try (RecordScan scan = new RecordScan(log, resets)) {
      for (RecordScan.Doc doc; (doc = scan.next(lastGood)) != null; ) {
        long qi = doc.qi();
        Records.Record rec = null;
        String bad = doc.bad();
        if (bad == null) {
          try {
            scratch.clear();
            rec = Records.scan(doc.raw(), crc, scratch);
          } catch (Records.CorruptRecordException e) {
            bad = e.getMessage();
          }
        }
        if (bad != null) {
          if (acked != NONE && qi <= acked) {
            throw refused(log.files().file(cycleOf(qi)), "the log is damaged inside the acknowledged region: record at"
                + " queue index " + describe(qi) + " (" + bad + "), acknowledged through " + describe(acked));
          }
          damage = qi;
          damageWhy = bad;
          break;
        }
        lastGood = qi;
        if (rec instanceof Records.ScannedBatch rb) {
          String problem = replay.batch(qi, rb, scratch);
          if (problem != null) {
            throw refused(log.files().file(cycleOf(qi)), problem);
          }
        } else if (rec instanceof Records.SnapshotMark m) {
          replay.snapshot(m);
        }
      }
    }
    if (acked != NONE && (lastGood == NONE || lastGood < acked)) {
      Path missing = log.files().file(cycleOf(acked));
      throw refused(missing, "the log ends at queue index " + describe(lastGood) + " but was acknowledged through "
          + describe(acked) + " (raft index " + ack.raftLastIndex() + ", in this cycle file, which "
          + (Files.exists(missing) ? "exists" : "is missing") + "): acknowledged entries are lost");
    }
    voidTail(dir, log, resets, damage, damageWhy, lastGood);
    return finish(replay.hard, replay.mark, replay.terms, replay.configs, lastGood);
  }

  private StoreRefusedException refused(Path file, String problem) {
    return new StoreRefusedException(dir.path(), file, problem, StoreRefusedException.Recovery.WIPE_AND_REJOIN);
  }

  /**
   * Drops cycles after a damaged one ({@code damage}, or {@link QueueLog#NONE}), cuts the last
   * cycle after {@code lastGood}, resumes writing in a new one. Shared with {@link HostRecovery}.
   */
  static void voidTail(StoreDirectory dir, QueueLog log, ResetFile resets, long damage, String damageWhy, long lastGood)
      throws IOException {
    SingleChronicleQueue queue = log.queue();
    int lastCycle = queue.lastCycle();
    if (damage != NONE) {
      int dc = cycleOf(damage);
      for (Integer c = log.laterCycle(dc); c != null; c = log.laterCycle(c)) {
        log.files().delete(c);
      }
      queue.refreshDirectoryListing();
      lastCycle = dc;
      LOG.warn("log in {}: dropped the unacknowledged tail from queue index {} ({})", dir.path(), describe(damage),
          damageWhy);
    }
    if (lastCycle != Integer.MIN_VALUE) {
      long cutAt = lastGood != NONE && cycleOf(lastGood) == lastCycle
          ? lastGood + 1 : QueueLog.ROLL_CYCLE.toIndex(lastCycle, 0);
      resets.add(lastCycle, cutAt);
      log.resume(lastCycle + 1, lastGood);
    } else {
      log.resume(1, lastGood);
    }
  }

  /** Reads the snapshot the log installed and checks that the log and the snapshot fit together. */
  private Recovered finish(HardState hard, Records.SnapshotMark mark, IndexRuns terms, ConfigIndexes configs,
      long lastGood) throws IOException {
    boolean empty = log.positions().size() == 0;
    long first = terms.firstIndex();
    Snapshot snapshot = null;
    long snapshotSeq = 0;
    long baseIndex = 0;
    if (mark != null) {
      snapshot = snapshots.read(mark.seq());
      if (snapshot.index() != mark.index() || snapshot.term() != mark.term()) {
        throw refused(snapshots.file(mark.seq()), "the snapshot file holds " + snapshot.index() + "@" + snapshot.term()
            + " but the log installed " + mark.index() + "@" + mark.term());
      }
      snapshotSeq = mark.seq();
      baseIndex = mark.index();
    }
    snapshots.deleteAllBut(mark == null ? -1 : mark.seq());
    snapshotSeq = Math.max(snapshotSeq, snapshots.maxSeq());
    if (!empty && first != baseIndex + 1) {
      throw refused(dir.queue(), "the log is inconsistent: entries start at " + first + " but the snapshot ends at "
          + baseIndex);
    }
    if (empty) {
      log.positions().reset(baseIndex + 1);
      terms.reset(baseIndex + 1);
      configs.clear();
    }
    RecoveredEntries stored = new RecoveredEntries(terms.copy(), configs.toArray(), log);
    PersistentState state = new PersistentState(hard, snapshot, new StoredEntryList(stored));
    return new Recovered(state, snapshotSeq, baseIndex, lastGood, terms);
  }

  /** The terms and configuration entries of the batch being scanned, until it is placed. */
  static final class BatchScratch implements Records.EntrySink {
    private long[] terms = new long[1024];
    private int count;
    private final java.util.List<Long> configs = new java.util.ArrayList<>();

    void clear() {
      count = 0;
      configs.clear();
    }

    @Override
    public void entry(long index, long term, EntryType type) {
      if (count == terms.length) {
        terms = java.util.Arrays.copyOf(terms, count * 2);
      }
      terms[count++] = term;
      if (type == EntryType.CONFIG) {
        configs.add(index);
      }
    }

    long term(int k) {
      return terms[k];
    }

    void configsTo(ConfigIndexes out) {
      for (long c : configs) {
        out.add(c);
      }
    }
  }
}

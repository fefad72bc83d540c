package dev.raftflow.storage.chronicle;

import static dev.raftflow.storage.chronicle.QueueLog.NONE;
import static dev.raftflow.storage.chronicle.QueueLog.cycleOf;
import static dev.raftflow.storage.chronicle.QueueLog.describe;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32C;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Recovery of a {@link ChronicleHostLogStore} when it opens: replays the shared queue once, hands
 * each intact record to its group's {@link GroupLog} (which rebuilds that group's log and hard
 * state as {@link LogRecovery} does for a single store), and voids a torn tail.
 *
 * <p>Damage inside the acknowledged region is judged per group where it can be: a record whose tag
 * names a group but whose body is damaged (or contradicts the group's log) marks that group
 * damaged, and its {@code load()} refuses, while the scan goes on for the others. A document
 * Chronicle cannot read, a damaged tag or an unknown group number inside the acknowledged region
 * cannot be given to one group: the host refuses to open. Beyond the watermark any damage is the
 * torn tail of the last run: it and everything after it are voided for every group.
 *
 * <p>Runs once, on the thread opening the host.
 */
final class HostRecovery {
  private final StoreDirectory dir;
  private final QueueLog log;
  private final AckFile ack;
  private final ResetFile resets;
  private final GroupTable table;
  private final Map<Integer, GroupLog> groups;
  private final CRC32C crc = new CRC32C();

  HostRecovery(StoreDirectory dir, QueueLog log, AckFile ack, ResetFile resets, GroupTable table,
      Map<Integer, GroupLog> groups) {
    this.dir = dir;
    this.log = log;
    this.ack = ack;
    this.resets = resets;
    this.table = table;
    this.groups = groups;
  }

  /** Replays the queue into the groups; returns the queue index of the last good record. */
  long run() throws IOException {
    long acked = ack.queueIndex();
    LogRecovery.BatchScratch scratch = new LogRecovery.BatchScratch();
    long lastGood = NONE;
    long damage = NONE;
    String damageWhy = null;
    try (RecordScan scan = new RecordScan(log, resets)) {
      for (RecordScan.Doc doc; (doc = scan.next(lastGood)) != null; ) {
        long qi = doc.qi();
        byte[] raw = doc.raw();
        String bad = doc.bad();
        GroupLog group = null;
        Records.Record rec = null;
        String groupBad = null;
        if (bad == null) {
          try {
            int number = TaggedRecords.groupOf(raw, crc);
            group = groups.get(number);
            if (group == null && !table.isDeleted(number)) {
              bad = "group number " + number + " is not in the group table";
            }
          } catch (Records.CorruptRecordException e) {
            bad = e.getMessage();
          }
        }
        if (bad == null && group != null) {
          try {
            scratch.clear();
            rec = Records.scan(TaggedRecords.body(raw), crc, scratch);
          } catch (Records.CorruptRecordException e) {
            groupBad = e.getMessage();
          }
        }
        boolean inAcked = acked != NONE && qi <= acked;
        if (bad != null || (groupBad != null && !inAcked)) {
          if (inAcked) {
            throw new StoreRefusedException(dir.path(), log.files().file(cycleOf(qi)), "the shared log is damaged inside"
                + " the acknowledged region where no single group can be blamed: record at queue index " + describe(qi)
                + " (" + bad + "), acknowledged through " + describe(acked), StoreRefusedException.Recovery.WIPE_AND_REJOIN);
          }
          damage = qi;
          damageWhy = bad != null ? bad : group.describe() + ": " + groupBad;
          break;
        }
        lastGood = qi;
        if (group == null || group.damage != null) {
          if (group != null) {
            group.noteRecord(qi);
          }
          continue; // a deleted group's garbage, or a group already refused
        }
        Path file = log.files().file(cycleOf(qi));
        if (groupBad != null) {
          group.noteRecord(qi);
          group.damaged(file, "the group's record at queue index " + describe(qi) + " inside the acknowledged region is"
              + " damaged (" + groupBad + "), acknowledged through " + describe(acked));
        } else if (rec instanceof Records.ScannedBatch rb) {
          String problem = group.replayBatch(qi, rb, scratch);
          if (problem != null) {
            group.damaged(file, problem);
          }
        } else if (rec instanceof Records.SnapshotMark m) {
          group.replaySnapshot(qi, m);
        }
      }
    }
    if (acked != NONE && (lastGood == NONE || lastGood < acked)) {
      Path missing = log.files().file(cycleOf(acked));
      throw new StoreRefusedException(dir.path(), missing, "the shared log ends at queue index " + describe(lastGood)
          + " but was acknowledged through " + describe(acked) + " (in this cycle file, which "
          + (Files.exists(missing) ? "exists" : "is missing") + "): acknowledged entries are lost",
          StoreRefusedException.Recovery.WIPE_AND_REJOIN);
    }
    LogRecovery.voidTail(dir, log, resets, damage, damageWhy, lastGood);
    return lastGood;
  }

  /**
   * Replays group {@code g}'s records again, from the cycle holding queue index {@code from} (the
   * first record the group needs, or {@link QueueLog#NONE} when it needs none) up to {@code
   * lastQi}, cut points respected: a group reopened in a running host gets its state from its
   * records as at a restart. The writer may append meanwhile; records after {@code lastQi} are
   * not read.
   */
  static void replayGroup(QueueLog log, ResetFile resets, GroupLog g, long from, long lastQi) {
    if (lastQi == NONE || from == NONE) {
      return;
    }
    CRC32C crc = new CRC32C();
    LogRecovery.BatchScratch scratch = new LogRecovery.BatchScratch();
    try (ExcerptTailer t = log.queue().createTailer()) {
      t.singleThreadedCheckDisabled(true);
      if (!t.moveToCycle(cycleOf(from))) {
        t.toStart();
      }
      while (g.damage == null) {
        long qi;
        byte[] raw = null;
        try (DocumentContext dc = t.readingDocument()) {
          if (dc.isPresent()) {
            qi = dc.index();
            Bytes<?> b = dc.wire().bytes();
            raw = new byte[(int) b.readRemaining()];
            b.read(raw);
          } else {
            qi = t.index();
          }
        }
        int c = cycleOf(qi);
        Long cut = resets.cut(c);
        if (raw == null || (cut != null && qi >= cut)) {
          Integer next = log.laterCycle(c);
          if (next == null || QueueLog.ROLL_CYCLE.toIndex(next, 0) > lastQi || !t.moveToCycle(next)) {
            return;
          }
          continue;
        }
        if (qi > lastQi) {
          return;
        }
        Path file = log.files().file(c);
        int number;
        try {
          number = TaggedRecords.groupOf(raw, crc);
        } catch (Records.CorruptRecordException e) {
          continue; // no group's: the host's recovery judged it
        }
        if (number != g.number) {
          continue;
        }
        try {
          scratch.clear();
          Records.Record rec = Records.scan(TaggedRecords.body(raw), crc, scratch);
          if (rec instanceof Records.ScannedBatch rb) {
            String problem = g.replayBatch(qi, rb, scratch);
            if (problem != null) {
              g.damaged(file, problem);
            }
          } else if (rec instanceof Records.SnapshotMark m) {
            g.replaySnapshot(qi, m);
          }
        } catch (Records.CorruptRecordException e) {
          g.noteRecord(qi);
          g.damaged(file, "record at queue index " + describe(qi) + " is damaged (" + e.getMessage() + ")");
        }
      }
    }
  }
}

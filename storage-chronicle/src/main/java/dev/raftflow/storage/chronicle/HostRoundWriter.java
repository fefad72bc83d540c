package dev.raftflow.storage.chronicle;

import static dev.raftflow.storage.chronicle.QueueLog.NONE;

import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.Snapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.zip.CRC32C;

/**
 * Writes rounds of many groups' {@link PendingWrite}s to a {@link ChronicleHostLogStore}'s shared
 * queue (group commit across groups): each group's writes of the round, in its call order, become
 * as few group-tagged records as they can (the BATCH and SNAPSHOT records of {@link RoundWriter},
 * by the same rules); then one sync makes the whole round durable, the watermark is recorded, and
 * the futures complete in round order (so in each group's call order). After a snapshot, or when
 * asked, it compacts: a cycle file goes once no group needs any record in it.
 *
 * <p>Used by one thread at a time: the host's writer thread (or the caller in inline mode, under
 * the host's lock).
 */
final class HostRoundWriter implements WriterThread.Rounds {
  /** Most live entries of a group that compaction writes forward instead of waiting for its snapshot. */
  static final int REWRITE_MAX_ENTRIES = 1024;
  /** Most live entries of all groups that one compaction writes forward (bounds the extra writing). */
  static final int REWRITE_MAX_TOTAL = 64 * REWRITE_MAX_ENTRIES;

  private final ChronicleLogStore.Options options;
  private final QueueLog log;
  private final AckFile ack;
  private final Supplier<Collection<GroupLog>> groups;
  private final long maxBatchBytes;
  private final CRC32C crc = new CRC32C();
  private final Records.BatchEncoder batch = new Records.BatchEncoder(crc);
  private final TaggedRecords tags = new TaggedRecords(crc);
  private ByteBuffer encodeBuf = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
  private long syncedQueueIndex;
  private volatile long syncs;
  private volatile boolean compactRequested;

  HostRoundWriter(ChronicleLogStore.Options options, QueueLog log, AckFile ack, long lastGood,
      Supplier<Collection<GroupLog>> groups) {
    this.options = options;
    this.log = log;
    this.ack = ack;
    this.groups = groups;
    this.maxBatchBytes = Math.max(4096, options.blockSize() / 8);
    this.syncedQueueIndex = lastGood;
  }

  long syncCount() {
    return syncs;
  }

  /** Compacts after the next round (e.g. a group was deleted). */
  void requestCompaction() {
    compactRequested = true;
  }

  @Override
  public void write(List<PendingWrite> round, boolean forceSync, boolean syncAck) throws IOException {
    boolean sync = forceSync || options.durability() == Durability.FSYNC;
    boolean compact = compactRequested;
    compactRequested = false;
    long lastBefore = log.lastQueueIndex();
    Map<GroupLog, List<PendingWrite>> byGroup = new LinkedHashMap<>();
    for (PendingWrite x : round) {
      if (x.write() != null && x.group() != null) {
        byGroup.computeIfAbsent(x.group(), g -> new ArrayList<>()).add(x);
      }
    }
    synchronized (log) {
      log.openAppender();
      for (Map.Entry<GroupLog, List<PendingWrite>> e : byGroup.entrySet()) {
        GroupLog g = e.getKey();
        for (PendingWrite x : e.getValue()) {
          LogWrite w = x.write();
          sync |= w.hardState() != null || w.snapshot() != null;
          compact |= add(g, x);
        }
        flushBatch(g);
      }
      // a new cycle file: perhaps the oldest can go now, or once small groups are written forward
      compact |= lastBefore != NONE && log.lastQueueIndex() != NONE
          && QueueLog.cycleOf(log.lastQueueIndex()) != QueueLog.cycleOf(lastBefore);
    }
    if (sync) {
      log.files().syncDirty();
      syncs++;
      syncedQueueIndex = log.lastQueueIndex();
    }
    if (syncedQueueIndex != NONE) {
      ack.write(syncedQueueIndex, 0);
    }
    if (syncAck) {
      ack.sync();
    }
    if (compact) {
      compact(byGroup.keySet());
    }
    for (PendingWrite x : round) {
      if (x.write() != null) {
        x.future().complete(null);
      }
    }
    if (options.durability() == Durability.FSYNC && options.preallocateBytes() > 0) {
      log.files().preallocate();
    }
  }

  /** Adds one write of group {@code g} (as {@link RoundWriter} does); returns whether it wrote a snapshot. */
  private boolean add(GroupLog g, PendingWrite x) throws IOException {
    LogWrite w = x.write();
    Snapshot s = w.snapshot();
    boolean snapshot = false;
    if (s != null) {
      flushBatch(g);
      if (w.hardState() != null) {
        g.hard = w.hardState();
      }
      long seq = ++g.snapshotSeq;
      g.snapshots.write(seq, s);
      if (log.cycleHolds(options.rollOnSnapshotBytes())) {
        log.roll();
      }
      ByteBuffer rec = Records.encodeSnapshot(seq, s.index(), s.term(), x.keep(), g.hard,
          buffer(Records.maxHardSize(g.hard) + 32), crc);
      long qi = append(g, rec);
      if (x.keep()) {
        g.positions.dropUpTo(s.index());
      } else {
        g.positions.reset(s.index() + 1);
      }
      g.markQi = qi;
      g.hardQi = qi;
      g.markSeq = seq;
      g.markIndex = s.index();
      g.markTerm = s.term();
      g.committedSeq = seq;
      snapshot = true;
    } else if (w.hardState() != null) {
      g.hard = w.hardState();
      flushBatch(g);
      batch.begin(g.hard);
    }
    batch.addRun(w.entries(), maxBatchBytes, () -> flushBatch(g));
    return snapshot;
  }

  /** Appends group {@code g}'s BATCH record being built, if any, and maps its entries to it. */
  private void flushBatch(GroupLog g) {
    if (!batch.isOpen()) {
      return;
    }
    int count = batch.count();
    long first = batch.firstIndex();
    boolean hard = batch.hasHardState();
    long qi = append(g, batch.finish());
    if (count > 0) {
      g.positions.truncateFrom(first);
      for (int k = 0; k < count; k++) {
        g.positions.add(qi);
      }
    }
    if (hard) {
      g.hardQi = qi;
    }
  }

  private long append(GroupLog g, ByteBuffer rec) {
    long qi = log.appendEntries(tags.tag(g.number, rec), 0, 0);
    g.noteRecord(qi);
    return qi;
  }

  private ByteBuffer buffer(int size) {
    if (encodeBuf.capacity() < size) {
      encodeBuf = ByteBuffer.allocate(Math.max(size, encodeBuf.capacity() * 2)).order(ByteOrder.LITTLE_ENDIAN);
    }
    return encodeBuf;
  }

  /**
   * Once the round is durable: drops the snapshot files the groups' new snapshots replaced, and
   * the cycle files before the first one any group still needs.
   */
  private void compact(Collection<GroupLog> written) throws IOException {
    for (GroupLog g : written) {
      if (g.committedSeq != 0) {
        g.snapshots.deleteAllBut(g.committedSeq);
        g.committedSeq = 0;
      }
    }
    synchronized (log) {
      if (rewriteForward()) {
        log.files().syncDirty(); // the copies are durable before the originals' file goes
        syncs++;
        syncedQueueIndex = log.lastQueueIndex();
        ack.write(syncedQueueIndex, 0);
      }
      log.deleteCyclesBefore(firstNeededCycle());
    }
  }

  /**
   * Writes small groups that pin the oldest cycle file forward: when the first needed cycle is
   * older than the one before the current one, and every group needing a record in it has at most
   * {@value #REWRITE_MAX_ENTRIES} live entries ({@value #REWRITE_MAX_TOTAL} in all), each gets its SNAPSHOT record (if any), hard state and live entries appended again,
   * unchanged (replay gives the same state: a BATCH replaces the entries from its first index on),
   * so that its pins move to the current cycle. A group with more entries is left to snapshot
   * ({@link ChronicleHostLogStore#pinningGroups()}). Under the queue's monitor; returns whether
   * anything was written.
   */
  private boolean rewriteForward() {
    long last = log.lastQueueIndex();
    if (last == NONE) {
      return false;
    }
    int current = QueueLog.cycleOf(last);
    int oldest = firstNeededCycle();
    if (oldest >= current - 1) {
      return false; // the current file and the one before it stay anyway
    }
    List<GroupLog> pinning = new ArrayList<>();
    long entries = 0;
    for (GroupLog g : groups.get()) {
      long from = g.neededFrom();
      if (from != NONE && QueueLog.cycleOf(from) == oldest) {
        entries += g.positions.size();
        if (g.damage != null || g.positions.size() > REWRITE_MAX_ENTRIES || entries > REWRITE_MAX_TOTAL) {
          return false; // the file stays for this one anyway: copying the others would gain nothing
        }
        pinning.add(g);
      }
    }
    for (GroupLog g : pinning) {
      List<LogEntry> live = new ArrayList<>(g.positions.size());
      for (long i = g.positions.firstIndex(); i <= g.positions.lastIndex(); i++) {
        live.add(g.read(i, () -> "the host log store is closed"));
      }
      if (g.markSeq != 0) {
        ByteBuffer rec = Records.encodeSnapshot(g.markSeq, g.markIndex, g.markTerm, true, g.hard,
            buffer(Records.maxHardSize(g.hard) + 32), crc);
        long qi = append(g, rec);
        g.markQi = qi;
        g.hardQi = qi;
      } else if (g.hardQi != NONE) {
        batch.begin(g.hard);
      }
      batch.addRun(live, maxBatchBytes, () -> flushBatch(g));
      flushBatch(g);
    }
    return !pinning.isEmpty();
  }

  /** The first cycle any group needs (the current one when none needs an older one). Under the queue's monitor. */
  int firstNeededCycle() {
    int keep = log.lastQueueIndex() == NONE ? Integer.MAX_VALUE : QueueLog.cycleOf(log.lastQueueIndex());
    for (GroupLog g : groups.get()) {
      long from = g.neededFrom();
      if (from != NONE) {
        keep = Math.min(keep, QueueLog.cycleOf(from));
      }
    }
    return keep;
  }
}

package dev.raftflow.storage.chronicle;

import static dev.raftflow.storage.chronicle.QueueLog.NONE;

import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.Snapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Writes rounds of {@link PendingWrite}s (group commit): appends them as few records as it can,
 * makes the round durable per the {@link Durability} policy with one sync, records the watermark
 * in the {@link AckFile}, compacts after a snapshot, and completes the futures in call order.
 *
 * <p>Consecutive writes that append to the run of the previous one share its BATCH record, up to
 * an eighth of a Chronicle block; a write that replaces a suffix, or carries a term or vote,
 * starts a new one; a snapshot writes its file, then a SNAPSHOT record of its own. In OS_CACHE
 * mode a round is synced only when it carries a hard state or a snapshot (or the store closes).
 *
 * <p>Used by one thread at a time: the store's writer thread, or the caller in inline mode.
 */
final class RoundWriter implements WriterThread.Rounds {

  /** A SNAPSHOT record written: its snapshot file seq, index, and the cycle holding it. */
  private record Committed(long seq, long index, int cycle) {}

  private final ChronicleLogStore.Options options;
  private final QueueLog log;
  private final AckFile ack;
  private final SnapshotFiles snapshots;
  private final long maxBatchBytes;
  private final CRC32C crc = new CRC32C();
  private final Records.BatchEncoder batch = new Records.BatchEncoder(crc);
  private ByteBuffer encodeBuf = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
  private HardState hard;
  private long snapshotSeq;
  private long syncedQueueIndex;
  private volatile long syncs;

  RoundWriter(ChronicleLogStore.Options options, QueueLog log, AckFile ack, SnapshotFiles snapshots,
      LogRecovery.Recovered recovered) {
    this.options = options;
    this.log = log;
    this.ack = ack;
    this.snapshots = snapshots;
    // Chronicle keeps a document within a quarter of a block; stay well inside it.
    this.maxBatchBytes = Math.max(4096, options.blockSize() / 8);
    this.hard = recovered.state().hardState();
    this.snapshotSeq = recovered.snapshotSeq();
    this.syncedQueueIndex = recovered.lastGood();
  }

  /** Number of sync rounds so far. */
  long syncCount() {
    return syncs;
  }

  /**
   * Writes {@code round} (a {@link PendingWrite#CLOSE} in it is skipped), syncs when the policy,
   * the round's content or {@code forceSync} asks, writes the watermark (and syncs the ack file
   * when {@code syncAck}), then completes the round's futures in order.
   */
  @Override
  public void write(List<PendingWrite> round, boolean forceSync, boolean syncAck) throws IOException {
    boolean sync = forceSync || options.durability() == Durability.FSYNC;
    Committed committed = null;
    synchronized (log) {
      log.openAppender();
      for (int k = 0, n = round.size(); k < n; k++) {
        PendingWrite x = round.get(k);
        if (x.write() == null) {
          continue;
        }
        LogWrite w = x.write();
        sync |= w.hardState() != null || w.snapshot() != null;
        Committed m = add(x);
        if (m != null) {
          committed = m;
        }
      }
      flushBatch();
    }
    if (sync) {
      log.files().syncDirty();
      syncs++;
      syncedQueueIndex = log.lastQueueIndex();
    }
    // The watermark only ever names synced data (in OS_CACHE mode it lags the acknowledgements).
    if (syncedQueueIndex != NONE) {
      ack.write(syncedQueueIndex, log.positions().lastIndex());
    }
    if (syncAck) {
      ack.sync();
    }
    if (committed != null) {
      compact(committed); // before completing: whoever sees the snapshot durable sees it compacted
    }
    for (int k = 0, n = round.size(); k < n; k++) {
      PendingWrite x = round.get(k);
      if (x.write() != null) {
        x.future().complete(null);
      }
    }
    if (options.durability() == Durability.FSYNC && options.preallocateBytes() > 0) {
      log.files().preallocate();
    }
  }

  /**
   * Adds a write to the BATCH record being built (starting a new one when it must); a snapshot
   * writes the batch so far and its own record. Returns the snapshot record written, if any.
   */
  private Committed add(PendingWrite x) throws IOException {
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
      if (log.cycleHolds(options.rollOnSnapshotBytes())) {
        log.roll();
      }
      ByteBuffer rec = Records.encodeSnapshot(seq, s.index(), s.term(), x.keep(), hard,
          buffer(Records.maxHardSize(hard) + 32), crc);
      long qi = log.appendSnapshot(rec, s.index(), x.keep());
      mark = new Committed(seq, s.index(), QueueLog.cycleOf(qi));
    } else if (w.hardState() != null) {
      hard = w.hardState();
      flushBatch(); // the hard state goes in the header of a new batch
      batch.begin(hard);
    }
    batch.addRun(w.entries(), maxBatchBytes, this::flushBatch);
    return mark;
  }

  /** Appends the BATCH record being built, if any, and maps its entries to it. */
  private void flushBatch() {
    if (!batch.isOpen()) {
      return;
    }
    int count = batch.count();
    long first = batch.firstIndex();
    log.appendEntries(batch.finish(), first, count);
  }

  private ByteBuffer buffer(int size) {
    if (encodeBuf.capacity() < size) {
      encodeBuf = ByteBuffer.allocate(Math.max(size, encodeBuf.capacity() * 2)).order(ByteOrder.LITTLE_ENDIAN);
    }
    return encodeBuf;
  }

  /**
   * After snapshot record {@code m} is durable: drops older snapshot files and the cycle files
   * everything in which is dead (see {@link QueueLog#deleteCyclesBefore}).
   */
  private void compact(Committed m) throws IOException {
    snapshots.deleteAllBut(m.seq());
    log.deleteCyclesBefore(m.cycle());
  }
}

package dev.raftflow.storage.chronicle;

import dev.raftflow.engine.spi.HardState;

/**
 * The replay of one log's records during recovery (a {@link ChronicleLogStore}'s, or one group's
 * in a {@link ChronicleHostLogStore}): from each verified BATCH and SNAPSHOT record, in queue
 * order, the hard state, the latest snapshot mark, the terms and configuration entries of the
 * entries held, and where each entry is (Raft index to queue index, in {@code positions}).
 *
 * <p>Replay may start at any record of a suffix of the history that holds every record the log
 * still needs (compaction deletes whole files before it): the result is the same. Not
 * thread-safe: the recovering thread's.
 */
final class LogReplay {
  final IndexRuns terms = new IndexRuns();
  final ConfigIndexes configs = new ConfigIndexes();
  final IndexRuns positions;
  HardState hard = HardState.INITIAL;
  Records.SnapshotMark mark;

  LogReplay(IndexRuns positions) {
    this.positions = positions;
  }

  /**
   * Applies a verified BATCH record at queue index {@code qi} whose entries' terms and types
   * {@code scratch} holds; returns what is wrong when it contradicts the log, or null.
   */
  String batch(long qi, Records.ScannedBatch rb, LogRecovery.BatchScratch scratch) {
    if (rb.hardState() != null) {
      hard = rb.hardState();
    }
    if (rb.count() == 0) {
      return null;
    }
    long i = rb.firstIndex();
    long heldLast = positions.lastIndex(); // entries held before this batch
    if (positions.size() == 0 || i < positions.firstIndex()) {
      terms.reset(i);
      configs.clear();
      positions.reset(i);
    } else if (i > heldLast + 1) {
      return "the log is inconsistent: entry " + i + " at queue index " + QueueLog.describe(qi) + " follows entry "
          + heldLast;
    } else {
      terms.truncateFrom(i);
      configs.truncateFrom(i);
      positions.truncateFrom(i);
    }
    for (int k = 0; k < rb.count(); k++) {
      terms.add(scratch.term(k));
      positions.add(qi);
    }
    scratch.configsTo(configs);
    return null;
  }

  /** Applies a verified SNAPSHOT record: its hard state, and drops the entries it covers. */
  void snapshot(Records.SnapshotMark m) {
    mark = m;
    hard = m.hardState();
    if (m.keep() && positions.size() > 0 && m.index() < positions.lastIndex()) {
      if (m.index() >= positions.firstIndex()) {
        terms.dropUpTo(m.index());
        configs.dropUpTo(m.index());
        positions.dropUpTo(m.index());
      }
    } else {
      terms.reset(m.index() + 1);
      configs.clear();
      positions.reset(m.index() + 1);
    }
  }
}

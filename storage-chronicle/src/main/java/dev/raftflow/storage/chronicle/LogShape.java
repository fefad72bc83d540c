package dev.raftflow.storage.chronicle;

import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.Snapshot;
import java.util.List;

/**
 * The shape of the log (the snapshot's index and the term of each entry) as the writes handed over
 * so far leave it, before they are written: what {@link ChronicleLogStore#write} checks a write
 * against, and where it learns whether a snapshot keeps the entries after it.
 *
 * <p>Used on the node's event loop only; not thread-safe.
 */
final class LogShape {
  private final IndexRuns terms;
  private long baseIndex;

  /** Starts from what recovery found: the terms of the entries after {@code baseIndex}. */
  LogShape(IndexRuns recovered, long baseIndex) {
    this.baseIndex = baseIndex;
    this.terms = recovered;
  }

  /**
   * Checks {@code w} against the log; if it fits, applies it to the shape and returns whether its
   * snapshot (if any) keeps the entries after it (the stored entry at its index has its term).
   *
   * @throws IllegalStateException if the entries leave a gap, are not consecutive or replace an
   *     entry the snapshot covers; nothing is applied then
   * @throws IllegalArgumentException if an entry is larger than {@code maxEntryBytes}
   */
  boolean apply(LogWrite w, int maxEntryBytes, long blockSize) {
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
        if (e.data().length > maxEntryBytes) {
          throw new IllegalArgumentException("entry " + e.index() + " holds " + e.data().length
              + " bytes; this store takes at most " + maxEntryBytes + " per entry (a quarter of its "
              + blockSize + "-byte block, less record headers)");
        }
      }
    }
    if (snap != null) {
      if (keep) {
        terms.dropUpTo(snap.index());
      } else {
        terms.reset(snap.index() + 1);
      }
      baseIndex = snap.index();
    }
    if (!es.isEmpty()) {
      terms.truncateFrom(es.get(0).index());
      for (LogEntry e : es) {
        terms.add(e.term());
      }
    }
    return keep;
  }
}

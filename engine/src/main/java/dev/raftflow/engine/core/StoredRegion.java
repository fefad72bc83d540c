package dev.raftflow.engine.core;

import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.EntryReader;
import dev.raftflow.engine.spi.StoredEntries;
import java.util.Arrays;
import java.util.List;

/**
 * The entries of a {@link RaftLog} left in the store: first those the store recovered ({@link
 * StoredEntries}), then those the node released from memory once applied and durable (read back
 * through the store's {@link EntryReader}). Keeps only the terms of released entries, one run per
 * term. Answers for the indexes its log still holds there; the log stops asking for an index once
 * it dropped or replaced it. Not thread-safe: owned by the core.
 */
final class StoredRegion {

  private final StoredEntries recovered;
  /** Last index read through {@code recovered}; entries after it were released. */
  private long recoveredLast;
  private final EntryReader reader;
  /** Released entries: run k covers runStart[k] .. runStart[k+1]-1 (the last run: .. last). */
  private long[] runStart = new long[4];
  private long[] runTerm = new long[4];
  private int runs;
  private long last;

  private StoredRegion(StoredEntries recovered, long recoveredLast, EntryReader reader) {
    this.recovered = recovered;
    this.recoveredLast = recoveredLast;
    this.reader = reader;
    this.last = recoveredLast;
  }

  /** The store's recovered entries; entries released after them need {@link #withReader}. */
  static StoredRegion recovered(StoredEntries recovered) {
    return new StoredRegion(recovered, recovered.lastIndex(), null);
  }

  /** An empty region whose first released entry will be {@code after + 1}. */
  static StoredRegion empty(long after, EntryReader reader) {
    return new StoredRegion(null, after, reader);
  }

  /** The same region, reading released entries through {@code r} (before any is released). */
  StoredRegion withReader(EntryReader r) {
    if (runs > 0) {
      throw new IllegalStateException("entries were released through another reader");
    }
    return new StoredRegion(recovered, recoveredLast, r);
  }

  /**
   * Adds {@code entries}, consecutive from {@code upTo + 1} where {@code upTo} is the last index
   * the log still holds here (anything after it was replaced).
   */
  void release(long upTo, List<LogEntry> entries) {
    truncateAfter(upTo);
    for (LogEntry e : entries) {
      if (e.index() != last + 1) {
        throw new IllegalStateException("released entry " + e.index() + " does not follow " + last);
      }
      if (runs == 0 || runTerm[runs - 1] != e.term()) {
        if (runs == runStart.length) {
          runStart = Arrays.copyOf(runStart, runs * 2);
          runTerm = Arrays.copyOf(runTerm, runs * 2);
        }
        runStart[runs] = e.index();
        runTerm[runs] = e.term();
        runs++;
      }
      last = e.index();
    }
  }

  private void truncateAfter(long index) {
    if (index >= last) {
      return;
    }
    if (index <= recoveredLast) { // recovered entries after it were replaced: the store reads their successors
      recoveredLast = index;
      runs = 0;
      last = index;
      return;
    }
    while (runs > 0 && runStart[runs - 1] > index) {
      runs--;
    }
    last = index;
  }

  long termAt(long index) {
    if (index <= recoveredLast) {
      return recovered().termAt(index);
    }
    checkReleased(index);
    int lo = 0;
    int hi = runs - 1;
    while (lo < hi) { // the last run starting at or before index
      int mid = (lo + hi + 1) >>> 1;
      if (runStart[mid] <= index) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return runTerm[lo];
  }

  LogEntry read(long index) {
    if (index <= recoveredLast) {
      return recovered().read(index);
    }
    checkReleased(index);
    LogEntry e = reader.read(index);
    if (e.index() != index) {
      throw new IllegalStateException("the store read entry " + e.index() + " for " + index);
    }
    return e;
  }

  private StoredEntries recovered() {
    if (recovered == null) {
      throw new IndexOutOfBoundsException("no recovered entries in this store region");
    }
    return recovered;
  }

  private void checkReleased(long index) {
    if (index > last || runs == 0 || index < runStart[0]) {
      throw new IndexOutOfBoundsException("entry " + index + " is not in the store region (.." + last + ")");
    }
  }
}

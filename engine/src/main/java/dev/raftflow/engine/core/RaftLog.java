package dev.raftflow.engine.core;

import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.Snapshot;
import java.util.ArrayList;
import java.util.List;

/**
 * The entries one member holds in memory, after a "base" (index and term of the entry just before
 * the first one held, 0/0 for an empty log). The base is the latest snapshot's, or earlier on a
 * leader that keeps entries behind its snapshot for followers catching up from it: the snapshot
 * is tracked by {@link MemberLog}, not here. Compacted entries are dropped from the backing list so
 * the GC frees them. Not thread-safe: owned by the core.
 */
final class RaftLog {

  private ArrayList<LogEntry> entries = new ArrayList<>();
  private long baseIndex;
  private long baseTerm;

  RaftLog(Snapshot snapshot, List<LogEntry> restored) {
    if (snapshot != null) {
      baseIndex = snapshot.index();
      baseTerm = snapshot.term();
    }
    long expect = baseIndex + 1;
    for (LogEntry e : restored) {
      if (e.index() != expect) {
        throw new IllegalStateException("restored log is not consecutive: expected index " + expect + ", got " + e.index());
      }
      entries.add(e);
      expect++;
    }
  }

  long baseIndex() {
    return baseIndex;
  }

  long baseTerm() {
    return baseTerm;
  }

  long firstIndex() {
    return baseIndex + 1;
  }

  long lastIndex() {
    return baseIndex + entries.size();
  }

  long lastTerm() {
    return entries.isEmpty() ? baseTerm : entries.get(entries.size() - 1).term();
  }

  /** Term of the entry at {@code index}; the base's term at the base; -1 when not held. */
  long termAt(long index) {
    if (index == baseIndex) {
      return baseTerm;
    }
    if (index < baseIndex || index > lastIndex()) {
      return -1;
    }
    return entries.get((int) (index - baseIndex - 1)).term();
  }

  LogEntry entry(long index) {
    return entries.get((int) (index - baseIndex - 1));
  }

  /** Entries from {@code from} (inclusive), at most {@code maxCount} and about {@code maxBytes}. */
  List<LogEntry> slice(long from, int maxCount, long maxBytes) {
    long last = lastIndex();
    if (from > last) {
      return List.of();
    }
    int start = (int) (from - baseIndex - 1);
    int end = start;
    long bytes = 0;
    int limit = (int) Math.min(entries.size(), (long) start + maxCount);
    while (end < limit) {
      long size = entries.get(end).data().length;
      if (end > start && bytes + size > maxBytes) {
        break;
      }
      bytes += size;
      end++;
    }
    return new ArrayList<>(entries.subList(start, end));
  }

  /** All entries from {@code from} to the end. */
  List<LogEntry> suffix(long from) {
    if (from > lastIndex()) {
      return List.of();
    }
    return new ArrayList<>(entries.subList((int) (from - baseIndex - 1), entries.size()));
  }

  void append(LogEntry e) {
    if (e.index() != lastIndex() + 1) {
      throw new IllegalStateException("append at " + e.index() + " but last index is " + lastIndex());
    }
    entries.add(e);
  }

  /** Removes entries at {@code from} and after. */
  void truncateFrom(long from) {
    if (from <= baseIndex) {
      throw new IllegalStateException("cannot truncate at " + from + ", at or below the snapshot base " + baseIndex);
    }
    entries.subList((int) (from - baseIndex - 1), entries.size()).clear();
  }

  /** Drops entries up to {@code index}, which becomes the base with {@code term}. */
  void compactTo(long index, long term) {
    if (index <= baseIndex) {
      return;
    }
    if (index >= lastIndex()) {
      entries = new ArrayList<>();
    } else {
      entries = new ArrayList<>(entries.subList((int) (index - baseIndex), entries.size()));
    }
    baseIndex = index;
    baseTerm = term;
  }

  /** Discards everything and restarts the log at a snapshot. */
  void resetTo(long index, long term) {
    entries = new ArrayList<>();
    baseIndex = index;
    baseTerm = term;
  }

  /** Whether a log ending at {@code lastIndex} with {@code lastTerm} is at least as up to date as this one (§5.4.1). */
  boolean isUpToDate(long lastIndex, long lastTerm) {
    return lastTerm > lastTerm() || (lastTerm == lastTerm() && lastIndex >= lastIndex());
  }

  /** The first index of the run of entries with {@code term} that contains {@code index}. */
  long firstIndexOfTerm(long index, long term) {
    long i = index;
    while (i - 1 > baseIndex && termAt(i - 1) == term) {
      i--;
    }
    return i;
  }

  /** The last index in the log whose entry has {@code term}, searching down from {@code from}; -1 if none. */
  long lastIndexOfTerm(long term, long from) {
    for (long i = Math.min(from, lastIndex()); i > baseIndex; i--) {
      long t = termAt(i);
      if (t == term) {
        return i;
      }
      if (t < term) {
        return -1;
      }
    }
    return -1;
  }
}

package dev.raftflow.engine.core;

import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.EntryReader;
import dev.raftflow.engine.spi.Snapshot;
import dev.raftflow.engine.spi.StoredEntries;
import dev.raftflow.engine.spi.StoredEntryList;
import java.util.ArrayList;
import java.util.List;

/**
 * The entries one member holds, after a "base" (index and term of the entry just before the first
 * one held, 0/0 for an empty log). The base is the latest snapshot's, or earlier on a leader that
 * keeps entries behind its snapshot for followers catching up from it: the snapshot is tracked by
 * {@link MemberLog}, not here.
 *
 * <p>Three consecutive parts: {@code head}, entries in memory that were read back from the store
 * (before a snapshot let the store drop them); entries left in the store and read on demand (a
 * {@link StoredRegion}: those it recovered, {@link StoredEntries}, so a restart costs neither the
 * time nor the heap of loading a large log, then those {@link #releaseUpTo released} from memory
 * once applied and durable); {@code tail}, what was appended since (or the whole log of a store
 * that loads everything). Compacted entries are dropped so the GC frees them. Not thread-safe:
 * owned by the core.
 */
final class RaftLog {

  private long baseIndex;
  private long baseTerm;
  /** Entries {@code baseIndex + 1 .. headLast}, read back from the store. */
  private ArrayList<LogEntry> head = new ArrayList<>();
  private long headLast;
  /** Entries {@code headLast + 1 .. storedLast}, left in the store; null when none. */
  private StoredRegion stored;
  /** Reads entries back from the store; null when it cannot (nothing is released). */
  private EntryReader reader;
  private long storedLast;
  /** Entries {@code storedLast + 1 .. lastIndex()}. */
  private ArrayList<LogEntry> tail = new ArrayList<>();

  RaftLog(Snapshot snapshot, List<LogEntry> restored) {
    if (snapshot != null) {
      baseIndex = snapshot.index();
      baseTerm = snapshot.term();
    }
    headLast = baseIndex;
    storedLast = baseIndex;
    if (restored instanceof StoredEntryList list && list.stored().lastIndex() >= list.stored().firstIndex()) {
      StoredEntries s = list.stored();
      if (s.firstIndex() != baseIndex + 1) {
        throw new IllegalStateException("restored log is not consecutive: expected index " + (baseIndex + 1)
            + ", got " + s.firstIndex());
      }
      stored = StoredRegion.recovered(s);
      storedLast = s.lastIndex();
      return;
    }
    long expect = baseIndex + 1;
    for (LogEntry e : restored) {
      if (e.index() != expect) {
        throw new IllegalStateException("restored log is not consecutive: expected index " + expect + ", got " + e.index());
      }
      tail.add(e);
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
    return storedLast + tail.size();
  }

  long lastTerm() {
    return termAt(lastIndex());
  }

  /** Entries held but left in the store (for tests and metrics). */
  long storedCount() {
    return storedLast - headLast;
  }

  /** Entries held in memory (for tests and metrics). */
  long inMemoryCount() {
    return (headLast - baseIndex) + tail.size();
  }

  /** Index of the last entry left in the store; those after it are in memory. */
  long storedLastIndex() {
    return storedLast;
  }

  /** From now on, entries may be {@link #releaseUpTo released} to the store, read back through {@code r}. */
  void readBackThrough(EntryReader r) {
    reader = r;
    if (stored != null) {
      stored = stored.withReader(r);
    }
  }

  /**
   * Leaves the entries up to {@code index} in the store, dropping them from memory: they are read
   * back when needed. For entries the store holds durably and keeps (applied, above the snapshot it
   * was last handed); a log without a reader keeps them.
   */
  void releaseUpTo(long index) {
    long to = Math.min(index, lastIndex());
    if (reader == null || to <= storedLast) {
      return;
    }
    List<LogEntry> moving = tail.subList(0, (int) (to - storedLast));
    if (stored == null) {
      stored = StoredRegion.empty(storedLast, reader);
    }
    stored.release(storedLast, moving);
    moving.clear();
    storedLast = to;
  }

  /** Term of the entry at {@code index}; the base's term at the base; -1 when not held. */
  long termAt(long index) {
    if (index == baseIndex) {
      return baseTerm;
    }
    if (index < baseIndex || index > lastIndex()) {
      return -1;
    }
    if (index <= headLast) {
      return head.get((int) (index - baseIndex - 1)).term();
    }
    if (index <= storedLast) {
      return stored.termAt(index);
    }
    return tail.get((int) (index - storedLast - 1)).term();
  }

  LogEntry entry(long index) {
    if (index <= baseIndex || index > lastIndex()) {
      throw new IndexOutOfBoundsException("entry " + index + " not held (" + firstIndex() + ".." + lastIndex() + ")");
    }
    if (index <= headLast) {
      return head.get((int) (index - baseIndex - 1));
    }
    if (index <= storedLast) {
      return stored.read(index);
    }
    return tail.get((int) (index - storedLast - 1));
  }

  /** Entries from {@code from} (inclusive), at most {@code maxCount} and about {@code maxBytes}. */
  List<LogEntry> slice(long from, int maxCount, long maxBytes) {
    long last = lastIndex();
    if (from > last) {
      return List.of();
    }
    List<LogEntry> out = new ArrayList<>((int) Math.min(maxCount, last - from + 1));
    long bytes = 0;
    for (long i = from; i <= last && out.size() < maxCount; i++) {
      LogEntry e = entry(i);
      long size = e.data().length;
      if (!out.isEmpty() && bytes + size > maxBytes) {
        break;
      }
      bytes += size;
      out.add(e);
    }
    return out;
  }

  /** All entries from {@code from} to the end. */
  List<LogEntry> suffix(long from) {
    long last = lastIndex();
    if (from > last) {
      return List.of();
    }
    if (from > storedLast) {
      return new ArrayList<>(tail.subList((int) (from - storedLast - 1), tail.size()));
    }
    List<LogEntry> out = new ArrayList<>((int) (last - from + 1));
    for (long i = from; i <= last; i++) {
      out.add(entry(i));
    }
    return out;
  }

  void append(LogEntry e) {
    if (e.index() != lastIndex() + 1) {
      throw new IllegalStateException("append at " + e.index() + " but last index is " + lastIndex());
    }
    tail.add(e);
  }

  /** Removes entries at {@code from} and after. */
  void truncateFrom(long from) {
    if (from <= baseIndex) {
      throw new IllegalStateException("cannot truncate at " + from + ", at or below the snapshot base " + baseIndex);
    }
    if (from > storedLast) {
      tail.subList((int) (from - storedLast - 1), tail.size()).clear();
      return;
    }
    tail = new ArrayList<>();
    if (from > headLast) {
      storedLast = from - 1; // the store's copies after it are replaced by what comes next
    } else {
      head.subList((int) (from - baseIndex - 1), head.size()).clear();
      headLast = from - 1;
      storedLast = headLast;
    }
    if (storedLast == headLast) {
      stored = null;
    }
  }

  /** Drops entries up to {@code index}, which becomes the base with {@code term}. */
  void compactTo(long index, long term) {
    if (index <= baseIndex) {
      return;
    }
    if (index >= lastIndex()) {
      head = new ArrayList<>();
      stored = null;
      tail = new ArrayList<>();
      headLast = index;
      storedLast = index;
    } else if (index < headLast) {
      head = new ArrayList<>(head.subList((int) (index - baseIndex), head.size()));
    } else {
      head = new ArrayList<>();
      headLast = index;
      if (index >= storedLast) {
        tail = new ArrayList<>(tail.subList((int) (index - storedLast), tail.size()));
        storedLast = index;
        stored = null;
      }
    }
    baseIndex = index;
    baseTerm = term;
  }

  /**
   * Copies the entries left in the store up to {@code index} into memory: the store is about to drop
   * them (a snapshot at {@code index} is being written) while this log still holds some of them
   * (a leader keeps entries behind its snapshot for followers catching up).
   */
  void materializeUpTo(long index) {
    long to = Math.min(index, storedLast);
    for (long i = headLast + 1; i <= to; i++) {
      head.add(stored.read(i));
    }
    if (to > headLast) {
      headLast = to;
    }
    if (storedLast == headLast) {
      stored = null;
      // head and tail meet: keep one list in memory order
      ArrayList<LogEntry> all = head;
      all.addAll(tail);
      head = new ArrayList<>();
      tail = all;
      headLast = baseIndex;
      storedLast = baseIndex;
    }
  }

  /** Discards everything and restarts the log at a snapshot. */
  void resetTo(long index, long term) {
    head = new ArrayList<>();
    stored = null;
    tail = new ArrayList<>();
    baseIndex = index;
    baseTerm = term;
    headLast = index;
    storedLast = index;
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

package dev.raftflow.engine.testkit;

import dev.raftflow.engine.codec.MessageCodec;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.Snapshot;
import java.util.ArrayList;

/**
 * The state a sequence of {@link LogWrite}s leaves in a store, reduced to what the lab measures:
 * the hard state, the latest snapshot, and the term and encoded size of each log entry. Applies
 * each write as {@link LogWrite} defines it (hard state, then snapshot, then entries).
 *
 * <p>{@link #raftStateSize()} is the 6.5840 lab's {@code persister.RaftStateSize()}: the hard
 * state and the log in a compact encoding (10 bytes for the term, the vote's length and bytes, 10
 * bytes of framing, each entry's {@link MessageCodec#entrySize} plus 9), not the snapshot.
 *
 * <p>Thread-safe: every method is synchronized. Errors: a write that leaves a gap or replaces an
 * entry the snapshot covers throws {@link IllegalStateException} (a store would refuse it too).
 */
public final class RaftStateMeter {

  private HardState hardState = HardState.INITIAL;
  private Snapshot snapshot;
  private long base; // index of the entry before terms.get(0): the snapshot's, or 0
  private final ArrayList<Long> terms = new ArrayList<>();
  private final ArrayList<Long> sizes = new ArrayList<>();
  private long entryBytes;

  /** A meter of an empty store. */
  public RaftStateMeter() {}

  /** A meter of a store holding {@code state} (as {@link dev.raftflow.engine.spi.LogStore#load()} returns it). */
  public RaftStateMeter(PersistentState state) {
    reset(state);
  }

  /** Forgets everything measured and starts from {@code state}. */
  public synchronized void reset(PersistentState state) {
    hardState = state.hardState();
    snapshot = state.snapshot();
    base = snapshot == null ? 0 : snapshot.index();
    terms.clear();
    sizes.clear();
    entryBytes = 0;
    long expected = base + 1;
    for (LogEntry e : state.entries()) {
      if (e.index() != expected) {
        throw new IllegalStateException("entry " + e.index() + " where " + expected + " was expected");
      }
      add(e);
      expected++;
    }
  }

  /** Applies {@code write} to the measured state. */
  public synchronized void record(LogWrite write) {
    if (write.hardState() != null) {
      hardState = write.hardState();
    }
    Snapshot s = write.snapshot();
    if (s != null) {
      long last = base + terms.size();
      boolean keep = s.index() > base && s.index() <= last && terms.get((int) (s.index() - base - 1)) == s.term();
      dropFirst(keep ? (int) (s.index() - base) : terms.size());
      base = s.index();
      snapshot = s;
    }
    if (!write.entries().isEmpty()) {
      long first = write.entries().get(0).index();
      if (first <= base) {
        throw new IllegalStateException("cannot replace entry " + first + " covered by snapshot at " + base);
      }
      long next = base + terms.size() + 1;
      if (first > next) {
        throw new IllegalStateException("append at " + first + " leaves a gap; next index is " + next);
      }
      dropFrom((int) (first - base - 1));
      for (LogEntry e : write.entries()) {
        add(e);
      }
    }
  }

  /** The lab's {@code RaftStateSize()}: hard state and log, without the snapshot, in bytes. */
  public synchronized long raftStateSize() {
    String vote = hardState.votedFor();
    return 10 + (vote == null ? 1 : 1 + vote.length()) + 10 + entryBytes;
  }

  /** The latest hard state written or loaded. */
  public synchronized HardState hardState() {
    return hardState;
  }

  /** The latest snapshot written or loaded, or {@code null}. */
  public synchronized Snapshot snapshot() {
    return snapshot;
  }

  /** Index of the last entry (or of the snapshot when the log is empty). */
  public synchronized long lastIndex() {
    return base + terms.size();
  }

  /** An independent meter holding what this one holds now. */
  public synchronized RaftStateMeter copy() {
    RaftStateMeter c = new RaftStateMeter();
    c.hardState = hardState;
    c.snapshot = snapshot;
    c.base = base;
    c.terms.addAll(terms);
    c.sizes.addAll(sizes);
    c.entryBytes = entryBytes;
    return c;
  }

  private void add(LogEntry e) {
    long size = MessageCodec.entrySize(e) + 9;
    terms.add(e.term());
    sizes.add(size);
    entryBytes += size;
  }

  /** Drops the first {@code n} entries. */
  private void dropFirst(int n) {
    for (int k = 0; k < n; k++) {
      entryBytes -= sizes.get(k);
    }
    terms.subList(0, n).clear();
    sizes.subList(0, n).clear();
  }

  /** Drops the entries from position {@code pos} to the end. */
  private void dropFrom(int pos) {
    for (int k = pos; k < sizes.size(); k++) {
      entryBytes -= sizes.get(k);
    }
    terms.subList(pos, terms.size()).clear();
    sizes.subList(pos, sizes.size()).clear();
  }
}

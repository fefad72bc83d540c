package dev.raftflow.storage.chronicle;

import java.util.Arrays;

/**
 * A long value for each of the consecutive Raft indexes {@code first..last}, kept as runs (the
 * first index of each run of equal values, and the value): the terms of the entries (a run per
 * term) or the queue index of the record holding each entry (a run per batch), in a few longs per
 * run instead of one per entry. {@link #get} is a binary search. Not thread-safe; {@link #copy()}
 * gives an independent one.
 */
final class IndexRuns {
  private long[] starts = new long[16];
  private long[] terms = new long[16];
  private int runs;
  private long first = 1;
  private long last; // first - 1 when empty

  /** Empties it; the next {@link #add} gets Raft index {@code nextIndex}. */
  void reset(long nextIndex) {
    runs = 0;
    first = nextIndex;
    last = nextIndex - 1;
  }

  long firstIndex() {
    return first;
  }

  long lastIndex() {
    return last;
  }

  boolean contains(long index) {
    return index >= first && index <= last;
  }

  /** Term of {@code index}. */
  long get(long index) {
    if (!contains(index)) {
      throw new IndexOutOfBoundsException("index " + index + " not in [" + first + ", " + last + "]");
    }
    return terms[run(index)];
  }

  /** The run holding {@code index} (which is held). */
  private int run(long index) {
    int i = Arrays.binarySearch(starts, 0, runs, index);
    return i >= 0 ? i : -i - 2;
  }

  /** Appends the value of Raft index {@code lastIndex() + 1}. */
  void add(long term) {
    last++;
    if (runs > 0 && terms[runs - 1] == term) {
      return;
    }
    if (runs == starts.length) {
      starts = Arrays.copyOf(starts, runs * 2);
      terms = Arrays.copyOf(terms, runs * 2);
    }
    starts[runs] = last;
    terms[runs] = term;
    runs++;
  }

  /** Drops every index at or after {@code index}. */
  void truncateFrom(long index) {
    if (index <= first) {
      reset(index);
    } else if (index <= last) {
      last = index - 1;
      runs = run(last) + 1;
    }
  }

  /** Drops every index up to and including {@code index}. */
  void dropUpTo(long index) {
    if (index < first) {
      return;
    }
    if (index >= last) {
      reset(index + 1);
      return;
    }
    int r = run(index + 1);
    System.arraycopy(starts, r, starts, 0, runs - r);
    System.arraycopy(terms, r, terms, 0, runs - r);
    runs -= r;
    starts[0] = index + 1;
    first = index + 1;
  }

  /** Indexes held. */
  int size() {
    return (int) (last - first + 1);
  }

  /** Number of runs (for tests). */
  int runs() {
    return runs;
  }

  IndexRuns copy() {
    IndexRuns c = new IndexRuns();
    c.starts = Arrays.copyOf(starts, Math.max(runs, 1));
    c.terms = Arrays.copyOf(terms, Math.max(runs, 1));
    c.runs = runs;
    c.first = first;
    c.last = last;
    return c;
  }
}

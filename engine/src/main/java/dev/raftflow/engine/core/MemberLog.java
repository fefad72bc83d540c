package dev.raftflow.engine.core;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.SnapshotData;
import dev.raftflow.engine.message.AppendEntries;
import dev.raftflow.engine.message.AppendResponse;
import dev.raftflow.engine.message.EntryType;
import dev.raftflow.engine.message.InstallSnapshot;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.message.SnapshotResponse;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.Snapshot;
import java.util.ArrayList;
import java.util.List;

/**
 * This member's log: its entries and latest snapshot, and how far they are durable, committed and
 * handed to the service. It keeps the configuration history in step with the CONFIG entries it
 * appends and drops, and asks for every change to be written. Invariants: applied <= commit <= last
 * index; nothing at or below the commit index is ever overwritten. Not thread-safe: owned by the core.
 */
final class MemberLog {

  /** What a leader's append did: the answer to send, and whether the configuration in force changed. */
  record Appended(AppendResponse response, boolean configChanged) {}

  private final RaftLog log;
  private final ConfigHistory configs;
  private final Outputs out;
  private Snapshot snapshot;
  private Snapshot snapshotToApply;
  private long commitIndex;
  private long appliedIndex;
  private long durableIndex;
  /** Entries kept in memory beyond the applied and durable ones released to the store; 0: none released. */
  private int keepInMemory;

  MemberLog(PersistentState restored, long serviceApplied, ConfigHistory configs, Outputs out) {
    this.snapshot = restored.snapshot();
    this.log = new RaftLog(snapshot, restored.entries());
    this.configs = configs;
    this.out = out;
    if (serviceApplied < 0 || serviceApplied > Math.max(log.baseIndex(), log.lastIndex())) {
      throw new IllegalArgumentException("the service's applied index " + serviceApplied + " is outside the log (0.."
          + log.lastIndex() + ")");
    }
    this.commitIndex = Math.max(log.baseIndex(), serviceApplied);
    this.appliedIndex = commitIndex;
    this.durableIndex = log.lastIndex();
    this.snapshotToApply = snapshot != null && snapshot.index() > serviceApplied ? snapshot : null;
  }

  /**
   * From now on, applied and durable entries beyond the latest {@code keep} are left in the store
   * and read back through {@code reader} when needed (in steps of a quarter of {@code keep}); a null
   * reader or {@link Integer#MAX_VALUE} keeps them all in memory. Call before any input.
   */
  void readBackThrough(dev.raftflow.engine.spi.EntryReader reader, int keep) {
    if (reader != null && keep < Integer.MAX_VALUE) {
      log.readBackThrough(reader);
      keepInMemory = keep;
    }
  }

  /**
   * Releases to the store what may go: applied, durable, beyond the newest {@code keepInMemory},
   * and only entries above the snapshot the store was last handed (it drops those at or below).
   */
  private void releaseApplied() {
    if (keepInMemory == 0 || log.storedLastIndex() < snapshotIndex()) {
      return;
    }
    long upTo = Math.min(Math.min(appliedIndex, durableIndex), log.lastIndex() - keepInMemory);
    if (upTo - log.storedLastIndex() >= Math.max(1, keepInMemory / 4)) {
      log.releaseUpTo(upTo);
    }
  }

  /** The entries themselves (for sending them). */
  RaftLog entries() {
    return log;
  }

  long lastIndex() {
    return log.lastIndex();
  }

  long lastTerm() {
    return log.lastTerm();
  }

  long commitIndex() {
    return commitIndex;
  }

  long appliedIndex() {
    return appliedIndex;
  }

  long durableIndex() {
    return durableIndex;
  }

  Snapshot snapshot() {
    return snapshot;
  }

  long snapshotIndex() {
    return snapshot == null ? 0 : snapshot.index();
  }

  /** Appends this member's own entry (as leader); true when it changed the configuration in force. */
  boolean append(LogEntry e) {
    log.append(e);
    out.writeEntriesFrom(e.index());
    return configs.appended(e);
  }

  /** Raises the commit index to {@code index} (never lowers it). */
  void commitTo(long index) {
    commitIndex = Math.max(commitIndex, index);
  }

  /** A write ending at {@code lastIndex}/{@code lastTerm} is durable; true when the durable index moved. */
  boolean persisted(long lastIndex, long lastTerm) {
    if (lastIndex > durableIndex && lastIndex <= log.lastIndex() && log.termAt(lastIndex) == lastTerm) {
      durableIndex = lastIndex;
      releaseApplied();
      return true;
    }
    return false;
  }

  /** Takes a leader's AppendEntries (Figure 2, with the lab's fast backtracking hint on a mismatch). */
  Appended appendFromLeader(AppendEntries a, String self, long term) {
    long prev = a.prevLogIndex();
    long prevTerm = a.prevLogTerm();
    List<LogEntry> entries = a.entries();
    if (prev < log.baseIndex()) {
      // entries up to our snapshot are committed, so they match: skip them
      int skip = (int) Math.min(entries.size(), log.baseIndex() - prev);
      entries = entries.subList(skip, entries.size());
      prev = log.baseIndex();
      prevTerm = log.baseTerm();
    }
    if (prev > log.lastIndex()) {
      return new Appended(AppendResponse.rejected(term, self, a.from(), a.prevLogIndex(), 0, log.lastIndex() + 1,
          a.readRound()), false);
    }
    long localPrevTerm = log.termAt(prev);
    if (localPrevTerm != prevTerm) {
      long first = log.firstIndexOfTerm(prev, localPrevTerm);
      return new Appended(AppendResponse.rejected(term, self, a.from(), a.prevLogIndex(), localPrevTerm, first,
          a.readRound()), false);
    }
    boolean configChanged = false;
    for (LogEntry e : entries) {
      if (e.index() <= log.lastIndex()) {
        if (log.termAt(e.index()) == e.term()) {
          continue; // already held
        }
        if (e.index() <= commitIndex) {
          throw new IllegalStateException(self + ": leader " + a.from() + " conflicts with committed entry "
              + e.index() + " (commit " + commitIndex + ")");
        }
        log.truncateFrom(e.index());
        durableIndex = Math.min(durableIndex, e.index() - 1);
        configChanged |= configs.truncatedFrom(e.index());
      }
      configChanged |= append(e);
    }
    long lastNew = prev + entries.size();
    commitTo(Math.min(a.leaderCommit(), lastNew));
    return new Appended(AppendResponse.accepted(term, self, a.from(), lastNew, a.readRound()), configChanged);
  }

  /**
   * Takes a leader's snapshot chunk {@code s} (as {@code self} in {@code term}), answering it:
   * already covered by the commit index, held so far, or installed once complete. Returns true when
   * it installed the snapshot (the configuration may have changed).
   */
  boolean takeChunk(InstallSnapshot s, SnapshotReceiver receiver, String self, long term) {
    long index = s.lastIncludedIndex();
    if (index <= commitIndex) {
      // already covered: everything up to our commit index matches the leader
      receiver.caughtUp(commitIndex);
      out.sendAfterWrite(SnapshotResponse.installed(term, self, s.from(), commitIndex));
      return false;
    }
    SnapshotReceiver.Progress p = receiver.accept(s, term);
    if (p.complete() == null) {
      out.send(SnapshotResponse.received(term, self, s.from(), index, s.seq(), s.offset(), p.held()));
      return false;
    }
    install(s, p.complete());
    out.sendAfterWrite(SnapshotResponse.installed(term, self, s.from(), index));
    return true;
  }

  /**
   * Installs the snapshot {@code s} announced (its whole {@code data} received): entries it covers
   * go; later ones stay if the log matches at its index, else the whole log goes.
   */
  Snapshot install(InstallSnapshot s, SnapshotData data) {
    long index = s.lastIncludedIndex();
    boolean logKept = log.termAt(index) == s.lastIncludedTerm();
    if (logKept) {
      log.compactTo(index, s.lastIncludedTerm());
    } else {
      log.resetTo(index, s.lastIncludedTerm());
      durableIndex = Math.min(durableIndex, index);
    }
    Snapshot announced = new Snapshot(index, s.lastIncludedTerm(), s.membership(), data);
    snapshot = new Snapshot(index, s.lastIncludedTerm(), configs.of(announced), data);
    configs.installed(snapshot, logKept);
    out.writeSnapshot(snapshot);
    snapshotToApply = snapshot;
    commitIndex = index;
    return snapshot;
  }

  /**
   * The service took a snapshot up to {@code index}: it becomes this member's snapshot (not yet
   * compacting the entries). Returns null (nothing changes) when {@code index} is not past the
   * current snapshot.
   *
   * @throws IllegalArgumentException when {@code index} is beyond what was handed to the service
   */
  Snapshot snapshotTaken(long index, SnapshotData data) {
    if (index <= snapshotIndex()) {
      return null;
    }
    if (index > appliedIndex) {
      throw new IllegalArgumentException("snapshot index " + index + " is beyond the applied index " + appliedIndex);
    }
    snapshot = new Snapshot(index, log.termAt(index), configs.compacted(index), data);
    out.writeSnapshot(snapshot);
    return snapshot;
  }

  /**
   * Copies into memory the entries still left in the store up to the snapshot, which the store drops
   * when it writes the snapshot: after {@link #compactTo}, so only those kept for followers are read.
   */
  void keepCoveredInMemory() {
    log.materializeUpTo(snapshotIndex());
  }

  /** Drops the entries held in memory up to {@code index} (at most the snapshot's). */
  void compactTo(long index) {
    if (index > log.baseIndex()) {
      log.compactTo(index, log.termAt(index));
    }
  }

  /** Whether {@link #takeApply} has something to hand out. */
  boolean hasApply() {
    return snapshotToApply != null || appliedIndex < commitIndex;
  }

  /** Hands out, in log order, at most {@code max} committed entries (a pending snapshot first). */
  List<ApplyEvent> takeApply(int max) {
    List<ApplyEvent> events = new ArrayList<>(Math.min(max, 64));
    if (snapshotToApply != null && max > 0) {
      Snapshot s = snapshotToApply;
      snapshotToApply = null;
      if (s.index() >= appliedIndex) {
        events.add(new ApplyEvent.SnapshotInstalled(s.index(), s.term(), s.content()));
        appliedIndex = s.index();
      }
    }
    appliedIndex = Math.max(appliedIndex, log.baseIndex());
    while (appliedIndex < commitIndex && events.size() < max) {
      LogEntry e = log.entry(++appliedIndex);
      events.add(new ApplyEvent.Entry(e.index(), e.term(), e.data(), kindOf(e.type())));
    }
    releaseApplied();
    return events;
  }

  private static ApplyEvent.Kind kindOf(EntryType type) {
    return switch (type) {
      case COMMAND -> ApplyEvent.Kind.COMMAND;
      case NOOP -> ApplyEvent.Kind.NOOP;
      case CONFIG -> ApplyEvent.Kind.CONFIG;
    };
  }

  @Override
  public String toString() {
    return "commit=" + commitIndex + " applied=" + appliedIndex + " durable=" + durableIndex + " log=(" + log.baseIndex()
        + "," + log.lastIndex() + "]";
  }
}

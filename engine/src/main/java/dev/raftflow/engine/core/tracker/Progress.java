package dev.raftflow.engine.core.tracker;

import dev.raftflow.engine.spi.Snapshot;

/**
 * The leader's view of one follower: what is known to match, what to send next, and how to send it.
 *
 * <ul>
 *   <li>{@link State#PROBE}: the match point is unknown; one AppendEntries in flight at a time,
 *       retried at each heartbeat.
 *   <li>{@link State#REPLICATE}: the follower is in step; AppendEntries are pipelined, {@code next}
 *       advances optimistically, at most a window of them in flight ({@link Inflights}).
 *   <li>{@link State#SNAPSHOT}: the follower needs the snapshot ({@link SnapshotTransfer}); no
 *       entries are sent until it holds it.
 * </ul>
 *
 * Invariants kept by the transitions: {@code next > match}; in-flight messages exist only in
 * REPLICATE; a transfer is under way exactly in SNAPSHOT. Not thread-safe: owned by the leader.
 */
public final class Progress {

  /** How the leader sends to the follower. */
  public enum State {
    PROBE,
    REPLICATE,
    SNAPSHOT
  }

  private final String id;
  private long match;
  private long next;
  private State state = State.PROBE;
  private boolean probeSent;
  private final Inflights inflights;
  private final SnapshotTransfer transfer = new SnapshotTransfer();
  private boolean catchingUp;
  private long catchUpMark;
  private boolean recentActive;
  /** Leader ticks since the follower last answered anything (large until it first does). */
  private int ticksSinceHeard = Integer.MAX_VALUE / 2;
  private long readRoundSent;
  private long readRoundAcked;
  /** Current rejections in a row saying the follower's log ends (or differs) at or below match. */
  private int lostRejections;
  /** The read round fencing the evidence of lost entries: 0 when nothing is suspected. */
  private long lostEntriesRound;
  private int ticksSinceLostSeen;
  private boolean lostReported;

  public Progress(String id, long next, int maxInflightMessages, long maxInflightBytes) {
    this.id = id;
    this.next = next;
    this.inflights = new Inflights(maxInflightMessages, maxInflightBytes);
  }

  public String id() {
    return id;
  }

  /** The highest index known to be durable on the follower. */
  public long match() {
    return match;
  }

  /** The index of the next entry to send. */
  public long next() {
    return next;
  }

  public State state() {
    return state;
  }

  public Inflights inflights() {
    return inflights;
  }

  /** The transfer under way in {@link State#SNAPSHOT} (its snapshot is null otherwise). */
  public SnapshotTransfer transfer() {
    return transfer;
  }

  /** Raises the match to {@code index}; false when it is not higher. */
  public boolean updateMatch(long index) {
    if (index <= match) {
      return false;
    }
    match = index;
    return true;
  }

  // ---------------------------------------------------------------- sending

  /** Whether a probe is out in PROBE: wait for its answer or the next heartbeat. */
  public boolean probeSent() {
    return probeSent;
  }

  /** A probe went out (in PROBE). */
  public void sentProbe() {
    probeSent = state == State.PROBE;
  }

  /** A heartbeat came: a probe may go again. */
  public void resumeProbe() {
    probeSent = false;
  }

  /** Whether REPLICATE's window is full. */
  public boolean windowFull() {
    return inflights.full();
  }

  /** In REPLICATE, entries up to {@code lastIndex} ({@code bytes} of payload) went out. */
  public void sentEntries(long lastIndex, long bytes) {
    if (state == State.REPLICATE) {
      next = lastIndex + 1;
      inflights.add(lastIndex, bytes);
    }
  }

  // ---------------------------------------------------------------- answers

  /**
   * The follower holds everything up to {@code matchIndex} (already taken into {@link #match()}):
   * a probe found the match point, the window slides, or a follower installing a snapshot is past it.
   */
  public void appendAccepted(long matchIndex) {
    switch (state) {
      case PROBE -> becomeReplicate();
      case REPLICATE -> {
        inflights.freeTo(matchIndex);
        next = Math.max(next, match + 1);
      }
      case SNAPSHOT -> {
        if (match >= transfer.index()) {
          becomeReplicate();
        }
      }
    }
  }

  /**
   * Whether a rejection of the append after {@code rejectedIndex} is news: in REPLICATE, one past
   * the match; in PROBE, the answer to the probe out; in SNAPSHOT, none.
   */
  public boolean isCurrentRejection(long rejectedIndex) {
    return switch (state) {
      case REPLICATE -> rejectedIndex > match;
      case PROBE -> rejectedIndex == next - 1;
      case SNAPSHOT -> false;
    };
  }

  /** A current rejection: send from {@code newNext} next, probing for the match point. */
  public void appendRejected(long newNext) {
    next = newNext;
    if (state == State.REPLICATE) {
      becomeProbe();
    } else {
      probeSent = false;
    }
  }

  // ---------------------------------------------------------------- transitions

  public void becomeProbe() {
    transfer.stop();
    state = State.PROBE;
    probeSent = false;
    next = Math.max(next, match + 1);
    inflights.reset();
  }

  public void becomeReplicate() {
    transfer.stop();
    state = State.REPLICATE;
    probeSent = false;
    next = match + 1;
    inflights.reset();
  }

  /** Starts sending snapshot {@code s}; the follower stops catching up from the log. */
  public void becomeSnapshot(Snapshot s) {
    catchingUp = false;
    state = State.SNAPSHOT;
    probeSent = false;
    transfer.start(s);
    inflights.reset();
  }

  /** Installed a snapshot: from the log after {@code snapshotIndex} it goes on, probing. */
  public void snapshotInstalled(long snapshotIndex) {
    next = match + 1;
    becomeProbe();
    catchingUp = true;
    catchUpMark = snapshotIndex;
  }

  // ---------------------------------------------------------------- catching up after a snapshot

  /** Installed a snapshot and not yet past the leader's latest: the leader keeps entries for it. */
  public boolean catchingUp() {
    return catchingUp;
  }

  /** While catching up: the snapshot index it must get past before the leader takes another. */
  public long catchUpMark() {
    return catchUpMark;
  }

  public void stopCatchingUp() {
    catchingUp = false;
  }

  /** The leader took a snapshot at {@code index}: one gaining on it gets until the next one. */
  public void snapshotTaken(long index) {
    if (!catchingUp) {
      return;
    }
    if (match < catchUpMark) {
      catchingUp = false; // not past the previous snapshot yet: not gaining, send it this one
    } else {
      catchUpMark = index;
    }
  }

  // ---------------------------------------------------------------- liveness and reads

  /** The follower answered something. */
  public void markActive() {
    recentActive = true;
    ticksSinceHeard = 0;
  }

  /** Whether it answered since the last call; clears the mark. */
  public boolean takeActive() {
    boolean active = recentActive;
    recentActive = false;
    return active;
  }

  /** One leader tick passed. */
  public void ticked() {
    if (ticksSinceHeard < Integer.MAX_VALUE / 2) {
      ticksSinceHeard++;
    }
    if (lostRejections > 0) {
      ticksSinceLostSeen++;
    }
  }

  // ---------------------------------------------------------------- a follower that lost entries

  /**
   * A current rejection says the follower no longer holds entries up to {@link #match()}, which it
   * acknowledged as durable (its directory restored from an older copy, or a disk that lied about a
   * sync). One such answer may be a stale answer overtaken by a later success; the evidence counts
   * only while it repeats with no success between. Returns true once, when {@code rejections} of
   * them in a row spanned at least {@code ticks} ticks: the caller reports it.
   */
  public boolean lostEntriesSeen(int rejections, int ticks) {
    if (lostRejections++ == 0) {
      ticksSinceLostSeen = 0;
    }
    if (!lostReported && lostRejections >= rejections && ticksSinceLostSeen >= ticks) {
      lostReported = true;
      return true;
    }
    return false;
  }

  /** A success or a rejection consistent with match: the evidence of lost entries starts over. */
  public void lostEntriesCleared() {
    lostRejections = 0;
    lostEntriesRound = 0;
  }

  /** Whether an answer contradicting match came, and evidence is being gathered. */
  public boolean lostEntriesSuspected() {
    return lostEntriesRound > 0;
  }

  /** An answer contradicted match: from now on only answers echoing {@code round} or later count. */
  public void suspectLostEntries(long round) {
    lostEntriesRound = round;
    lostRejections = 0;
  }

  /** The read round an answer must echo to count as evidence of lost entries. */
  public long lostEntriesRound() {
    return lostEntriesRound;
  }

  /**
   * The follower lost entries it acknowledged: forget its match (the only way match moves back) and
   * probe from {@code newNext}, so that it is sent the entries again instead of being stuck behind.
   * The leader's commit index does not move back: what was committed stays committed.
   */
  public void matchLost(long newNext) {
    match = 0;
    next = Math.max(1, newNext);
    becomeProbe();
  }

  /** Whether the follower answered within the last {@code ticks} leader ticks. */
  public boolean heardWithin(int ticks) {
    return ticksSinceHeard < ticks;
  }

  public boolean recentlyActive() {
    return recentActive;
  }

  /** The read round of the last AppendEntries sent. */
  public long readRoundSent() {
    return readRoundSent;
  }

  public void sentReadRound(long round) {
    readRoundSent = round;
  }

  /** The latest read round it answered. */
  public long readRoundAcked() {
    return readRoundAcked;
  }

  /** Takes an answer to read round {@code round} (at most {@code latest}); true when it is news. */
  public boolean ackReadRound(long round, long latest) {
    if (round > readRoundAcked && round <= latest) {
      readRoundAcked = round;
      return true;
    }
    return false;
  }

  @Override
  public String toString() {
    return id + "{" + state + " match=" + match + " next=" + next + " inflight=" + inflights.count()
        + (probeSent ? " paused" : "")
        + (state == State.SNAPSHOT ? " " + transfer : "")
        + "}";
  }
}

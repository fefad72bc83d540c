package dev.raftflow.engine.core;

import dev.raftflow.engine.spi.Snapshot;

/**
 * The leader's view of one follower (etcd's Progress): what is known to match, what to send next,
 * and how to send it.
 *
 * <ul>
 *   <li>{@link State#PROBE}: the match point is unknown; one AppendEntries in flight at a time,
 *       retried at each heartbeat.
 *   <li>{@link State#REPLICATE}: the follower is in step; AppendEntries are pipelined, {@code next}
 *       advances optimistically, at most a window of them in flight.
 *   <li>{@link State#SNAPSHOT}: the follower needs the snapshot; nothing else is sent until it is
 *       acknowledged (or retried after an election timeout).
 * </ul>
 */
final class Progress {

  enum State {
    PROBE,
    REPLICATE,
    SNAPSHOT
  }

  final String id;
  long match;
  long next;
  State state = State.PROBE;
  /** In PROBE: a probe is outstanding, wait for its answer or the next heartbeat. */
  boolean probeSent;
  /**
   * In SNAPSHOT: the index of the snapshot sent, ticks since the follower last answered, and ticks
   * since anything was last sent to it.
   */
  long pendingSnapshot;
  int ticksSinceSnapshot;
  int ticksSinceSent;
  /**
   * In SNAPSHOT: the snapshot being sent in chunks, the offset of the next chunk to send, how many
   * bytes the follower confirmed holding in order, the number the next chunk gets, the highest
   * number answered, and the first number sent since the leader last went back to a missing chunk.
   */
  Snapshot snapshotSending;
  long snapshotNext;
  long snapshotAcked;
  long snapshotSeq;
  long snapshotAnswered;
  long snapshotRewindSeq;
  /** Installed a snapshot and not yet past the leader's latest: the leader keeps entries for it. */
  boolean catchingUp;
  /** While catching up: the snapshot index it must get past before the leader takes another. */
  long catchUpMark;
  /** Ring of the last indexes of the AppendEntries in flight, oldest first. */
  private final long[] inflight;
  private int inflightStart;
  private int inflightCount;
  /** Whether the follower answered anything since the last check (for CheckQuorum later). */
  boolean recentActive;
  /** The read round of the last AppendEntries sent, and the latest one answered. */
  long readRoundSent;
  long readRoundAcked;

  Progress(String id, long next, int window) {
    this.id = id;
    this.next = next;
    this.inflight = new long[window];
  }

  boolean windowFull() {
    return inflightCount == inflight.length;
  }

  int inflightCount() {
    return inflightCount;
  }

  void addInflight(long lastIndex) {
    inflight[(inflightStart + inflightCount) % inflight.length] = lastIndex;
    inflightCount++;
  }

  /** Frees every in-flight message whose last index is at or below {@code index}. */
  void freeInflightTo(long index) {
    while (inflightCount > 0 && inflight[inflightStart] <= index) {
      inflightStart = (inflightStart + 1) % inflight.length;
      inflightCount--;
    }
  }

  void becomeProbe() {
    snapshotSending = null;
    state = State.PROBE;
    probeSent = false;
    next = Math.max(next, match + 1);
    resetInflight();
  }

  void becomeReplicate() {
    snapshotSending = null;
    state = State.REPLICATE;
    next = match + 1;
    resetInflight();
  }

  void becomeSnapshot(Snapshot s) {
    catchingUp = false;
    state = State.SNAPSHOT;
    pendingSnapshot = s.index();
    snapshotSending = s;
    snapshotNext = 0;
    snapshotAcked = 0;
    snapshotSeq++; // numbers keep growing across transfers: an answer from an earlier one is older
    snapshotAnswered = snapshotSeq - 1;
    snapshotRewindSeq = snapshotSeq;
    ticksSinceSnapshot = 0;
    ticksSinceSent = 0;
    resetInflight();
  }

  private void resetInflight() {
    inflightStart = 0;
    inflightCount = 0;
  }

  @Override
  public String toString() {
    return id + "{" + state + " match=" + match + " next=" + next + " inflight=" + inflightCount
        + (probeSent ? " paused" : "")
        + (state == State.SNAPSHOT ? " snapshot=" + pendingSnapshot + " sent=" + snapshotNext + " acked=" + snapshotAcked : "")
        + "}";
  }
}

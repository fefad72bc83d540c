package dev.raftflow.engine.core;

import java.util.ArrayDeque;
import java.util.function.LongPredicate;

/**
 * A leader's linearizable reads (ReadIndex, Raft thesis §6.4) waiting for a quorum to confirm its
 * leadership. Each read records its read point, {@code max(commit index, first index of the term)},
 * and the heartbeat round that confirms it; rounds only grow, so an answer from an earlier term never
 * counts. Reads are confirmed in request order. Not thread-safe: owned by the core.
 */
final class ReadIndexQueue {

  private record PendingRead(long id, long index, long round) {}

  private final ArrayDeque<PendingRead> pending = new ArrayDeque<>();
  private long round;
  private boolean roundUnsent;
  private long leaderStartIndex;

  /** The latest read round started. */
  long round() {
    return round;
  }

  /** Whether reads arrived since the last Ready: their round's heartbeats are still to be sent. */
  boolean roundUnsent() {
    return roundUnsent;
  }

  void roundSent() {
    roundUnsent = false;
  }

  /** This member began leading; {@code index} is the first index of its term (its no-op). */
  void leaderStarted(long index) {
    leaderStartIndex = index;
  }

  /** Queues read {@code id}, given the commit index now; a new round starts unless one is unsent. */
  void request(long id, long commitIndex) {
    if (!roundUnsent) {
      round++;
      roundUnsent = true;
    }
    pending.addLast(new PendingRead(id, Math.max(commitIndex, leaderStartIndex), round));
  }

  /** Confirms, in order, the reads whose round a quorum answered; reports each to {@code out}. */
  void confirm(LongPredicate quorumAckedRound, Outputs out) {
    PendingRead r;
    while ((r = pending.peekFirst()) != null && quorumAckedRound.test(r.round())) {
      pending.pollFirst();
      out.readConfirmed(r.id(), r.index());
    }
  }

  /** Leadership is lost: every pending read fails. */
  void failAll(Outputs out) {
    for (PendingRead r : pending) {
      out.readFailed(r.id());
    }
    pending.clear();
    roundUnsent = false;
  }
}

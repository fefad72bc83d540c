package dev.raftflow.engine.core;

import dev.raftflow.engine.message.ReadIndexResponse;
import java.util.ArrayDeque;
import java.util.function.LongPredicate;

/**
 * A leader's linearizable reads (ReadIndex, Raft thesis §6.4) waiting for a quorum to confirm its
 * leadership. Each read records its read point, {@code max(commit index, first index of the term)},
 * and the heartbeat round that confirms it; rounds only grow, so an answer from an earlier term never
 * counts. Reads are confirmed in request order. Not thread-safe: owned by the core.
 */
final class ReadIndexQueue {

  /** A read: this member's own ({@code from} null), or a follower's, answered by message. */
  private record PendingRead(String from, long id, long index, long round) {}

  private final ArrayDeque<PendingRead> pending = new ArrayDeque<>();
  private long round;
  private boolean roundUnsent;
  private long leaderStartIndex;
  private String self;
  private long term;

  /** Whether no read waits and no round is left to send. */
  boolean isEmpty() {
    return pending.isEmpty() && !roundUnsent;
  }

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

  /** This member ({@code self}) began leading {@code term}; {@code index} is the first index of its term (its no-op). */
  void leaderStarted(String self, long term, long index) {
    this.self = self;
    this.term = term;
    leaderStartIndex = index;
  }

  /**
   * Starts a new round if none is unsent and returns it: appends sent from now on carry it, so an
   * answer echoing it (or a later one) answers an append sent after this call.
   */
  long freshRound() {
    if (!roundUnsent) {
      round++;
      roundUnsent = true;
    }
    return round;
  }

  /** Queues read {@code id}, given the commit index now; a new round starts unless one is unsent. */
  void request(String from, long id, long commitIndex) {
    if (!roundUnsent) {
      round++;
      roundUnsent = true;
    }
    pending.addLast(new PendingRead(from, id, Math.max(commitIndex, leaderStartIndex), round));
  }

  /** Confirms, in order, the reads whose round a quorum answered; reports each to {@code out}. */
  void confirm(LongPredicate quorumAckedRound, Outputs out) {
    PendingRead r;
    while ((r = pending.peekFirst()) != null && quorumAckedRound.test(r.round())) {
      pending.pollFirst();
      if (r.from() == null) {
        out.readConfirmed(r.id(), r.index());
      } else {
        out.send(new ReadIndexResponse(term, self, r.from(), r.id(), r.index(), true));
      }
    }
  }

  /** Leadership is lost: every pending read fails. */
  void failAll(Outputs out) {
    for (PendingRead r : pending) {
      if (r.from() == null) {
        out.readFailed(r.id());
      } else {
        out.send(new ReadIndexResponse(term, self, r.from(), r.id(), 0, false));
      }
    }
    pending.clear();
    roundUnsent = false;
  }
}

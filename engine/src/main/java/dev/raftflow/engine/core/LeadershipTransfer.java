package dev.raftflow.engine.core;

import dev.raftflow.engine.Role;
import dev.raftflow.engine.core.Outcome.TransferResult;

/**
 * A leader handing its leadership to another voter (Raft thesis §3.10), from the request until its
 * outcome is known. While the handover is active the leader takes no proposals; it gives up after an
 * election timeout. The outcome is watched beyond that: the target (or another member) leading a
 * later term, this member losing its leadership, or nothing heard for two election timeouts. Not
 * thread-safe: owned by the core.
 */
final class LeadershipTransfer {

  /** The handover under way: proposals are refused meanwhile. */
  private String target;
  private int elapsed;
  /** The transfer whose outcome is not reported yet, its term, and the ticks since it began. */
  private String watched;
  private long watchedTerm;
  private int watchedTicks;
  /** Why the handover stopped while this member still led, when it did. */
  private TransferResult stoppedBecause;

  /** The member leadership is being handed to, or null. */
  String target() {
    return target;
  }

  boolean isActive() {
    return target != null;
  }

  /** Starts a handover to {@code target} in {@code term}; one under way is forgotten. */
  void start(String target, long term) {
    this.target = target;
    this.elapsed = 0;
    this.watched = target;
    this.watchedTerm = term;
    this.watchedTicks = 0;
    this.stoppedBecause = null;
  }

  /** Stops the handover (proposals are taken again); the outcome is still reported. */
  void stop() {
    target = null;
  }

  /** Forgets the transfer without reporting an outcome (the caller settles it). */
  void cancel() {
    target = null;
    watched = null;
  }

  /** The target is no longer a voter: the handover stops. */
  void targetRemoved() {
    if (target != null) {
      target = null;
      stoppedBecause = TransferResult.TARGET_REMOVED;
    }
  }

  /** One tick; a leader gives the handover up after {@code timeoutTicks}. */
  void tick(boolean leading, int timeoutTicks) {
    if (watched != null) {
      watchedTicks++;
    }
    if (leading && target != null && ++elapsed >= timeoutTicks) {
      target = null; // the target did not take over in time: lead on
      stoppedBecause = TransferResult.TIMED_OUT;
    }
  }

  /** Reports the outcome once it is known from the member's state now. */
  void observe(long term, Role role, String leaderId, int electionTicks, Outputs out) {
    if (watched == null) {
      return;
    }
    TransferResult result = null;
    if (term > watchedTerm && leaderId != null) {
      result = leaderId.equals(watched) ? TransferResult.COMPLETED : TransferResult.OTHER_LEADER;
    } else if (term == watchedTerm && role == Role.LEADER && target == null) {
      result = stoppedBecause != null ? stoppedBecause : TransferResult.TIMED_OUT;
    } else if (term == watchedTerm && role != Role.LEADER) {
      result = TransferResult.LEADERSHIP_LOST;
    } else if (watchedTicks > 2 * electionTicks) {
      result = TransferResult.UNKNOWN;
    }
    if (result != null) {
      out.report(new Outcome.TransferEnded(watched, result, leaderId, term));
      watched = null;
      target = null;
    }
  }
}

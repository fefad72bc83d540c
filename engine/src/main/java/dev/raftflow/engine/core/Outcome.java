package dev.raftflow.engine.core;

import dev.raftflow.engine.Membership;

/**
 * Something a driver may be waiting for, reported once through {@link Ready#outcomes()}, in the
 * order it happened.
 */
public sealed interface Outcome {

  /** Read {@code id} is confirmed: it may be answered once the service has applied {@code index}. */
  record ReadConfirmed(long id, long index) implements Outcome {}

  /**
   * This member stopped leading {@code term}. Entries up to {@code commitIndex} are committed and
   * will be applied; any later entry it appended may or may not commit under the next leader.
   */
  record LeadershipLost(long term, long commitIndex) implements Outcome {}

  /** Read {@code id} failed: its leader stepped down before a quorum confirmed it. */
  record ReadFailed(long id) implements Outcome {}

  /** The membership change this member led is committed: {@code membership} is in force at {@code index}. */
  record MembershipCommitted(Membership membership, long index) implements Outcome {}

  /**
   * The membership change towards {@code target} ended without this member seeing it commit: it lost
   * the leadership (in {@code term}) first. The change may still take effect under another leader.
   */
  record MembershipUnknown(Membership target, long term) implements Outcome {}

  /** The leadership transfer to {@code target} ended: how, and the leader and term known then. */
  record TransferEnded(String target, TransferResult result, String leader, long term) implements Outcome {}

  /**
   * Write {@code seq} has not been reported durable for {@code ticks} ticks: the store stalls, or the
   * driver never calls {@link RaftCore#persisted(long)}. Reported once per stall.
   */
  record WriteStalled(long seq, int ticks) implements Outcome {}

  /**
   * As leader in {@code term}, this member sees that {@code follower} no longer holds entries it
   * acknowledged up to {@code acknowledged}: its log ends at (or differs from index) {@code
   * followerLast}. Reported once per follower and term, after the evidence repeated over an election
   * timeout; the leader then forgets the follower's match and sends it the entries again. Its store
   * lost acknowledged writes, so entries counted as committed may have been on fewer members than
   * a quorum meanwhile; the runbook says what to do.
   */
  /**
   * As follower in {@code term}, this member sees {@code leader} insist on entries after {@code
   * leaderExpects} while its log ends at {@code lastIndex}, over an election timeout: either its
   * answers do not reach the leader, or it lost entries it had acknowledged (see {@link
   * BehindLeaderWatch}). Reported once per leader and term.
   */
  record LogBehindLeader(String leader, long leaderExpects, long lastIndex, long term) implements Outcome {}

  record FollowerLostEntries(String follower, long acknowledged, long followerLast, long term) implements Outcome {}

  /** How a leadership transfer ended. */
  enum TransferResult {
    /** The target leads a later term. */
    COMPLETED,
    /** Another member leads a later term. */
    OTHER_LEADER,
    /** The target did not take over within an election timeout; this member leads on. */
    TIMED_OUT,
    /** The target stopped being a voter; this member leads on. */
    TARGET_REMOVED,
    /** This member lost the leadership in its own term (cut off from a quorum, or removed). */
    LEADERSHIP_LOST,
    /** No leader was heard of within two election timeouts. */
    UNKNOWN
  }
}

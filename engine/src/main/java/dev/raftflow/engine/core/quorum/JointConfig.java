package dev.raftflow.engine.core.quorum;

import java.util.Collection;
import java.util.function.Predicate;

/**
 * The voters deciding while a membership change may be under way (Raft thesis §4.3): an incoming
 * and an outgoing {@link MajorityConfig}, each of which must agree. When no change of voters is
 * under way the outgoing half is empty and the incoming majority alone decides. Immutable.
 */
public final class JointConfig {

  private final MajorityConfig incoming;
  private final MajorityConfig outgoing;

  public JointConfig(MajorityConfig incoming, MajorityConfig outgoing) {
    this.incoming = incoming;
    this.outgoing = outgoing;
  }

  public static JointConfig of(Collection<String> incoming, Collection<String> outgoing) {
    return new JointConfig(MajorityConfig.of(incoming), MajorityConfig.of(outgoing));
  }

  public MajorityConfig incoming() {
    return incoming;
  }

  public MajorityConfig outgoing() {
    return outgoing;
  }

  public boolean isJoint() {
    return !outgoing.isEmpty();
  }

  public boolean isVoter(String id) {
    return incoming.contains(id) || outgoing.contains(id);
  }

  /**
   * The highest index acknowledged by a majority of both halves; {@code incomingAcked} and {@code
   * outgoingAcked} are aligned with each half's voters and sorted in place.
   */
  public long committedIndex(long[] incomingAcked, long[] outgoingAcked) {
    return Math.min(incoming.committedIndex(incomingAcked), outgoing.committedIndex(outgoingAcked));
  }

  /** Won when both halves won, lost when either lost, else pending. */
  public VoteResult voteResult(Predicate<String> granted, Predicate<String> rejected) {
    VoteResult in = incoming.voteResult(granted, rejected);
    VoteResult out = outgoing.voteResult(granted, rejected);
    if (in == VoteResult.WON && out == VoteResult.WON) {
      return VoteResult.WON;
    }
    return in == VoteResult.LOST || out == VoteResult.LOST ? VoteResult.LOST : VoteResult.PENDING;
  }

  /** Whether a majority of both halves satisfy {@code heard}. */
  public boolean isQuorum(Predicate<String> heard) {
    return incoming.isQuorum(heard) && outgoing.isQuorum(heard);
  }

  @Override
  public String toString() {
    return isJoint() ? incoming + "&&" + outgoing : incoming.toString();
  }
}

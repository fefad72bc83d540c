package dev.raftflow.engine.core;

import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.core.quorum.JointConfig;
import dev.raftflow.engine.core.quorum.VoteResult;
import dev.raftflow.engine.core.tracker.VoteTally;
import dev.raftflow.engine.message.RequestVote;
import dev.raftflow.engine.message.VoteResponse;
import java.util.Random;

/**
 * A member's election clock and its campaigns: the randomized election timeout (drawn from the
 * injected {@link Random} only), the pre-vote round (which raises no term) and the real vote, each
 * counted apart: a candidate whose election timed out pre-campaigns for the next term while real
 * votes for its current term may still arrive, and the two must never be counted together. Not
 * thread-safe: owned by the core.
 */
final class Elections {

  private final RaftOptions options;
  private final Random random;
  private int elapsed;
  private int ticksSinceStart;
  private int timeout;
  private final VoteTally votes = new VoteTally();
  private final VoteTally preVotes = new VoteTally();
  private boolean preCampaigning;
  private long campaigns;

  Elections(RaftOptions options, Random random) {
    this.options = options;
    this.random = random;
    resetTimer();
  }

  /** Starts a new election timeout, drawn in [electionTicks, 2 * electionTicks). */
  void resetTimer() {
    elapsed = 0;
    timeout = options.electionTicks() + random.nextInt(options.electionTicks());
  }

  /**
   * Starts the timeout of a campaign (pre-vote or vote) that has just begun: if it has not won by
   * then, this member tries again. Drawn in [electionTicks / 2, electionTicks): shorter than a
   * follower's, because it only runs out when the campaign failed (mostly a split vote: two members
   * timed out within a round trip of each other), and then the group has no leader. Safety does not
   * depend on it (members that hear a leader refuse votes for a whole election timeout), and
   * liveness does not suffer: followers reset their timer only for a leader or a vote they grant,
   * so a candidate that cannot win cannot hold them back.
   */
  private void resetCampaignTimer() {
    int half = Math.max(1, options.electionTicks() / 2);
    elapsed = 0;
    timeout = half + random.nextInt(half);
  }

  /** One tick; true once the election timeout has passed. */
  boolean tick() {
    return ++elapsed >= timeout;
  }

  /** A leader was heard from: the timeout starts over (with the same length). */
  void leaderHeard() {
    elapsed = 0;
    preCampaigning = false;
  }

  /**
   * The answer of {@code self}, in {@code term}, to pre-vote {@code v}: granted when it is for a
   * later term, the candidate's log is {@code upToDate}, and no leader is heard from.
   */
  VoteResponse answerPreVote(RequestVote v, long term, String self, boolean upToDate, boolean leading, String leaderId) {
    boolean grant = v.term() > term && upToDate && !(leading || leaderRecentlyHeard(leaderId));
    return new VoteResponse(grant ? v.term() : term, self, v.from(), grant, true);
  }

  /** One tick of the member's clock, whatever its role. */
  void clockTicked() {
    if (ticksSinceStart < Integer.MAX_VALUE) {
      ticksSinceStart++;
    }
  }

  /**
   * With CheckQuorum on, whether this member leads, or heard from a leader within the last election
   * timeout: a vote request of a newer term is then ignored (term and vote unchanged), so a member
   * that cannot hear the leader, or that was removed without learning it, cannot depose a leader a
   * majority still follows. With lease reads, a member that just started refuses votes for an
   * election timeout too: it may have heard a leader just before it went down and forgotten it, and
   * that leader may still serve reads under its lease.
   */
  boolean inLeaderLease(boolean leading, String leaderId) {
    boolean startingUp = options.leaseReads() && ticksSinceStart < options.electionTicks();
    return options.checkQuorum() && (leading || leaderRecentlyHeard(leaderId) || startingUp);
  }

  /** Whether {@code leaderId} (when known) was heard from within the last election timeout. */
  boolean leaderRecentlyHeard(String leaderId) {
    return leaderId != null && elapsed < options.electionTicks();
  }

  /** Starts a pre-vote round on this member's own grant. */
  void startPreCampaign(String self) {
    preCampaigning = true;
    preVotes.clear();
    preVotes.record(self, true);
    resetCampaignTimer();
  }

  boolean preCampaigning() {
    return preCampaigning;
  }

  /** Starts a real campaign on this member's own vote. */
  void startCampaign(String self) {
    campaigns++;
    preCampaigning = false;
    votes.clear();
    votes.record(self, true);
    resetCampaignTimer();
  }

  VoteResult preVote(String voter, boolean granted, JointConfig voters) {
    preVotes.record(voter, granted);
    return preVotes.result(voters);
  }

  VoteResult vote(String voter, boolean granted, JointConfig voters) {
    votes.record(voter, granted);
    return votes.result(voters);
  }

  VoteResult preVoteResult(JointConfig voters) {
    return preVotes.result(voters);
  }

  VoteResult voteResult(JointConfig voters) {
    return votes.result(voters);
  }

  /** No campaign goes on (a leader is known, or this member leads). */
  void stop() {
    votes.clear();
    preVotes.clear();
    preCampaigning = false;
  }

  /** Campaigns started (real ones, not pre-votes). */
  long campaigns() {
    return campaigns;
  }
}

package dev.raftflow.engine.core.quorum;

/** The outcome of an election (or pre-vote, or any yes/no round) as far as the answers go. */
public enum VoteResult {
  /** A quorum said yes. */
  WON,
  /** A quorum said no: waiting for more answers cannot win. */
  LOST,
  /** Neither yet. */
  PENDING
}

package dev.raftflow.engine.message;

/**
 * The answer to a {@link RequestVote}. A granted pre-vote carries the term the candidate asked
 * about; a refusal carries the voter's own term.
 */
public record VoteResponse(long term, String from, String to, boolean granted, boolean preVote) implements Message {

  /** The answer to a real (not pre-) vote request. */
  public VoteResponse(long term, String from, String to, boolean granted) {
    this(term, from, to, granted, false);
  }
}

package dev.raftflow.engine.message;

/**
 * A candidate asks for a vote (Raft §5.2), describing its log so the voter can apply §5.4.1.
 *
 * @param preVote true for a pre-vote (Raft thesis §9.6): "would you vote for me in {@code term}?",
 *     asked before a real election; it changes no one's term or vote
 * @param transfer true when the candidate campaigns because the leader handed leadership to it
 *     ({@link TimeoutNow}): voters that still hear from that leader answer it anyway
 */
public record RequestVote(
    long term, String from, String to, long lastLogIndex, long lastLogTerm, boolean preVote, boolean transfer)
    implements Message {

  /** A real (not pre-) vote request, not for a leadership transfer. */
  public RequestVote(long term, String from, String to, long lastLogIndex, long lastLogTerm) {
    this(term, from, to, lastLogIndex, lastLogTerm, false, false);
  }

  /** A vote or pre-vote request, not for a leadership transfer. */
  public RequestVote(long term, String from, String to, long lastLogIndex, long lastLogTerm, boolean preVote) {
    this(term, from, to, lastLogIndex, lastLogTerm, preVote, false);
  }
}

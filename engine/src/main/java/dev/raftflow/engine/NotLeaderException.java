package dev.raftflow.engine;

/** A proposal reached a member that is not the leader. Retry on {@link #leaderId()} when known. */
public final class NotLeaderException extends RaftException {
  private final String leaderId;
  private final long term;

  public NotLeaderException(String nodeId, long term, String leaderId) {
    super(nodeId + " is not the leader in term " + term
        + (leaderId == null ? "; leader unknown" : "; leader is " + leaderId), false);
    this.leaderId = leaderId;
    this.term = term;
  }

  /** The leader this member knows of, or {@code null}. */
  public String leaderId() {
    return leaderId;
  }

  public long term() {
    return term;
  }
}

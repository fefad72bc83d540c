package dev.raftflow.engine;

/**
 * An operation was handed on but its outcome could not be seen from this node: a proposal covered by
 * a snapshot from the leader, a proposal on a node removed before it committed, a membership change
 * whose leader lost its leadership first. It may or may not have taken effect; ask the group's
 * current leader (for example by reading the state the operation would change) before retrying.
 */
public final class OutcomeUnknownException extends RaftException {
  private final String leaderId;

  public OutcomeUnknownException(String message) {
    this(message, null);
  }

  /** With the id of the leader to ask, when known. */
  public OutcomeUnknownException(String message, String leaderId) {
    super(message);
    this.leaderId = leaderId;
  }

  /** The member believed to lead now, or null when unknown. */
  public String leaderId() {
    return leaderId;
  }
}

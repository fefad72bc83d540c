package dev.raftflow.client;

/** The member asked is not the leader. Retry on {@link #leaderId()} when it is known. */
public final class NotLeaderException extends ClientException {

  private final String member;
  private final String leaderId;

  /**
   * @param member the member that refused
   * @param leaderId the leader it knows of, or {@code null}
   */
  public NotLeaderException(String member, String leaderId) {
    super(member + " is not the leader" + (leaderId == null ? "; leader unknown" : "; leader is " + leaderId), false);
    this.member = member;
    this.leaderId = leaderId;
  }

  /** The member that refused. */
  public String member() {
    return member;
  }

  /** The leader the refusing member knows of, or {@code null}. */
  public String leaderId() {
    return leaderId;
  }
}

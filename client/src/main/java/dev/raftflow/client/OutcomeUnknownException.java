package dev.raftflow.client;

/**
 * The member took the request but cannot tell whether it took effect: it stopped leading (or lost
 * sight of the entry) before the entry committed. Unlike {@link NotLeaderException}, the command may
 * still commit under the new leader, so a blind retry may apply it twice; check first (or make the
 * command idempotent). {@link #leaderId()} names the leader to ask now, when the member knew one;
 * {@link RemoteClient} already sends its next proposal there.
 */
public final class OutcomeUnknownException extends ClientException {

  private final String member;
  private final String leaderId;

  /**
   * @param member the member that took the request
   * @param leaderId the leader it knows of now, or {@code null}
   * @param detail the member's message, or {@code null}
   */
  public OutcomeUnknownException(String member, String leaderId, String detail) {
    super(member + ": outcome unknown" + (leaderId == null ? ", leader unknown" : ", leader is now " + leaderId)
        + (detail == null ? "" : " (" + detail + ")"), false);
    this.member = member;
    this.leaderId = leaderId;
  }

  /** The member that took the request. */
  public String member() {
    return member;
  }

  /** The leader that member knows of now, or {@code null}. */
  public String leaderId() {
    return leaderId;
  }
}

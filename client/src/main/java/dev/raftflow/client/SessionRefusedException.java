package dev.raftflow.client;

/**
 * The group refused a session's command (SESSION_REFUSED), deciding in log order, the same way on
 * every member: retrying it gets the same refusal. {@link #reason()} says why.
 */
public final class SessionRefusedException extends ClientException {

  /** Why a session's command was refused. */
  public enum Reason {
    /** The session was never opened, was closed, or expired: open another. */
    UNKNOWN_SESSION,
    /** The client had acknowledged this command's answer, so the group forgot it. */
    ANSWER_FORGOTTEN,
    /** The session holds too many answers its client has not acknowledged. */
    TOO_MANY_UNACKNOWLEDGED,
    /** A reason this client version does not know. */
    OTHER
  }

  private final Reason reason;

  public SessionRefusedException(String member, Reason reason, String detail) {
    super(member + ": session refused: " + reason + (detail == null ? "" : " (" + detail + ")"), false);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }

  /** The reason for SESSION_REFUSED's reason byte. */
  static Reason of(byte code) {
    return switch (code) {
      case ClientProtocol.REFUSED_UNKNOWN_SESSION -> Reason.UNKNOWN_SESSION;
      case ClientProtocol.REFUSED_ANSWER_FORGOTTEN -> Reason.ANSWER_FORGOTTEN;
      case ClientProtocol.REFUSED_TOO_MANY_UNACKNOWLEDGED -> Reason.TOO_MANY_UNACKNOWLEDGED;
      default -> Reason.OTHER;
    };
  }
}

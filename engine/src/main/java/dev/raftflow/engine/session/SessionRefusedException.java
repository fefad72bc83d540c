package dev.raftflow.engine.session;

import dev.raftflow.engine.RaftException;

/**
 * The group refused a session's entry, in log order, the same way on every member: the session is
 * unknown (never registered, closed or expired: open a new one), the answer was acknowledged and
 * forgotten, or the session holds too many unacknowledged answers. The command was not applied by
 * this entry; retrying the same (session, seq) gets the same refusal.
 */
public final class SessionRefusedException extends RaftException {

  private final long session;
  private final long seq;
  private final SessionTable.Reason reason;

  public SessionRefusedException(long session, long seq, SessionTable.Reason reason) {
    super("session " + session + (seq == 0 ? "" : ", command " + seq) + " refused: " + reason, false);
    this.session = session;
    this.seq = seq;
    this.reason = reason;
  }

  public long session() {
    return session;
  }

  /** The refused command's number, 0 when the whole session was refused (closing an unknown one). */
  public long seq() {
    return seq;
  }

  public SessionTable.Reason reason() {
    return reason;
  }
}

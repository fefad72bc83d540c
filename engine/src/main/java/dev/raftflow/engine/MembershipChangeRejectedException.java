package dev.raftflow.engine;

/**
 * A membership change was refused before anything was appended (another change is still under way);
 * nothing changed, and the caller may ask again once the change under way has committed.
 */
public final class MembershipChangeRejectedException extends RaftException {
  public MembershipChangeRejectedException(String message) {
    super(message);
  }
}

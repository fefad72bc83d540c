package dev.raftflow.engine;

/** A leadership transfer did not end with the target leading; {@link #reason()} says how it ended. */
public final class LeadershipTransferException extends RaftException {

  /** How the transfer ended. */
  public enum Reason {
    /** Another member took over instead of the target. */
    OTHER_LEADER,
    /** The target did not take over within an election timeout; this node leads on. */
    TIMED_OUT,
    /** The target stopped being a voter; this node leads on. */
    TARGET_REMOVED,
    /** This node lost its leadership in its own term (cut off from a quorum, or removed). */
    LEADERSHIP_LOST,
    /** A newer transfer request replaced this one. */
    REPLACED,
    /** No leader was heard of within two election timeouts. */
    UNKNOWN
  }

  private final Reason reason;
  private final String target;

  public LeadershipTransferException(String target, Reason reason, String detail) {
    super("leadership transfer to " + target + " failed (" + reason + "): " + detail);
    this.reason = reason;
    this.target = target;
  }

  public Reason reason() {
    return reason;
  }

  /** The member leadership was to go to. */
  public String target() {
    return target;
  }
}

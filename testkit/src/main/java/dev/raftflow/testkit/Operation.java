package dev.raftflow.testkit;

/**
 * One client operation as a history records it: when it was called and when it returned (on one
 * clock shared by every client), what it asked and what it answered.
 *
 * @param client who made it (for messages)
 * @param input what it asked
 * @param output what it answered; null when {@link #returned()} is unknown
 * @param call when it was called
 * @param returned when it returned, or {@link #UNKNOWN} when the client never learned its outcome
 *     (a timeout, a lost connection): it may then have taken effect at any time after its call, or
 *     never
 */
public record Operation<I, O>(int client, I input, O output, long call, long returned) {

  /** The return time of an operation whose outcome is unknown. */
  public static final long UNKNOWN = Long.MAX_VALUE;

  public Operation {
    if (returned != UNKNOWN && returned < call) {
      throw new IllegalArgumentException("an operation cannot return (" + returned + ") before it is called (" + call + ")");
    }
  }

  /** Whether its outcome is unknown. */
  public boolean unknown() {
    return returned == UNKNOWN;
  }
}

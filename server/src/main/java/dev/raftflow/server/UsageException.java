package dev.raftflow.server;

/**
 * A user's mistake in a command's flags or configuration file (a malformed address, an unknown key,
 * a number out of bounds, a missing file). The commands print its message as one line, without a
 * stack trace unless {@code --verbose}, and exit with {@link #EXIT_CODE}.
 */
public final class UsageException extends RuntimeException {

  /** The exit code of a command refused for its input. */
  public static final int EXIT_CODE = 2;

  public UsageException(String message) {
    super(message);
  }

  public UsageException(String message, Throwable cause) {
    super(message, cause);
  }
}

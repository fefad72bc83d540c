package dev.raftflow.engine;

/** Base of the errors the embedding API reports. */
public class RaftException extends RuntimeException {
  public RaftException(String message) {
    super(message);
  }

  public RaftException(String message, Throwable cause) {
    super(message, cause);
  }

  /** For signals raised often on purpose (redirects, overload), where a stack trace is waste. */
  protected RaftException(String message, boolean withStackTrace) {
    super(message, null, false, withStackTrace);
  }
}

package dev.raftflow.client;

/**
 * A member answered a client request with a refusal or an error (for example a malformed address
 * or another membership change under way). Connection failures are not this type: they surface as
 * the transport's own exceptions.
 */
public class ClientException extends RuntimeException {

  public ClientException(String message) {
    super(message);
  }

  /** For answers that are flow-control signals, raised often: {@code stackTrace} false skips the trace. */
  protected ClientException(String message, boolean stackTrace) {
    super(message, null, false, stackTrace);
  }
}

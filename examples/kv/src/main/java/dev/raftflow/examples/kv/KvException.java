package dev.raftflow.examples.kv;

/** A KV request the service refused for good (a malformed command or read, a member's error): retrying will not help. */
public final class KvException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public KvException(String message) {
    super(message);
  }
}

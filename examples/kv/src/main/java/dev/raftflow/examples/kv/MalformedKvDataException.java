package dev.raftflow.examples.kv;

/** Bytes that are not a well-formed KV command, answer or read message; the message says what is wrong. */
public final class MalformedKvDataException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  public MalformedKvDataException(String message) {
    super(message);
  }
}

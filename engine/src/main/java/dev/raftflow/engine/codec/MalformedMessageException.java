package dev.raftflow.engine.codec;

/** A frame that is not a valid encoded {@code Message}: the text says what is wrong and where. */
public final class MalformedMessageException extends RuntimeException {
  public MalformedMessageException(String message) {
    super(message);
  }
}

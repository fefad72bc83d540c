package dev.raftflow.client;

/** The leader refused a proposal because its bounded queue is full; nothing was appended. Retry later. */
public final class OverloadedException extends ClientException {

  public OverloadedException(String message) {
    super(message, false); // a flow-control signal: cheap to raise often
  }
}

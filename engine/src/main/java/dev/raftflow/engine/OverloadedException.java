package dev.raftflow.engine;

/** The node refuses a proposal because a bounded queue is full. Nothing was appended; retry later. */
public final class OverloadedException extends RaftException {
  public OverloadedException(String message) {
    super(message, false); // a flow-control signal: no stack trace, cheap to raise often
  }
}

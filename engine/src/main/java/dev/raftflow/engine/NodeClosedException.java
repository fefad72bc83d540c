package dev.raftflow.engine;

/** The node was closed before, or while, serving the call. */
public final class NodeClosedException extends RaftException {
  public NodeClosedException(String nodeId) {
    super("node " + nodeId + " is closed");
  }
}

package dev.raftflow.engine;

/**
 * A proposal was appended by a leader that lost its leadership before the entry committed, and
 * another entry now holds its index. The command was not applied; the caller may retry it.
 */
public final class ProposalDroppedException extends RaftException {
  public ProposalDroppedException(long index, long term) {
    super("proposal at index " + index + " (term " + term + ") was replaced by another leader's entry");
  }
}

package dev.raftflow.engine;

/**
 * A consistent picture of one node, published by its event loop after every turn.
 *
 * @param term the current term
 * @param role the role in that term
 * @param leaderId the leader of that term when known, else {@code null}
 * @param commitIndex the highest index known committed
 * @param appliedIndex the highest index handed to the apply stream
 * @param lastIndex the index of the last log entry
 */
public record NodeState(
    long term, Role role, String leaderId, long commitIndex, long appliedIndex, long lastIndex) {

  public boolean isLeader() {
    return role == Role.LEADER;
  }
}

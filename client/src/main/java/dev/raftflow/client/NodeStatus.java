package dev.raftflow.client;

/**
 * One member's state as it reported it over the client protocol: a snapshot, stale once read.
 *
 * @param term its current term
 * @param role its role in that term as the engine names it ({@code FOLLOWER}, {@code CANDIDATE},
 *     {@code LEADER})
 * @param leaderId the leader of that term when it knows one, else {@code null}
 * @param commitIndex the highest index it knows committed
 * @param appliedIndex the highest index it has applied
 * @param lastIndex the index of its last log entry
 */
public record NodeStatus(
    long term, String role, String leaderId, long commitIndex, long appliedIndex, long lastIndex) {

  /** The role name of a leader. */
  public static final String LEADER = "LEADER";

  public NodeStatus {
    if (role == null || role.isEmpty()) {
      throw new IllegalArgumentException("a node status needs a role");
    }
  }

  /** Whether the member said it leads. */
  public boolean isLeader() {
    return LEADER.equals(role);
  }
}

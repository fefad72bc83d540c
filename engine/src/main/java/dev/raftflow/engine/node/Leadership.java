package dev.raftflow.engine.node;

import dev.raftflow.engine.Role;
import java.util.Objects;

/**
 * Who leads, as one node sees it: a value of {@link RaftNode#leaderChanges()}. Immutable.
 *
 * @param term the node's current term
 * @param leaderId the leader of that term when the node knows one, else {@code null}
 * @param role the node's own role in that term
 */
public record Leadership(long term, String leaderId, Role role) {

  public Leadership {
    Objects.requireNonNull(role, "role");
  }
}

package dev.raftflow.engine;

/** The role a member plays in its current term. */
public enum Role {
  FOLLOWER,
  CANDIDATE,
  LEADER
}

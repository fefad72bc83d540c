package dev.raftflow.engine.spi;

/**
 * The state Raft must persist before answering any message that depends on it: the current
 * term and the candidate voted for in that term ({@code null} when none).
 */
public record HardState(long term, String votedFor) {
  public static final HardState INITIAL = new HardState(0, null);
}

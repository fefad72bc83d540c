package dev.raftflow.engine.message;

/**
 * A leader with nothing left to replicate goes quiet (multi-raft: idle groups cost nothing): it
 * stops its heartbeats and tells each follower so. A follower whose log ends at {@code lastIndex}
 * with {@code lastTerm}, and holds {@code commit} as committed, stops its election clock too and
 * sends nothing back; any other follower answers as it would a heartbeat, which wakes the leader.
 * Either side wakes on the next message, request or (through its host) when the other's host stops
 * answering.
 */
public record Quiesce(long term, String from, String to, long lastIndex, long lastTerm, long commit)
    implements Message {

  /** The heartbeat a follower that cannot go quiet handles instead. */
  public AppendEntries asHeartbeat() {
    return new AppendEntries(term, from, to, lastIndex, lastTerm, java.util.List.of(), commit);
  }
}

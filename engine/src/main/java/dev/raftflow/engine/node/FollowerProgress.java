package dev.raftflow.engine.node;

/**
 * How one follower (or learner) stands as its leader sees it: a value of {@link RaftNode#followers()}.
 *
 * @param id the member
 * @param matchIndex the last index known to be durable on it
 * @param lagEntries entries of the leader's log it does not hold yet ({@code leader last index - matchIndex})
 * @param inflight AppendEntries sent to it and not answered yet
 */
public record FollowerProgress(String id, long matchIndex, long lagEntries, int inflight) {}

package dev.raftflow.engine.message;

/**
 * A follower asks the leader for a read point on behalf of its read {@code id} (follower reads,
 * Raft thesis §6.4): the leader confirms its leadership with a round, then answers with its commit
 * index at the time of the request.
 */
public record ReadIndexRequest(long term, String from, String to, long id) implements Message {}

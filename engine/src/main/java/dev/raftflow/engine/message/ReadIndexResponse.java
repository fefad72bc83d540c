package dev.raftflow.engine.message;

/**
 * The leader's answer to a {@link ReadIndexRequest}: with {@code ok}, {@code index} is a
 * linearizable read point for read {@code id} (the follower serves the read once it has applied
 * it); without, the leader could not confirm (it is not the leader any more, or it lost the
 * leadership before a majority confirmed it) and {@code index} is 0.
 */
public record ReadIndexResponse(long term, String from, String to, long id, long index, boolean ok)
    implements Message {}

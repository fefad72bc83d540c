package dev.raftflow.engine.message;

/** The answer to a {@link RequestVote}. */
public record VoteResponse(long term, String from, String to, boolean granted) implements Message {}

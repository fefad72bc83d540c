package dev.raftflow.engine.message;

/** A candidate asks for a vote (Raft §5.2), describing its log so the voter can apply §5.4.1. */
public record RequestVote(long term, String from, String to, long lastLogIndex, long lastLogTerm)
    implements Message {}

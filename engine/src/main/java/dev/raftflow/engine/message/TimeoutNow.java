package dev.raftflow.engine.message;

/**
 * Leadership transfer (Raft thesis 3.10): the leader tells a follower whose log it has brought up
 * to date to start an election at once, without waiting for its timeout or a pre-vote.
 */
public record TimeoutNow(long term, String from, String to) implements Message {}

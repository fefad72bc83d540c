package dev.raftflow.engine;

/** Where an entry sits in the log: its index and the term in which the leader appended it. */
public record LogPosition(long index, long term) {}

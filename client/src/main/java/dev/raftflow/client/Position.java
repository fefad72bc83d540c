package dev.raftflow.client;

/**
 * Where a proposal was committed: its log index and the term of the leader that took it.
 *
 * @param index the entry's index in the group's log
 * @param term the term of the entry
 */
public record Position(long index, long term) {}

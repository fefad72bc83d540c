package dev.raftflow.engine.message;

/** The leader sends its snapshot to a follower whose next entry it has already compacted away. */
public record InstallSnapshot(
    long term, String from, String to, long lastIncludedIndex, long lastIncludedTerm, byte[] data)
    implements Message {}

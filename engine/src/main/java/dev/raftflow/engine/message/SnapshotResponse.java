package dev.raftflow.engine.message;

/**
 * The answer to an {@link InstallSnapshot}.
 *
 * @param matchIndex the last index the sender now holds that matches the leader (at least the
 *     snapshot's index when it was installed or already covered), or 0 when the request was refused
 *     for its stale term
 */
public record SnapshotResponse(long term, String from, String to, long matchIndex) implements Message {}

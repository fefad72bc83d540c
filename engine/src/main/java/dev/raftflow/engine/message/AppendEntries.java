package dev.raftflow.engine.message;

import java.util.List;

/**
 * The leader replicates entries (or sends a heartbeat when {@code entries} is empty). The
 * receiver accepts only if its log holds {@code prevLogIndex} with {@code prevLogTerm}.
 */
public record AppendEntries(
    long term,
    String from,
    String to,
    long prevLogIndex,
    long prevLogTerm,
    List<LogEntry> entries,
    long leaderCommit)
    implements Message {

  public AppendEntries {
    entries = List.copyOf(entries);
  }

  /** The index of the last entry carried, or {@code prevLogIndex} for a heartbeat. */
  public long lastIndex() {
    return prevLogIndex + entries.size();
  }
}

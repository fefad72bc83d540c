package dev.raftflow.engine.message;

import java.util.List;

/**
 * The leader replicates entries (or sends a heartbeat when {@code entries} is empty). The
 * receiver accepts only if its log holds {@code prevLogIndex} with {@code prevLogTerm}.
 *
 * @param readRound the leader's latest linearizable-read round when it sent this; the answer
 *     echoes it, which tells the leader that this member still followed it after that round began
 */
public record AppendEntries(
    long term,
    String from,
    String to,
    long prevLogIndex,
    long prevLogTerm,
    List<LogEntry> entries,
    long leaderCommit,
    long readRound)
    implements Message {

  public AppendEntries {
    entries = List.copyOf(entries);
  }

  /** An AppendEntries outside any read round. */
  public AppendEntries(long term, String from, String to, long prevLogIndex, long prevLogTerm, List<LogEntry> entries,
      long leaderCommit) {
    this(term, from, to, prevLogIndex, prevLogTerm, entries, leaderCommit, 0);
  }

  /** The index of the last entry carried, or {@code prevLogIndex} for a heartbeat. */
  public long lastIndex() {
    return prevLogIndex + entries.size();
  }
}

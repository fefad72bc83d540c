package dev.raftflow.engine.message;

import java.util.Objects;

/**
 * One entry of the replicated log: its position, the term it was created in, its kind, and the
 * opaque command bytes. The byte array is owned by the entry once created: callers must not
 * modify it afterwards.
 */
public record LogEntry(long index, long term, EntryType type, byte[] data) {

  private static final byte[] EMPTY = new byte[0];

  public LogEntry {
    Objects.requireNonNull(type, "type");
    if (data == null) {
      data = EMPTY;
    }
  }

  public static LogEntry command(long index, long term, byte[] data) {
    return new LogEntry(index, term, EntryType.COMMAND, data);
  }

  public static LogEntry noop(long index, long term) {
    return new LogEntry(index, term, EntryType.NOOP, EMPTY);
  }

  /** A configuration entry: the membership in force from this entry on, once appended. */
  public static LogEntry config(long index, long term, dev.raftflow.engine.Membership membership) {
    return new LogEntry(index, term, EntryType.CONFIG, membership.encode());
  }

  @Override
  public String toString() {
    return "LogEntry[" + index + "@" + term + " " + type + " " + data.length + "B]";
  }
}

package dev.raftflow.engine.message;

/** What a log entry holds. Stored as one byte on the wire and on disk: codes never change. */
public enum EntryType {
  /** A command proposed by the service. */
  COMMAND(0),
  /** The empty entry a new leader appends to commit earlier terms' entries (Raft §8). */
  NOOP(1),
  /** A change of the group's membership; the data is an encoded {@link dev.raftflow.engine.Membership}. */
  CONFIG(2);

  private final int code;

  EntryType(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  public static EntryType fromCode(int code) {
    return switch (code) {
      case 0 -> COMMAND;
      case 1 -> NOOP;
      case 2 -> CONFIG;
      default -> throw new IllegalArgumentException("unknown entry type code " + code);
    };
  }
}

package dev.raftflow.engine;

import java.io.InputStream;

/**
 * One element of a node's apply stream (the service's view of the replicated log): either a
 * committed entry or a snapshot to load. Events arrive strictly in log order: indexes never go
 * back, a snapshot is followed by the entries after it, entries have no gaps.
 */
public sealed interface ApplyEvent permits ApplyEvent.Entry, ApplyEvent.SnapshotInstalled {

  /** The log index this event brings the service up to. */
  long index();

  /** What a committed entry holds. */
  enum Kind {
    /** A command a service proposed: apply it. */
    COMMAND,
    /** The empty entry a new leader (or a read without {@code leaderNoop}) appends: skip it. */
    NOOP,
    /** A membership configuration ({@code Membership.decode} reads it): the node has applied it already. */
    CONFIG
  }

  /**
   * A committed entry.
   *
   * @param command the command's bytes (a NOOP's are empty; a CONFIG's are the encoded membership)
   * @param kind whether it is a service's command; services apply only those
   */
  record Entry(long index, long term, byte[] command, Kind kind) implements ApplyEvent {
    /** Whether the service should apply it (it is a command, not a no-op or a configuration). */
    public boolean isCommand() {
      return kind == Kind.COMMAND;
    }
  }

  /**
   * The service must replace its state with this snapshot, which covers entries up to index. A
   * small snapshot is read whole with {@link #data()}; a large one (it may live in a file, larger
   * than the heap) with {@link #openStream()}.
   */
  record SnapshotInstalled(long index, long term, SnapshotData snapshot) implements ApplyEvent {

    /** A snapshot held in {@code data}. */
    public SnapshotInstalled(long index, long term, byte[] data) {
      this(index, term, SnapshotData.of(data));
    }

    /**
     * The whole snapshot in one array.
     *
     * @throws IllegalStateException when it is larger than an array can hold: use {@link #openStream()}
     */
    public byte[] data() {
      return snapshot.toBytes();
    }

    /** The snapshot's bytes as a stream, read on demand. */
    public InputStream openStream() {
      return snapshot.openStream();
    }

    /** How many bytes the snapshot has. */
    public long size() {
      return snapshot.size();
    }
  }
}

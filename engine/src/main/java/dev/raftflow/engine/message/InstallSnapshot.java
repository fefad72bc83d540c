package dev.raftflow.engine.message;

/**
 * One chunk of the leader's snapshot, sent to a follower whose next entry the leader has already
 * compacted away. A snapshot of {@code totalBytes} travels as chunks of at most the leader's
 * {@code snapshotChunkBytes}, in order of {@code offset}; the follower installs it when the last
 * chunk ({@link #last()}) completes it. An empty snapshot is one empty chunk.
 *
 * @param seq numbers the chunks of one transfer in the order the leader sent them (resent chunks
 *     get new numbers); the answer echoes it, so the leader can tell a late answer from a new one
 * @param offset where {@code data} starts within the snapshot
 * @param totalBytes the size of the whole snapshot
 * @param data the chunk's bytes, {@code offset + data.length <= totalBytes}
 * @param membership the group's configuration as of {@code lastIncludedIndex} (every chunk carries
 *     it), or null when the leader's snapshot has none recorded
 */
public record InstallSnapshot(
    long term, String from, String to, long lastIncludedIndex, long lastIncludedTerm, long seq, long offset,
    long totalBytes, byte[] data, dev.raftflow.engine.Membership membership) implements Message {

  /** The largest snapshot: no limit of its own (a snapshot may live in a file; offsets are longs on the wire). */
  public static final long MAX_TOTAL_BYTES = Long.MAX_VALUE;

  /**
   * Checks that the chunk fits its snapshot.
   *
   * @throws IllegalArgumentException when the offsets do not fit together
   */
  public InstallSnapshot {
    if (offset < 0 || totalBytes < 0 || totalBytes > MAX_TOTAL_BYTES || offset > totalBytes - data.length) {
      throw new IllegalArgumentException("snapshot chunk of " + data.length + " bytes at offset " + offset
          + " does not fit a snapshot of " + totalBytes + " bytes (at most " + MAX_TOTAL_BYTES + ")");
    }
  }

  /** A chunk without a recorded membership. */
  public InstallSnapshot(long term, String from, String to, long lastIncludedIndex, long lastIncludedTerm, long seq,
      long offset, long totalBytes, byte[] data) {
    this(term, from, to, lastIncludedIndex, lastIncludedTerm, seq, offset, totalBytes, data, null);
  }

  /** The whole snapshot in one message. */
  public static InstallSnapshot whole(long term, String from, String to, long lastIncludedIndex, long lastIncludedTerm,
      byte[] data) {
    return new InstallSnapshot(term, from, to, lastIncludedIndex, lastIncludedTerm, 0, 0, data.length, data);
  }

  /** Whether this chunk ends the snapshot. */
  public boolean last() {
    return offset + data.length == totalBytes;
  }
}

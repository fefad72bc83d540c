package dev.raftflow.engine.message;

/**
 * The answer to an {@link InstallSnapshot} chunk. Three kinds: refused for a stale term
 * ({@code matchIndex == 0 && snapshotIndex == 0}); installed or already covered
 * ({@code matchIndex > 0}); or a chunk taken in ({@code matchIndex == 0 && snapshotIndex > 0}).
 *
 * @param matchIndex the last index the sender now holds that matches the leader (at least the
 *     snapshot's index when it was installed or already covered), or 0
 * @param snapshotIndex the last included index of the snapshot being received, or 0
 * @param seq the {@link InstallSnapshot#seq()} of the chunk answered
 * @param offset the offset of the chunk answered
 * @param nextOffset how many bytes of that snapshot the sender holds in order: the offset of the
 *     chunk it needs next. Below {@code offset}, a chunk was missing and the sender has to go back.
 */
public record SnapshotResponse(long term, String from, String to, long matchIndex, long snapshotIndex, long seq,
    long offset, long nextOffset) implements Message {

  /** The snapshot was installed, or the sender already held everything up to {@code matchIndex}. */
  public static SnapshotResponse installed(long term, String from, String to, long matchIndex) {
    return new SnapshotResponse(term, from, to, matchIndex, 0, 0, 0, 0);
  }

  /** The request came from a stale term. */
  public static SnapshotResponse refused(long term, String from, String to) {
    return new SnapshotResponse(term, from, to, 0, 0, 0, 0, 0);
  }

  /** The chunk {@code seq} at {@code offset} was answered; the sender holds {@code nextOffset} bytes in order. */
  public static SnapshotResponse received(long term, String from, String to, long snapshotIndex, long seq, long offset,
      long nextOffset) {
    return new SnapshotResponse(term, from, to, 0, snapshotIndex, seq, offset, nextOffset);
  }

  /** Whether this answers a chunk without installing (more chunks are needed). */
  public boolean partial() {
    return matchIndex == 0 && snapshotIndex > 0;
  }
}

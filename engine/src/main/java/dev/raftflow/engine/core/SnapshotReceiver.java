package dev.raftflow.engine.core;

import dev.raftflow.engine.message.InstallSnapshot;

/**
 * A follower assembling a snapshot that arrives in chunks from one leader in one term. Chunks are
 * taken in order only; a duplicate, or one after a missing chunk, is answered with how much is held,
 * which brings the leader back to the gap. Volatile: a restart starts over. Not thread-safe: owned
 * by the core.
 */
final class SnapshotReceiver {

  /** What became of a chunk: the whole snapshot when it was the last one, else the bytes now held in order. */
  record Progress(byte[] complete, long held) {}

  private String leader;
  private long term;
  private long index;
  private long snapshotTerm;
  private byte[] data;
  private long received;

  /** Drops any transfer under way (a new term began: it will not go on). */
  void reset() {
    data = null;
  }

  /** The log now holds everything up to {@code commitIndex}: a snapshot at or below it is no longer needed. */
  void caughtUp(long commitIndex) {
    if (data != null && index <= commitIndex) {
      data = null;
    }
  }

  /** Takes chunk {@code s} received in {@code currentTerm}. */
  Progress accept(InstallSnapshot s, long currentTerm) {
    if (data == null || !matches(s, currentTerm)) {
      if (s.offset() != 0) {
        return new Progress(null, 0); // a chunk of a transfer not held (a restart, another leader): start over
      }
      leader = s.from();
      term = currentTerm;
      index = s.lastIncludedIndex();
      snapshotTerm = s.lastIncludedTerm();
      data = new byte[(int) s.totalBytes()];
      received = 0;
    }
    if (s.offset() == received) {
      System.arraycopy(s.data(), 0, data, (int) received, s.data().length);
      received += s.data().length;
    }
    if (received < data.length || s.offset() + s.data().length != received) {
      // a middle chunk taken in, or a duplicate (below what is held), or one after a missing chunk
      // (above): say how much is held in order; an empty chunk is the leader's probe
      return new Progress(null, received);
    }
    byte[] done = data;
    data = null;
    return new Progress(done, received);
  }

  private boolean matches(InstallSnapshot s, long currentTerm) {
    return s.from().equals(leader) && currentTerm == term && s.lastIncludedIndex() == index
        && s.lastIncludedTerm() == snapshotTerm && s.totalBytes() == data.length;
  }
}

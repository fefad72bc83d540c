package dev.raftflow.engine.core;

import dev.raftflow.engine.SnapshotData;
import dev.raftflow.engine.message.InstallSnapshot;
import dev.raftflow.engine.spi.SnapshotSink;
import dev.raftflow.engine.spi.SnapshotStaging;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * A follower assembling a snapshot that arrives in chunks from one leader in one term, written as
 * they come to a {@link SnapshotSink} of the staging area it was given (in memory unless the store
 * stages snapshots in files), so only one chunk at a time is held in memory. Chunks are taken in
 * order only; a duplicate, or one after a missing chunk, is answered with how much is held, which
 * brings the leader back to the gap. Volatile: a restart starts over (what was staged is dropped).
 * Not thread-safe: owned by the core.
 *
 * <p>Errors: a staging area that cannot be written throws {@link UncheckedIOException}.
 */
final class SnapshotReceiver {

  /** What became of a chunk: the whole snapshot when it was the last one, else the bytes now held in order. */
  record Progress(SnapshotData complete, long held) {}

  private SnapshotStaging staging = SnapshotStaging.inMemory();
  private String leader;
  private long term;
  private long index;
  private long snapshotTerm;
  private long total;
  private SnapshotSink sink;

  /** Stages the snapshots received from now on in {@code s}. */
  void stageWith(SnapshotStaging s) {
    staging = s;
  }

  /** Drops any transfer under way (a new term began: it will not go on). */
  void reset() {
    drop();
  }

  /** The log now holds everything up to {@code commitIndex}: a snapshot at or below it is no longer needed. */
  void caughtUp(long commitIndex) {
    if (sink != null && index <= commitIndex) {
      drop();
    }
  }

  /** Takes chunk {@code s} received in {@code currentTerm}. */
  Progress accept(InstallSnapshot s, long currentTerm) {
    if (sink == null || !matches(s, currentTerm)) {
      if (s.offset() != 0) {
        return new Progress(null, 0); // a chunk of a transfer not held (a restart, another leader): start over
      }
      drop();
      leader = s.from();
      term = currentTerm;
      index = s.lastIncludedIndex();
      snapshotTerm = s.lastIncludedTerm();
      total = s.totalBytes();
      sink = staging.begin(total);
    }
    long received = sink.written();
    if (s.offset() == received && s.data().length > 0) {
      write(s.data());
      received = sink.written();
    }
    if (received < total || s.offset() + s.data().length != received) {
      // a middle chunk taken in, or a duplicate (below what is held), or one after a missing chunk
      // (above): say how much is held in order; an empty chunk is the leader's probe
      return new Progress(null, received);
    }
    SnapshotSink done = sink;
    sink = null;
    try {
      return new Progress(done.finish(), received);
    } catch (IOException e) {
      done.abort();
      throw new UncheckedIOException("cannot finish the snapshot received from " + leader, e);
    }
  }

  private void write(byte[] chunk) {
    try {
      sink.write(ByteBuffer.wrap(chunk));
    } catch (IOException e) {
      drop();
      throw new UncheckedIOException("cannot stage the snapshot received from " + leader, e);
    }
  }

  private void drop() {
    if (sink != null) {
      sink.abort();
      sink = null;
    }
  }

  private boolean matches(InstallSnapshot s, long currentTerm) {
    return s.from().equals(leader) && currentTerm == term && s.lastIncludedIndex() == index
        && s.lastIncludedTerm() == snapshotTerm && s.totalBytes() == total;
  }
}

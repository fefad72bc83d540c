package dev.raftflow.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * The bytes of a snapshot, opaque to Raft, read by position: held in memory ({@link #of(byte[])})
 * or in a file a store owns (see {@code spi.SnapshotStaging}), so a snapshot may be larger
 * than the heap. The bytes never change once the data is created.
 *
 * <p>Threads: reads may come from several threads at once (the node's loop sends chunks while the
 * store writes the snapshot and the service restores from it). Errors: a read that fails throws
 * {@link UncheckedIOException}.
 */
public interface SnapshotData {

  /** Arrays at most this long can hold a whole snapshot ({@link #toBytes()}). */
  int MAX_ARRAY_BYTES = Integer.MAX_VALUE - 8;

  /** Data held in {@code bytes}, which the data owns from then on. */
  static SnapshotData of(byte[] bytes) {
    return new SnapshotBytes(bytes);
  }

  /** How many bytes the snapshot has. */
  long size();

  /**
   * Reads bytes from {@code position} into {@code dst} (as many as fit, up to the end), returning
   * how many were read: fewer than {@code dst.remaining()} only at the end.
   *
   * @throws IllegalArgumentException when {@code position} is negative or past {@link #size()}
   */
  int read(long position, ByteBuffer dst);

  /** {@code length} bytes from {@code position}, which must lie within the data. */
  default byte[] slice(long position, int length) {
    if (position < 0 || length < 0 || position + length > size()) {
      throw new IllegalArgumentException("slice " + position + "+" + length + " outside " + size() + " bytes");
    }
    ByteBuffer b = ByteBuffer.allocate(length);
    while (b.hasRemaining()) {
      if (read(position + b.position(), b) == 0) {
        throw new UncheckedIOException(new IOException("snapshot data ended early at " + (position + b.position())));
      }
    }
    return b.array();
  }

  /**
   * The whole snapshot in one array: the convenience for small snapshots.
   *
   * @throws IllegalStateException when it is larger than an array can hold (use {@link #openStream()})
   */
  default byte[] toBytes() {
    if (size() > MAX_ARRAY_BYTES) {
      throw new IllegalStateException("a snapshot of " + size() + " bytes does not fit in an array: read it as a stream");
    }
    return slice(0, (int) size());
  }

  /** A stream of the bytes from the first, read on demand; each call gives a new stream. */
  default InputStream openStream() {
    return new SnapshotInputStream(this);
  }
}

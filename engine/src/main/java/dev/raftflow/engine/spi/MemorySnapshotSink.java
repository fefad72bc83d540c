package dev.raftflow.engine.spi;

import dev.raftflow.engine.SnapshotData;
import java.nio.ByteBuffer;
import java.util.Arrays;

/** A snapshot written into one array, sized up front when the size is known. */
final class MemorySnapshotSink implements SnapshotSink {
  private byte[] bytes;
  private int size;

  MemorySnapshotSink(long expectedBytes) {
    if (expectedBytes > SnapshotData.MAX_ARRAY_BYTES) {
      throw new IllegalArgumentException("a snapshot of " + expectedBytes
          + " bytes does not fit in memory: give the node a store that stages snapshots in files");
    }
    bytes = new byte[(int) Math.max(0, expectedBytes)];
  }

  @Override
  public void write(ByteBuffer src) {
    if (bytes == null) {
      throw new IllegalStateException("the snapshot was finished or aborted");
    }
    int n = src.remaining();
    if ((long) size + n > SnapshotData.MAX_ARRAY_BYTES) {
      throw new IllegalStateException("a snapshot over " + SnapshotData.MAX_ARRAY_BYTES
          + " bytes does not fit in memory: give the node a store that stages snapshots in files");
    }
    if (size + n > bytes.length) {
      bytes = Arrays.copyOf(bytes, (int) Math.min(SnapshotData.MAX_ARRAY_BYTES, Math.max(size + n, 2L * bytes.length)));
    }
    src.get(bytes, size, n);
    size += n;
  }

  @Override
  public long written() {
    return size;
  }

  @Override
  public SnapshotData finish() {
    if (bytes == null) {
      throw new IllegalStateException("the snapshot was finished or aborted");
    }
    byte[] done = size == bytes.length ? bytes : Arrays.copyOf(bytes, size);
    bytes = null;
    return SnapshotData.of(done);
  }

  @Override
  public void abort() {
    bytes = null;
  }
}

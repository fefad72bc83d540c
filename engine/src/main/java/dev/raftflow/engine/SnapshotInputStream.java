package dev.raftflow.engine;

import java.io.InputStream;
import java.nio.ByteBuffer;

/** Reads a {@link SnapshotData} from its first byte, by position. Not thread-safe. */
final class SnapshotInputStream extends InputStream {
  private final SnapshotData data;
  private long position;

  SnapshotInputStream(SnapshotData data) {
    this.data = data;
  }

  @Override
  public int read() {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) {
    if (len == 0) {
      return 0;
    }
    if (position >= data.size()) {
      return -1;
    }
    int n = data.read(position, ByteBuffer.wrap(b, off, len));
    position += n;
    return n;
  }

  @Override
  public long skip(long n) {
    long skipped = Math.max(0, Math.min(n, data.size() - position));
    position += skipped;
    return skipped;
  }

  @Override
  public int available() {
    return (int) Math.min(Integer.MAX_VALUE, data.size() - position);
  }
}

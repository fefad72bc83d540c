package dev.raftflow.engine;

import java.nio.ByteBuffer;
import java.util.Objects;

/** Snapshot data held in one array (today's small snapshots): {@link #toBytes()} returns it without a copy. */
final class SnapshotBytes implements SnapshotData {
  private final byte[] bytes;

  SnapshotBytes(byte[] bytes) {
    this.bytes = Objects.requireNonNull(bytes, "bytes");
  }

  @Override
  public long size() {
    return bytes.length;
  }

  @Override
  public int read(long position, ByteBuffer dst) {
    if (position < 0 || position > bytes.length) {
      throw new IllegalArgumentException("position " + position + " outside " + bytes.length + " bytes");
    }
    int n = (int) Math.min(dst.remaining(), bytes.length - position);
    dst.put(bytes, (int) position, n);
    return n;
  }

  @Override
  public byte[] slice(long position, int length) {
    return position == 0 && length == bytes.length ? bytes : SnapshotData.super.slice(position, length);
  }

  @Override
  public byte[] toBytes() {
    return bytes;
  }

  @Override
  public String toString() {
    return bytes.length + "B in memory";
  }
}

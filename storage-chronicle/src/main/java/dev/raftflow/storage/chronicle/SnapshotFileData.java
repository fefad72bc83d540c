package dev.raftflow.storage.chronicle;

import dev.raftflow.engine.SnapshotData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Snapshot bytes in a file of a store's snapshot directory: {@code length} bytes from {@code
 * offset} of an open channel, read by position (from any thread). Either staged (written by a
 * {@link SnapshotFileSink}, its CRC32C known, not yet a snapshot file: {@link SnapshotFiles#write}
 * adopts it by renaming) or a stored snapshot file. The channel stays open while the data is
 * reachable (a snapshot file deleted meanwhile stays readable), and is closed once it is not; a
 * staged file never adopted is then deleted.
 */
final class SnapshotFileData implements SnapshotData {
  private static final Cleaner CLEANER = Cleaner.create();

  /** What the cleaner needs: the channel, and the staged file while it is one. */
  private static final class Handle implements Runnable {
    final FileChannel channel;
    volatile Path staged;

    Handle(FileChannel channel, Path staged) {
      this.channel = channel;
      this.staged = staged;
    }

    @Override
    public void run() {
      try {
        channel.close();
        Path p = staged;
        if (p != null) {
          Files.deleteIfExists(p);
        }
      } catch (IOException ignored) {
        // best effort: a leftover staged file is deleted when the store opens again
      }
    }
  }

  private final Handle handle;
  private final long offset;
  private final long length;
  private final int crc;

  private SnapshotFileData(FileChannel channel, long offset, long length, int crc, Path staged) {
    this.handle = new Handle(channel, staged);
    this.offset = offset;
    this.length = length;
    this.crc = crc;
    CLEANER.register(this, handle);
  }

  /** Data staged in {@code file} (its first {@code length} bytes, of CRC32C {@code crc}). */
  static SnapshotFileData staged(FileChannel channel, Path file, long length, int crc) {
    return new SnapshotFileData(channel, 0, length, crc, file);
  }

  /** Data of a stored snapshot file, {@code length} bytes from {@code offset}. */
  static SnapshotFileData stored(FileChannel channel, long offset, long length) {
    return new SnapshotFileData(channel, offset, length, 0, null);
  }

  @Override
  public long size() {
    return length;
  }

  @Override
  public int read(long position, ByteBuffer dst) {
    if (position < 0 || position > length) {
      throw new IllegalArgumentException("position " + position + " outside " + length + " bytes");
    }
    int want = (int) Math.min(dst.remaining(), length - position);
    ByteBuffer d = dst.slice().limit(want);
    try {
      while (d.hasRemaining()) {
        if (handle.channel.read(d, offset + position + d.position()) < 0) {
          throw new IOException("the snapshot file ended at " + (offset + position + d.position()));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the snapshot file", e);
    }
    dst.position(dst.position() + want);
    return want;
  }

  FileChannel channel() {
    return handle.channel;
  }

  /** The CRC32C of the data (staged data only). */
  int crc() {
    return crc;
  }

  /**
   * Claims the staged file in {@code dir} for renaming it into a snapshot file: returns it, or null
   * when this is not staged there or was claimed already (the caller then copies the bytes).
   */
  synchronized Path claimStaged(Path dir) {
    Path p = handle.staged;
    if (p == null || !p.getParent().equals(dir)) {
      return null;
    }
    handle.staged = null;
    return p;
  }

  @Override
  public String toString() {
    return length + "B in a file";
  }
}

package dev.raftflow.storage.chronicle;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The acknowledged watermark: the queue index of the last record whose batch was reported
 * durable. Two 32-byte slots written alternately, each {@code magic | seq | queueIndex |
 * raftLastIndex | crc32c}; the valid slot with the higher seq wins, so a torn slot write loses at
 * most the newest value.
 *
 * <p>It is written (to the page cache, through a memory mapping: no system call) after every
 * completed round, and fsynced at most once per
 * {@code syncInterval} and on close. After a process crash the watermark is exact; after a power
 * loss it may lag by up to the sync interval, and damage beyond it is treated as a torn tail.
 * Only ever written after the data it names is durable, so it never names data that is not.
 */
final class AckFile implements AutoCloseable {
  static final long NONE = Long.MIN_VALUE;
  private static final int MAGIC = 0x52464b31; // "RFK1"
  private static final int SLOT = 32;

  private final FileChannel ch;
  private final MappedByteBuffer map;
  private final ByteBuffer buf = ByteBuffer.allocate(SLOT).order(ByteOrder.LITTLE_ENDIAN);
  private final CRC32C crc = new CRC32C();
  private long seq;
  private long queueIndex = NONE;
  private long raftLastIndex;
  private boolean dirty;
  private boolean valid;

  AckFile(Path file) throws IOException {
    ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    for (int slot = 0; slot < 2; slot++) {
      ByteBuffer b = ByteBuffer.allocate(SLOT).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(b, (long) slot * SLOT);
      if (b.position() < SLOT) {
        continue;
      }
      b.flip();
      crc.reset();
      crc.update(b.duplicate().limit(SLOT - 4));
      if (b.getInt(0) != MAGIC || b.getInt(SLOT - 4) != (int) crc.getValue()) {
        continue;
      }
      valid = true;
      long s = b.getLong(4);
      if (s > seq) {
        seq = s;
        queueIndex = b.getLong(12);
        raftLastIndex = b.getLong(20);
      }
    }
    map = ch.map(FileChannel.MapMode.READ_WRITE, 0, 2 * SLOT);
    map.order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * Whether no slot is valid. A file {@link #initialize}d always has one (durably, before any
   * record is written), so a store with records whose ack file has none lost or damaged it.
   */
  boolean unreadable() {
    return !valid;
  }

  /**
   * Gives a file with no valid slot (new, or left empty by a crash before its first write) one
   * that names no record, and syncs it. The store does this before it writes any record, so that
   * a store with records whose ack file has no valid slot is known to have lost it.
   */
  void initialize() throws IOException {
    if (valid) {
      return;
    }
    put(NONE, 0);
    ch.force(false);
    dirty = false;
  }

  long queueIndex() {
    return queueIndex;
  }

  long raftLastIndex() {
    return raftLastIndex;
  }

  /** Records a new watermark (page cache only). */
  void write(long queueIndex, long raftLastIndex) throws IOException {
    if (queueIndex == this.queueIndex && raftLastIndex == this.raftLastIndex) {
      return;
    }
    put(queueIndex, raftLastIndex);
  }

  private void put(long queueIndex, long raftLastIndex) {
    seq++;
    buf.clear();
    buf.putInt(MAGIC).putLong(seq).putLong(queueIndex).putLong(raftLastIndex);
    crc.reset();
    crc.update(buf.array(), 0, SLOT - 4);
    buf.putInt((int) crc.getValue());
    map.put((int) (seq & 1) * SLOT, buf.array());
    this.queueIndex = queueIndex;
    this.raftLastIndex = raftLastIndex;
    valid = true;
    dirty = true;
  }

  boolean dirty() {
    return dirty;
  }

  void sync() throws IOException {
    if (dirty) {
      ch.force(false);
      dirty = false;
    }
  }

  @Override
  public void close() throws IOException {
    ch.close();
  }
}

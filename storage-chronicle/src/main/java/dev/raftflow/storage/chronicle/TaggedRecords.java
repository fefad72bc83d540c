package dev.raftflow.storage.chronicle;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The records of a {@link ChronicleHostLogStore}: each Chronicle document is one of a single
 * store's records ({@link Records}: BATCH or SNAPSHOT) behind a tag naming its group (little-endian):
 *
 * <pre>
 * TAGGED 6 | groupNumber i32 | tagCrc i32 (CRC32C of the 5 bytes before it) | record
 * </pre>
 *
 * The tag has its own checksum, so a damaged group number is never read as another group's.
 * Not thread-safe (the caller's buffers).
 */
final class TaggedRecords {
  /** The host store's format, in its {@code format} file. */
  static final int FORMAT = 1;
  static final String FORMAT_NAME = "raftflow-chronicle-host-log";

  static final byte TAGGED = 6;
  static final int TAG_BYTES = 9;

  private ByteBuffer out = ByteBuffer.allocate(64 << 10).order(ByteOrder.LITTLE_ENDIAN);
  private final CRC32C crc;

  TaggedRecords(CRC32C crc) {
    this.crc = crc;
  }

  /** {@code rec} (flipped) behind the tag of group {@code number}, flipped; valid until the next call. */
  ByteBuffer tag(int number, ByteBuffer rec) {
    int size = TAG_BYTES + rec.remaining();
    if (out.capacity() < size) {
      out = ByteBuffer.allocate(Math.max(size, out.capacity() * 2)).order(ByteOrder.LITTLE_ENDIAN);
    }
    out.clear();
    out.put(TAGGED).putInt(number);
    crc.reset();
    crc.update(out.array(), 0, 5);
    out.putInt((int) crc.getValue());
    out.put(rec.array(), rec.position(), rec.remaining());
    out.flip();
    return out;
  }

  /**
   * The group number of a tagged document.
   *
   * @throws Records.CorruptRecordException if it is not a tagged record or its tag is damaged
   */
  static int groupOf(byte[] doc, CRC32C crc) throws Records.CorruptRecordException {
    if (doc.length < TAG_BYTES + 1 || doc[0] != TAGGED) {
      throw new Records.CorruptRecordException("not a group-tagged record (" + doc.length + " bytes, type "
          + (doc.length > 0 ? doc[0] : -1) + ")");
    }
    ByteBuffer b = ByteBuffer.wrap(doc).order(ByteOrder.LITTLE_ENDIAN);
    crc.reset();
    crc.update(doc, 0, 5);
    if (b.getInt(5) != (int) crc.getValue()) {
      throw new Records.CorruptRecordException("checksum mismatch in the group tag");
    }
    return b.getInt(1);
  }

  /** The record behind the tag. */
  static byte[] body(byte[] doc) {
    return Arrays.copyOfRange(doc, TAG_BYTES, doc.length);
  }
}

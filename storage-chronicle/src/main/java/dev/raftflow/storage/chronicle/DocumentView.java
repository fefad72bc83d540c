package dev.raftflow.storage.chronicle;

import net.openhft.chronicle.bytes.Bytes;

/**
 * The Chronicle document being read, seen in place as a {@link Records.RecordView}: only the bytes
 * asked for are copied. Valid while the document is open; not thread-safe.
 */
final class DocumentView implements Records.RecordView {
  private final Bytes<?> bytes;
  private final long base;
  private final int length;

  DocumentView(Bytes<?> bytes) {
    this.bytes = bytes;
    this.base = bytes.readPosition();
    this.length = (int) Math.min(Integer.MAX_VALUE, bytes.readRemaining());
  }

  @Override
  public int length() {
    return length;
  }

  @Override
  public byte byteAt(int offset) {
    return bytes.readByte(base + offset);
  }

  @Override
  public int intAt(int offset) {
    // assembled byte by byte: records are little-endian whatever the platform's order
    return (byteAt(offset) & 0xff) | (byteAt(offset + 1) & 0xff) << 8 | (byteAt(offset + 2) & 0xff) << 16
        | (byteAt(offset + 3) & 0xff) << 24;
  }

  @Override
  public byte[] copy(int offset, int len) {
    byte[] out = new byte[len];
    if (offset < 0 || len > length - offset || bytes.read(base + offset, out, 0, len) != len) {
      throw new IllegalArgumentException("bytes " + offset + ".." + (offset + len) + " of a " + length + "-byte record");
    }
    return out;
  }
}

package dev.raftflow.engine.codec;

import java.nio.ByteBuffer;

/**
 * The unsigned LEB128 integers {@link MessageCodec} writes, for framing layers (a transport's batch
 * frames) that share its integer encoding: seven bits per byte, least significant first, the high
 * bit set on every byte but the last.
 *
 * <p>Only non-negative values are encoded. Reading is strict: a truncated, overlong (past 64 bits),
 * non-minimal or out-of-range varint fails with {@link MalformedMessageException} naming the field,
 * so a reader never accepts two spellings of one value. Stateless and thread-safe.
 */
public final class Varint {

  /** Most bytes a varint of a non-negative {@code long} takes. */
  public static final int MAX_LONG_BYTES = 9;

  /** Most bytes a varint of a non-negative {@code int} takes. */
  public static final int MAX_INT_BYTES = 5;

  private Varint() {}

  /**
   * Bytes the encoding of {@code v} takes (1 to {@value #MAX_LONG_BYTES}).
   *
   * @throws IllegalArgumentException when {@code v} is negative
   */
  public static int length(long v) {
    if (v < 0) {
      throw new IllegalArgumentException("negative value " + v + " cannot be encoded");
    }
    int n = 1;
    while ((v >>>= 7) != 0) {
      n++;
    }
    return n;
  }

  /**
   * Writes {@code v} at the buffer's position, advancing it by {@link #length(long)} bytes.
   *
   * @throws IllegalArgumentException when {@code v} is negative
   * @throws java.nio.BufferOverflowException when fewer bytes remain
   */
  public static void write(ByteBuffer buf, long v) {
    if (v < 0) {
      throw new IllegalArgumentException("negative value " + v + " cannot be encoded");
    }
    while ((v & ~0x7FL) != 0) {
      buf.put((byte) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    buf.put((byte) v);
  }

  /**
   * Reads one varint at the buffer's position, advancing past it.
   *
   * @param field what the value is, for the error message
   * @throws MalformedMessageException when the bytes are truncated, overlong, non-minimal or
   *     encode a value beyond {@link Long#MAX_VALUE}
   */
  public static long read(ByteBuffer buf, String field) {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!buf.hasRemaining()) {
        throw new MalformedMessageException("truncated varint in field " + field);
      }
      byte b = buf.get();
      if (shift == 63 && (b & 0x7F) > 1) {
        throw new MalformedMessageException("varint overflows 64 bits in field " + field);
      }
      v |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        if (b == 0 && shift > 0) {
          throw new MalformedMessageException("non-minimal varint in field " + field);
        }
        if (v < 0) {
          throw new MalformedMessageException("field " + field + " out of range");
        }
        return v;
      }
    }
    throw new MalformedMessageException("varint too long in field " + field);
  }
}

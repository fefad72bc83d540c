package dev.raftflow.examples.kv;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The length-prefixed fields of the KV encodings: a key is UTF-8 with an unsigned 16-bit length, a
 * value bytes with a 32-bit length; every read checks the length against what is left. Stateless.
 */
final class KvBytes {

  /** The longest key, in UTF-8 bytes. */
  static final int MAX_KEY_BYTES = 0xFFFF;

  private KvBytes() {}

  static byte[] keyBytes(String key) {
    if (key == null) {
      throw new IllegalArgumentException("a key must not be null");
    }
    byte[] b = key.getBytes(StandardCharsets.UTF_8);
    if (b.length > MAX_KEY_BYTES) {
      throw new IllegalArgumentException("a key is at most " + MAX_KEY_BYTES + " UTF-8 bytes, was " + b.length);
    }
    return b;
  }

  static int keySize(byte[] key) {
    return 2 + key.length;
  }

  static int valueSize(byte[] value) {
    return 4 + value.length;
  }

  static void putKey(ByteBuffer b, byte[] key) {
    b.putShort((short) key.length).put(key);
  }

  static void putValue(ByteBuffer b, byte[] value) {
    b.putInt(value.length).put(value);
  }

  static String getKey(ByteBuffer b, String what) {
    need(b, 2, what + " length");
    int n = Short.toUnsignedInt(b.getShort());
    need(b, n, what);
    byte[] raw = new byte[n];
    b.get(raw);
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
    } catch (CharacterCodingException e) {
      throw new MalformedKvDataException(what + " is not valid UTF-8");
    }
  }

  static byte[] getValue(ByteBuffer b, String what) {
    need(b, 4, what + " length");
    int n = b.getInt();
    if (n < 0) {
      throw new MalformedKvDataException(what + " has a negative length (" + n + ")");
    }
    need(b, n, what);
    byte[] v = new byte[n];
    b.get(v);
    return v;
  }

  static byte getByte(ByteBuffer b, String what) {
    need(b, 1, what);
    return b.get();
  }

  static int getInt(ByteBuffer b, String what) {
    need(b, 4, what);
    return b.getInt();
  }

  /** Fails unless {@code n} bytes are left. */
  static void need(ByteBuffer b, int n, String what) {
    if (b.remaining() < n) {
      throw new MalformedKvDataException("truncated: " + what + " needs " + n + " bytes, " + b.remaining() + " left");
    }
  }

  static void end(ByteBuffer b, String what) {
    if (b.hasRemaining()) {
      throw new MalformedKvDataException(what + " has " + b.remaining() + " unexpected trailing bytes");
    }
  }
}

package dev.raftflow.examples.kv;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * A write to the KV map, as it travels in the log: {@code [version 1][op][key][fields]}, keys UTF-8
 * with a 16-bit length, values with a 32-bit length. {@link #decode} rejects anything else
 * (unknown version or op, truncated fields, a negative length, a key that is not UTF-8, trailing
 * bytes) with a {@link MalformedKvDataException} saying what is wrong. Reads are not commands:
 * they are served at a read index (see {@link KvReads}). Immutable.
 */
public sealed interface KvCommand {

  /** The encoding's version byte. */
  byte VERSION = 1;

  byte OP_PUT = 1;
  byte OP_DELETE = 2;
  byte OP_CAS = 3;

  /** The key written. */
  String key();

  /** The command's bytes. */
  byte[] encode();

  /** Sets {@code key} to {@code value}; answers the previous value. */
  record Put(String key, byte[] value) implements KvCommand {
    public Put {
      KvBytes.keyBytes(key);
      Objects.requireNonNull(value, "value");
    }

    @Override
    public byte[] encode() {
      byte[] k = KvBytes.keyBytes(key);
      ByteBuffer b = ByteBuffer.allocate(2 + KvBytes.keySize(k) + KvBytes.valueSize(value));
      b.put(VERSION).put(OP_PUT);
      KvBytes.putKey(b, k);
      KvBytes.putValue(b, value);
      return b.array();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Put p && p.key.equals(key) && Arrays.equals(p.value, value);
    }

    @Override
    public int hashCode() {
      return key.hashCode() * 31 + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
      return "Put[" + key + ", " + value.length + " bytes]";
    }
  }

  /** Removes {@code key}; answers the previous value. */
  record Delete(String key) implements KvCommand {
    public Delete {
      KvBytes.keyBytes(key);
    }

    @Override
    public byte[] encode() {
      byte[] k = KvBytes.keyBytes(key);
      ByteBuffer b = ByteBuffer.allocate(2 + KvBytes.keySize(k));
      b.put(VERSION).put(OP_DELETE);
      KvBytes.putKey(b, k);
      return b.array();
    }
  }

  /**
   * Sets {@code key} to {@code value} if its current value equals {@code expected} (null: if the
   * key is absent). Answers whether it did, and the value the key had.
   */
  record Cas(String key, byte[] expected, byte[] value) implements KvCommand {
    public Cas {
      KvBytes.keyBytes(key);
      Objects.requireNonNull(value, "value");
    }

    @Override
    public byte[] encode() {
      byte[] k = KvBytes.keyBytes(key);
      int size = 2 + KvBytes.keySize(k) + 1 + (expected == null ? 0 : KvBytes.valueSize(expected))
          + KvBytes.valueSize(value);
      ByteBuffer b = ByteBuffer.allocate(size);
      b.put(VERSION).put(OP_CAS);
      KvBytes.putKey(b, k);
      b.put((byte) (expected == null ? 0 : 1));
      if (expected != null) {
        KvBytes.putValue(b, expected);
      }
      KvBytes.putValue(b, value);
      return b.array();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Cas c && c.key.equals(key) && Arrays.equals(c.expected, expected)
          && Arrays.equals(c.value, value);
    }

    @Override
    public int hashCode() {
      return (key.hashCode() * 31 + Arrays.hashCode(expected)) * 31 + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
      return "Cas[" + key + ", expected " + (expected == null ? "absent" : expected.length + " bytes") + ", "
          + value.length + " bytes]";
    }
  }

  /**
   * The command {@code data} holds.
   *
   * @throws MalformedKvDataException when it is not one
   */
  static KvCommand decode(byte[] data) {
    Objects.requireNonNull(data, "data");
    ByteBuffer b = ByteBuffer.wrap(data);
    if (data.length == 0) {
      throw new MalformedKvDataException("empty KV command");
    }
    byte version = b.get();
    if (version != VERSION) {
      throw new MalformedKvDataException("KV command version " + version + " is not known (this reads " + VERSION + ")");
    }
    byte op = KvBytes.getByte(b, "op");
    String key = KvBytes.getKey(b, "key");
    KvCommand c = switch (op) {
      case OP_PUT -> new Put(key, KvBytes.getValue(b, "value"));
      case OP_DELETE -> new Delete(key);
      case OP_CAS -> {
        byte flag = KvBytes.getByte(b, "expected flag");
        if (flag != 0 && flag != 1) {
          throw new MalformedKvDataException("CAS expected flag must be 0 (absent) or 1, was " + flag);
        }
        byte[] expected = flag == 1 ? KvBytes.getValue(b, "expected value") : null;
        yield new Cas(key, expected, KvBytes.getValue(b, "new value"));
      }
      default -> throw new MalformedKvDataException("unknown KV op " + op);
    };
    KvBytes.end(b, "KV command");
    return c;
  }
}

package dev.raftflow.examples.kv;

import dev.raftflow.client.ClientProtocol;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The read ops a {@code kv-server} adds to the {@link ClientProtocol} on the same port, as
 * request-responses: {@code [op][body]} answered {@code [status][body]} with the protocol's status
 * bytes (OK, NOT_LEADER naming the leader when known, OVERLOADED, ERROR with a message). The op
 * numbers are above the client protocol's.
 *
 * <ul>
 *   <li>GET {@code [key]} → OK {@code [present][value]}
 *   <li>RANGE {@code [from?][to?][limit]} (each bound a present byte, then the key) → OK {@code
 *       [count]([key][value])*}, keys {@code from <= key < to} in order, at most {@code limit}
 * </ul>
 *
 * Both are answered from the member's map once its {@code readIndex()} completed (ReadIndex, or a
 * lease or follower read when the member runs with them). Stateless.
 */
public final class KvReads {

  public static final byte OP_GET = 64;
  public static final byte OP_RANGE = 65;

  private KvReads() {}

  /** Whether {@code op} is one of these reads (else the request belongs to the client protocol). */
  static boolean isRead(byte op) {
    return op == OP_GET || op == OP_RANGE;
  }

  /** A range request: the bounds (null: open) and the limit. */
  record Range(String from, String to, int limit) {}

  static byte[] getRequest(String key) {
    byte[] k = KvBytes.keyBytes(key);
    ByteBuffer b = ByteBuffer.allocate(1 + KvBytes.keySize(k)).put(OP_GET);
    KvBytes.putKey(b, k);
    return b.array();
  }

  static byte[] rangeRequest(String from, String to, int limit) {
    KvStateMachine.checkLimit(limit);
    byte[] f = from == null ? null : KvBytes.keyBytes(from);
    byte[] t = to == null ? null : KvBytes.keyBytes(to);
    ByteBuffer b = ByteBuffer.allocate(1 + 1 + (f == null ? 0 : KvBytes.keySize(f)) + 1
        + (t == null ? 0 : KvBytes.keySize(t)) + 4).put(OP_RANGE);
    putBound(b, f);
    putBound(b, t);
    return b.putInt(limit).array();
  }

  private static void putBound(ByteBuffer b, byte[] key) {
    b.put((byte) (key == null ? 0 : 1));
    if (key != null) {
      KvBytes.putKey(b, key);
    }
  }

  /** The key of a GET body (after the op). */
  static String readGet(ByteBuffer body) {
    String key = KvBytes.getKey(body, "key");
    KvBytes.end(body, "GET request");
    return key;
  }

  /** The bounds and limit of a RANGE body (after the op). */
  static Range readRange(ByteBuffer body) {
    String from = readBound(body, "from");
    String to = readBound(body, "to");
    int limit = KvBytes.getInt(body, "limit");
    KvBytes.end(body, "RANGE request");
    if (limit < 1 || limit > KvStateMachine.MAX_RANGE_LIMIT) {
      throw new MalformedKvDataException("a range limit is 1.." + KvStateMachine.MAX_RANGE_LIMIT + ", was " + limit);
    }
    return new Range(from, to, limit);
  }

  private static String readBound(ByteBuffer b, String what) {
    byte flag = KvBytes.getByte(b, what + " flag");
    if (flag != 0 && flag != 1) {
      throw new MalformedKvDataException(what + " flag must be 0 or 1, was " + flag);
    }
    return flag == 1 ? KvBytes.getKey(b, what) : null;
  }

  static ByteBuffer getReply(byte[] value) {
    ByteBuffer b = ByteBuffer.allocate(2 + (value == null ? 0 : KvBytes.valueSize(value)));
    b.put(ClientProtocol.OK).put((byte) (value == null ? 0 : 1));
    if (value != null) {
      KvBytes.putValue(b, value);
    }
    return b.flip();
  }

  static ByteBuffer rangeReply(List<KvEntry> entries) {
    int size = 1 + 4;
    List<byte[]> keys = new ArrayList<>(entries.size());
    for (KvEntry e : entries) {
      byte[] k = KvBytes.keyBytes(e.key());
      keys.add(k);
      size += KvBytes.keySize(k) + KvBytes.valueSize(e.value());
    }
    ByteBuffer b = ByteBuffer.allocate(size).put(ClientProtocol.OK).putInt(entries.size());
    for (int i = 0; i < entries.size(); i++) {
      KvBytes.putKey(b, keys.get(i));
      KvBytes.putValue(b, entries.get(i).value());
    }
    return b.flip();
  }

  /** The value in an OK GET reply's body (after the status), null when absent. */
  static byte[] readGetReply(ByteBuffer b) {
    byte present = KvBytes.getByte(b, "present flag");
    byte[] v = present == 1 ? KvBytes.getValue(b, "value") : null;
    KvBytes.end(b, "GET reply");
    return v;
  }

  /** The entries in an OK RANGE reply's body (after the status). */
  static List<KvEntry> readRangeReply(ByteBuffer b) {
    int n = KvBytes.getInt(b, "entry count");
    if (n < 0 || n > KvStateMachine.MAX_RANGE_LIMIT) {
      throw new MalformedKvDataException("a range reply of " + n + " entries");
    }
    List<KvEntry> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(new KvEntry(KvBytes.getKey(b, "key " + i), KvBytes.getValue(b, "value " + i)));
    }
    KvBytes.end(b, "RANGE reply");
    return out;
  }
}

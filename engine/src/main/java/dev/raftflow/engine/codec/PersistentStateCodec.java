package dev.raftflow.engine.codec;

import dev.raftflow.engine.Membership;
import dev.raftflow.engine.message.EntryType;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.Snapshot;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A member's whole durable state ({@link PersistentState}: term, vote, snapshot with its membership,
 * entries) as one byte array and back: for a driver whose persistence takes bytes (an external
 * tester's persister, a blob store). Format {@value #FORMAT}: a format byte, then big-endian fields,
 * strings and byte arrays length-prefixed. Stateless and thread-safe.
 */
public final class PersistentStateCodec {

  /** The format this codec writes; decoding refuses any other. */
  public static final byte FORMAT = 1;

  private PersistentStateCodec() {}

  public static byte[] encode(PersistentState state) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(FORMAT);
      out.writeLong(state.hardState().term());
      writeString(out, state.hardState().votedFor());
      Snapshot s = state.snapshot();
      out.writeBoolean(s != null);
      if (s != null) {
        out.writeLong(s.index());
        out.writeLong(s.term());
        writeBytes(out, s.membership() == null ? null : s.membership().encode());
        writeBytes(out, s.data());
      }
      out.writeInt(state.entries().size());
      for (LogEntry e : state.entries()) {
        out.writeLong(e.index());
        out.writeLong(e.term());
        out.writeByte(e.type().code());
        writeBytes(out, e.data());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
    return bytes.toByteArray();
  }

  /**
   * Reads what {@link #encode} wrote.
   *
   * @throws IllegalArgumentException saying what is wrong (unknown format, truncated, trailing bytes,
   *     entries not consecutive after the snapshot)
   */
  public static PersistentState decode(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    try {
      byte format = b.get();
      if (format != FORMAT) {
        throw new IllegalArgumentException("unknown persistent state format " + format + " (expected " + FORMAT + ")");
      }
      HardState hs = new HardState(b.getLong(), readString(b));
      Snapshot snapshot = null;
      if (b.get() != 0) {
        long index = b.getLong();
        long term = b.getLong();
        byte[] membership = readBytes(b);
        snapshot = new Snapshot(index, term, membership == null ? null : Membership.decode(membership), nonNull(readBytes(b)));
      }
      int n = b.getInt();
      if (n < 0 || n > b.remaining() / 21) {
        throw new IllegalArgumentException("persistent state claims " + n + " entries in " + b.remaining() + " bytes");
      }
      List<LogEntry> entries = new ArrayList<>(n);
      long expect = (snapshot == null ? 0 : snapshot.index()) + 1;
      for (int i = 0; i < n; i++) {
        long index = b.getLong();
        long term = b.getLong();
        EntryType type = EntryType.fromCode(b.get());
        if (index != expect) {
          throw new IllegalArgumentException("entry " + i + " has index " + index + ", expected " + expect);
        }
        entries.add(new LogEntry(index, term, type, nonNull(readBytes(b))));
        expect++;
      }
      if (b.hasRemaining()) {
        throw new IllegalArgumentException(b.remaining() + " trailing bytes after the persistent state");
      }
      return new PersistentState(hs, snapshot, entries);
    } catch (BufferUnderflowException e) {
      throw new IllegalArgumentException("truncated persistent state (" + bytes.length + " bytes)", e);
    }
  }

  private static byte[] nonNull(byte[] b) {
    return b == null ? new byte[0] : b;
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    writeBytes(out, s == null ? null : s.getBytes(StandardCharsets.UTF_8));
  }

  private static String readString(ByteBuffer b) {
    byte[] u = readBytes(b);
    return u == null ? null : new String(u, StandardCharsets.UTF_8);
  }

  /** -1 for null, else the length and the bytes. */
  private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
    out.writeInt(b == null ? -1 : b.length);
    if (b != null) {
      out.write(b);
    }
  }

  private static byte[] readBytes(ByteBuffer b) {
    int n = b.getInt();
    if (n == -1) {
      return null;
    }
    if (n < -1 || n > b.remaining()) {
      throw new IllegalArgumentException("a field claims " + n + " bytes where " + b.remaining() + " remain");
    }
    byte[] u = new byte[n];
    b.get(u);
    return u;
  }
}

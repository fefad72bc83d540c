package dev.raftflow.storage.chronicle;

import dev.raftflow.engine.message.EntryType;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.HardState;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The binary records stored as Chronicle Queue documents. Every record starts with a type byte
 * and ends with the CRC32C of all bytes before it (little-endian throughout):
 *
 * <pre>
 * ENTRY     1 | index i64 | term i64 | entryType u8 | length i32 | data | crc i32
 * HARD      2 | term i64 | voteLength i32 (-1: none) | vote UTF-8 | crc i32
 * SNAPSHOT  3 | seq i64 | index i64 | term i64 | keep u8 | hardTerm i64 | voteLength i32 | vote | crc i32
 * </pre>
 *
 * A SNAPSHOT record is the commit point of snapshot file {@code seq}: replay drops entries up to
 * {@code index} when {@code keep} is 1, every entry otherwise, and takes the hard state it carries
 * (so the latest hard state is never in a compacted file).
 */
final class Records {
  static final byte ENTRY = 1;
  static final byte HARD = 2;
  static final byte SNAPSHOT = 3;

  static final int ENTRY_OVERHEAD = 1 + 8 + 8 + 1 + 4 + 4;

  private Records() {}

  /** A decoded record. */
  sealed interface Record permits Entry, Hard, SnapshotMark {}

  record Entry(LogEntry entry) implements Record {}

  record Hard(HardState hardState) implements Record {}

  record SnapshotMark(long seq, long index, long term, boolean keep, HardState hardState) implements Record {}

  /** Thrown when a record's bytes are not a valid record. */
  static final class CorruptRecordException extends Exception {
    CorruptRecordException(String message) {
      super(message);
    }
  }

  static int entrySize(LogEntry e) {
    return ENTRY_OVERHEAD + e.data().length;
  }

  /** Encodes an entry record into {@code out} (cleared first); returns it flipped. */
  static ByteBuffer encodeEntry(LogEntry e, ByteBuffer out, CRC32C crc) {
    out.clear();
    out.put(ENTRY).putLong(e.index()).putLong(e.term()).put((byte) e.type().code()).putInt(e.data().length);
    out.put(e.data());
    return finish(out, crc);
  }

  static ByteBuffer encodeHard(HardState hs, ByteBuffer out, CRC32C crc) {
    out.clear();
    out.put(HARD).putLong(hs.term());
    putVote(out, hs.votedFor());
    return finish(out, crc);
  }

  static ByteBuffer encodeSnapshot(long seq, long index, long term, boolean keep, HardState hs, ByteBuffer out, CRC32C crc) {
    out.clear();
    out.put(SNAPSHOT).putLong(seq).putLong(index).putLong(term).put((byte) (keep ? 1 : 0)).putLong(hs.term());
    putVote(out, hs.votedFor());
    return finish(out, crc);
  }

  static int maxHardSize(HardState hs) {
    return 64 + (hs.votedFor() == null ? 0 : hs.votedFor().length() * 3);
  }

  private static void putVote(ByteBuffer out, String vote) {
    if (vote == null) {
      out.putInt(-1);
    } else {
      byte[] b = vote.getBytes(StandardCharsets.UTF_8);
      out.putInt(b.length).put(b);
    }
  }

  private static ByteBuffer finish(ByteBuffer out, CRC32C crc) {
    crc.reset();
    int end = out.position();
    ByteBuffer view = out.duplicate().flip();
    crc.update(view);
    out.putInt((int) crc.getValue());
    out.flip();
    assert out.limit() == end + 4;
    return out;
  }

  /** Decodes one record, verifying its checksum and structure. */
  static Record decode(byte[] rec, CRC32C crc) throws CorruptRecordException {
    if (rec.length < 5) {
      throw new CorruptRecordException("record of " + rec.length + " bytes is too short");
    }
    crc.reset();
    crc.update(rec, 0, rec.length - 4);
    ByteBuffer b = ByteBuffer.wrap(rec).order(ByteOrder.LITTLE_ENDIAN);
    int stored = b.getInt(rec.length - 4);
    if ((int) crc.getValue() != stored) {
      throw new CorruptRecordException("checksum mismatch");
    }
    b.limit(rec.length - 4);
    try {
      byte type = b.get();
      Record r = switch (type) {
        case ENTRY -> {
          long index = b.getLong();
          long term = b.getLong();
          EntryType et = EntryType.fromCode(b.get());
          int len = b.getInt();
          if (len != b.remaining()) {
            throw new CorruptRecordException("entry length " + len + " but " + b.remaining() + " bytes");
          }
          byte[] data = new byte[len];
          b.get(data);
          yield new Entry(new LogEntry(index, term, et, data));
        }
        case HARD -> new Hard(new HardState(b.getLong(), getVote(b)));
        case SNAPSHOT -> {
          long seq = b.getLong();
          long index = b.getLong();
          long term = b.getLong();
          boolean keep = b.get() != 0;
          long hsTerm = b.getLong();
          yield new SnapshotMark(seq, index, term, keep, new HardState(hsTerm, getVote(b)));
        }
        default -> throw new CorruptRecordException("unknown record type " + type);
      };
      if (b.hasRemaining()) {
        throw new CorruptRecordException(b.remaining() + " trailing bytes");
      }
      return r;
    } catch (RuntimeException e) { // BufferUnderflow, bad entry type, bad UTF-8 length...
      throw new CorruptRecordException("malformed record: " + e);
    }
  }

  private static String getVote(ByteBuffer b) throws CorruptRecordException {
    int len = b.getInt();
    if (len == -1) {
      return null;
    }
    if (len < 0 || len > b.remaining()) {
      throw new CorruptRecordException("vote length " + len);
    }
    byte[] v = new byte[len];
    b.get(v);
    return new String(v, StandardCharsets.UTF_8);
  }
}

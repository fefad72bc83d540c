package dev.raftflow.storage.chronicle;

import dev.raftflow.engine.message.EntryType;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.HardState;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The binary records stored as Chronicle Queue documents, storage format {@value #FORMAT}
 * (little-endian throughout):
 *
 * <pre>
 * BATCH     4 | flags u8 (bit 0: hard state) | firstIndex i64 | count i32
 *             | [hardTerm i64 | voteLength i32 (-1: none) | vote UTF-8] | headerCrc i32
 *             | count x ( term i64 | entryType u8 | length i32 | data | entryCrc i32 )
 * SNAPSHOT  3 | seq i64 | index i64 | term i64 | keep u8 | hardTerm i64 | voteLength i32 | vote | crc i32
 * </pre>
 *
 * A BATCH holds a hard state (optional) and a run of consecutive entries {@code firstIndex ..
 * firstIndex + count - 1} (possibly none; {@code firstIndex} is then 0). {@code headerCrc} is the
 * CRC32C of the header bytes before it; each {@code entryCrc} is the CRC32C of that entry's bytes
 * before it, so one entry is readable and verifiable on its own. The entries replace every stored
 * entry at or after {@code firstIndex}. A BATCH is one Chronicle document, so it is written and
 * recovered whole: a batch with any damage is a damaged record.
 *
 * <p>A SNAPSHOT record is the commit point of snapshot file {@code seq}: replay drops entries up to
 * {@code index} when {@code keep} is 1, every entry otherwise, and takes the hard state it carries
 * (so the latest hard state is never in a compacted file).
 *
 * <p>Format 1 (before batching) stored one ENTRY (type 1) or HARD (type 2) record per document;
 * those types are refused with a message naming the format.
 */
final class Records {
  /**
   * The storage format these records make up; see {@link ChronicleLogStore}'s format file. 3: format
   * 2's records, with snapshot files that may be RFS3 (streamed snapshots, and any over 2 GiB).
   */
  static final int FORMAT = 3;

  /** The older format a directory is upgraded from when opened (same records, older snapshot files only). */
  static final int UPGRADES_FROM = 2;

  static final byte SNAPSHOT = 3;
  static final byte BATCH = 4;

  /** Bytes of an entry in a batch besides its data. */
  static final int ENTRY_OVERHEAD = 8 + 1 + 4 + 4;

  private static final int FIRST_INDEX_AT = 2;
  private static final int COUNT_AT = 10;
  private static final int FIXED_HEADER = 14;

  private Records() {}

  /** A decoded record. */
  sealed interface Record permits Batch, ScannedBatch, SnapshotMark {}

  /** A decoded batch: hard state or null, and its entries (indexes firstIndex...). */
  record Batch(HardState hardState, long firstIndex, List<LogEntry> entries) implements Record {}

  /** A verified batch whose entries went to an {@link EntrySink} instead of being copied out. */
  record ScannedBatch(HardState hardState, long firstIndex, int count) implements Record {}

  /** Takes the index, term and type of each entry of a batch {@link #scan} verified. */
  interface EntrySink {
    void entry(long index, long term, EntryType type);
  }

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

  static int maxHardSize(HardState hs) {
    return 64 + (hs.votedFor() == null ? 0 : hs.votedFor().length() * 3);
  }

  /**
   * Builds one BATCH record in a reused, growing buffer: {@link #begin}, {@link #add} entries,
   * {@link #finish}. Not thread-safe.
   */
  static final class BatchEncoder {
    private ByteBuffer buf = ByteBuffer.allocate(64 << 10).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32C crc;
    private int headerCrcAt;
    private int count;
    private long firstIndex;
    private long nextIndex;
    private boolean open;
    private boolean hard;

    BatchEncoder(CRC32C crc) {
      this.crc = crc;
    }

    boolean isOpen() {
      return open;
    }

    int count() {
      return count;
    }

    long firstIndex() {
      return firstIndex;
    }

    /** Index the next entry must have to join this batch (meaningful when count > 0). */
    long nextIndex() {
      return nextIndex;
    }

    /** Bytes so far. */
    int size() {
      return buf.position();
    }

    void begin(HardState hs) {
      ensure(hs == null ? FIXED_HEADER + 4 : FIXED_HEADER + 4 + maxHardSize(hs));
      buf.clear();
      buf.put(BATCH).put((byte) (hs == null ? 0 : 1)).putLong(0).putInt(0);
      if (hs != null) {
        buf.putLong(hs.term());
        putVote(buf, hs.votedFor());
      }
      headerCrcAt = buf.position();
      buf.putInt(0);
      count = 0;
      firstIndex = 0;
      open = true;
      hard = hs != null;
    }

    /** Whether the batch being built carries a hard state. */
    boolean hasHardState() {
      return open && hard;
    }

    /**
     * Adds a run of consecutive entries, calling {@code flush} (which must {@link #finish} and
     * write the batch) first when they do not follow the batch's entries (they replace a suffix)
     * and whenever the next entry would take the batch past {@code maxBytes}; begins a batch
     * without a hard state when none is open.
     */
    void addRun(List<LogEntry> es, long maxBytes, Runnable flush) {
      if (es.isEmpty()) {
        return;
      }
      if (open && count > 0 && es.get(0).index() != nextIndex) {
        flush.run(); // replaces a suffix: a batch holds one run of consecutive entries
      }
      for (int k = 0, n = es.size(); k < n; k++) {
        LogEntry e = es.get(k);
        if (open && count > 0 && size() + entrySize(e) > maxBytes) {
          flush.run();
        }
        if (!open) {
          begin(null);
        }
        add(e);
      }
    }

    void add(LogEntry e) {
      if (count == 0) {
        firstIndex = e.index();
      } else if (e.index() != nextIndex) {
        throw new IllegalArgumentException("entry " + e.index() + " does not follow " + (nextIndex - 1));
      }
      ensure(buf.position() + entrySize(e));
      int start = buf.position();
      buf.putLong(e.term()).put((byte) e.type().code()).putInt(e.data().length).put(e.data());
      crc.reset();
      crc.update(buf.array(), start, buf.position() - start);
      buf.putInt((int) crc.getValue());
      count++;
      nextIndex = e.index() + 1;
    }

    /** Completes the record; returns the buffer flipped (valid until the next begin). */
    ByteBuffer finish() {
      buf.putLong(FIRST_INDEX_AT, firstIndex).putInt(COUNT_AT, count);
      crc.reset();
      crc.update(buf.array(), 0, headerCrcAt);
      buf.putInt(headerCrcAt, (int) crc.getValue());
      buf.flip();
      open = false;
      return buf;
    }

    private void ensure(int capacity) {
      if (buf.capacity() < capacity) {
        ByteBuffer bigger = ByteBuffer.allocate(Math.max(capacity, buf.capacity() * 2)).order(ByteOrder.LITTLE_ENDIAN);
        buf.flip();
        bigger.put(buf);
        buf = bigger;
      }
    }
  }

  static ByteBuffer encodeSnapshot(long seq, long index, long term, boolean keep, HardState hs, ByteBuffer out, CRC32C crc) {
    out.clear();
    out.put(SNAPSHOT).putLong(seq).putLong(index).putLong(term).put((byte) (keep ? 1 : 0)).putLong(hs.term());
    putVote(out, hs.votedFor());
    crc.reset();
    int end = out.position();
    crc.update(out.array(), 0, end);
    out.putInt((int) crc.getValue());
    out.flip();
    return out;
  }

  private static void putVote(ByteBuffer out, String vote) {
    if (vote == null) {
      out.putInt(-1);
    } else {
      byte[] b = vote.getBytes(StandardCharsets.UTF_8);
      out.putInt(b.length).put(b);
    }
  }

  /** Decodes one record, verifying its checksums and structure. */
  static Record decode(byte[] rec, CRC32C crc) throws CorruptRecordException {
    return read(rec, crc, null);
  }

  /**
   * Verifies one record as {@link #decode} does, but hands a batch's entries to {@code sink} (index,
   * term, type) instead of copying their data out: recovery of a large log without loading it.
   */
  static Record scan(byte[] rec, CRC32C crc, EntrySink sink) throws CorruptRecordException {
    return read(rec, crc, sink);
  }

  private static Record read(byte[] rec, CRC32C crc, EntrySink sink) throws CorruptRecordException {
    if (rec.length < 5) {
      throw new CorruptRecordException("record of " + rec.length + " bytes is too short");
    }
    ByteBuffer b = ByteBuffer.wrap(rec).order(ByteOrder.LITTLE_ENDIAN);
    try {
      byte type = b.get(0);
      return switch (type) {
        case BATCH -> sink == null ? decodeBatch(b, crc) : scanBatch(b, crc, sink);
        case SNAPSHOT -> decodeSnapshot(b, crc);
        case 1, 2 -> throw new CorruptRecordException("record type " + type + " belongs to storage format 1, not "
            + FORMAT);
        default -> throw new CorruptRecordException("unknown record type " + type);
      };
    } catch (RuntimeException e) { // BufferUnderflow, bad entry type, bad UTF-8 length...
      throw new CorruptRecordException("malformed record: " + e);
    }
  }

  private static Record decodeSnapshot(ByteBuffer b, CRC32C crc) throws CorruptRecordException {
    byte[] rec = b.array();
    crc.reset();
    crc.update(rec, 0, rec.length - 4);
    if ((int) crc.getValue() != b.getInt(rec.length - 4)) {
      throw new CorruptRecordException("checksum mismatch");
    }
    b.limit(rec.length - 4).position(1);
    long seq = b.getLong();
    long index = b.getLong();
    long term = b.getLong();
    boolean keep = b.get() != 0;
    long hsTerm = b.getLong();
    SnapshotMark m = new SnapshotMark(seq, index, term, keep, new HardState(hsTerm, getVote(b)));
    if (b.hasRemaining()) {
      throw new CorruptRecordException(b.remaining() + " trailing bytes");
    }
    return m;
  }

  /** Verifies a batch's header; leaves {@code b} positioned at its first entry. */
  private static HardState batchHeader(ByteBuffer b, CRC32C crc) throws CorruptRecordException {
    b.position(1);
    int flags = b.get();
    b.position(FIXED_HEADER);
    HardState hs = null;
    if ((flags & 1) != 0) {
      long t = b.getLong();
      hs = new HardState(t, getVote(b));
    }
    int at = b.position();
    crc.reset();
    crc.update(b.array(), 0, at);
    if ((int) crc.getValue() != b.getInt(at)) {
      throw new CorruptRecordException("checksum mismatch in batch header");
    }
    b.position(at + 4);
    if (b.getInt(COUNT_AT) < 0) {
      throw new CorruptRecordException("batch count " + b.getInt(COUNT_AT));
    }
    return hs;
  }

  private static Record decodeBatch(ByteBuffer b, CRC32C crc) throws CorruptRecordException {
    HardState hs = batchHeader(b, crc);
    long first = b.getLong(FIRST_INDEX_AT);
    int count = b.getInt(COUNT_AT);
    List<LogEntry> es = new ArrayList<>(Math.min(count, 1 << 16));
    for (int k = 0; k < count; k++) {
      es.add(entry(b, first + k, crc));
    }
    if (b.hasRemaining()) {
      throw new CorruptRecordException(b.remaining() + " trailing bytes");
    }
    return new Batch(hs, first, es);
  }

  private static Record scanBatch(ByteBuffer b, CRC32C crc, EntrySink sink) throws CorruptRecordException {
    HardState hs = batchHeader(b, crc);
    long first = b.getLong(FIRST_INDEX_AT);
    int count = b.getInt(COUNT_AT);
    for (int k = 0; k < count; k++) {
      EntryAt e = verifyEntry(b, first + k, crc);
      sink.entry(first + k, e.term(), e.type());
    }
    if (b.hasRemaining()) {
      throw new CorruptRecordException(b.remaining() + " trailing bytes");
    }
    return new ScannedBatch(hs, first, count);
  }

  /** A verified entry in a record's bytes: its term, type, and where its data lies. */
  private record EntryAt(long term, EntryType type, int dataAt, int length) {}

  /**
   * Verifies the entry at {@code b}'s position (index {@code index}: length and checksum) and leaves
   * {@code b} after it.
   */
  private static EntryAt verifyEntry(ByteBuffer b, long index, CRC32C crc) throws CorruptRecordException {
    int start = b.position();
    long term = b.getLong();
    byte code = b.get();
    int len = b.getInt();
    if (len < 0 || len > b.remaining() - 4) {
      throw new CorruptRecordException("entry " + index + ": length " + len + " but " + (b.remaining() - 4)
          + " bytes left");
    }
    int dataAt = b.position();
    int end = dataAt + len;
    crc.reset();
    crc.update(b.array(), start, end - start);
    if ((int) crc.getValue() != b.getInt(end)) {
      throw new CorruptRecordException("checksum mismatch in entry " + index);
    }
    EntryType type = EntryType.fromCode(code);
    b.position(end + 4);
    return new EntryAt(term, type, dataAt, len);
  }

  /** Decodes the entry at {@code b}'s position (index {@code index}), verifying its checksum. */
  private static LogEntry entry(ByteBuffer b, long index, CRC32C crc) throws CorruptRecordException {
    EntryAt e = verifyEntry(b, index, crc);
    byte[] data = java.util.Arrays.copyOfRange(b.array(), e.dataAt(), e.dataAt() + e.length());
    return new LogEntry(index, e.term(), e.type(), data);
  }

  /**
   * Random access to the bytes of one stored record (offsets from its start, little-endian), so
   * that one entry can be read without copying the whole record.
   */
  interface RecordView {
    int length();

    byte byteAt(int offset);

    int intAt(int offset);

    /** Copies {@code len} bytes from {@code offset} into a new array. */
    byte[] copy(int offset, int len);
  }

  /**
   * Reads entry {@code index} from a BATCH record, copying only its header and that entry, and
   * verifying both checksums (and the lengths of the entries before it).
   */
  static LogEntry readEntry(RecordView rec, long index, CRC32C crc) throws CorruptRecordException {
    try {
      int size = rec.length();
      if (size < FIXED_HEADER + 4 || rec.byteAt(0) != BATCH) {
        throw new CorruptRecordException("not a batch record");
      }
      int headerEnd = FIXED_HEADER;
      if ((rec.byteAt(1) & 1) != 0) {
        int voteLen = rec.intAt(FIXED_HEADER + 8);
        if (voteLen < -1 || voteLen > size) {
          throw new CorruptRecordException("vote length " + voteLen);
        }
        headerEnd += 12 + Math.max(voteLen, 0);
      }
      if (headerEnd + 4 > size) {
        throw new CorruptRecordException("batch header runs past the record");
      }
      ByteBuffer header = ByteBuffer.wrap(rec.copy(0, headerEnd + 4)).order(ByteOrder.LITTLE_ENDIAN);
      batchHeader(header, crc);
      long first = header.getLong(FIRST_INDEX_AT);
      int count = header.getInt(COUNT_AT);
      if (index < first || index >= first + count) {
        throw new CorruptRecordException("batch holds entries " + first + ".." + (first + count - 1) + ", not " + index);
      }
      int at = headerEnd + 4;
      for (long k = first; ; k++) {
        if (at + ENTRY_OVERHEAD > size) {
          throw new CorruptRecordException("entry " + k + " runs past the record");
        }
        int len = rec.intAt(at + 9);
        if (len < 0 || len > size - at - ENTRY_OVERHEAD) {
          throw new CorruptRecordException("entry " + k + ": length " + len);
        }
        if (k == index) {
          ByteBuffer e = ByteBuffer.wrap(rec.copy(at, ENTRY_OVERHEAD + len)).order(ByteOrder.LITTLE_ENDIAN);
          return entry(e, index, crc);
        }
        at += ENTRY_OVERHEAD + len;
      }
    } catch (RuntimeException e) {
      throw new CorruptRecordException("malformed record: " + e);
    }
  }

  /** A {@link RecordView} of a byte array. */
  static RecordView view(byte[] rec) {
    ByteBuffer b = ByteBuffer.wrap(rec).order(ByteOrder.LITTLE_ENDIAN);
    return new RecordView() {
      @Override
      public int length() {
        return rec.length;
      }

      @Override
      public byte byteAt(int offset) {
        return b.get(offset);
      }

      @Override
      public int intAt(int offset) {
        return b.getInt(offset);
      }

      @Override
      public byte[] copy(int offset, int len) {
        return java.util.Arrays.copyOfRange(rec, offset, offset + len);
      }
    };
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

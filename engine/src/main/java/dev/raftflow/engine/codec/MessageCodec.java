package dev.raftflow.engine.codec;

import dev.raftflow.engine.message.AppendEntries;
import dev.raftflow.engine.message.Quiesce;
import dev.raftflow.engine.message.AppendResponse;
import dev.raftflow.engine.message.EntryType;
import dev.raftflow.engine.Membership;
import dev.raftflow.engine.message.InstallSnapshot;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.message.ReadIndexRequest;
import dev.raftflow.engine.message.ReadIndexResponse;
import dev.raftflow.engine.message.RequestVote;
import dev.raftflow.engine.message.SnapshotResponse;
import dev.raftflow.engine.message.TimeoutNow;
import dev.raftflow.engine.message.VoteResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The compact binary form of every {@link Message}: a version byte, a type byte, then the fields
 * as unsigned LEB128 varints ({@link Varint}), strings as varint length + UTF-8, byte arrays as
 * varint length + raw bytes. Entries of an AppendEntries carry no index (they follow {@code
 * prevLogIndex}). {@link MessageSizes} bounds the sizes this produces.
 *
 * <p>Stateless and thread-safe. {@link #decode} checks every length against what remains and
 * against the limits below, and fails with {@link MalformedMessageException} rather than reading
 * garbage or allocating from an untrusted length.
 */
public final class MessageCodec {

  /** The only format version this codec writes and reads. */
  public static final byte VERSION = 4;

  /** Longest node id accepted, in bytes. */
  public static final int MAX_ID_BYTES = 255;

  static final byte T_REQUEST_VOTE = 1;
  static final byte T_VOTE_RESPONSE = 2;
  static final byte T_APPEND_ENTRIES = 3;
  static final byte T_APPEND_RESPONSE = 4;
  static final byte T_INSTALL_SNAPSHOT = 5;
  static final byte T_SNAPSHOT_RESPONSE = 6;
  static final byte T_TIMEOUT_NOW = 7;
  /** Follower reads: peers older than these types refuse them as unknown (only sent when enabled). */
  static final byte T_READ_INDEX = 8;
  static final byte T_READ_INDEX_RESPONSE = 9;
  /** Quiescence of idle groups (multi-raft): sent only to peers whose wire version carries it. */
  static final byte T_QUIESCE = 10;

  private MessageCodec() {}

  /** Exact number of bytes {@link #encode} produces for {@code m}. */
  public static int encodedSize(Message m) {
    int n = 2 + varLen(m.term()) + strLen(m.from()) + strLen(m.to());
    if (m instanceof RequestVote v) {
      n += varLen(v.lastLogIndex()) + varLen(v.lastLogTerm()) + 1;
    } else if (m instanceof VoteResponse) {
      n += 1;
    } else if (m instanceof AppendEntries a) {
      n += varLen(a.prevLogIndex()) + varLen(a.prevLogTerm()) + varLen(a.leaderCommit()) + varLen(a.readRound());
      n += varLen(a.entries().size());
      for (LogEntry e : a.entries()) {
        n += entrySize(e);
      }
    } else if (m instanceof AppendResponse r) {
      n += 1 + varLen(r.readRound());
      n += r.success()
          ? varLen(r.matchIndex())
          : varLen(r.rejectedIndex()) + varLen(r.conflictTerm()) + varLen(r.conflictIndex());
    } else if (m instanceof InstallSnapshot s) {
      n += varLen(s.lastIncludedIndex()) + varLen(s.lastIncludedTerm()) + varLen(s.seq()) + varLen(s.offset())
          + varLen(s.totalBytes()) + bytesLen(s.data()) + bytesLen(membershipBytes(s));
    } else if (m instanceof SnapshotResponse s) {
      n += varLen(s.matchIndex()) + varLen(s.snapshotIndex()) + varLen(s.seq()) + varLen(s.offset())
          + varLen(s.nextOffset());
    } else if (m instanceof ReadIndexRequest r) {
      n += varLen(r.id());
    } else if (m instanceof ReadIndexResponse r) {
      n += varLen(r.id()) + varLen(r.index()) + 1;
    } else if (m instanceof Quiesce q) {
      n += varLen(q.lastIndex()) + varLen(q.lastTerm()) + varLen(q.commit());
    }
    return n;
  }

  /** Bytes one entry takes inside an AppendEntries. */
  public static int entrySize(LogEntry e) {
    return varLen(e.term()) + 1 + bytesLen(e.data());
  }

  /** Encodes {@code m} into a new array of exactly {@link #encodedSize} bytes. */
  public static byte[] encode(Message m) {
    byte[] out = new byte[encodedSize(m)];
    ByteBuffer buf = ByteBuffer.wrap(out);
    encode(m, buf);
    return out;
  }

  /** Writes {@code m} at the buffer's position; it needs {@link #encodedSize} bytes remaining. */
  public static void encode(Message m, ByteBuffer buf) {
    buf.put(VERSION);
    buf.put(typeOf(m));
    putVar(buf, m.term());
    putStr(buf, m.from());
    putStr(buf, m.to());
    if (m instanceof RequestVote v) {
      putVar(buf, v.lastLogIndex());
      putVar(buf, v.lastLogTerm());
      buf.put((byte) ((v.preVote() ? 1 : 0) | (v.transfer() ? 2 : 0)));
    } else if (m instanceof VoteResponse v) {
      buf.put((byte) ((v.granted() ? 1 : 0) | (v.preVote() ? 2 : 0)));
    } else if (m instanceof AppendEntries a) {
      putVar(buf, a.prevLogIndex());
      putVar(buf, a.prevLogTerm());
      putVar(buf, a.leaderCommit());
      putVar(buf, a.readRound());
      putVar(buf, a.entries().size());
      for (LogEntry e : a.entries()) {
        putVar(buf, e.term());
        buf.put((byte) e.type().code());
        putBytes(buf, e.data());
      }
    } else if (m instanceof AppendResponse r) {
      buf.put((byte) (r.success() ? 1 : 0));
      putVar(buf, r.readRound());
      if (r.success()) {
        putVar(buf, r.matchIndex());
      } else {
        putVar(buf, r.rejectedIndex());
        putVar(buf, r.conflictTerm());
        putVar(buf, r.conflictIndex());
      }
    } else if (m instanceof InstallSnapshot s) {
      putVar(buf, s.lastIncludedIndex());
      putVar(buf, s.lastIncludedTerm());
      putVar(buf, s.seq());
      putVar(buf, s.offset());
      putVar(buf, s.totalBytes());
      putBytes(buf, s.data());
      putBytes(buf, membershipBytes(s));
    } else if (m instanceof SnapshotResponse s) {
      putVar(buf, s.matchIndex());
      putVar(buf, s.snapshotIndex());
      putVar(buf, s.seq());
      putVar(buf, s.offset());
      putVar(buf, s.nextOffset());
    } else if (m instanceof ReadIndexRequest r) {
      putVar(buf, r.id());
    } else if (m instanceof ReadIndexResponse r) {
      putVar(buf, r.id());
      putVar(buf, r.index());
      buf.put((byte) (r.ok() ? 1 : 0));
    } else if (m instanceof Quiesce q) {
      putVar(buf, q.lastIndex());
      putVar(buf, q.lastTerm());
      putVar(buf, q.commit());
    }
  }

  /** Decodes one whole frame. */
  public static Message decode(byte[] frame) {
    return decode(ByteBuffer.wrap(frame));
  }

  /** Decodes the buffer's remaining bytes as exactly one message. */
  public static Message decode(ByteBuffer buf) {
    if (buf.remaining() < 2) {
      throw new MalformedMessageException("frame of " + buf.remaining() + " bytes is too short");
    }
    byte version = buf.get();
    if (version != VERSION) {
      throw new MalformedMessageException("unsupported version " + version + " (expected " + VERSION + ")");
    }
    byte type = buf.get();
    long term = getVar(buf, "term");
    String from = getStr(buf, "from");
    String to = getStr(buf, "to");
    Message m =
        switch (type) {
          case T_REQUEST_VOTE -> {
            long lastIndex = getVar(buf, "lastLogIndex");
            long lastTerm = getVar(buf, "lastLogTerm");
            int flags = getFlags(buf, "vote request flags", 3);
            yield new RequestVote(term, from, to, lastIndex, lastTerm, (flags & 1) != 0, (flags & 2) != 0);
          }
          case T_VOTE_RESPONSE -> {
            int flags = getFlags(buf, "vote flags", 3);
            yield new VoteResponse(term, from, to, (flags & 1) != 0, (flags & 2) != 0);
          }
          case T_APPEND_ENTRIES -> decodeAppend(buf, term, from, to);
          case T_APPEND_RESPONSE -> {
            boolean ok = getBool(buf, "success");
            long readRound = getVar(buf, "readRound");
            yield ok
                ? AppendResponse.accepted(term, from, to, getVar(buf, "matchIndex"), readRound)
                : AppendResponse.rejected(term, from, to, getVar(buf, "rejectedIndex"),
                    getVar(buf, "conflictTerm"), getVar(buf, "conflictIndex"), readRound);
          }
          case T_INSTALL_SNAPSHOT -> decodeSnapshotChunk(buf, term, from, to);
          case T_SNAPSHOT_RESPONSE -> new SnapshotResponse(term, from, to, getVar(buf, "matchIndex"),
              getVar(buf, "snapshotIndex"), getVar(buf, "seq"), getVar(buf, "offset"), getVar(buf, "nextOffset"));
          case T_TIMEOUT_NOW -> new TimeoutNow(term, from, to);
          case T_QUIESCE -> new Quiesce(term, from, to, getVar(buf, "lastIndex"), getVar(buf, "lastTerm"),
              getVar(buf, "commit"));
          case T_READ_INDEX -> new ReadIndexRequest(term, from, to, getVar(buf, "id"));
          case T_READ_INDEX_RESPONSE -> new ReadIndexResponse(term, from, to, getVar(buf, "id"), getVar(buf, "index"),
              getBool(buf, "ok"));
          default -> throw new MalformedMessageException("unknown message type " + type);
        };
    if (buf.hasRemaining()) {
      throw new MalformedMessageException(buf.remaining() + " trailing bytes after " + m.getClass().getSimpleName());
    }
    return m;
  }

  private static final byte[] NO_MEMBERSHIP = new byte[0];

  private static byte[] membershipBytes(InstallSnapshot s) {
    return s.membership() == null ? NO_MEMBERSHIP : s.membership().encode();
  }

  private static InstallSnapshot decodeSnapshotChunk(ByteBuffer buf, long term, String from, String to) {
    long index = getVar(buf, "lastIncludedIndex");
    long snapshotTerm = getVar(buf, "lastIncludedTerm");
    long seq = getVar(buf, "seq");
    long offset = getVar(buf, "offset");
    long total = getVar(buf, "totalBytes");
    byte[] data = getBytes(buf, "snapshot data");
    byte[] membership = getBytes(buf, "snapshot membership");
    try {
      return new InstallSnapshot(term, from, to, index, snapshotTerm, seq, offset, total, data,
          membership.length == 0 ? null : Membership.decode(membership));
    } catch (IllegalArgumentException e) {
      throw new MalformedMessageException(e.getMessage());
    }
  }

  private static AppendEntries decodeAppend(ByteBuffer buf, long term, String from, String to) {
    long prevIndex = getVar(buf, "prevLogIndex");
    long prevTerm = getVar(buf, "prevLogTerm");
    long commit = getVar(buf, "leaderCommit");
    long readRound = getVar(buf, "readRound");
    long count = getVar(buf, "entry count");
    // every entry takes at least 3 bytes: refuse counts the frame cannot hold
    if (count > buf.remaining() / 3) {
      throw new MalformedMessageException("entry count " + count + " exceeds what " + buf.remaining() + " bytes can hold");
    }
    List<LogEntry> entries = new ArrayList<>((int) count);
    for (int i = 0; i < count; i++) {
      long t = getVar(buf, "entry term");
      if (!buf.hasRemaining()) {
        throw new MalformedMessageException("truncated entry " + i);
      }
      int code = buf.get();
      EntryType type;
      try {
        type = EntryType.fromCode(code);
      } catch (IllegalArgumentException e) {
        throw new MalformedMessageException("entry " + i + ": " + e.getMessage());
      }
      entries.add(new LogEntry(prevIndex + 1 + i, t, type, getBytes(buf, "entry data")));
    }
    return new AppendEntries(term, from, to, prevIndex, prevTerm, entries, commit, readRound);
  }

  private static byte typeOf(Message m) {
    if (m instanceof RequestVote) return T_REQUEST_VOTE;
    if (m instanceof VoteResponse) return T_VOTE_RESPONSE;
    if (m instanceof AppendEntries) return T_APPEND_ENTRIES;
    if (m instanceof AppendResponse) return T_APPEND_RESPONSE;
    if (m instanceof InstallSnapshot) return T_INSTALL_SNAPSHOT;
    if (m instanceof TimeoutNow) return T_TIMEOUT_NOW;
    if (m instanceof ReadIndexRequest) return T_READ_INDEX;
    if (m instanceof ReadIndexResponse) return T_READ_INDEX_RESPONSE;
    if (m instanceof Quiesce) return T_QUIESCE;
    return T_SNAPSHOT_RESPONSE;
  }

  static int varLen(long v) {
    return Varint.length(v);
  }

  private static int strLen(String s) {
    int len = utf8Length(s);
    return varLen(len) + len;
  }

  private static int bytesLen(byte[] b) {
    return varLen(b.length) + b.length;
  }

  private static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else {
        return s.getBytes(StandardCharsets.UTF_8).length;
      }
    }
    return n;
  }

  static void putVar(ByteBuffer buf, long v) {
    Varint.write(buf, v);
  }

  private static void putStr(ByteBuffer buf, String s) {
    putBytes(buf, s.getBytes(StandardCharsets.UTF_8));
  }

  private static void putBytes(ByteBuffer buf, byte[] b) {
    putVar(buf, b.length);
    buf.put(b);
  }

  static long getVar(ByteBuffer buf, String field) {
    return Varint.read(buf, field);
  }

  private static boolean getBool(ByteBuffer buf, String field) {
    if (!buf.hasRemaining()) {
      throw new MalformedMessageException("truncated field " + field);
    }
    byte b = buf.get();
    if (b != 0 && b != 1) {
      throw new MalformedMessageException("field " + field + " is " + b + ", not a boolean");
    }
    return b == 1;
  }

  private static int getFlags(ByteBuffer buf, String field, int allowed) {
    if (!buf.hasRemaining()) {
      throw new MalformedMessageException("truncated field " + field);
    }
    int b = buf.get() & 0xFF;
    if ((b & ~allowed) != 0) {
      throw new MalformedMessageException("field " + field + " has unknown bits " + Integer.toBinaryString(b));
    }
    return b;
  }

  private static String getStr(ByteBuffer buf, String field) {
    long len = getVar(buf, field + " length");
    if (len > MAX_ID_BYTES) {
      throw new MalformedMessageException("field " + field + " is " + len + " bytes, more than " + MAX_ID_BYTES);
    }
    byte[] b = getRaw(buf, (int) len, field);
    return new String(b, StandardCharsets.UTF_8);
  }

  private static byte[] getBytes(ByteBuffer buf, String field) {
    long len = getVar(buf, field + " length");
    if (len > buf.remaining()) {
      throw new MalformedMessageException("field " + field + " claims " + len + " bytes, only " + buf.remaining() + " remain");
    }
    return getRaw(buf, (int) len, field);
  }

  private static byte[] getRaw(ByteBuffer buf, int len, String field) {
    if (len > buf.remaining()) {
      throw new MalformedMessageException("field " + field + " claims " + len + " bytes, only " + buf.remaining() + " remain");
    }
    byte[] b = new byte[len];
    buf.get(b);
    return b;
  }
}

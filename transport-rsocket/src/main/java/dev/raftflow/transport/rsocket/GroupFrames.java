package dev.raftflow.transport.rsocket;

import dev.raftflow.engine.codec.MalformedMessageException;
import dev.raftflow.engine.codec.MessageCodec;
import dev.raftflow.engine.codec.Varint;
import dev.raftflow.engine.message.AppendEntries;
import dev.raftflow.engine.message.AppendResponse;
import dev.raftflow.engine.message.Message;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The group-tagged framing of {@link RSocketHostTransport} (wire version {@link
 * WireVersions#GROUPS}): every RSocket payload's data is one frame {@code [3][kind][body]}; the
 * leading 3 keeps such a frame from ever being read as a {@link WireFormat} frame (version 1).
 *
 * <ul>
 *   <li>{@link #KIND_HELLO}: the first frame of a channel; body = the sending host's id (UTF-8).
 *   <li>{@link #KIND_GROUPS}: body = {@code [group count varint]} then each group id as {@code
 *       [length byte][UTF-8]} (the frame's group table, every id once), then {@code [message count
 *       varint]} and each message as {@code [group index varint][length varint][MessageCodec
 *       frame]}: whatever was queued for one peer host, of any groups, in one payload. The two
 *       messages every group exchanges most, heartbeats and their answers, travel as rows of a
 *       table instead (coalesced heartbeats): a length of 0 marks a heartbeat (an AppendEntries
 *       without entries) {@code [term][prevLogIndex][prevLogTerm][leaderCommit][readRound]}, a
 *       length of 1 an accepted AppendResponse {@code [term][matchIndex][readRound]} (varints);
 *       their sender and receiver are the two hosts of the connection, so a row is ~8 bytes
 *       where the message took ~20, and decoding it allocates no strings. Messages keep their
 *       order.
 *   <li>{@link #KIND_PING} and {@link #KIND_PONG}: empty bodies; a ping asks the peer host for a
 *       sign of life, a pong is one.
 * </ul>
 *
 * <p>Stateless and thread-safe, except {@link Builder} (one per channel). Decoding fails with
 * {@link MalformedMessageException} and never reads past the frame, allocates from an untrusted
 * length or retains the buffer.
 */
final class GroupFrames implements OutboundFrames {

  static final byte FRAME_VERSION = 3;
  static final byte KIND_HELLO = 1;
  static final byte KIND_GROUPS = 4;
  static final byte KIND_PING = 5;
  static final byte KIND_PONG = 6;
  /** In a message's length position: a heartbeat row. */
  private static final int ROW_HEARTBEAT = 0;
  /** In a message's length position: an accepted-append row. */
  private static final int ROW_ACCEPTED = 1;

  /** Bytes of a ping or pong frame. */
  static final int CONTROL_BYTES = WireFormat.HEADER_BYTES;

  static final GroupFrames INSTANCE = new GroupFrames();

  private GroupFrames() {}

  /** One decoded frame: a hello (sender set), a control frame, or messages with their groups. */
  record Frame(byte kind, String helloFrom, List<String> groups, List<Message> messages) {}

  /** Bytes of the frame carrying one message of {@code codecBytes} for a group of {@code groupIdBytes}. */
  static int singleFrameSize(int groupIdBytes, int codecBytes) {
    return WireFormat.HEADER_BYTES + 1 + 1 + groupIdBytes + 1 + 1 + Varint.length(codecBytes) + codecBytes;
  }

  /** The largest codec encoding a frame of {@code maxFrameBytes} carries for a group of {@code groupIdBytes}. */
  static int maxMessageBytes(int maxFrameBytes, int groupIdBytes) {
    return maxFrameBytes - (singleFrameSize(groupIdBytes, 0) - 1) - Varint.length(maxFrameBytes);
  }

  /** The codec size of a message queued with {@link #singleFrameSize}{@code (groupIdBytes, codec)} bytes. */
  private static int codecBytesOf(int frameBytes, int groupIdBytes) {
    int rest = frameBytes - (singleFrameSize(groupIdBytes, 0) - 1); // = varint(codec) + codec
    for (int v = 1; v <= Varint.MAX_INT_BYTES; v++) {
      if (Varint.length(rest - v) == v) {
        return rest - v;
      }
    }
    throw new IllegalStateException("no codec size fits a frame of " + frameBytes + " bytes");
  }

  static byte[] groupIdBytes(String groupId) {
    return groupId.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public ByteBuf hello(ByteBufAllocator alloc, String nodeId) {
    byte[] id = nodeId.getBytes(StandardCharsets.UTF_8);
    return alloc.buffer(WireFormat.HEADER_BYTES + id.length).writeByte(FRAME_VERSION).writeByte(KIND_HELLO).writeBytes(id);
  }

  @Override
  public Builder builder(LinkSettings settings) {
    return new Packer(settings.maxBatchBytes(), settings.nodeId());
  }

  /**
   * The row kind {@code m} travels as, or -1 for a full codec frame: rows only for messages of this
   * host (a host transport routes every message to the host its {@code to()} names, so the
   * receiver is the connection's other end).
   */
  static int rowOf(Message m, String localHost) {
    if (m instanceof AppendEntries a && a.entries().isEmpty() && a.from().equals(localHost)) {
      return ROW_HEARTBEAT;
    }
    if (m instanceof AppendResponse r && r.success() && r.rejectedIndex() == 0 && r.conflictTerm() == 0
        && r.conflictIndex() == 0 && r.from().equals(localHost)) {
      return ROW_ACCEPTED;
    }
    return -1;
  }

  /** Bytes of row {@code row} for {@code m}, its tag included. */
  private static int rowBytes(int row, Message m) {
    if (row == ROW_HEARTBEAT) {
      AppendEntries a = (AppendEntries) m;
      return 1 + Varint.length(a.term()) + Varint.length(a.prevLogIndex()) + Varint.length(a.prevLogTerm())
          + Varint.length(a.leaderCommit()) + Varint.length(a.readRound());
    }
    AppendResponse r = (AppendResponse) m;
    return 1 + Varint.length(r.term()) + Varint.length(r.matchIndex()) + Varint.length(r.readRound());
  }

  private static void writeRow(ByteBuf buf, int row, Message m) {
    writeVar(buf, row);
    if (row == ROW_HEARTBEAT) {
      AppendEntries a = (AppendEntries) m;
      writeVar(buf, a.term());
      writeVar(buf, a.prevLogIndex());
      writeVar(buf, a.prevLogTerm());
      writeVar(buf, a.leaderCommit());
      writeVar(buf, a.readRound());
    } else {
      AppendResponse r = (AppendResponse) m;
      writeVar(buf, r.term());
      writeVar(buf, r.matchIndex());
      writeVar(buf, r.readRound());
    }
  }

  /** Packs messages of any groups into one {@link #KIND_GROUPS} frame; a control frame goes alone. */
  private static final class Packer implements Builder {
    private final int maxBytes;
    private final String localHost;
    private final Map<String, Integer> index = new LinkedHashMap<>();
    private final List<byte[]> ids = new ArrayList<>();
    private final List<Message> messages = new ArrayList<>();
    private int[] groupOf = new int[16];
    private int[] sizes = new int[16];
    /** Per message: its row kind, or -1 for a codec frame. */
    private int[] rows = new int[16];
    private int tableBytes;
    private int messageBytes;
    private byte control;

    Packer(int maxBytes, String localHost) {
      this.maxBytes = maxBytes;
      this.localHost = localHost;
    }

    @Override
    public void start(PeerLink.Queued first) {
      reset();
      control = first.control();
      if (control == 0) {
        add(first, false);
      }
    }

    @Override
    public boolean tryAdd(PeerLink.Queued next) {
      if (control != 0 || next.control() != 0) {
        return false;
      }
      return add(next, true);
    }

    /**
     * Adds {@code q} (its group to the table if new), sizing it once; with {@code fitOnly}, only if
     * the frame stays within the batch bytes. Returns whether it was added.
     */
    private boolean add(PeerLink.Queued q, boolean fitOnly) {
      Integer known = index.get(q.group());
      byte[] newId = known == null ? groupIdBytes(q.group()) : null;
      int g = known != null ? known : index.size();
      int row = rowOf(q.message(), localHost);
      int codec = row >= 0 ? 0 : codecBytesOf(q.bytes(), newId != null ? newId.length : ids.get(g).length);
      int bytes = Varint.length(g) + (row >= 0 ? rowBytes(row, q.message()) : entryBytes(codec));
      int table = tableBytes + (newId != null ? 1 + newId.length : 0);
      if (fitOnly && size(index.size() + (newId != null ? 1 : 0), table, messages.size() + 1, messageBytes + bytes)
          > maxBytes) {
        return false;
      }
      if (newId != null) {
        index.put(q.group(), g);
        ids.add(newId);
      }
      tableBytes = table;
      int n = messages.size();
      if (n == sizes.length) {
        sizes = Arrays.copyOf(sizes, n * 2);
        groupOf = Arrays.copyOf(groupOf, n * 2);
        rows = Arrays.copyOf(rows, n * 2);
      }
      sizes[n] = codec;
      groupOf[n] = g;
      rows[n] = row;
      messages.add(q.message());
      messageBytes += bytes;
      return true;
    }

    private static int entryBytes(int codec) {
      return Varint.length(codec) + codec;
    }

    private static int size(int groups, int table, int count, int msgs) {
      return WireFormat.HEADER_BYTES + Varint.length(groups) + table + Varint.length(count) + msgs;
    }

    @Override
    public int messages() {
      return messages.size();
    }

    @Override
    public ByteBuf build(ByteBufAllocator alloc) {
      if (control != 0) {
        return alloc.buffer(CONTROL_BYTES).writeByte(FRAME_VERSION).writeByte(control);
      }
      ByteBuf buf = alloc.buffer(size(ids.size(), tableBytes, messages.size(), messageBytes));
      try {
        buf.writeByte(FRAME_VERSION).writeByte(KIND_GROUPS);
        writeVar(buf, ids.size());
        for (byte[] id : ids) {
          buf.writeByte(id.length).writeBytes(id);
        }
        writeVar(buf, messages.size());
        for (int i = 0; i < messages.size(); i++) {
          writeVar(buf, groupOf[i]);
          if (rows[i] >= 0) {
            writeRow(buf, rows[i], messages.get(i));
          } else {
            writeVar(buf, sizes[i]);
            writeCodec(buf, messages.get(i), sizes[i]);
          }
        }
        return buf;
      } catch (RuntimeException e) {
        buf.release();
        throw e;
      }
    }

    @Override
    public void reset() {
      index.clear();
      ids.clear();
      messages.clear();
      tableBytes = 0;
      messageBytes = 0;
      control = 0;
    }
  }

  private static void writeCodec(ByteBuf buf, Message m, int size) {
    int at = buf.writerIndex();
    buf.ensureWritable(size);
    if (buf.nioBufferCount() == 1) {
      MessageCodec.encode(m, buf.nioBuffer(at, size));
      buf.writerIndex(at + size);
    } else {
      buf.writeBytes(MessageCodec.encode(m));
    }
  }

  private static void writeVar(ByteBuf buf, long v) {
    while ((v & ~0x7FL) != 0) {
      buf.writeByte((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    buf.writeByte((int) v);
  }

  /**
   * Decodes one frame from the readable bytes of {@code data}, changing neither its indexes nor its
   * reference count; rows become messages from {@code peerHost} to {@code localHost}.
   */
  static Frame decode(ByteBuf data, String peerHost, String localHost) {
    int len = data.readableBytes();
    if (len < WireFormat.HEADER_BYTES) {
      throw new MalformedMessageException("frame of " + len + " bytes is shorter than its header");
    }
    int start = data.readerIndex();
    byte version = data.getByte(start);
    if (version != FRAME_VERSION) {
      throw new MalformedMessageException("unsupported frame version " + version + " (a host expects "
          + FRAME_VERSION + ", the group-tagged format)");
    }
    byte kind = data.getByte(start + 1);
    int bodyLen = len - WireFormat.HEADER_BYTES;
    switch (kind) {
      case KIND_HELLO -> {
        if (bodyLen == 0 || bodyLen > MessageCodec.MAX_ID_BYTES) {
          throw new MalformedMessageException("hello frame carries a host id of " + bodyLen + " bytes");
        }
        return new Frame(kind, data.toString(start + WireFormat.HEADER_BYTES, bodyLen, StandardCharsets.UTF_8), List.of(),
            List.of());
      }
      case KIND_PING, KIND_PONG -> {
        if (bodyLen != 0) {
          throw new MalformedMessageException("control frame with a body of " + bodyLen + " bytes");
        }
        return new Frame(kind, null, List.of(), List.of());
      }
      case KIND_GROUPS -> {
        return decodeGroups(body(data, start + WireFormat.HEADER_BYTES, bodyLen), peerHost, localHost);
      }
      default -> throw new MalformedMessageException("unknown frame kind " + kind);
    }
  }

  private static Frame decodeGroups(ByteBuffer body, String peerHost, String localHost) {
    long groupCount = Varint.read(body, "group count");
    if (groupCount < 1 || groupCount > body.remaining() / 2) {
      throw new MalformedMessageException("group count " + groupCount + " impossible in " + body.remaining() + " bytes");
    }
    String[] table = new String[(int) groupCount];
    for (int i = 0; i < table.length; i++) {
      int idLen = body.get() & 0xFF;
      if (idLen == 0 || idLen > body.remaining()) {
        throw new MalformedMessageException("group id " + i + " claims " + idLen + " bytes, " + body.remaining() + " remain");
      }
      byte[] id = new byte[idLen];
      body.get(id);
      table[i] = new String(id, StandardCharsets.UTF_8);
    }
    long count = Varint.read(body, "message count");
    if (count < 1 || count > body.remaining() / 4) {
      throw new MalformedMessageException("message count " + count + " impossible in " + body.remaining() + " bytes");
    }
    List<String> groups = new ArrayList<>((int) count);
    List<Message> messages = new ArrayList<>((int) count);
    for (int i = 0; i < count; i++) {
      long g = Varint.read(body, "group index");
      if (g < 0 || g >= table.length) {
        throw new MalformedMessageException("message " + i + " names group " + g + " of " + table.length);
      }
      long mlen = Varint.read(body, "message length");
      if (mlen == ROW_HEARTBEAT || mlen == ROW_ACCEPTED) {
        messages.add(readRow((int) mlen, body, i, peerHost, localHost));
        groups.add(table[(int) g]);
        continue;
      }
      if (mlen < 2 || mlen > body.remaining()) {
        throw new MalformedMessageException("message " + i + " claims " + mlen + " bytes, " + body.remaining() + " remain");
      }
      ByteBuffer one = body.slice();
      one.limit((int) mlen);
      body.position(body.position() + (int) mlen);
      try {
        messages.add(MessageCodec.decode(one));
      } catch (MalformedMessageException e) {
        throw new MalformedMessageException("message " + i + ": " + e.getMessage());
      }
      groups.add(table[(int) g]);
    }
    if (body.hasRemaining()) {
      throw new MalformedMessageException(body.remaining() + " trailing bytes after " + count + " messages");
    }
    return new Frame(KIND_GROUPS, null, groups, messages);
  }

  private static Message readRow(int row, ByteBuffer body, int i, String from, String to) {
    if (from == null || to == null) {
      throw new MalformedMessageException("message " + i + " is a row, but the frame's hosts are unknown");
    }
    if (row == ROW_HEARTBEAT) {
      long term = positive(body, "heartbeat term", i);
      long prevIndex = notNegative(body, "heartbeat prevLogIndex", i);
      long prevTerm = notNegative(body, "heartbeat prevLogTerm", i);
      long commit = notNegative(body, "heartbeat leaderCommit", i);
      long readRound = notNegative(body, "heartbeat readRound", i);
      return new AppendEntries(term, from, to, prevIndex, prevTerm, List.of(), commit, readRound);
    }
    long term = positive(body, "accepted term", i);
    long match = notNegative(body, "accepted matchIndex", i);
    long readRound = notNegative(body, "accepted readRound", i);
    return AppendResponse.accepted(term, from, to, match, readRound);
  }

  private static long positive(ByteBuffer body, String field, int i) {
    long v = notNegative(body, field, i);
    if (v == 0) {
      throw new MalformedMessageException("message " + i + ": " + field + " is 0");
    }
    return v;
  }

  private static long notNegative(ByteBuffer body, String field, int i) {
    long v;
    try {
      v = Varint.read(body, field);
    } catch (MalformedMessageException e) {
      throw new MalformedMessageException("message " + i + ": " + e.getMessage());
    }
    if (v < 0) {
      throw new MalformedMessageException("message " + i + ": " + field + " out of range");
    }
    return v;
  }

  private static ByteBuffer body(ByteBuf data, int at, int len) {
    if (data.nioBufferCount() == 1) {
      return data.nioBuffer(at, len);
    }
    byte[] copy = new byte[len];
    data.getBytes(at, copy);
    return ByteBuffer.wrap(copy);
  }
}

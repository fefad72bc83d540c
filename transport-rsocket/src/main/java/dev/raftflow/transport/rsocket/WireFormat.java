package dev.raftflow.transport.rsocket;

import dev.raftflow.engine.codec.MalformedMessageException;
import dev.raftflow.engine.codec.MessageCodec;
import dev.raftflow.engine.codec.Varint;
import dev.raftflow.engine.message.Message;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The thin framing this transport puts around {@link MessageCodec}: every RSocket payload's data is
 * one frame, {@code [frame version][kind][body]}.
 *
 * <ul>
 *   <li>{@link #KIND_HELLO}: the first payload of a channel; body = the sender's node id (UTF-8). It
 *       opens the channel at once, so the receiver can grant credit before the first message.
 *   <li>{@link #KIND_MESSAGE}: body = exactly one {@link MessageCodec} frame (its own version byte,
 *       type byte, varints and length-checked fields).
 *   <li>{@link #KIND_BATCH}: body = {@code [count varint]} then {@code count} times {@code [length
 *       varint][MessageCodec frame]}: what was queued for one peer when credit arrived, sent as one
 *       RSocket payload (smart batching: a batch is only what is already waiting, never a wait).
 * </ul>
 *
 * <p>RSocket's TCP transport already length-prefixes each frame, so no length field is repeated
 * here. Stateless and thread-safe. Decoding fails with {@link MalformedMessageException} and never
 * reads past the frame, allocates from an untrusted length or retains the buffer.
 */
public final class WireFormat {

  /** Version of this framing (independent of {@link MessageCodec#VERSION}). */
  public static final byte FRAME_VERSION = 1;

  public static final byte KIND_HELLO = 1;
  public static final byte KIND_MESSAGE = 2;
  public static final byte KIND_BATCH = 3;

  /** Bytes of framing before the codec's bytes. */
  public static final int HEADER_BYTES = 2;

  private WireFormat() {}

  /** One decoded frame: a hello (sender set), a message, or a batch (messages set). */
  public record Frame(byte kind, String helloFrom, Message message, List<Message> batch) {
    Frame(byte kind, String helloFrom, Message message) {
      this(kind, helloFrom, message, message == null ? List.of() : List.of(message));
    }

    /** The messages this frame carries (none for a hello). */
    public List<Message> messages() {
      return batch;
    }
  }

  /** Bytes the frame carrying {@code m} takes. */
  public static int frameSize(Message m) {
    return HEADER_BYTES + MessageCodec.encodedSize(m);
  }

  /** Encodes {@code m} into a new buffer from {@code alloc}; the caller owns (and releases) it. */
  public static ByteBuf encodeMessage(ByteBufAllocator alloc, Message m) {
    int size = MessageCodec.encodedSize(m);
    ByteBuf buf = alloc.buffer(HEADER_BYTES + size);
    try {
      buf.writeByte(FRAME_VERSION).writeByte(KIND_MESSAGE);
      int at = buf.writerIndex();
      buf.ensureWritable(size);
      if (buf.nioBufferCount() == 1) {
        ByteBuffer view = buf.nioBuffer(at, size);
        MessageCodec.encode(m, view);
        buf.writerIndex(at + size);
      } else {
        buf.writeBytes(MessageCodec.encode(m));
      }
      return buf;
    } catch (RuntimeException e) {
      buf.release();
      throw e;
    }
  }

  /** Encodes {@code m} into a new array (tests and tools). */
  public static byte[] encodeMessage(Message m) {
    byte[] codec = MessageCodec.encode(m);
    byte[] out = new byte[HEADER_BYTES + codec.length];
    out[0] = FRAME_VERSION;
    out[1] = KIND_MESSAGE;
    System.arraycopy(codec, 0, out, HEADER_BYTES, codec.length);
    return out;
  }

  /** Encodes the hello frame of a channel opened by {@code from}. */
  public static ByteBuf encodeHello(ByteBufAllocator alloc, String from) {
    byte[] id = from.getBytes(StandardCharsets.UTF_8);
    ByteBuf buf = alloc.buffer(HEADER_BYTES + id.length);
    return buf.writeByte(FRAME_VERSION).writeByte(KIND_HELLO).writeBytes(id);
  }

  /**
   * Decodes one frame from the readable bytes of {@code data} without changing its indexes or
   * reference count.
   */
  public static Frame decode(ByteBuf data) {
    int len = data.readableBytes();
    if (len < HEADER_BYTES) {
      throw new MalformedMessageException("frame of " + len + " bytes is shorter than its " + HEADER_BYTES + "-byte header");
    }
    int start = data.readerIndex();
    byte version = data.getByte(start);
    if (version != FRAME_VERSION) {
      throw new MalformedMessageException("unsupported frame version " + version + " (expected " + FRAME_VERSION + ")");
    }
    byte kind = data.getByte(start + 1);
    int bodyLen = len - HEADER_BYTES;
    switch (kind) {
      case KIND_HELLO -> {
        if (bodyLen == 0 || bodyLen > MessageCodec.MAX_ID_BYTES) {
          throw new MalformedMessageException("hello frame carries a node id of " + bodyLen + " bytes");
        }
        return new Frame(kind, data.toString(start + HEADER_BYTES, bodyLen, StandardCharsets.UTF_8), null);
      }
      case KIND_MESSAGE -> {
        ByteBuffer body;
        if (data.nioBufferCount() == 1) {
          body = data.nioBuffer(start + HEADER_BYTES, bodyLen);
        } else {
          byte[] copy = new byte[bodyLen];
          data.getBytes(start + HEADER_BYTES, copy);
          body = ByteBuffer.wrap(copy);
        }
        return new Frame(kind, null, MessageCodec.decode(body));
      }
      case KIND_BATCH -> {
        ByteBuffer body = bodyOf(data, start, bodyLen);
        long count = getVar(body, "batch count");
        if (count < 2 || count > body.remaining() / 3) {
          throw new MalformedMessageException("batch count " + count + " impossible in " + body.remaining() + " bytes");
        }
        List<Message> ms = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
          long elen = getVar(body, "batch element length");
          if (elen < 2 || elen > body.remaining()) {
            throw new MalformedMessageException("batch element " + i + " claims " + elen + " bytes, " + body.remaining() + " remain");
          }
          ByteBuffer one = body.slice();
          one.limit((int) elen);
          body.position(body.position() + (int) elen);
          try {
            ms.add(MessageCodec.decode(one));
          } catch (MalformedMessageException e) {
            throw new MalformedMessageException("batch element " + i + ": " + e.getMessage());
          }
        }
        if (body.hasRemaining()) {
          throw new MalformedMessageException(body.remaining() + " trailing bytes after a batch of " + count);
        }
        return new Frame(kind, null, null, List.copyOf(ms));
      }
      default -> throw new MalformedMessageException("unknown frame kind " + kind);
    }
  }

  private static ByteBuffer bodyOf(ByteBuf data, int start, int bodyLen) {
    if (data.nioBufferCount() == 1) {
      return data.nioBuffer(start + HEADER_BYTES, bodyLen);
    }
    byte[] copy = new byte[bodyLen];
    data.getBytes(start + HEADER_BYTES, copy);
    return ByteBuffer.wrap(copy);
  }

  /** Bytes a batch frame of messages with these codec sizes takes. */
  public static int batchFrameSize(int count, int codecBytesTotal, int lengthPrefixBytes) {
    return HEADER_BYTES + Varint.length(count) + lengthPrefixBytes + codecBytesTotal;
  }

  /**
   * Encodes {@code messages} (at least two; {@code codecSizes[i]} = their {@link
   * MessageCodec#encodedSize}) as one batch frame of exactly {@code frameSize} bytes.
   */
  public static ByteBuf encodeBatch(ByteBufAllocator alloc, List<Message> messages, int[] codecSizes, int frameSize) {
    ByteBuf buf = alloc.buffer(frameSize);
    try {
      buf.writeByte(FRAME_VERSION).writeByte(KIND_BATCH);
      writeVar(buf, messages.size());
      for (int i = 0; i < messages.size(); i++) {
        int size = codecSizes[i];
        writeVar(buf, size);
        int at = buf.writerIndex();
        buf.ensureWritable(size);
        if (buf.nioBufferCount() == 1) {
          MessageCodec.encode(messages.get(i), buf.nioBuffer(at, size));
          buf.writerIndex(at + size);
        } else {
          buf.writeBytes(MessageCodec.encode(messages.get(i)));
        }
      }
      return buf;
    } catch (RuntimeException e) {
      buf.release();
      throw e;
    }
  }

  /** Array form of {@link #encodeBatch} (tests and tools). */
  public static byte[] encodeBatch(List<Message> messages) {
    int[] sizes = new int[messages.size()];
    int total = 0;
    int prefixes = 0;
    for (int i = 0; i < sizes.length; i++) {
      sizes[i] = MessageCodec.encodedSize(messages.get(i));
      total += sizes[i];
      prefixes += Varint.length(sizes[i]);
    }
    ByteBuf b = encodeBatch(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT, messages, sizes, batchFrameSize(sizes.length, total, prefixes));
    byte[] out = new byte[b.readableBytes()];
    b.readBytes(out);
    b.release();
    return out;
  }

  private static void writeVar(ByteBuf buf, long v) {
    while ((v & ~0x7FL) != 0) {
      buf.writeByte((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    buf.writeByte((int) v);
  }

  private static long getVar(ByteBuffer buf, String field) {
    return Varint.read(buf, field);
  }

  /** Decodes a frame held in an array (tests and tools). */
  public static Frame decode(byte[] frame) {
    return decode(io.netty.buffer.Unpooled.wrappedBuffer(frame));
  }
}

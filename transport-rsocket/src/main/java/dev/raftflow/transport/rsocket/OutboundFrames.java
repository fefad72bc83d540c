package dev.raftflow.transport.rsocket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * How a {@link PeerLink} turns its queue into frames: the hello frame that opens a channel, and a
 * {@link Builder} that packs the first queued item and as many following ones as fit into one frame.
 * {@link SingleGroupFrames} is the format of {@link RSocketTransport} (wire versions 1 and 2);
 * {@link GroupFrames} the group-tagged format of {@link RSocketHostTransport} (wire version 3).
 * Implementations are stateless; builders belong to one channel's drain loop (one thread at a time).
 */
interface OutboundFrames {

  /** The first frame of a channel opened by {@code nodeId}. */
  ByteBuf hello(ByteBufAllocator alloc, String nodeId);

  /** A fresh builder for one channel (reused frame after frame). */
  Builder builder(LinkSettings settings);

  /** Packs queued items into one frame: {@link #start}, {@link #tryAdd} while it fits, {@link #build}. */
  interface Builder {

    /** Begins a frame with {@code first}. */
    void start(PeerLink.Queued first);

    /** Adds {@code next} when it fits the frame's byte bound and format; false leaves it queued. */
    boolean tryAdd(PeerLink.Queued next);

    /** Engine messages in the frame so far (a control frame has none). */
    int messages();

    /** Encodes the frame; the caller owns the buffer. */
    ByteBuf build(ByteBufAllocator alloc);

    /** Forgets the frame (after {@link #build}, or when it failed). */
    void reset();
  }
}

package dev.raftflow.transport.rsocket;

import io.rsocket.frame.FrameLengthCodec;

/**
 * The frame cap of one transport and what follows from it for RSocket: the longest frame read off
 * the socket, the payload limit, whether frames above RSocket's 16 MiB must be fragmented, and the
 * largest engine message a frame carries whole. Immutable.
 */
record FrameLimit(int maxFrameBytes) {

  /** Largest frame RSocket's TCP transport carries without fragmentation (24-bit length). */
  static final int UNFRAGMENTED_LIMIT = FrameLengthCodec.FRAME_LENGTH_MASK - 1024;

  /** Size of the pieces a frame above {@link #UNFRAGMENTED_LIMIT} travels in. */
  static final int FRAGMENT_BYTES = 1 << 20;

  FrameLimit {
    if (maxFrameBytes < 256) {
      throw new IllegalArgumentException("invalid maxFrameBytes " + maxFrameBytes + " (at least 256)");
    }
  }

  /** The largest message encoding ({@code MessageCodec.encodedSize}) one frame carries. */
  int maxMessageBytes() {
    return maxFrameBytes - WireFormat.HEADER_BYTES;
  }

  /** Whether RSocket must fragment frames (the cap is above what one RSocket frame holds). */
  boolean fragments() {
    return maxFrameBytes > UNFRAGMENTED_LIMIT;
  }

  /** Longest RSocket frame accepted off the socket: one of our frames plus RSocket's header. */
  int transportFrameLength() {
    return (int) Math.min(FrameLengthCodec.FRAME_LENGTH_MASK, (long) maxFrameBytes + 64);
  }

  /** RSocket's payload cap (it must be at least the transport's frame length). */
  int maxPayloadBytes() {
    return (int) Math.max(transportFrameLength(), Math.min(Integer.MAX_VALUE, (long) maxFrameBytes + 64));
  }
}

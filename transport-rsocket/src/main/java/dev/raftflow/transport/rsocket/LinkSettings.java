package dev.raftflow.transport.rsocket;

import io.netty.buffer.ByteBufAllocator;
import java.time.Duration;

/**
 * What a {@link PeerLink} is configured with, fixed when the transport is built.
 *
 * @param nodeId this node's id (hello frames, logs)
 * @param maxQueuedBytes bound of the outbound queue in frame bytes (one larger message may enter an
 *     empty queue)
 * @param maxQueuedMessages bound of the outbound queue in messages
 * @param maxBatchBytes most bytes of one batch frame
 * @param maxBatchMessages most messages of one batch frame (1: no batching)
 * @param backoffMin first redial delay
 * @param backoffMax largest redial delay
 * @param stableConnectionNanos a connection lost sooner than this counts as another failure
 * @param allocator where frames are encoded
 */
record LinkSettings(
    String nodeId,
    long maxQueuedBytes,
    int maxQueuedMessages,
    int maxBatchBytes,
    int maxBatchMessages,
    Duration backoffMin,
    Duration backoffMax,
    long stableConnectionNanos,
    ByteBufAllocator allocator) {}

package dev.raftflow.transport.rsocket;

/**
 * A snapshot of one {@link RSocketTransport}'s counters (monotonic since start) and gauges (current
 * values). Immutable.
 *
 * @param sentMessages messages handed to RSocket for a peer (written or about to be)
 * @param sentFrames RSocket payloads those messages travelled in (one message, or one batch)
 * @param sentBytes bytes of those frames
 * @param receivedMessages valid messages accepted from peers into the inbound buffer
 * @param droppedQueueFull messages dropped because a peer's outbound queue was at its bound
 * @param droppedUnreachable messages dropped because the peer was unknown, without address, backing
 *     off after a failure, isolated, or its queue was discarded when the connection was lost
 * @param droppedOversize messages dropped because their encoding exceeded {@link
 *     RSocketTransport#maxMessageBytes()} (the node's options do not fit the transport), or could not
 *     be encoded
 * @param droppedInbound inbound messages dropped because the inbound buffer was full (a peer sent
 *     beyond its credit)
 * @param rejectedFrames malformed or misaddressed inbound frames (the connection is then closed)
 * @param refusedConnections inbound connections refused at setup (identity, secret, isolation)
 * @param connects outbound connections established
 * @param connectFailures outbound connection attempts that failed
 * @param queuedBytes gauge: frame bytes waiting in all outbound queues
 * @param queuedMessages gauge: messages waiting in all outbound queues
 * @param inboundBuffered gauge: messages received and not yet taken by the node
 */
public record TransportMetrics(
    long sentMessages,
    long sentFrames,
    long sentBytes,
    long receivedMessages,
    long droppedQueueFull,
    long droppedUnreachable,
    long droppedOversize,
    long droppedInbound,
    long rejectedFrames,
    long refusedConnections,
    long connects,
    long connectFailures,
    long queuedBytes,
    long queuedMessages,
    long inboundBuffered) {}

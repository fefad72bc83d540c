package dev.raftflow.transport.rsocket;

/**
 * A snapshot of one {@link RSocketHostTransport}'s counters (monotonic since start) and gauges.
 * Immutable.
 *
 * @param sentFrames RSocket payloads sent to peer hosts (message frames, pings and pongs; not the
 *     hello that opens a channel)
 * @param sentMessages group messages those frames carried
 * @param sentBytes bytes of those frames
 * @param receivedFrames payloads received from peer hosts (message frames, pings and pongs)
 * @param receivedMessages group messages taken into an open group's inbound buffer
 * @param droppedUnknownGroup inbound messages dropped because their group is not open here
 * @param droppedGroupBufferFull inbound messages dropped because their group's buffer was full
 * @param droppedQueueFull outbound messages dropped because a peer host's queue was at its bound
 * @param droppedUnreachable outbound messages dropped because the peer host is unknown, without
 *     address, backing off, or its queue was discarded when the connection was lost; or their group
 *     transport was closed
 * @param droppedOversize outbound messages over their group's {@code maxMessageBytes}, or unencodable
 * @param rejectedFrames malformed or misaddressed inbound frames (the connection is then closed)
 * @param refusedConnections inbound connections refused at setup (identity, secret, wire version)
 * @param pingsSent pings sent to peer hosts that had been silent for a ping interval
 * @param openGroups gauge: groups open here
 * @param queuedMessages gauge: messages waiting in all outbound queues
 */
public record HostTransportMetrics(
    long sentFrames,
    long sentMessages,
    long sentBytes,
    long receivedFrames,
    long receivedMessages,
    long droppedUnknownGroup,
    long droppedGroupBufferFull,
    long droppedQueueFull,
    long droppedUnreachable,
    long droppedOversize,
    long rejectedFrames,
    long refusedConnections,
    long pingsSent,
    long openGroups,
    long queuedMessages) {

  /**
   * One group's inbound counters on a host (kept across closing and reopening the group).
   *
   * @param received messages taken into the group's inbound buffer
   * @param droppedBufferFull messages dropped because the group's buffer was full
   * @param droppedNotOpen messages dropped because the group was not open here when they arrived
   */
  public record Group(long received, long droppedBufferFull, long droppedNotOpen) {}
}

package dev.raftflow.transport.rsocket;

import java.util.concurrent.atomic.LongAdder;

/**
 * The monotonic counters of one {@link RSocketTransport} (or {@link RSocketHostTransport}), shared by its peer links, inbound channels
 * and the transport itself. Thread-safe (each is a {@link LongAdder}); {@link TransportMetrics} is
 * their snapshot.
 */
final class TransportCounters {
  final LongAdder sentMessages = new LongAdder();
  final LongAdder sentFrames = new LongAdder();
  final LongAdder sentBytes = new LongAdder();
  final LongAdder droppedQueueFull = new LongAdder();
  final LongAdder droppedUnreachable = new LongAdder();
  final LongAdder droppedOversize = new LongAdder();
  final LongAdder rejectedFrames = new LongAdder();
  final LongAdder refusedConnections = new LongAdder();
  final LongAdder connects = new LongAdder();
  final LongAdder connectFailures = new LongAdder();
}

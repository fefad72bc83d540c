package dev.raftflow.metrics;

import dev.raftflow.transport.rsocket.RSocketTransport;
import dev.raftflow.transport.rsocket.TransportMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer meters of one {@link RSocketTransport}, tagged {@code node=<id>}: messages and bytes
 * sent, drops by reason ({@code raftflow.transport.dropped{reason=...}}), refused connections,
 * dials, and what waits in the outbound queues and the inbound buffer. Read from {@link
 * RSocketTransport#metrics()} when polled. Listed in docs/metrics.md. Thread-safe.
 */
public final class RSocketTransportMeters implements MeterBinder {

  private final RSocketTransport transport;
  private final Tags tags;

  public RSocketTransportMeters(RSocketTransport transport, Iterable<Tag> extraTags) {
    this.transport = Objects.requireNonNull(transport, "transport");
    this.tags = Tags.of("node", transport.nodeId()).and(extraTags);
  }

  public RSocketTransportMeters(RSocketTransport transport) {
    this(transport, Tags.empty());
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    counter(registry, "raftflow.transport.messages.sent", "messages written to peers", Tags.empty(), TransportMetrics::sentMessages);
    counter(registry, "raftflow.transport.frames.sent", "frames (a message or a batch) written", Tags.empty(), TransportMetrics::sentFrames);
    counter(registry, "raftflow.transport.bytes.sent", "bytes written", Tags.empty(), TransportMetrics::sentBytes);
    counter(registry, "raftflow.transport.messages.received", "messages accepted from peers", Tags.empty(),
        TransportMetrics::receivedMessages);
    counter(registry, "raftflow.transport.dropped", "messages dropped", Tags.of("reason", "queue_full"),
        TransportMetrics::droppedQueueFull);
    counter(registry, "raftflow.transport.dropped", "messages dropped", Tags.of("reason", "unreachable"),
        TransportMetrics::droppedUnreachable);
    counter(registry, "raftflow.transport.dropped", "messages dropped", Tags.of("reason", "oversize"),
        TransportMetrics::droppedOversize);
    counter(registry, "raftflow.transport.dropped", "messages dropped", Tags.of("reason", "inbound_full"),
        TransportMetrics::droppedInbound);
    counter(registry, "raftflow.transport.frames.rejected", "malformed frames received", Tags.empty(),
        TransportMetrics::rejectedFrames);
    counter(registry, "raftflow.transport.connections.refused", "connections refused at setup", Tags.empty(),
        TransportMetrics::refusedConnections);
    counter(registry, "raftflow.transport.dials", "dials that connected", Tags.of("outcome", "connected"),
        TransportMetrics::connects);
    counter(registry, "raftflow.transport.dials", "dials that failed", Tags.of("outcome", "failed"),
        TransportMetrics::connectFailures);
    gauge(registry, "raftflow.transport.queued.bytes", "bytes waiting in the outbound queues", TransportMetrics::queuedBytes);
    gauge(registry, "raftflow.transport.queued.messages", "messages waiting in the outbound queues",
        TransportMetrics::queuedMessages);
    gauge(registry, "raftflow.transport.inbound.buffered", "messages received and not yet taken by the node",
        TransportMetrics::inboundBuffered);
  }

  private void counter(MeterRegistry r, String name, String description, Tags extra,
      ToDoubleFunction<TransportMetrics> f) {
    FunctionCounter.builder(name, transport, t -> f.applyAsDouble(t.metrics())).description(description)
        .tags(tags.and(extra)).register(r);
  }

  private void gauge(MeterRegistry r, String name, String description, ToDoubleFunction<TransportMetrics> f) {
    Gauge.builder(name, transport, t -> f.applyAsDouble(t.metrics())).description(description).tags(tags).register(r);
  }
}

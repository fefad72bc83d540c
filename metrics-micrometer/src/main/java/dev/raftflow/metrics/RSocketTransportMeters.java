package dev.raftflow.metrics;

import dev.raftflow.transport.rsocket.RSocketTransport;
import dev.raftflow.transport.rsocket.TransportMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer meters of one {@link RSocketTransport}, tagged {@code node=<id>}: messages and bytes
 * sent, drops by reason ({@code raftflow.transport.dropped{reason=...}}), refused connections,
 * dials, and what waits in the outbound queues (in all, and per peer: {@link #refreshPeers()}) and
 * the inbound buffer. Read from {@link
 * RSocketTransport#metrics()} when polled. Listed in docs/metrics.md. Thread-safe.
 */
public final class RSocketTransportMeters implements MeterBinder {

  private final RSocketTransport transport;
  private final Tags tags;
  private MultiGauge peerQueuedMessages;
  private MultiGauge peerQueuedBytes;
  /** The peers the gauges were last registered for (re-registered only when they change). */
  private Set<String> boundPeers;

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
    peerQueuedMessages = MultiGauge.builder("raftflow.transport.peer.queued.messages")
        .description("messages waiting in the outbound queue to one peer").tags(tags).register(registry);
    peerQueuedBytes = MultiGauge.builder("raftflow.transport.peer.queued.bytes")
        .description("frame bytes waiting in the outbound queue to one peer").baseUnit("bytes").tags(tags)
        .register(registry);
    synchronized (this) {
      boundPeers = null;
    }
    refreshPeers();
  }

  /**
   * Re-registers the per-peer queue gauges for the transport's peers now (they change with
   * membership). Call it periodically (e.g. before each scrape); the other meters need nothing.
   */
  public synchronized void refreshPeers() {
    if (peerQueuedMessages == null) {
      return;
    }
    Set<String> peers = transport.peers();
    if (peers.equals(boundPeers)) {
      return;
    }
    boundPeers = peers;
    List<MultiGauge.Row<?>> messages = new ArrayList<>();
    List<MultiGauge.Row<?>> bytes = new ArrayList<>();
    for (String peer : peers) {
      if (peer.equals(transport.nodeId())) {
        continue;
      }
      messages.add(MultiGauge.Row.of(Tags.of("peer", peer), transport, t -> t.queuedMessages(peer)));
      bytes.add(MultiGauge.Row.of(Tags.of("peer", peer), transport, t -> t.queuedBytes(peer)));
    }
    peerQueuedMessages.register(messages, true);
    peerQueuedBytes.register(bytes, true);
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

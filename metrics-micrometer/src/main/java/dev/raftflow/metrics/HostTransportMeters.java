package dev.raftflow.metrics;

import dev.raftflow.transport.rsocket.HostTransportMetrics;
import dev.raftflow.transport.rsocket.RSocketHostTransport;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * Micrometer meters of one {@link RSocketHostTransport} (the peer endpoint a {@code RaftHost}'s
 * groups share), tagged {@code node=<host id>}: frames, messages and bytes sent, drops by reason,
 * refused connections, pings, open groups and queued messages; and per group ({@link
 * #refreshGroups()}) the messages received and dropped, tagged {@code group}. Read from {@link
 * RSocketHostTransport#metrics()} and {@link RSocketHostTransport#groupMetrics(String)} when polled.
 * Listed in docs/metrics.md. Thread-safe.
 */
public final class HostTransportMeters implements MeterBinder {

  private static final String PREFIX = "raftflow.host.transport.";

  private final RSocketHostTransport transport;
  private final Tags tags;
  private final Set<String> boundGroups = new HashSet<>();
  private MeterRegistry registry;

  public HostTransportMeters(RSocketHostTransport transport, Iterable<Tag> extraTags) {
    this.transport = Objects.requireNonNull(transport, "transport");
    this.tags = Tags.of("node", transport.hostId()).and(extraTags);
  }

  public HostTransportMeters(RSocketHostTransport transport) {
    this(transport, Tags.empty());
  }

  @Override
  public synchronized void bindTo(MeterRegistry r) {
    counter(r, "frames.sent", "payloads sent to peer hosts", Tags.empty(), HostTransportMetrics::sentFrames);
    counter(r, "messages.sent", "group messages those frames carried", Tags.empty(), HostTransportMetrics::sentMessages);
    counter(r, "bytes.sent", "bytes of the frames sent", Tags.empty(), HostTransportMetrics::sentBytes);
    counter(r, "frames.received", "payloads received from peer hosts", Tags.empty(), HostTransportMetrics::receivedFrames);
    counter(r, "messages.received", "group messages taken into an open group's buffer", Tags.empty(),
        HostTransportMetrics::receivedMessages);
    counter(r, "dropped", "messages dropped", Tags.of("reason", "unknown_group"), HostTransportMetrics::droppedUnknownGroup);
    counter(r, "dropped", "messages dropped", Tags.of("reason", "group_buffer_full"),
        HostTransportMetrics::droppedGroupBufferFull);
    counter(r, "dropped", "messages dropped", Tags.of("reason", "queue_full"), HostTransportMetrics::droppedQueueFull);
    counter(r, "dropped", "messages dropped", Tags.of("reason", "unreachable"), HostTransportMetrics::droppedUnreachable);
    counter(r, "dropped", "messages dropped", Tags.of("reason", "oversize"), HostTransportMetrics::droppedOversize);
    counter(r, "frames.rejected", "malformed or misaddressed frames received", Tags.empty(),
        HostTransportMetrics::rejectedFrames);
    counter(r, "connections.refused", "connections refused at setup", Tags.empty(), HostTransportMetrics::refusedConnections);
    counter(r, "pings.sent", "pings sent to silent peer hosts", Tags.empty(), HostTransportMetrics::pingsSent);
    gauge(r, "groups.open", "groups open here", HostTransportMetrics::openGroups);
    gauge(r, "queued.messages", "messages waiting in the outbound queues", HostTransportMetrics::queuedMessages);
    registry = r;
    refreshGroups();
  }

  /**
   * Registers the per-group counters of groups opened since the last call (a group's counters are
   * kept after it closes, so its meters stay). Call it periodically, e.g. before each scrape.
   */
  public synchronized void refreshGroups() {
    if (registry == null) {
      return;
    }
    for (String group : transport.openGroups()) {
      if (boundGroups.add(group)) {
        Tags g = tags.and("group", group);
        groupCounter(group, PREFIX + "group.received", "messages taken into the group's inbound buffer", g,
            m -> m.received());
        groupCounter(group, PREFIX + "group.dropped", "messages to the group dropped", g.and("reason", "buffer_full"),
            m -> m.droppedBufferFull());
        groupCounter(group, PREFIX + "group.dropped", "messages to the group dropped", g.and("reason", "not_open"),
            m -> m.droppedNotOpen());
      }
    }
  }

  private void groupCounter(String group, String name, String description, Tags t,
      ToLongFunction<HostTransportMetrics.Group> f) {
    FunctionCounter.builder(name, transport, x -> f.applyAsLong(x.groupMetrics(group))).description(description).tags(t)
        .register(registry);
  }

  private void counter(MeterRegistry r, String name, String description, Tags extra,
      ToDoubleFunction<HostTransportMetrics> f) {
    FunctionCounter.builder(PREFIX + name, transport, t -> f.applyAsDouble(t.metrics())).description(description)
        .tags(tags.and(extra)).register(r);
  }

  private void gauge(MeterRegistry r, String name, String description, ToDoubleFunction<HostTransportMetrics> f) {
    Gauge.builder(PREFIX + name, transport, t -> f.applyAsDouble(t.metrics())).description(description).tags(tags)
        .register(r);
  }
}

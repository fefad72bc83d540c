package dev.raftflow.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.Histogram;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.memory.MemoryNetwork;
import dev.raftflow.engine.message.RequestVote;
import dev.raftflow.engine.node.RaftNode;
import dev.raftflow.engine.spi.Transport;
import dev.raftflow.transport.rsocket.RSocketHostTransport;
import dev.raftflow.transport.rsocket.RSocketTransport;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** The latency, batch and per-group meters read the engine's histograms and the host transport's counters. */
class LatencyAndHostMetersTest {

  private static final RaftOptions OPTIONS = RaftOptions.builder().tickInterval(Duration.ofMillis(5))
      .heartbeatTicks(2).electionTicks(20).build();

  @Test
  void latencyTimersCountEveryCommittedProposalAndQuantilesFollowTheHistogram() throws Exception {
    RaftNode node = RaftNode.builder().id("solo").members(List.of("solo")).transport(new MemoryNetwork().transport("solo"))
        .logStore(new MemoryLogStore()).options(OPTIONS).start();
    try {
      node.applied().subscribe();
      await("leader", () -> node.state().isLeader());
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      RaftNodeMeters.forGroup(node, "orders").bindTo(registry);
      for (int i = 0; i < 30; i++) {
        node.submit(new byte[50]).block(Duration.ofSeconds(5));
      }
      await("every entry applied", () -> node.metrics().applyLatency().count() == node.state().appliedIndex());
      System.gc(); // the binder was dropped after bindTo: its gauges must not lose what they read
      System.gc();

      FunctionTimer commit = registry.get("raftflow.commit.latency").tags("node", "solo", "group", "orders").functionTimer();
      assertThat(commit.count()).isEqualTo(30);
      // the timer converts through seconds: equal up to a rounding of the double
      assertThat(commit.totalTime(TimeUnit.NANOSECONDS))
          .isCloseTo(node.metrics().commitLatency().sum(), org.assertj.core.api.Assertions.within(1e-3));
      assertThat(registry.get("raftflow.apply.latency").functionTimer().count()).isEqualTo(node.state().appliedIndex());
      double median = registry.get("raftflow.commit.latency.quantile").tags("quantile", "0.5").timeGauge()
          .value(TimeUnit.NANOSECONDS);
      assertThat(median).isPositive()
          .isCloseTo((double) node.metrics().commitLatency().snapshot().valueAtQuantile(0.5),
              org.assertj.core.api.Assertions.within(1e-3));
      assertThat(registry.find("raftflow.commit.latency.quantile").timeGauges()).hasSize(RaftNodeMeters.QUANTILES.length);
      assertThat(registry.get("raftflow.log.writes.max").timeGauge().value(TimeUnit.NANOSECONDS)).isPositive();
      assertThat(registry.get("raftflow.log.write.batch.quantile").tags("quantile", "0.999").gauge().value())
          .isGreaterThanOrEqualTo(1);
      assertThat(registry.get("raftflow.log.bytes.written").functionCounter().count()).isEqualTo(30 * 50);
    } finally {
      node.close();
      node.onClose().block(Duration.ofSeconds(10));
    }
  }

  @Test
  void recentQuantilesForgetWhatIsOlderThanTheWindow() {
    FixedHistogram h = new FixedHistogram();
    AtomicLong now = new AtomicLong();
    RecentQuantiles recent = new RecentQuantiles(h, Duration.ofSeconds(40), now::get);
    h.add(1_000, 10);
    now.addAndGet(TimeUnit.SECONDS.toNanos(2));
    assertThat(recent.valueAt(0.5)).isEqualTo(1_000);
    h.add(1_000_000, 10);
    now.addAndGet(TimeUnit.SECONDS.toNanos(2));
    assertThat(recent.valueAt(0.99)).as("both in the window").isBetween(1_000_000.0, 1_125_000.0);
    assertThat(recent.max()).isEqualTo(1_000_000);
    now.addAndGet(TimeUnit.SECONDS.toNanos(60)); // many steps later: only what came after the oldest kept step counts
    recent.valueAt(0.5);
    for (int i = 0; i < 5; i++) {
      now.addAndGet(TimeUnit.SECONDS.toNanos(11));
      recent.valueAt(0.5);
    }
    h.add(50, 4);
    now.addAndGet(TimeUnit.SECONDS.toNanos(2));
    // 50 lies in the bucket 48..51: within the window the all-time max (10^6) no longer caps it
    assertThat(recent.valueAt(0.99)).as("old values left the window").isBetween(48.0, 51.0);
    assertThat(recent.max()).isBetween(48.0, 51.0);
    assertThatThrownBy(() -> new RecentQuantiles(h, Duration.ZERO, now::get)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void hostTransportMetersCountPerGroupAndDropsByReason() throws Exception {
    List<String> ids = List.of("h1", "h2");
    RSocketHostTransport h1 = host("h1", ids);
    RSocketHostTransport h2 = host("h2", ids);
    try {
      h1.peerAddress("h2", h2.localAddress());
      h2.peerAddress("h1", h1.localAddress());
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      HostTransportMeters meters = new HostTransportMeters(h2, Tags.of("dc", "x"));
      meters.bindTo(registry);
      Transport out = h1.openGroup("g");
      Transport ghost = h1.openGroup("ghost");
      h2.openGroup("g").inbound().subscribe();
      meters.refreshGroups();
      out.send(new RequestVote(1, "h1", "h2", 0, 0));
      ghost.send(new RequestVote(2, "h1", "h2", 0, 0)); // no group "ghost" on h2
      await("both reached h2", () -> h2.groupMetrics("g").received() == 1 && h2.metrics().droppedUnknownGroup() == 1);

      assertThat(registry.get("raftflow.host.transport.group.received").tags("node", "h2", "group", "g", "dc", "x")
          .functionCounter().count()).isEqualTo(1);
      assertThat(registry.get("raftflow.host.transport.dropped").tags("reason", "unknown_group").functionCounter().count())
          .isEqualTo(1);
      assertThat(registry.get("raftflow.host.transport.messages.received").functionCounter().count()).isEqualTo(1);
      assertThat(registry.get("raftflow.host.transport.groups.open").gauge().value()).isEqualTo(1);
      assertThat(registry.find("raftflow.host.transport.dropped").functionCounters()).hasSize(5);
      meters.refreshGroups();
      assertThat(registry.find("raftflow.host.transport.group.received").functionCounters()).as("bound once").hasSize(1);
    } finally {
      h1.close();
      h2.close();
    }
  }

  @Test
  void transportMetersShowEachPeersQueue() {
    RSocketTransport a = RSocketTransport.builder().clusterId("t").nodeId("a").bind("127.0.0.1", 0)
        .peers(List.of("a", "b", "c")).start();
    try {
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      RSocketTransportMeters meters = new RSocketTransportMeters(a);
      meters.bindTo(registry);
      assertThat(registry.find("raftflow.transport.peer.queued.messages").gauges())
          .extracting(g -> g.getId().getTag("peer")).containsExactlyInAnyOrder("b", "c");
      a.removePeer("c");
      meters.refreshPeers();
      assertThat(registry.find("raftflow.transport.peer.queued.bytes").gauges())
          .extracting(g -> g.getId().getTag("peer")).containsExactly("b");
      assertThat(registry.get("raftflow.transport.peer.queued.messages").gauge().value()).isZero();
    } finally {
      a.close();
    }
  }

  private static RSocketHostTransport host(String id, List<String> ids) {
    return RSocketHostTransport.builder().clusterId("test").hostId(id).bind("127.0.0.1", 0).peers(ids).start();
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as(what).isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  /** A histogram the test fills by hand. */
  private static final class FixedHistogram implements Histogram {
    private final long[] buckets = new long[BUCKETS];
    private long count;
    private long sum;
    private long max;

    synchronized void add(long value, long times) {
      buckets[Histogram.bucketOf(value)] += times;
      count += times;
      sum += value * times;
      max = Math.max(max, value);
    }

    @Override
    public synchronized long count() {
      return count;
    }

    @Override
    public synchronized long sum() {
      return sum;
    }

    @Override
    public synchronized long max() {
      return max;
    }

    @Override
    public synchronized Snapshot snapshot() {
      return new Snapshot(count, sum, max, buckets);
    }
  }
}

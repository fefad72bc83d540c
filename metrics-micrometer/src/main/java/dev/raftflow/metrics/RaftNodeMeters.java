package dev.raftflow.metrics;

import dev.raftflow.engine.NodeMetrics;
import dev.raftflow.engine.NodeState;
import dev.raftflow.engine.Role;
import dev.raftflow.engine.node.FollowerProgress;
import dev.raftflow.engine.node.RaftNode;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import dev.raftflow.engine.Histogram;
import io.micrometer.core.instrument.TimeGauge;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer meters of one {@link RaftNode}, all tagged {@code node=<id>} (plus the tags given):
 * its counters as function counters, its state and queues as gauges, its log writes as a function
 * timer, its commit, apply and write latencies as function timers with gauges of their recent
 * quantiles, and, while it leads, each follower's lag and appends in flight. Every meter reads the
 * node's published counters ({@link RaftNode#metrics()}, {@link RaftNode#state()}, {@link
 * RaftNode#followers()}) when the registry polls it: nothing is recorded on the node's hot path.
 * The meters are listed in docs/metrics.md. Thread-safe; bind once per node and registry.
 */
public final class RaftNodeMeters implements MeterBinder {

  /** Quantiles are computed over this much recent time unless told otherwise. */
  public static final Duration DEFAULT_QUANTILE_WINDOW = Duration.ofMinutes(1);

  /** The quantiles each latency and batch-size distribution publishes as gauges. */
  static final double[] QUANTILES = {0.5, 0.9, 0.99, 0.999};

  private final RaftNode node;
  private final Tags tags;
  private final Duration quantileWindow;
  private final LongSupplier nanoClock;
  private MultiGauge followerLag;
  private MultiGauge followerInflight;
  /** The followers the gauges were last registered for (re-registered only when they change). */
  private Set<String> boundFollowers;

  /**
   * Meters for {@code node}, tagged {@code node=<id>} and {@code extraTags}, whose quantile gauges
   * cover the last {@code quantileWindow} (positive).
   */
  public RaftNodeMeters(RaftNode node, Iterable<Tag> extraTags, Duration quantileWindow) {
    this(node, extraTags, quantileWindow, System::nanoTime);
  }

  RaftNodeMeters(RaftNode node, Iterable<Tag> extraTags, Duration quantileWindow, LongSupplier nanoClock) {
    this.node = Objects.requireNonNull(node, "node");
    this.tags = Tags.of("node", node.id()).and(extraTags);
    this.quantileWindow = Objects.requireNonNull(quantileWindow, "quantileWindow");
    if (quantileWindow.isNegative() || quantileWindow.isZero()) {
      throw new IllegalArgumentException("quantileWindow must be positive, was " + quantileWindow);
    }
    this.nanoClock = nanoClock;
  }

  /** Meters for {@code node}, tagged {@code node=<id>} and {@code extraTags}. */
  public RaftNodeMeters(RaftNode node, Iterable<Tag> extraTags) {
    this(node, extraTags, DEFAULT_QUANTILE_WINDOW);
  }

  public RaftNodeMeters(RaftNode node) {
    this(node, Tags.empty());
  }

  /**
   * Meters for a node that runs group {@code groupId} in a {@code RaftHost}: tagged {@code node=<member
   * id>} and {@code group=<groupId>}, so the groups of one host stay apart.
   */
  public static RaftNodeMeters forGroup(RaftNode node, String groupId) {
    return new RaftNodeMeters(node, Tags.of("group", Objects.requireNonNull(groupId, "groupId")));
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    counter(registry, "raftflow.proposals.accepted", "proposals taken into the log", NodeMetrics::proposalsAccepted);
    counter(registry, "raftflow.proposals.refused", "proposals refused (not the leader, overloaded, closed, too large)",
        NodeMetrics::proposalsRefused);
    counter(registry, "raftflow.messages.sent", "Raft messages handed to the transport", NodeMetrics::messagesSent);
    counter(registry, "raftflow.messages.received", "Raft messages taken from the transport", NodeMetrics::messagesReceived);
    counter(registry, "raftflow.messages.dropped", "messages refused: unknown sender or addressed elsewhere",
        NodeMetrics::messagesDropped);
    counter(registry, "raftflow.log.entries.written", "entries written to the log store", NodeMetrics::entriesWritten);
    counter(registry, "raftflow.elections.started", "elections this node started", NodeMetrics::electionsStarted);
    counter(registry, "raftflow.leaderships.won", "elections this node won", NodeMetrics::leadershipsWon);
    counter(registry, "raftflow.snapshots.taken", "snapshots the service handed over", NodeMetrics::snapshotsTaken);
    counter(registry, "raftflow.snapshots.chunks.sent", "InstallSnapshot chunks sent as leader",
        NodeMetrics::snapshotChunksSent);
    counter(registry, "raftflow.snapshots.installed", "snapshots installed from a leader", NodeMetrics::snapshotsInstalled);
    counter(registry, "raftflow.reads.confirmed", "linearizable reads confirmed by a round", NodeMetrics::readsConfirmed);
    counter(registry, "raftflow.reads.failed", "reads failed (leadership lost, no answer)", NodeMetrics::readsFailed);
    counter(registry, "raftflow.reads.lease", "reads answered under the leader's lease", NodeMetrics::readsByLease);

    FunctionTimer.builder("raftflow.log.writes", node, n -> n.metrics().logWrites(),
            n -> n.metrics().logWriteNanos(), TimeUnit.NANOSECONDS)
        .description("log writes (batches) and their time from handing over to durable").tags(tags)
        .register(registry);

    counter(registry, "raftflow.log.bytes.written", "bytes of entry data written to the log store",
        NodeMetrics::bytesWritten);
    latency(registry, "raftflow.commit.latency", "from a proposal taken into the leader's log until it is committed",
        NodeMetrics::commitLatency);
    latency(registry, "raftflow.apply.latency", "from an entry committed until it is handed to the service",
        NodeMetrics::applyLatency);
    recentQuantiles(registry, "raftflow.log.writes", "log write time from hand-over to durable", null,
        node.metrics().logWriteLatency());
    recentQuantiles(registry, "raftflow.log.write.batch", "entries per log write", "entries",
        node.metrics().writeBatchEntries());

    gauge(registry, "raftflow.queue.proposals", "proposals waiting for the event loop", n -> n.metrics().queuedProposals());
    gauge(registry, "raftflow.log.writes.pending", "log writes under way", n -> n.metrics().pendingWrites());
    gauge(registry, "raftflow.term", "current term", n -> n.state().term());
    gauge(registry, "raftflow.index.commit", "commit index", n -> n.state().commitIndex());
    gauge(registry, "raftflow.index.applied", "index handed to the service", n -> n.state().appliedIndex());
    gauge(registry, "raftflow.index.last", "last index of the log", n -> n.state().lastIndex());
    gauge(registry, "raftflow.apply.lag", "committed entries not yet handed to the service", n -> {
      NodeState s = n.state();
      return Math.max(0, s.commitIndex() - s.appliedIndex());
    });
    gauge(registry, "raftflow.leader", "1 while this node leads, else 0", n -> n.state().role() == Role.LEADER ? 1 : 0);

    followerLag = MultiGauge.builder("raftflow.follower.lag").description("entries the leader holds that the follower has not acknowledged")
        .baseUnit("entries").tags(tags).register(registry);
    followerInflight = MultiGauge.builder("raftflow.follower.inflight").description("AppendEntries sent to the follower and not answered")
        .tags(tags).register(registry);
    synchronized (this) {
      boundFollowers = null;
    }
    refreshFollowers();
  }

  /**
   * Re-registers the per-follower gauges for the followers this node leads now (they change with
   * leadership and membership). Call it periodically (e.g. before each scrape); the other meters
   * need nothing.
   */
  public synchronized void refreshFollowers() {
    if (followerLag == null) {
      return;
    }
    Set<String> ids = new HashSet<>();
    for (FollowerProgress f : node.followers()) {
      ids.add(f.id());
    }
    if (ids.equals(boundFollowers)) {
      return;
    }
    boundFollowers = ids;
    List<MultiGauge.Row<?>> lag = new ArrayList<>();
    List<MultiGauge.Row<?>> inflight = new ArrayList<>();
    for (String id : ids) {
      lag.add(MultiGauge.Row.of(Tags.of("follower", id), node, n -> lagOf(n, id, false)));
      inflight.add(MultiGauge.Row.of(Tags.of("follower", id), node, n -> lagOf(n, id, true)));
    }
    followerLag.register(lag, true);
    followerInflight.register(inflight, true);
  }

  private static double lagOf(RaftNode n, String follower, boolean inflight) {
    for (FollowerProgress f : n.followers()) {
      if (f.id().equals(follower)) {
        return inflight ? f.inflight() : f.lagEntries();
      }
    }
    return Double.NaN; // no longer followed by this node
  }

  /** A function timer of the distribution's count and sum, and its recent quantiles. */
  private void latency(MeterRegistry r, String name, String description, Function<NodeMetrics, Histogram> h) {
    FunctionTimer.builder(name, node, n -> h.apply(n.metrics()).count(), n -> h.apply(n.metrics()).sum(),
        TimeUnit.NANOSECONDS).description(description).tags(tags).register(r);
    recentQuantiles(r, name, description, null, h.apply(node.metrics()));
  }

  /**
   * Gauges {@code <name>.quantile{quantile=q}} and {@code <name>.max} over the recent window: time
   * gauges in seconds when {@code unit} is null (the histogram holds nanoseconds), else plain gauges.
   */
  private void recentQuantiles(MeterRegistry r, String name, String description, String unit, Histogram h) {
    // held by the gauges themselves (strong references): the caller may drop this binder after bindTo
    RecentQuantiles recent = new RecentQuantiles(h, quantileWindow, nanoClock);
    String window = " (over the last " + quantileWindow.toSeconds() + " s)";
    for (double q : QUANTILES) {
      Tags t = tags.and("quantile", Double.toString(q));
      String d = description + ", quantile" + window;
      if (unit == null) {
        TimeGauge.builder(name + ".quantile", recent, TimeUnit.NANOSECONDS, x -> x.valueAt(q)).description(d).tags(t)
            .strongReference(true).register(r);
      } else {
        Gauge.builder(name + ".quantile", recent, x -> x.valueAt(q)).description(d).baseUnit(unit).tags(t)
            .strongReference(true).register(r);
      }
    }
    String d = description + ", largest" + window;
    if (unit == null) {
      TimeGauge.builder(name + ".max", recent, TimeUnit.NANOSECONDS, RecentQuantiles::max).description(d).tags(tags)
          .strongReference(true).register(r);
    } else {
      Gauge.builder(name + ".max", recent, RecentQuantiles::max).description(d).baseUnit(unit).tags(tags)
          .strongReference(true).register(r);
    }
  }

  private void counter(MeterRegistry r, String name, String description, ToDoubleFunction<NodeMetrics> f) {
    FunctionCounter.builder(name, node, n -> f.applyAsDouble(n.metrics())).description(description).tags(tags).register(r);
  }

  private void gauge(MeterRegistry r, String name, String description, ToDoubleFunction<RaftNode> f) {
    Gauge.builder(name, node, f).description(description).tags(tags).register(r);
  }
}

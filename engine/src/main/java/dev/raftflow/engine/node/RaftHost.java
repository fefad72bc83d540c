package dev.raftflow.engine.node;

import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.spi.HostLogStore;
import dev.raftflow.engine.spi.HostTransport;
import dev.raftflow.engine.spi.LogStore;
import dev.raftflow.engine.spi.Transport;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;

/**
 * One process's share of many Raft groups (multi-raft): it owns the process's {@link HostTransport}
 * (one endpoint, one connection per peer host), its {@link HostLogStore} (one durable log for every
 * group), a pool of event-loop threads, and the groups. Each group started here is a {@link
 * RaftNode} with the usual API, pinned to one loop thread for its whole life; a group's member on
 * this host has the host's id.
 *
 * <p>Idle groups go quiet by default ({@link RaftOptions#quiesce()}): one timer per loop ticks every
 * group on it, and a quiet group costs one check per tick. When a peer host stops answering, the
 * host wakes its quiet followers of groups led from there, so they elect a new leader.
 *
 * <p>Fairness: the groups of a host share its loops, its log's syncs and its connections, so a group's
 * own queues are what lets one flooded group slow the others. Groups started with {@link
 * #groupOptions} (the host's default) hold at most {@value #GROUP_MAX_UNAPPLIED} unapplied entries
 * and {@value #GROUP_MAX_PENDING} queued proposals each, and a loop gives every ready group one
 * bounded turn per round; proposals beyond are refused with {@code OverloadedException}.
 *
 * <p>Threading: every method is thread-safe. Errors: starting a group that runs here already, or with
 * a tick interval other than the host's, fails {@link IllegalArgumentException}; a closed host fails
 * {@link IllegalStateException}.
 */
public final class RaftHost implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RaftHost.class);

  /** A host's group's default bound on entries its service has not applied (a single node's is 16,384). */
  public static final int GROUP_MAX_UNAPPLIED = 2048;
  /** A host's group's default bound on proposals queued for its loop (a single node's is 8,192). */
  public static final int GROUP_MAX_PENDING = 2048;

  /**
   * {@code options} as a host's group runs them by default: quiescence on, and a group's queues
   * bounded to {@link #GROUP_MAX_UNAPPLIED} and {@link #GROUP_MAX_PENDING} so that one flooded group
   * leaves room to the others (measured with {@code raftflow.jar fairness}: with a single node's
   * bounds the other groups' p99 grew 8.5 times under a flooded group, with these 2.8 times).
   */
  public static RaftOptions groupOptions(RaftOptions options) {
    return options.toBuilder().quiesce(true).maxUnappliedEntries(GROUP_MAX_UNAPPLIED)
        .maxPendingProposals(GROUP_MAX_PENDING).build();
  }

  private final String id;
  private final HostTransport transport;
  private final HostLogStore store;
  private final RaftOptions defaults;
  private final HostLoop[] loops;
  private final Random random;
  private final Map<String, Group> groups = new ConcurrentHashMap<>();
  private final Disposable reachability;
  private final Disposable balancing;
  private final Disposable compaction;
  private final reactor.core.publisher.Sinks.Many<String> snapshotRequests =
      reactor.core.publisher.Sinks.many().multicast().directBestEffort();
  private volatile boolean closed;

  private record Group(RaftNode node, HostLoop loop) {}

  private RaftHost(Builder b) {
    this.transport = b.transport;
    this.store = b.store;
    this.id = transport.hostId();
    this.defaults = b.options;
    this.random = b.random;
    this.loops = new HostLoop[b.loops];
    for (int i = 0; i < loops.length; i++) {
      loops[i] = new HostLoop("raftflow-" + id + "-loop-" + i, defaults.tickInterval(), b.scheduler, b.transport);
    }
    Duration tick = defaults.tickInterval();
    this.reachability = transport
        .reachability(tick.multipliedBy(defaults.heartbeatTicks()), tick.multipliedBy(defaults.electionTicks()))
        .subscribe(r -> {
          if (!r.reachable()) {
            wakeFollowersOf(r.hostId());
          }
        }, e -> LOG.error("{}: the peer hosts' reachability stream failed; quiet groups wake only on traffic", id, e));
    reactor.core.scheduler.Scheduler timers = b.scheduler != null ? b.scheduler : reactor.core.scheduler.Schedulers.parallel();
    this.compaction = reactor.core.publisher.Flux.interval(b.compactionCheck, timers)
        .subscribe(t -> askPinningGroups(), e -> LOG.error("{}: compaction checks stopped", id, e));
    this.balancing = b.balanceEvery == null ? null
        : reactor.core.publisher.Flux.interval(b.balanceEvery, reactor.core.scheduler.Schedulers.parallel())
            .subscribe(t -> balanceLeaders(), e -> LOG.error("{}: leader balancing stopped", id, e));
  }

  public static Builder builder() {
    return new Builder();
  }

  /** This host's id: the member id of each of its groups' members. */
  public String id() {
    return id;
  }

  /** The options groups start with unless given their own. */
  public RaftOptions defaultOptions() {
    return defaults;
  }

  /** How many loop threads the groups share. */
  public int loopCount() {
    return loops.length;
  }

  /** Starts group {@code groupId} here with the host's default options; see {@link #startGroup(String, List, RaftOptions)}. */
  public RaftNode startGroup(String groupId, List<String> members) {
    return startGroup(groupId, members, defaults);
  }

  /**
   * Starts group {@code groupId}'s member on this host, recovering what the host's store holds for
   * it: {@code members} are host ids, this one among them (as for {@link RaftNodeBuilder#members}).
   * The group is pinned to the loop with the fewest groups.
   *
   * @throws IllegalArgumentException when the group runs here already, for an invalid setting, or
   *     when {@code options} tick at another interval than the host
   * @throws IllegalStateException when the host is closed or the group's stored data is damaged
   */
  public RaftNode startGroup(String groupId, List<String> members, RaftOptions options) {
    return start(groupId, members, options, false);
  }

  /**
   * Starts a member of running group {@code groupId} on this host that is not in it yet: {@code
   * voters} are its current voters; add this host on the leader ({@link RaftNode#addLearner}).
   */
  public RaftNode joinGroup(String groupId, List<String> voters, RaftOptions options) {
    return start(groupId, voters, options, true);
  }

  private synchronized RaftNode start(String groupId, List<String> members, RaftOptions options, boolean joining) {
    Objects.requireNonNull(groupId, "groupId");
    Objects.requireNonNull(options, "options");
    if (closed) {
      throw new IllegalStateException("host " + id + " is closed");
    }
    Group running = groups.get(groupId);
    if (running != null && !running.node().isClosed()) {
      throw new IllegalArgumentException("group " + groupId + " already runs on host " + id);
    }
    if (!options.tickInterval().equals(defaults.tickInterval())) {
      throw new IllegalArgumentException("group " + groupId + " ticks every " + options.tickInterval()
          + " but host " + id + " ticks its groups every " + defaults.tickInterval());
    }
    HostLoop loop = loops[0];
    for (HostLoop l : loops) {
      if (l.size() < loop.size()) {
        loop = l;
      }
    }
    Transport t = transport.openGroup(groupId);
    LogStore s;
    try {
      s = store.openGroup(groupId);
    } catch (RuntimeException e) {
      t.close();
      throw e;
    }
    RaftNode node;
    try {
      node = RaftNode.builder().id(id).members(members).joining(joining).transport(t).logStore(s).options(options)
          .scheduler(loop.scheduler()).random(new Random(random.nextLong())).hostLoop(loop).start();
    } catch (RuntimeException e) {
      t.close();
      s.close();
      throw e;
    }
    HostLoop pinned = loop;
    pinned.add(node.loop());
    groups.put(groupId, new Group(node, pinned));
    node.onClose().subscribe(null, null, () -> {
      pinned.remove(node.loop());
      groups.remove(groupId, new Group(node, pinned));
    });
    return node;
  }

  /** Group {@code groupId}'s member here, while it runs. */
  public Optional<RaftNode> group(String groupId) {
    Group g = groups.get(groupId);
    return g == null || g.node().isClosed() ? Optional.empty() : Optional.of(g.node());
  }

  /** The groups running here. */
  public Set<String> groups() {
    return new TreeSet<>(groups.keySet());
  }

  /**
   * Stops group {@code groupId}'s member here and keeps its data. A leader first hands leadership to
   * another voter (waiting at most an election timeout), so the group's quiet followers need not
   * wait for this host to fail. Completes once the member has closed; at once when it is not running.
   */
  public CompletableFuture<Void> stopGroup(String groupId) {
    Group g = groups.get(groupId);
    if (g == null) {
      return CompletableFuture.completedFuture(null);
    }
    RaftNode node = g.node();
    CompletableFuture<Void> handedOver = CompletableFuture.completedFuture(null);
    String successor = node.membership().voters().stream().filter(v -> !v.equals(id)).findFirst().orElse(null);
    if (node.state().role() == dev.raftflow.engine.Role.LEADER && successor != null) {
      Duration timeout = node.options().tickInterval().multipliedBy(node.options().electionTicks());
      handedOver = node.transferLeadership(successor).orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .exceptionally(e -> null); // closing anyway: the others elect a leader once they notice
    }
    return handedOver.thenCompose(v -> {
      node.close();
      return node.onClose().toFuture();
    });
  }

  /** Stops group {@code groupId}'s member here ({@link #stopGroup}) and deletes its data from the host's store. */
  public CompletableFuture<Void> removeGroup(String groupId) {
    return stopGroup(groupId).thenRun(() -> store.deleteGroup(groupId));
  }

  /**
   * One round of leader spread: counts, over the groups running here, how many each host leads (as
   * this host sees them), and when this host leads more than its share (the groups led divided by the
   * hosts among them, rounded up), hands leadership of one group to the voter of that group that
   * leads the fewest. One transfer per round, so hosts that balance at the same time do not
   * overshoot. Returns the group handed over, or null. Any thread.
   */
  public String balanceLeaders() {
    Map<String, Integer> led = new java.util.HashMap<>();
    Set<String> hosts = new java.util.HashSet<>();
    int groupsLed = 0;
    for (Group g : groups.values()) {
      RaftNode n = g.node();
      hosts.addAll(n.membership().voters());
      String leader = n.state().leaderId();
      if (leader != null) {
        led.merge(leader, 1, Integer::sum);
        groupsLed++;
      }
    }
    int mine = led.getOrDefault(id, 0);
    int share = hosts.isEmpty() ? 0 : (groupsLed + hosts.size() - 1) / hosts.size();
    if (mine <= share) {
      return null;
    }
    for (Group g : groups.values()) {
      RaftNode n = g.node();
      if (n.state().role() != dev.raftflow.engine.Role.LEADER || n.isClosed()) {
        continue;
      }
      String target = null;
      for (String v : n.membership().voters()) {
        if (!v.equals(id) && (target == null || led.getOrDefault(v, 0) < led.getOrDefault(target, 0))) {
          target = v;
        }
      }
      if (target != null && led.getOrDefault(target, 0) + 1 < mine) {
        String group = groupOf(n);
        n.transferLeadership(target).exceptionally(e -> null); // a failed transfer is retried next round
        return group;
      }
    }
    return null;
  }

  /**
   * Groups running here whose snapshot would let the host's store free its oldest log file: a
   * service snapshots each group it hears of ({@link RaftNode#snapshot}) so the shared log's disk use
   * stays bounded. Checked every {@link Builder#compactionCheck}; each check names each such group
   * once. Hot: a subscriber hears only what is named after it subscribed, on the host's timer
   * thread, and must not block.
   */
  public reactor.core.publisher.Flux<String> snapshotRequests() {
    return snapshotRequests.asFlux();
  }

  private void askPinningGroups() {
    for (String g : store.pinningGroups()) {
      if (groups.containsKey(g)) {
        snapshotRequests.tryEmitNext(g);
      }
    }
  }

  private String groupOf(RaftNode node) {
    for (Map.Entry<String, Group> e : groups.entrySet()) {
      if (e.getValue().node() == node) {
        return e.getKey();
      }
    }
    return null;
  }

  private void wakeFollowersOf(String peerHost) {
    int woken = 0;
    for (Group g : groups.values()) {
      RaftNode n = g.node();
      if (n.isQuiet() && peerHost.equals(n.state().leaderId())) {
        n.loop().enqueue(new NodeEvent.WakeIfLeader(peerHost));
        woken++;
      }
    }
    if (woken > 0) {
      LOG.info("{}: host {} stopped answering: woke {} quiet group(s) it led", id, peerHost, woken);
    }
  }

  /** Closes every group, then the transport and the store, and stops the loops. Idempotent. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    reachability.dispose();
    if (balancing != null) {
      balancing.dispose();
    }
    compaction.dispose();
    snapshotRequests.tryEmitComplete();
    for (Group g : groups.values()) {
      g.node().close();
    }
    for (Group g : groups.values()) {
      g.node().onClose().block(Duration.ofSeconds(10));
    }
    transport.close();
    store.close();
    for (HostLoop l : loops) {
      l.close();
    }
  }

  @Override
  public String toString() {
    return "RaftHost[" + id + ", " + groups.size() + " groups on " + loops.length + " loops]";
  }

  /** Builds a {@link RaftHost}: {@link #transport} and {@link #logStore} are required. Not thread-safe. */
  public static final class Builder {
    private HostTransport transport;
    private HostLogStore store;
    private RaftOptions options = groupOptions(RaftOptions.defaults());
    private int loops = Runtime.getRuntime().availableProcessors();
    private Random random = new Random();
    private Duration balanceEvery;
    private reactor.core.scheduler.Scheduler scheduler;
    private Duration compactionCheck = Duration.ofSeconds(10);

    private Builder() {}

    /** How often the host asks its store which groups pin its oldest file ({@link RaftHost#snapshotRequests()}); default 10 s. */
    public Builder compactionCheck(Duration interval) {
      if (interval == null || interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException("the compaction check interval must be positive, was " + interval);
      }
      this.compactionCheck = interval;
      return this;
    }

    /**
     * Runs every loop on workers of {@code scheduler} instead of threads of the host's own. It must
     * run the tasks of all its workers one at a time (a single-thread scheduler, or a simulation's
     * virtual-time scheduler); the host does not dispose it. Default: one thread per loop.
     */
    public Builder scheduler(reactor.core.scheduler.Scheduler scheduler) {
      this.scheduler = scheduler;
      return this;
    }

    /**
     * Spreads leadership over the hosts: every {@code interval}, a host leading more than its share
     * of its groups hands one over ({@link RaftHost#balanceLeaders()}). Default off.
     */
    public Builder balanceLeaders(Duration interval) {
      if (interval != null && (interval.isNegative() || interval.isZero())) {
        throw new IllegalArgumentException("the balancing interval must be positive, was " + interval);
      }
      this.balanceEvery = interval;
      return this;
    }

    /** The process's transport (required); the host closes it when it closes. */
    public Builder transport(HostTransport transport) {
      this.transport = transport;
      return this;
    }

    /** The process's store (required); the host closes it when it closes. */
    public Builder logStore(HostLogStore store) {
      this.store = store;
      return this;
    }

    /**
     * The options groups start with by default; their tick interval is the host's. Default: {@link
     * #groupOptions} of the defaults (quiescence on, smaller queues per group).
     */
    public Builder options(RaftOptions options) {
      this.options = Objects.requireNonNull(options, "options");
      return this;
    }

    /** Loop threads; default one per available processor. */
    public Builder loops(int loops) {
      if (loops < 1) {
        throw new IllegalArgumentException("loops must be at least 1, was " + loops);
      }
      this.loops = loops;
      return this;
    }

    /** Seeds the groups' election timeouts (reproducible runs). */
    public Builder random(Random random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    public RaftHost build() {
      if (transport == null) {
        throw new IllegalArgumentException("transport is required");
      }
      if (store == null) {
        throw new IllegalArgumentException("logStore is required");
      }
      return new RaftHost(this);
    }
  }
}

package dev.raftflow.engine.node;

import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.codec.MessageSizes;
import dev.raftflow.engine.core.RaftCore;
import dev.raftflow.engine.spi.LogStore;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.Transport;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Builds and starts a {@link RaftNode}: {@link #id}, {@link #members}, {@link #transport} and {@link
 * #logStore} are required. {@link #start()} validates everything before it touches the store.
 * Not thread-safe.
 */
public final class RaftNodeBuilder {
  private String id;
  private List<String> members;
  private boolean joining;
  private Transport transport;
  private LogStore store;
  private RaftOptions options = RaftOptions.defaults();
  private Scheduler scheduler;
  private java.util.function.LongSupplier nanoClock = System::nanoTime;
  private Random random;
  private long appliedIndex;
  private boolean hostTicked;
  private HostLoop hostLoop;

  RaftNodeBuilder() {}

  /** This node's id (required). */
  public RaftNodeBuilder id(String id) {
    this.id = id;
    return this;
  }

  /**
   * The voting members the group started with, this node included, without duplicates (required).
   * Once the log or a snapshot records a configuration, that one is in force instead.
   */
  public RaftNodeBuilder members(List<String> members) {
    this.members = members == null ? null : List.copyOf(members);
    return this;
  }

  /**
   * This node joins a running group: {@code members} are the group's current voters and need not
   * include it. It never campaigns until a configuration it receives names it a voter; add it on the
   * leader with {@link RaftNode#addLearner} or {@link RaftNode#addVoter}. Default false.
   */
  public RaftNodeBuilder joining(boolean joining) {
    this.joining = joining;
    return this;
  }

  /** The transport bound to this node (required). The node closes it when it closes. */
  public RaftNodeBuilder transport(Transport transport) {
    this.transport = transport;
    return this;
  }

  /** The durable store (required). The node closes it when it closes. */
  public RaftNodeBuilder logStore(LogStore store) {
    this.store = store;
    return this;
  }

  public RaftNodeBuilder options(RaftOptions options) {
    this.options = Objects.requireNonNull(options, "options");
    return this;
  }

  /**
   * The scheduler whose worker runs this node's loop; several nodes may share one. Default: a
   * single-thread scheduler of the node's own, disposed on close.
   */
  public RaftNodeBuilder scheduler(Scheduler scheduler) {
    this.scheduler = scheduler;
    return this;
  }

  /** The random source of election timeouts; seed it for reproducible runs. */
  public RaftNodeBuilder random(Random random) {
    this.random = random;
    return this;
  }

  /**
   * The monotonic clock, in nanoseconds, that times the read lease ({@link RaftOptions#leaseReads()}).
   * Default {@link System#nanoTime()}; a simulation passes its virtual clock.
   */
  public RaftNodeBuilder nanoClock(java.util.function.LongSupplier clock) {
    this.nanoClock = java.util.Objects.requireNonNull(clock, "clock");
    return this;
  }

  /**
   * The log index the service's state already reflects when it keeps its state across restarts
   * (default 0: it starts empty, and the apply stream begins with the stored snapshot). The apply
   * stream then starts after it, and a stored snapshot at or below it is not handed over again.
   * It must not be beyond what the store holds.
   */
  public RaftNodeBuilder appliedIndex(long appliedIndex) {
    this.appliedIndex = appliedIndex;
    return this;
  }

  /**
   * Its host ticks the node on the loop's thread instead of a timer of its own, and its messages
   * leave through the loop's outbox ({@link RaftHost}).
   */
  RaftNodeBuilder hostLoop(HostLoop loop) {
    this.hostTicked = true;
    this.hostLoop = loop;
    return this;
  }

  /**
   * Validates, recovers from the store, and starts the loop.
   *
   * @throws IllegalArgumentException for a missing or inconsistent setting (named in the message),
   *     including options whose messages would not fit the transport's {@code maxMessageBytes()}
   * @throws IllegalStateException when the store's data is damaged (see {@link LogStore#load()})
   */
  public RaftNode start() {
    if (id == null || id.isEmpty()) {
      throw new IllegalArgumentException("id is required");
    }
    if (members == null || members.isEmpty()) {
      throw new IllegalArgumentException("members is required");
    }
    if (new HashSet<>(members).size() != members.size()) {
      throw new IllegalArgumentException("members has duplicates: " + members);
    }
    if (!members.contains(id) && !joining) {
      throw new IllegalArgumentException("members " + members + " does not contain id " + id
          + " (a node that joins a running group is started with joining(true))");
    }
    if (transport == null) {
      throw new IllegalArgumentException("transport is required");
    }
    MessageSizes.requireFit(options, transport.maxMessageBytes()); // the core never sends what the transport drops
    if (store == null) {
      throw new IllegalArgumentException("logStore is required");
    }
    if (appliedIndex < 0) {
      throw new IllegalArgumentException("appliedIndex must not be negative: " + appliedIndex);
    }
    int maxCommandBytes = Math.min(options.maxCommandBytes(), store.maxEntryBytes());
    Scheduler owned = scheduler == null ? Schedulers.newSingle("raftflow-" + id) : null;
    PersistentState restored = store.load();
    RaftCore core = new RaftCore(id, members, options, random != null ? random : new Random(), restored, appliedIndex);
    core.stageSnapshotsWith(store.snapshotStaging()); // a snapshot received goes where the store keeps them
    core.readEntriesBackThrough(store.entryReader()); // applied entries may stay in the store only
    NodeCounters counters = new NodeCounters();
    NodeLoop loop = new NodeLoop(id, options, transport, store, core, scheduler != null ? scheduler : owned, owned,
        counters, nanoClock, hostTicked, hostLoop);
    RaftNode node = new RaftNode(id, members, options, maxCommandBytes, counters, loop);
    loop.start();
    return node;
  }
}

package dev.raftflow.engine;

import dev.raftflow.engine.core.RaftCore;
import dev.raftflow.engine.core.Ready;
import dev.raftflow.engine.message.AppendEntries;
import dev.raftflow.engine.message.InstallSnapshot;
import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.spi.LogStore;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.Transport;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * One member of a Raft group, embedded in a service.
 *
 * <p><b>Threading.</b> Every node runs an event loop on one {@link Scheduler.Worker}: inbound
 * messages, ticks, proposals, snapshot requests and storage completions are queued and handled
 * there one at a time, so the Raft core needs no locks. Each turn of the loop drains everything
 * queued, then turns the core's output into one log write, one message per follower (smart
 * batching) and the next apply events. All public methods are thread-safe and never block.
 *
 * <p><b>Ordering.</b> {@link #applied()} delivers committed entries and snapshots in log order, on
 * the loop thread, only as fast as its subscriber requests them. A slow service therefore holds the
 * apply stream back rather than growing a queue.
 *
 * <p><b>Errors.</b> Proposals to a non-leader fail with {@link NotLeaderException} (naming the
 * leader when known), proposals beyond {@link RaftOptions#maxPendingProposals()} with {@link
 * OverloadedException}, and every call on a closed node with {@link NodeClosedException}. Messages
 * for another node, and votes and answers from members of no configuration this node knows, are
 * dropped and logged; a leader's appends and snapshots are taken from any sender (one added by a
 * configuration this node does not hold yet must be able to bring it up to date: the transport
 * decides who may connect). A storage failure closes the node.
 *
 * <p><b>Membership.</b> The group's voters and learners change at runtime through {@link
 * #changeMembership} and its shortcuts, on the leader; {@link #membership()} tells the
 * configuration a node holds. Keep {@link RaftOptions#preVote()} or {@link RaftOptions#checkQuorum()}
 * on (both are by default) in a group whose membership changes: a removed member that missed its
 * removal then cannot disturb the group.
 */
public final class RaftNode implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RaftNode.class);
  private static final int MAX_EVENTS_PER_ROUND = 4096;
  private static final int MAX_APPLY_PER_ROUND = 4096;
  private static final int MAX_ROUNDS_PER_TASK = 4;

  private final String id;
  private final List<String> members;
  private final RaftOptions options;
  /** The lower of the option's and the store's limit on one command. */
  private final int maxCommandBytes;
  private final Transport transport;
  private final LogStore store;
  private final Scheduler ownedScheduler;
  private final Scheduler.Worker loop;
  private final RaftCore core;

  // shared between threads
  private final Queue<Object> inbox = new ConcurrentLinkedQueue<>();
  private final AtomicInteger wip = new AtomicInteger();
  private final AtomicInteger queuedProposals = new AtomicInteger();
  private final AtomicInteger outstandingReads = new AtomicInteger();
  private final AtomicLong droppedMessages = new AtomicLong();
  private final AtomicLong proposalsRefused = new AtomicLong();
  // counters written by the loop only, read by metrics() from any thread
  private volatile long proposalsAccepted;
  private volatile long messagesSent;
  private volatile long messagesReceived;
  private volatile long logWrites;
  private volatile long entriesWritten;
  private volatile long logWriteNanos;
  private volatile long readsConfirmed;
  private volatile long readsFailed;
  private volatile int pendingWriteCount;
  private volatile long coreElections;
  private volatile long coreLeaderships;
  private volatile long snapshotsTaken;
  private volatile long coreSnapshotChunks;
  private volatile long coreSnapshotsInstalled;
  private final Sinks.Empty<Void> closedSink = Sinks.empty();
  private volatile NodeState state;
  private volatile Membership membership;
  private volatile boolean closed;
  private volatile boolean applySubscribed;

  // confined to the loop
  private final ArrayDeque<PendingWrite> pendingWrites = new ArrayDeque<>();
  private final ArrayDeque<PendingApply> pendingApplies = new ArrayDeque<>();
  private final List<Propose> proposeBatch = new ArrayList<>();
  private final List<byte[]> commandBatch = new ArrayList<>();
  /** Reads asked of the core, by id (ids increase), and reads confirmed, waiting for their index to apply. */
  private final Map<Long, CompletableFuture<Long>> readsUnconfirmed = new HashMap<>();
  private final ArrayDeque<ConfirmedRead> readsAwaitingApply = new ArrayDeque<>();
  private long lastReadId;
  /** Writes handed to the store with a term or vote that are not durable yet. */
  private int hardStateWritesPending;
  /** The membership change this node leads, if any. */
  private MembershipChange membershipChange;
  /** The leadership transfer under way, if any, and the ticks since it began. */
  private Transfer transfer;
  private int transferTicks;
  private FluxSink<ApplyEvent> applySink;
  private long applyDemand;
  private Subscription inboundSubscription;
  private int inboundConsumed;
  private Disposable ticker;
  private boolean terminated;
  private int drainMissed = 1;

  private RaftNode(Builder b) {
    this.id = b.id;
    this.members = b.members;
    this.options = b.options;
    this.transport = b.transport;
    this.store = b.store;
    this.maxCommandBytes = Math.min(options.maxCommandBytes(), store.maxEntryBytes());
    this.ownedScheduler = b.scheduler == null ? Schedulers.newSingle("raftflow-" + b.id) : null;
    Scheduler scheduler = b.scheduler != null ? b.scheduler : ownedScheduler;
    PersistentState restored = store.load();
    this.core = new RaftCore(id, members, options, b.random != null ? b.random : new Random(), restored);
    this.loop = scheduler.createWorker();
    publishState();
  }

  /** A builder; {@code id}, {@code members}, {@code transport} and {@code logStore} are required. */
  public static Builder builder() {
    return new Builder();
  }

  private void startLoop() {
    transport.inbound().subscribe(new InboundSubscriber());
    scheduleTick();
  }

  /** This node's id. */
  public String id() {
    return id;
  }

  /** The voting members this node was started with (see {@link #membership()} for the current ones). */
  public List<String> members() {
    return members;
  }

  /**
   * The group's configuration as this node knows it, as of the end of its last loop turn: the latest
   * configuration entry in its log (in force once appended, even before it commits), else its
   * snapshot's, else the members it was started with. Any thread.
   */
  public Membership membership() {
    return membership;
  }

  /**
   * Changes the group's membership to {@code target} (voters and learners; not joint). Run it on
   * the leader. A change of voters goes through a joint configuration in which the old and the new
   * voters must both agree, which the leader leaves on its own (Raft thesis §4.3); a change of
   * learners alone takes one step. Completes, on the loop thread, once {@code target} is committed.
   *
   * <p>Add a member as a learner first and promote it once it has caught up: a voter that must first
   * receive the whole log can stall commits. The transport must know a new member's address before
   * the change. A leader not among the new voters steps down once the change is committed.
   *
   * <p>Fails with {@link NotLeaderException} when this node is not the leader or loses leadership
   * before the change commits (the change may still take effect: read {@link #membership()} on
   * the new leader), {@link IllegalStateException} when another change is under way, {@link
   * IllegalArgumentException} for a joint target, {@link NodeClosedException} when closed.
   */
  public CompletableFuture<Membership> changeMembership(Membership target) {
    Objects.requireNonNull(target, "target");
    return requestMembershipChange(current -> target);
  }

  /** Adds {@code member} as a voter (a learner is promoted), as {@link #changeMembership} does. */
  public CompletableFuture<Membership> addVoter(String member) {
    Objects.requireNonNull(member, "member");
    return requestMembershipChange(current -> placed(current, member, true, false));
  }

  /** Adds {@code member} as a learner (a voter is demoted), as {@link #changeMembership} does. */
  public CompletableFuture<Membership> addLearner(String member) {
    Objects.requireNonNull(member, "member");
    return requestMembershipChange(current -> placed(current, member, false, true));
  }

  /** Removes {@code member}, voter or learner, as {@link #changeMembership} does. */
  public CompletableFuture<Membership> removeMember(String member) {
    Objects.requireNonNull(member, "member");
    return requestMembershipChange(current -> placed(current, member, false, false));
  }

  /** {@code current} with {@code member} a voter, a learner, or (neither) gone. */
  private static Membership placed(Membership current, String member, boolean voter, boolean learner) {
    java.util.Set<String> voters = new HashSet<>(current.voters());
    java.util.Set<String> learners = new HashSet<>(current.learners());
    voters.remove(member);
    learners.remove(member);
    if (voter) {
      voters.add(member);
    }
    if (learner) {
      learners.add(member);
    }
    return Membership.of(voters, learners);
  }

  private CompletableFuture<Membership> requestMembershipChange(java.util.function.UnaryOperator<Membership> target) {
    CompletableFuture<Membership> done = new CompletableFuture<>();
    NodeState s = state;
    if (closed) {
      done.completeExceptionally(new NodeClosedException(id));
    } else if (s.role() != Role.LEADER) {
      done.completeExceptionally(new NotLeaderException(id, s.term(), s.leaderId()));
    } else {
      enqueue(new MembershipRequest(target, done));
    }
    return done;
  }

  /** The options this node runs with. */
  public RaftOptions options() {
    return options;
  }

  /**
   * Proposes a command. The future completes as soon as the leader has appended it, with its index
   * and term (which does not mean it will commit), or fails with {@link NotLeaderException},
   * {@link OverloadedException}, {@link NodeClosedException}, or {@link IllegalArgumentException}
   * when it is larger than {@link RaftOptions#maxCommandBytes()} or the log store's {@link
   * dev.raftflow.engine.spi.LogStore#maxEntryBytes()}. The command array must not be modified
   * afterwards.
   */
  public CompletableFuture<LogPosition> propose(byte[] command) {
    CompletableFuture<LogPosition> accepted = new CompletableFuture<>();
    enqueueProposal(command, accepted, null);
    return accepted;
  }

  /**
   * Proposes a command and completes once it is committed and has been handed to the apply stream
   * (the subscriber of {@link #applied()} has taken it), with its index and term. Fails as {@link
   * #propose} does, or with {@link ProposalDroppedException} when another leader's entry took its
   * place. Without a subscriber to {@link #applied()} it never completes.
   */
  public Mono<LogPosition> submit(byte[] command) {
    return Mono.create(sink -> enqueueProposal(command, null, sink));
  }

  private void enqueueProposal(byte[] command, CompletableFuture<LogPosition> accepted, MonoSink<LogPosition> applied) {
    Objects.requireNonNull(command, "command");
    RuntimeException refusal = null;
    NodeState s = state;
    if (command.length > maxCommandBytes) {
      refusal = new IllegalArgumentException("command of " + command.length + " bytes exceeds node " + id
          + "'s limit of " + maxCommandBytes + " bytes (" + (maxCommandBytes == options.maxCommandBytes()
          ? "RaftOptions.maxCommandBytes" : "its log store's maxEntryBytes") + ")");
    } else if (closed) {
      refusal = new NodeClosedException(id);
    } else if (s.role() != Role.LEADER) {
      refusal = new NotLeaderException(id, s.term(), s.leaderId());
    } else if (s.lastIndex() - s.appliedIndex() + queuedProposals.get() >= options.maxUnappliedEntries()) {
      // refused here, on the caller's thread, so an overload does not flood the loop
      refusal = new OverloadedException("node " + id + " holds " + (s.lastIndex() - s.appliedIndex())
          + " entries its service has not applied yet (maxUnappliedEntries " + options.maxUnappliedEntries() + ")");
    } else if (queuedProposals.incrementAndGet() > options.maxPendingProposals()) {
      queuedProposals.decrementAndGet();
      refusal = new OverloadedException(
          "node " + id + " has " + options.maxPendingProposals() + " proposals queued (maxPendingProposals)");
    }
    if (refusal != null) {
      proposalsRefused.incrementAndGet();
      if (accepted != null) {
        accepted.completeExceptionally(refusal);
      } else {
        applied.error(refusal);
      }
      return;
    }
    enqueue(new Propose(command, accepted, applied));
  }

  /** The node's current term, role and leader, as of the end of its last loop turn. */
  public NodeState state() {
    return state;
  }

  /**
   * The apply stream: committed entries and snapshots in log order, delivered on the node's loop
   * thread as the subscriber requests them. After a restart it begins with the stored snapshot (if
   * any), then the entries after it. One subscriber at a time; it must not block (use {@code
   * publishOn} to move work elsewhere, keeping demand bounded so backpressure holds).
   */
  public Flux<ApplyEvent> applied() {
    return Flux.create(sink -> {
      if (closed) {
        sink.error(new NodeClosedException(id));
        return;
      }
      synchronized (this) {
        if (applySubscribed) {
          sink.error(new IllegalStateException("node " + id + ": applied() already has a subscriber"));
          return;
        }
        applySubscribed = true;
      }
      enqueue(new ApplySubscribe(sink));
      sink.onRequest(n -> enqueue(new ApplyDemand(n)));
      sink.onDispose(() -> enqueue(new ApplySubscribe(null)));
    }, FluxSink.OverflowStrategy.ERROR);
  }

  /**
   * Tells the node that the service has taken a snapshot covering entries up to {@code index}, so
   * the log up to it can be discarded. The future completes once the loop has taken it. A snapshot
   * at or behind the current one is ignored (completes normally); one beyond the applied index
   * fails with {@link IllegalArgumentException}.
   */
  public CompletableFuture<Void> snapshot(long index, byte[] data) {
    Objects.requireNonNull(data, "data");
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (closed) {
      done.completeExceptionally(new NodeClosedException(id));
    } else {
      enqueue(new TakeSnapshot(index, data, done));
    }
    return done;
  }

  /**
   * A linearizable read (ReadIndex). Completes with a log index once this node, still the leader,
   * has heard from a majority after the call, and every entry up to that index has been handed to
   * the {@link #applied()} subscriber: state the service reads after that reflects every command
   * committed before the call (provided it applies entries as it takes them). No log entry is
   * written. Right after an election it waits for the new leader's first entry to commit. Fails
   * with {@link NotLeaderException} (not the leader, or leadership lost before a majority
   * confirmed it), {@link OverloadedException} (more than {@link RaftOptions#maxPendingProposals()}
   * reads outstanding) or {@link NodeClosedException}. Completes on the node's loop thread; like
   * {@link #submit}, it needs a subscriber to {@link #applied()} to move.
   */
  public CompletableFuture<Long> readIndex() {
    CompletableFuture<Long> done = new CompletableFuture<>();
    NodeState s = state;
    if (closed) {
      done.completeExceptionally(new NodeClosedException(id));
    } else if (s.role() != Role.LEADER) {
      done.completeExceptionally(new NotLeaderException(id, s.term(), s.leaderId()));
    } else if (outstandingReads.incrementAndGet() > options.maxPendingProposals()) {
      outstandingReads.decrementAndGet();
      done.completeExceptionally(new OverloadedException(
          "node " + id + " has " + options.maxPendingProposals() + " reads outstanding (maxPendingProposals)"));
    } else {
      done.whenComplete((v, e) -> outstandingReads.decrementAndGet());
      enqueue(new ReadRequest(done));
    }
    return done;
  }

  /**
   * Hands leadership to member {@code target} (Raft thesis 3.10): this leader stops taking
   * proposals (they fail with {@link NotLeaderException} naming the target), brings the target's
   * log up to date and tells it to start an election at once. Completes when this node sees the
   * target lead a newer term; fails with {@link RaftException} if the target does not take over
   * within an election timeout (this node then leads on and takes proposals again), if another
   * member wins, if this node loses leadership otherwise, or if no outcome is known after two
   * election timeouts; with {@link NotLeaderException} if this node is not the leader, {@link
   * IllegalArgumentException} for an id that is not a voter, {@link NodeClosedException} when
   * closed. A new transfer replaces one under way (which fails); a transfer to this node itself
   * cancels one under way and completes. Completes on the loop thread.
   */
  public CompletableFuture<Void> transferLeadership(String target) {
    Objects.requireNonNull(target, "target");
    CompletableFuture<Void> done = new CompletableFuture<>();
    NodeState s = state;
    Membership current = membership;
    if (!current.isVoter(target)) {
      done.completeExceptionally(new IllegalArgumentException(target + " is not a voter of " + current));
    } else if (closed) {
      done.completeExceptionally(new NodeClosedException(id));
    } else if (s.role() != Role.LEADER) {
      done.completeExceptionally(new NotLeaderException(id, s.term(), s.leaderId()));
    } else {
      enqueue(new TransferRequest(target, done));
    }
    return done;
  }

  /** Proposals queued for the loop and not yet taken (bounded by maxPendingProposals). */
  public int queuedProposals() {
    return Math.max(0, queuedProposals.get());
  }

  /** This node's counters since it started (see {@link NodeMetrics}); any thread. */
  public NodeMetrics metrics() {
    return new NodeMetrics(proposalsAccepted, proposalsRefused.get(), messagesSent, messagesReceived,
        droppedMessages.get(), logWrites, entriesWritten, logWriteNanos, coreElections, coreLeaderships,
        snapshotsTaken, coreSnapshotChunks, coreSnapshotsInstalled, readsConfirmed, readsFailed,
        queuedProposals(), pendingWriteCount);
  }

  /** Messages dropped because they came from an unknown member or were addressed elsewhere. */
  public long droppedMessages() {
    return droppedMessages.get();
  }

  public boolean isClosed() {
    return closed;
  }

  /** Completes once the node has stopped and released its transport and store. */
  public Mono<Void> onClose() {
    return closedSink.asMono();
  }

  /**
   * Stops the node without waiting: ticks and inbound messages stop, pending proposals fail with
   * {@link NodeClosedException}, the apply stream completes, the transport and store are closed.
   * Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    enqueue(Close.INSTANCE);
  }

  // ------------------------------------------------------------------ the loop

  private void enqueue(Object event) {
    inbox.offer(event);
    if (wip.getAndIncrement() == 0) {
      try {
        loop.schedule(this::drain);
      } catch (RejectedExecutionException e) {
        // the loop is gone: the node has terminated and drained what it will ever handle
        inbox.clear();
      }
    }
  }

  /**
   * Ticks re-arm themselves after each run (fixed delay), so a loop that was held up does not
   * receive a burst of overdue ticks that would fire an election timeout at once.
   */
  private void scheduleTick() {
    try {
      ticker = loop.schedule(this::onTick, options.tickInterval().toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException gone) {
      // terminated
    }
  }

  private void onTick() {
    if (terminated) {
      return;
    }
    try {
      core.tick();
      if (transfer != null) {
        transferTicks++;
      }
      flush();
    } catch (RuntimeException e) {
      fail(e);
    }
    if (!terminated) {
      scheduleTick();
    }
  }

  private void drain() {
    int missed = drainMissed;
    int rounds = 0;
    while (true) {
      try {
        int n = 0;
        Object e;
        while (n < MAX_EVENTS_PER_ROUND && (e = inbox.poll()) != null) {
          n++;
          handle(e);
        }
        proposeBatch();
        if (!terminated) {
          flush();
          replenishInbound();
        }
      } catch (RuntimeException ex) {
        fail(ex);
      }
      if (!inbox.isEmpty() && ++rounds >= MAX_ROUNDS_PER_TASK && !terminated) {
        // still busy: give the worker back (ticks, other nodes sharing it) and continue in a new task
        drainMissed = missed;
        try {
          loop.schedule(this::drain);
          return;
        } catch (RejectedExecutionException gone) {
          return;
        }
      }
      missed = wip.addAndGet(-missed);
      if (missed == 0) {
        drainMissed = 1;
        return;
      }
    }
  }

  private void handle(Object e) {
    if (terminated) {
      if (e instanceof Propose p) {
        proposalsRefused.incrementAndGet();
        p.fail(new NodeClosedException(id));
      } else if (e instanceof TakeSnapshot t) {
        t.done.completeExceptionally(new NodeClosedException(id));
      } else if (e instanceof ReadRequest r) {
        r.done.completeExceptionally(new NodeClosedException(id));
      } else if (e instanceof TransferRequest t) {
        t.done.completeExceptionally(new NodeClosedException(id));
      } else if (e instanceof MembershipRequest r) {
        r.done.completeExceptionally(new NodeClosedException(id));
      }
      return;
    }
    if (e instanceof Message m) {
      inboundConsumed++;
      messagesReceived++;
      // a leader's messages are taken from anyone: a leader added by a configuration this node does
      // not hold yet (it joins, or it was cut off meanwhile) is the one to bring it up to date
      boolean fromLeader = m instanceof AppendEntries || m instanceof InstallSnapshot;
      boolean fromStranger = !fromLeader && !core.knows(m.from());
      if (!m.to().equals(id) || m.from().equals(id) || fromStranger) {
        long n = droppedMessages.incrementAndGet();
        if (n == 1 || Long.bitCount(n) == 1) {
          LOG.warn("{}: dropped message from {} to {} ({} so far): sender unknown or not addressed here",
              id, m.from(), m.to(), n);
        }
        return;
      }
      core.step(m);
    } else if (e instanceof Propose p) {
      queuedProposals.decrementAndGet();
      proposeBatch.add(p);
    } else if (e instanceof PendingWrite w) {
      completeWrites();
    } else if (e instanceof TransferRequest t) {
      proposeBatch(); // proposals made before the call still go in
      if (core.role() != Role.LEADER) {
        t.done.completeExceptionally(new NotLeaderException(id, core.term(), core.leaderId()));
        return;
      }
      if (transfer != null) {
        transfer.done.completeExceptionally(new RaftException("leadership transfer to " + transfer.target
            + " replaced by one to " + t.target));
        transfer = null;
      }
      if (t.target.equals(id)) {
        core.cancelTransfer();
        t.done.complete(null);
      } else if (core.transferLeadership(t.target)) {
        transfer = new Transfer(t.target, core.term(), t.done);
        transferTicks = 0;
      } else {
        t.done.completeExceptionally(new NotLeaderException(id, core.term(), core.leaderId()));
      }
    } else if (e instanceof MembershipRequest r) {
      proposeBatch(); // proposals made before the call go in first
      startMembershipChange(r);
    } else if (e instanceof ReadRequest r) {
      long readId = ++lastReadId;
      if (core.requestRead(readId)) {
        readsUnconfirmed.put(readId, r.done);
      } else {
        r.done.completeExceptionally(new NotLeaderException(id, core.term(), core.leaderId()));
      }
    } else if (e instanceof TakeSnapshot t) {
      proposeBatch(); // keep the order of calls
      try {
        if (core.snapshotTaken(t.index, t.data)) {
          snapshotsTaken++; // counted before the caller hears of it
        }
        t.done.complete(null);
      } catch (IllegalArgumentException ex) {
        t.done.completeExceptionally(ex);
      }
    } else if (e instanceof ApplySubscribe a) {
      applySink = a.sink;
      applyDemand = 0;
      if (a.sink == null) {
        applySubscribed = false;
      }
    } else if (e instanceof ApplyDemand d) {
      applyDemand = applyDemand + d.n < 0 ? Long.MAX_VALUE : applyDemand + d.n;
    } else if (e == Close.INSTANCE) {
      terminate(null);
    }
  }

  private void proposeBatch() {
    if (proposeBatch.isEmpty()) {
      return;
    }
    for (Propose p : proposeBatch) {
      commandBatch.add(p.command);
    }
    // admit only what keeps the leader within maxUnappliedEntries of its service
    long room = options.maxUnappliedEntries() - (core.lastIndex() - core.appliedIndex());
    int admitted = (int) Math.max(0, Math.min(room, commandBatch.size()));
    long first = core.role() == Role.LEADER && admitted > 0
        ? core.propose(admitted == commandBatch.size() ? commandBatch : commandBatch.subList(0, admitted))
        : -1;
    if (first > 0) {
      proposalsAccepted += admitted;
    }
    long term = core.term();
    String transferee = core.leadTransferee();
    for (int i = 0; i < proposeBatch.size(); i++) {
      Propose p = proposeBatch.get(i);
      if (core.role() != Role.LEADER || transferee != null) {
        // while leadership is being handed over, the new leader is the one to ask
        proposalsRefused.incrementAndGet();
        p.fail(new NotLeaderException(id, term, transferee != null ? transferee : core.leaderId()));
        continue;
      }
      if (i >= admitted) {
        proposalsRefused.incrementAndGet();
        p.fail(new OverloadedException("node " + id + " holds " + (core.lastIndex() - core.appliedIndex())
            + " entries its service has not applied yet (maxUnappliedEntries " + options.maxUnappliedEntries() + ")"));
        continue;
      }
      LogPosition pos = new LogPosition(first + i, term);
      if (p.accepted != null) {
        p.accepted.complete(pos);
      }
      if (p.applied != null) {
        awaitApply(pos, p.applied);
      }
    }
    proposeBatch.clear();
    commandBatch.clear();
  }

  private void awaitApply(LogPosition pos, MonoSink<LogPosition> sink) {
    // an older proposal at this index or later was overwritten: our log no longer holds it
    while (!pendingApplies.isEmpty() && pendingApplies.peekLast().position.index() >= pos.index()) {
      PendingApply old = pendingApplies.pollLast();
      old.sink.error(new ProposalDroppedException(old.position.index(), old.position.term()));
    }
    pendingApplies.addLast(new PendingApply(pos, sink));
  }

  /** Turns the core's output into sends, one log write, and apply events. */
  private void flush() {
    Ready rd = core.ready();
    List<Message> afterWrite = rd.messagesAfterWrite();
    if (hardStateWritesPending > 0 && !rd.messages().isEmpty()) {
      // a term or vote of an earlier turn is not durable yet: nothing goes out under it before it is
      afterWrite = new ArrayList<>(rd.messages());
      afterWrite.addAll(rd.messagesAfterWrite());
    } else {
      for (Message m : rd.messages()) {
        send(m);
      }
    }
    if (!rd.readsConfirmed().isEmpty()) {
      readsConfirmed += rd.readsConfirmed().size();
    }
    if (!rd.readsFailed().isEmpty()) {
      readsFailed += rd.readsFailed().size();
    }
    for (Ready.ReadState r : rd.readsConfirmed()) {
      CompletableFuture<Long> done = readsUnconfirmed.remove(r.id());
      if (done != null) {
        readsAwaitingApply.addLast(new ConfirmedRead(r.index(), done));
      }
    }
    for (long readId : rd.readsFailed()) {
      CompletableFuture<Long> done = readsUnconfirmed.remove(readId);
      if (done != null) {
        done.completeExceptionally(new NotLeaderException(id, core.term(), core.leaderId()));
      }
    }
    LogWrite w = rd.write();
    if (!w.isEmpty()) {
      PendingWrite pw = new PendingWrite(w.lastIndex(), w.lastTerm(), afterWrite);
      pw.startNanos = System.nanoTime();
      if (w.hardState() != null) {
        pw.hardState = true;
        hardStateWritesPending++;
      }
      pendingWrites.addLast(pw);
      logWrites++;
      if (!w.entries().isEmpty()) {
        entriesWritten += w.entries().size();
      }
      CompletableFuture<Void> f = store.write(w);
      if (f.isDone()) {
        pw.complete(f);
        completeWrites();
      } else {
        f.whenComplete((v, err) -> {
          pw.complete(f);
          enqueue(pw);
        });
      }
    } else if (!afterWrite.isEmpty()) {
      if (pendingWrites.isEmpty()) {
        for (Message m : afterWrite) {
          send(m);
        }
      } else {
        PendingWrite pw = new PendingWrite(-1, -1, afterWrite);
        pw.durable = true; // nothing to write, but must wait for the writes before it
        pendingWrites.addLast(pw);
      }
    }
    deliverApply();
    checkTransfer();
    checkMembershipChange();
    publishState();
    publishCounters();
  }

  private void send(Message m) {
    messagesSent++;
    transport.send(m);
  }

  /** Copies the core's counters where metrics() can read them (only when they changed). */
  private void publishCounters() {
    if (pendingWriteCount != pendingWrites.size()) {
      pendingWriteCount = pendingWrites.size();
    }
    if (coreElections != core.electionsStarted()) {
      coreElections = core.electionsStarted();
    }
    if (coreLeaderships != core.leadershipsWon()) {
      coreLeaderships = core.leadershipsWon();
    }
    if (coreSnapshotChunks != core.snapshotChunksSent()) {
      coreSnapshotChunks = core.snapshotChunksSent();
    }
    if (coreSnapshotsInstalled != core.snapshotsInstalled()) {
      coreSnapshotsInstalled = core.snapshotsInstalled();
    }
  }

  private void startMembershipChange(MembershipRequest r) {
    if (core.role() != Role.LEADER) {
      r.done.completeExceptionally(new NotLeaderException(id, core.term(), core.leaderId()));
      return;
    }
    Membership target;
    long index;
    try {
      if (membershipChange != null) {
        throw new IllegalStateException("a membership change to " + membershipChange.target + " is under way");
      }
      target = r.target.apply(core.membership().target());
      if (target.equals(core.membership()) && core.membershipIndex() <= core.commitIndex()) {
        r.done.complete(target); // nothing to change
        return;
      }
      index = core.proposeMembership(target);
    } catch (IllegalArgumentException | IllegalStateException ex) {
      r.done.completeExceptionally(ex);
      return;
    }
    if (index < 0) {
      r.done.completeExceptionally(new NotLeaderException(id, core.term(), core.leaderId()));
      return;
    }
    membershipChange = new MembershipChange(target, core.term(), index, r.done);
  }

  /**
   * Settles the membership change under way once its target commits or leadership is lost; fails
   * the submits awaiting entries this node will never see committed because it was removed.
   */
  private void checkMembershipChange() {
    if (!pendingApplies.isEmpty() && pendingApplies.peekLast().position.index() > core.commitIndex()
        && !core.committedMembership().contains(id)) {
      while (!pendingApplies.isEmpty() && pendingApplies.peekLast().position.index() > core.commitIndex()) {
        PendingApply p = pendingApplies.pollLast();
        p.sink.error(new RaftException("node " + id + " was removed from the group before entry "
            + p.position.index() + " committed here: its outcome is unknown (ask the group's leader)"));
      }
    }
    MembershipChange c = membershipChange;
    if (c == null) {
      return;
    }
    if (core.commitIndex() >= c.index && core.membershipIndex() <= core.commitIndex()
        && core.membership().equals(c.target)) {
      membershipChange = null;
      c.done.complete(c.target);
    } else if (core.role() != Role.LEADER || core.term() != c.term) {
      membershipChange = null;
      c.done.completeExceptionally(new NotLeaderException(id, core.term(), core.leaderId()));
    }
  }

  /** Settles the leadership transfer under way once its outcome is known. */
  private void checkTransfer() {
    Transfer t = transfer;
    if (t == null) {
      return;
    }
    String leader = core.leaderId();
    if (core.term() > t.term && leader != null) {
      transfer = null;
      if (leader.equals(t.target)) {
        t.done.complete(null);
      } else {
        t.done.completeExceptionally(new RaftException("leadership went to " + leader + ", not " + t.target));
      }
    } else if (core.term() == t.term && core.role() == Role.LEADER && core.leadTransferee() == null) {
      transfer = null;
      t.done.completeExceptionally(new RaftException("leadership transfer to " + t.target
          + " did not complete within the election timeout; " + id + " leads on"));
    } else if (core.term() == t.term && core.role() != Role.LEADER) {
      transfer = null;
      t.done.completeExceptionally(new RaftException("leadership transfer to " + t.target + " ended: " + id
          + " lost the leadership (cut off from a majority?)"));
    } else if (transferTicks > 2 * options.electionTicks()) {
      transfer = null;
      t.done.completeExceptionally(new RaftException("leadership transfer to " + t.target + ": outcome unknown after "
          + transferTicks + " ticks (term " + core.term() + ", leader " + core.leaderId() + ")"));
    }
  }

  /** Handles, in order, every write at the head of the queue that is now durable. */
  private void completeWrites() {
    PendingWrite pw;
    while ((pw = pendingWrites.peekFirst()) != null && pw.durable) {
      pendingWrites.pollFirst();
      if (pw.error != null) {
        throw new IllegalStateException("log store write failed on node " + id, pw.error);
      }
      if (pw.hardState) {
        hardStateWritesPending--;
      }
      for (Message m : pw.afterWrite) {
        send(m);
      }
      if (pw.startNanos != 0) {
        logWriteNanos += System.nanoTime() - pw.startNanos;
      }
      if (pw.lastIndex >= 0) {
        core.persisted(pw.lastIndex, pw.lastTerm);
      }
    }
  }

  private void deliverApply() {
    if (applySink != null) {
      deliverApplyEvents();
    }
    completeReads();
  }

  /** Completes the confirmed reads whose index the service has been handed. */
  private void completeReads() {
    ConfirmedRead r;
    while ((r = readsAwaitingApply.peekFirst()) != null && r.index <= core.appliedIndex()) {
      readsAwaitingApply.pollFirst();
      r.done.complete(r.index);
    }
  }

  private void deliverApplyEvents() {
    while (applyDemand > 0 && core.hasApply()) {
      List<ApplyEvent> events = core.takeApply((int) Math.min(applyDemand, MAX_APPLY_PER_ROUND));
      for (ApplyEvent ev : events) {
        applyDemand--;
        try {
          applySink.next(ev);
        } catch (RuntimeException ex) {
          LOG.error("{}: apply subscriber failed at index {}", id, ev.index(), ex);
        }
        resolveApplied(ev);
      }
    }
  }

  private void resolveApplied(ApplyEvent ev) {
    PendingApply p;
    while ((p = pendingApplies.peekFirst()) != null && p.position.index() <= ev.index()) {
      pendingApplies.pollFirst();
      if (ev instanceof ApplyEvent.Entry e && p.position.index() == e.index()) {
        if (p.position.term() == e.term()) {
          p.sink.success(p.position);
        } else {
          p.sink.error(new ProposalDroppedException(p.position.index(), p.position.term()));
        }
      } else {
        p.sink.error(new RaftException("proposal at index " + p.position.index()
            + " is covered by a snapshot from the leader; its outcome is unknown"));
      }
    }
  }

  private void replenishInbound() {
    if (inboundConsumed > 0 && inboundSubscription != null) {
      int n = inboundConsumed;
      inboundConsumed = 0;
      inboundSubscription.request(n);
    }
  }

  private void publishState() {
    if (membership != core.membership()) {
      membership = core.membership();
    }
    NodeState s = state;
    if (s == null || s.term() != core.term() || s.role() != core.role() || s.commitIndex() != core.commitIndex()
        || s.appliedIndex() != core.appliedIndex() || s.lastIndex() != core.lastIndex()
        || !Objects.equals(s.leaderId(), core.leaderId())) {
      state = new NodeState(core.term(), core.role(), core.leaderId(), core.commitIndex(), core.appliedIndex(),
          core.lastIndex());
    }
  }

  private void fail(Throwable error) {
    if (closed) {
      LOG.warn("{}: failed while closing: {}", id, error.toString()); // e.g. its store was closed first
    } else {
      LOG.error("{}: stopping after an internal error ({})", id, core, error);
    }
    closed = true;
    terminate(error);
  }

  private void terminate(Throwable error) {
    if (terminated) {
      return;
    }
    terminated = true;
    closed = true;
    if (ticker != null) {
      ticker.dispose();
    }
    if (inboundSubscription != null) {
      inboundSubscription.cancel();
    }
    NodeClosedException closedError = new NodeClosedException(id);
    for (Propose p : proposeBatch) {
      p.fail(closedError);
    }
    proposeBatch.clear();
    for (PendingApply p : pendingApplies) {
      p.sink.error(closedError);
    }
    pendingApplies.clear();
    readsUnconfirmed.values().forEach(f -> f.completeExceptionally(closedError));
    readsUnconfirmed.clear();
    readsAwaitingApply.forEach(r -> r.done.completeExceptionally(closedError));
    readsAwaitingApply.clear();
    if (transfer != null) {
      transfer.done.completeExceptionally(closedError);
      transfer = null;
    }
    if (membershipChange != null) {
      membershipChange.done.completeExceptionally(closedError);
      membershipChange = null;
    }
    Object e;
    while ((e = inbox.poll()) != null) {
      handle(e);
    }
    if (applySink != null) {
      if (error != null) {
        applySink.error(error);
      } else {
        applySink.complete();
      }
    }
    try {
      transport.close();
    } catch (RuntimeException ex) {
      LOG.warn("{}: transport close failed", id, ex);
    }
    try {
      store.close();
    } catch (RuntimeException ex) {
      LOG.warn("{}: store close failed", id, ex);
    }
    publishState();
    closedSink.tryEmitEmpty();
    loop.dispose();
    if (ownedScheduler != null) {
      ownedScheduler.dispose();
    }
  }

  @Override
  public String toString() {
    return "RaftNode[" + id + " " + state + "]";
  }

  // ------------------------------------------------------------------ events

  private record Propose(byte[] command, CompletableFuture<LogPosition> accepted, MonoSink<LogPosition> applied) {
    void fail(RaftException e) {
      if (accepted != null) {
        accepted.completeExceptionally(e);
      }
      if (applied != null) {
        applied.error(e);
      }
    }
  }

  private record TakeSnapshot(long index, byte[] data, CompletableFuture<Void> done) {}

  private record ReadRequest(CompletableFuture<Long> done) {}

  private record TransferRequest(String target, CompletableFuture<Void> done) {}

  private record MembershipRequest(java.util.function.UnaryOperator<Membership> target,
      CompletableFuture<Membership> done) {}

  private record MembershipChange(Membership target, long term, long index, CompletableFuture<Membership> done) {}

  private record Transfer(String target, long term, CompletableFuture<Void> done) {}

  private record ConfirmedRead(long index, CompletableFuture<Long> done) {}

  private record ApplySubscribe(FluxSink<ApplyEvent> sink) {}

  private record ApplyDemand(long n) {}

  private record PendingApply(LogPosition position, MonoSink<LogPosition> sink) {}

  private enum Close {
    INSTANCE
  }

  /** A log write on its way to durability, and the messages that must wait for it. */
  private static final class PendingWrite {
    final long lastIndex;
    final long lastTerm;
    final List<Message> afterWrite;
    /** When the write was handed to the store (0 for a marker that writes nothing). */
    long startNanos;
    /** Whether it carries a term or vote: messages of later turns wait for it. */
    boolean hardState;
    volatile boolean durable;
    volatile Throwable error;

    PendingWrite(long lastIndex, long lastTerm, List<Message> afterWrite) {
      this.lastIndex = lastIndex;
      this.lastTerm = lastTerm;
      this.afterWrite = afterWrite;
    }

    void complete(CompletableFuture<Void> f) {
      try {
        f.join();
      } catch (RuntimeException e) {
        error = e;
      }
      durable = true;
    }
  }

  private final class InboundSubscriber extends BaseSubscriber<Message> {
    @Override
    protected void hookOnSubscribe(Subscription s) {
      inboundSubscription = s;
      s.request(options.inboundPrefetch());
    }

    @Override
    protected void hookOnNext(Message m) {
      enqueue(m);
    }

    @Override
    protected void hookOnError(Throwable t) {
      if (!closed) {
        LOG.error("{}: inbound message stream failed; the node no longer hears its peers", id, t);
      }
    }
  }

  /** Builds and starts a {@link RaftNode}. */
  public static final class Builder {
    private String id;
    private List<String> members;
    private boolean joining;
    private Transport transport;
    private LogStore store;
    private RaftOptions options = RaftOptions.defaults();
    private Scheduler scheduler;
    private Random random;

    private Builder() {}

    /** This node's id (required). */
    public Builder id(String id) {
      this.id = id;
      return this;
    }

    /**
     * This node joins a running group: {@code members} are the group's current voters and need not
     * include it. It never campaigns until a configuration it receives names it a voter; add it
     * on the leader with {@link RaftNode#addLearner} or {@link RaftNode#addVoter}. Default false.
     */
    public Builder joining(boolean joining) {
      this.joining = joining;
      return this;
    }

    /**
     * The voting members the group started with, this node included, without duplicates (required).
     * Once the log or a snapshot records a configuration, that one is in force instead.
     */
    public Builder members(List<String> members) {
      this.members = members == null ? null : List.copyOf(members);
      return this;
    }

    /** The transport bound to this node (required). The node closes it when it closes. */
    public Builder transport(Transport transport) {
      this.transport = transport;
      return this;
    }

    /** The durable store (required). The node closes it when it closes. */
    public Builder logStore(LogStore store) {
      this.store = store;
      return this;
    }

    public Builder options(RaftOptions options) {
      this.options = Objects.requireNonNull(options, "options");
      return this;
    }

    /**
     * The scheduler whose worker runs this node's loop; several nodes may share one. Default: a
     * single-thread scheduler of the node's own, disposed on close.
     */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = scheduler;
      return this;
    }

    /** The random source of election timeouts; seed it for reproducible runs. */
    public Builder random(Random random) {
      this.random = random;
      return this;
    }

    /** Validates, recovers from the store, and starts the loop. */
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
      if (store == null) {
        throw new IllegalArgumentException("logStore is required");
      }
      RaftNode node = new RaftNode(this);
      node.startLoop();
      return node;
    }
  }
}

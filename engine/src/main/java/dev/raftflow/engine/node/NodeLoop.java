package dev.raftflow.engine.node;

import dev.raftflow.engine.LogPosition;
import dev.raftflow.engine.Membership;
import dev.raftflow.engine.MembershipChangeRejectedException;
import dev.raftflow.engine.NodeClosedException;
import dev.raftflow.engine.NodeState;
import dev.raftflow.engine.NotLeaderException;
import dev.raftflow.engine.OverloadedException;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.Role;
import dev.raftflow.engine.core.Outcome;
import dev.raftflow.engine.core.RaftCore;
import dev.raftflow.engine.core.Ready;
import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.spi.LogStore;
import dev.raftflow.engine.spi.SnapshotStaging;
import dev.raftflow.engine.spi.Transport;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;

/**
 * A node's event loop: every {@link NodeEvent} is queued and handled on one {@link Scheduler.Worker},
 * one at a time, so the core needs no locks. Each turn drains what is queued (bounded), turns all
 * queued proposals into one append, then handles the core's {@link Ready}: messages out, one log
 * write, outcomes to their waiters, apply events to the service. State and counters are published
 * for other threads after every turn.
 */
final class NodeLoop {

  private static final Logger LOG = LoggerFactory.getLogger(NodeLoop.class);
  private static final int MAX_EVENTS_PER_ROUND = 4096;
  private static final int MAX_ROUNDS_PER_TASK = 4;
  /**
   * On a host loop, events one turn of a group handles: a group with more queued goes to the back of
   * the loop's ready queue, so every ready group gets a turn per round and a flooded group cannot
   * hold the loop (fairness between groups).
   */
  static final int HOST_EVENTS_PER_TURN = 256;

  private final String id;
  private final RaftOptions options;
  private final Transport transport;
  private final LogStore store;
  private final RaftCore core;
  private final Scheduler.Worker worker;
  private final Scheduler ownedScheduler;
  private final NodeCounters counters;
  private final WritePipeline writes;
  private final Waiters waiters;
  private final ApplyStream apply;
  private final Sinks.Empty<Void> closedSink = Sinks.empty();
  /** Term, leader and role, latest replayed to each new subscriber; emitted on the loop thread only. */
  private final Sinks.Many<Leadership> leadershipSink = Sinks.many().replay().latest();

  // shared between threads
  private final Queue<NodeEvent> inbox = new ConcurrentLinkedQueue<>();
  private final AtomicInteger wip = new AtomicInteger();
  private volatile NodeState state;
  private volatile Membership membership;
  private volatile boolean quiet;
  volatile boolean closed;
  /** Whether the apply stream has a subscriber (guarded by this loop's monitor for subscribing). */
  volatile boolean applySubscribed;

  // confined to the loop
  private final List<NodeEvent.Propose> proposeBatch = new ArrayList<>();
  private final List<byte[]> commandBatch = new ArrayList<>();
  private Subscription inboundSubscription;
  private int inboundConsumed;
  private Disposable ticker;
  private boolean terminated;
  private int drainMissed = 1;
  private Leadership leadership;
  /** The read lease when {@link RaftOptions#leaseReads()}; null otherwise. */
  private final ReadLease lease;
  /** Whether its host ticks this loop ({@link #hostTick()}) instead of a timer of its own. */
  private final boolean hostTicked;
  /** Its host loop's outbox (messages of many groups leave in bursts), or null: straight to the transport. */
  private final LoopOutbox outbox;
  /** The host loop that ticks it while it is awake, or null. */
  private final HostLoop hostLoop;
  /** Whether it is in its host loop's list of awake loops (confined to the loop). */
  boolean inAwakeList;

  /** Where the service's streamed snapshots are written (the store's staging area); any thread. */
  SnapshotStaging snapshotStaging() {
    return store.snapshotStaging();
  }

  NodeLoop(String id, RaftOptions options, Transport transport, LogStore store, RaftCore core, Scheduler scheduler,
      Scheduler ownedScheduler, NodeCounters counters, java.util.function.LongSupplier nanoClock, boolean hostTicked,
      HostLoop hostLoop) {
    this.id = id;
    this.hostTicked = hostTicked;
    this.hostLoop = hostLoop;
    this.outbox = hostLoop == null ? null : hostLoop.outbox();
    this.options = options;
    this.transport = transport;
    this.store = store;
    this.core = core;
    this.worker = scheduler.createWorker();
    this.ownedScheduler = ownedScheduler;
    this.counters = counters;
    this.writes = new WritePipeline(id, store, counters);
    this.waiters = new Waiters(id);
    this.apply = new ApplyStream(id);
    this.lease = options.leaseReads()
        // a follower refuses votes for electionTicks whole ticks from hearing the leader, and its first
        // tick may come at once: it refuses for at least electionTicks - 1 tick intervals, so the lease
        // counts that (LeaseClockDriftTest)
        ? new ReadLease(options.tickInterval().toNanos() * (options.electionTicks() - 1),
            options.leaseClockDriftPercent(), nanoClock)
        : null;
    publishState();
  }

  void start() {
    transport.inbound().subscribe(new InboundSubscriber());
    if (!hostTicked) {
      scheduleTick();
    }
  }

  /** Whether the core is quiet ({@link RaftOptions#quiesce()}), as of the last turn. */
  boolean quiet() {
    return quiet;
  }

  /**
   * One tick from the host that shares this loop's thread (called on it): nothing when the core is
   * quiet, so an idle group costs one check per tick.
   */
  void hostTick() {
    if (!terminated && !core.quiet()) {
      tickOnce();
    }
  }

  /** Whether its host loop may stop ticking it until it wakes: quiet, or gone. */
  boolean restsAfterTick() {
    return terminated || core.quiet();
  }

  NodeState state() {
    return state;
  }

  Membership membership() {
    return membership;
  }

  /** Term, leader and role: the latest on subscribe, then each change, on the loop thread; completes on close. */
  reactor.core.publisher.Flux<Leadership> leadership() {
    return leadershipSink.asFlux();
  }

  reactor.core.publisher.Mono<Void> onClose() {
    return closedSink.asMono();
  }

  /** Queues {@code event} for the loop; any thread. */
  void enqueue(NodeEvent event) {
    inbox.offer(event);
    if (wip.getAndIncrement() == 0) {
      if (hostLoop != null) {
        hostLoop.ready(this); // drained in the host loop's next round, with the other ready groups
        return;
      }
      try {
        worker.schedule(this::drain);
      } catch (RejectedExecutionException e) {
        inbox.clear(); // the loop is gone: the node has terminated and drained what it will ever handle
      }
    }
  }

  /**
   * Ticks re-arm themselves after each run (fixed delay), so a loop that was held up does not receive
   * a burst of overdue ticks that would fire an election timeout at once.
   */
  private void scheduleTick() {
    try {
      ticker = worker.schedule(this::onTick, options.tickInterval().toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException gone) {
      // terminated
    }
  }

  private void onTick() {
    if (terminated) {
      return;
    }
    tickOnce();
    if (!terminated) {
      scheduleTick();
    }
  }

  private void tickOnce() {
    try {
      core.tick();
      renewLease();
      counters.publishFollowers(core);
      flush();
    } catch (RuntimeException e) {
      fail(e);
    }
  }

  /** Asks the core for a ReadIndex round of the lease's own when one is due (leaders with lease reads). */
  private void renewLease() {
    if (lease != null && core.role() == Role.LEADER && core.leadTransferee() == null && lease.renewalDue()) {
      long readId = waiters.nextReadId();
      if (core.requestRead(readId)) {
        lease.renewalAsked(readId, core.term(), core.membership());
      }
    }
  }

  /**
   * Answers a read under the lease when it holds and this leader has committed an entry of its term
   * (so its commit index covers everything committed before): no round needed.
   */
  private boolean readUnderLease(java.util.concurrent.CompletableFuture<Long> done) {
    if (lease == null || core.role() != Role.LEADER || core.leadTransferee() != null
        || !lease.holds(core.term(), core.membership()) || core.termAt(core.commitIndex()) != core.term()) {
      return false;
    }
    counters.readByLease();
    waiters.readConfirmedLocally(core.commitIndex(), done);
    return true;
  }

  /** Handles what is queued (on the loop's thread). */
  void drain() {
    int maxEvents = hostLoop == null ? MAX_EVENTS_PER_ROUND : HOST_EVENTS_PER_TURN;
    int maxRounds = hostLoop == null ? MAX_ROUNDS_PER_TASK : 1;
    int missed = drainMissed;
    int rounds = 0;
    while (true) {
      try {
        int n = 0;
        NodeEvent e;
        while (n < maxEvents && (e = inbox.poll()) != null) {
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
      if (!inbox.isEmpty() && ++rounds >= maxRounds && !terminated) {
        // still busy: give the worker back (ticks, other nodes sharing it) and continue in a new task
        drainMissed = missed;
        if (hostLoop != null) {
          hostLoop.ready(this); // still counted busy: back in the queue for the next round
          return;
        }
        try {
          worker.schedule(this::drain);
        } catch (RejectedExecutionException gone) {
          // terminated
        }
        return;
      }
      missed = wip.addAndGet(-missed);
      if (missed == 0) {
        drainMissed = 1;
        return;
      }
    }
  }

  private void handle(NodeEvent e) {
    if (terminated) {
      refuseClosed(e);
      return;
    }
    if (e instanceof NodeEvent.Inbound in) {
      inboundConsumed++;
      counters.received();
      Message m = in.message();
      if (!core.step(m)) {
        long n = counters.messagesDropped.incrementAndGet();
        if (n == 1 || Long.bitCount(n) == 1) {
          LOG.warn("{}: dropped message from {} to {} ({} so far): sender unknown or not addressed here",
              id, m.from(), m.to(), n);
        }
      }
    } else if (e instanceof NodeEvent.Propose p) {
      counters.queuedProposals.decrementAndGet();
      proposeBatch.add(p);
    } else if (e instanceof NodeEvent.WriteDone) {
      writes.completeDurable(this::send, core::persisted);
    } else if (e instanceof NodeEvent.TransferRequest t) {
      proposeBatch(); // proposals made before the call still go in
      startTransfer(t);
    } else if (e instanceof NodeEvent.MembershipRequest r) {
      proposeBatch(); // proposals made before the call go in first
      startMembershipChange(r);
    } else if (e instanceof NodeEvent.ReadRequest r) {
      if (readUnderLease(r.done())) {
        return;
      }
      long readId = waiters.nextReadId();
      if (core.requestRead(readId)) {
        waiters.awaitRead(readId, r.done());
      } else {
        r.done().completeExceptionally(notLeader());
      }
    } else if (e instanceof NodeEvent.TakeSnapshot t) {
      proposeBatch(); // keep the order of calls
      try {
        if (core.snapshotTaken(t.index(), t.data())) {
          counters.snapshotTaken(); // counted before the caller hears of it
        }
        t.done().complete(null);
      } catch (IllegalArgumentException ex) {
        t.done().completeExceptionally(ex);
      }
    } else if (e instanceof NodeEvent.ApplySubscribe a) {
      apply.subscribe(a.sink());
      if (a.sink() == null) {
        applySubscribed = false;
      }
    } else if (e instanceof NodeEvent.ApplyDemand d) {
      apply.request(d.n());
    } else if (e instanceof NodeEvent.WakeIfLeader w) {
      if (core.quiet() && w.leader().equals(core.leaderId())) {
        core.wake();
      }
    } else if (e == NodeEvent.Close.INSTANCE) {
      terminate(null);
    }
  }

  private void refuseClosed(NodeEvent e) {
    NodeClosedException closedError = new NodeClosedException(id);
    if (e instanceof NodeEvent.Propose p) {
      counters.proposalsRefused.incrementAndGet();
      p.fail(closedError);
    } else if (e instanceof NodeEvent.TakeSnapshot t) {
      t.done().completeExceptionally(closedError);
    } else if (e instanceof NodeEvent.ReadRequest r) {
      r.done().completeExceptionally(closedError);
    } else if (e instanceof NodeEvent.TransferRequest t) {
      t.done().completeExceptionally(closedError);
    } else if (e instanceof NodeEvent.MembershipRequest r) {
      r.done().completeExceptionally(closedError);
    }
  }

  private NotLeaderException notLeader() {
    return new NotLeaderException(id, core.term(), core.leaderId());
  }

  private void startTransfer(NodeEvent.TransferRequest t) {
    if (core.role() != Role.LEADER) {
      t.done().completeExceptionally(notLeader());
    } else if (t.target().equals(id)) {
      core.cancelTransfer();
      waiters.transferToSelf(t.done());
    } else if (core.transferLeadership(t.target())) {
      if (lease != null) {
        lease.transferStarted(); // the target will campaign without waiting: no lease for a while
      }
      waiters.awaitTransfer(t.target(), t.done());
    } else {
      t.done().completeExceptionally(new IllegalArgumentException(t.target() + " is not a voter of "
          + core.membership()));
    }
  }

  private void startMembershipChange(NodeEvent.MembershipRequest r) {
    if (core.role() != Role.LEADER) {
      r.done().completeExceptionally(notLeader());
      return;
    }
    if (waiters.changingMembership()) {
      r.done().completeExceptionally(new MembershipChangeRejectedException("a membership change is under way"));
      return;
    }
    long index;
    try {
      index = core.proposeMembership(r.target().apply(core.membership().target()), r.force());
    } catch (IllegalStateException ex) {
      r.done().completeExceptionally(new MembershipChangeRejectedException(ex.getMessage()));
      return;
    } catch (IllegalArgumentException ex) {
      r.done().completeExceptionally(ex);
      return;
    }
    if (index < 0) {
      r.done().completeExceptionally(notLeader());
      return;
    }
    waiters.awaitMembership(r.done());
    publishState(); // membership() shows the change before a later request is answered in this turn
  }

  private void proposeBatch() {
    if (proposeBatch.isEmpty()) {
      return;
    }
    for (NodeEvent.Propose p : proposeBatch) {
      commandBatch.add(p.command());
    }
    // admit only what keeps the leader within maxUnappliedEntries of its service
    long room = options.maxUnappliedEntries() - (core.lastIndex() - core.appliedIndex());
    int admitted = (int) Math.max(0, Math.min(room, commandBatch.size()));
    long first = core.role() == Role.LEADER && admitted > 0
        ? core.propose(admitted == commandBatch.size() ? commandBatch : commandBatch.subList(0, admitted))
        : -1;
    if (first > 0) {
      counters.accepted(admitted);
      counters.proposed(first, first + admitted - 1);
    }
    long term = core.term();
    String transferee = core.leadTransferee();
    for (int i = 0; i < proposeBatch.size(); i++) {
      NodeEvent.Propose p = proposeBatch.get(i);
      if (core.role() != Role.LEADER || transferee != null) {
        // while leadership is being handed over, the new leader is the one to ask
        counters.proposalsRefused.incrementAndGet();
        p.fail(new NotLeaderException(id, term, transferee != null ? transferee : core.leaderId()));
      } else if (i >= admitted) {
        counters.proposalsRefused.incrementAndGet();
        p.fail(new OverloadedException("node " + id + " holds " + (core.lastIndex() - core.appliedIndex())
            + " entries its service has not applied yet (maxUnappliedEntries " + options.maxUnappliedEntries() + ")"));
      } else {
        LogPosition pos = new LogPosition(first + i, term);
        if (p.accepted() != null) {
          p.accepted().complete(pos);
        }
        if (p.applied() != null) {
          waiters.awaitApply(pos, p.applied());
        }
      }
    }
    proposeBatch.clear();
    commandBatch.clear();
  }

  /** Turns the core's Ready into sends, one log write, settled waiters and apply events. */
  private void flush() {
    Ready rd = core.ready();
    for (Message m : rd.messages()) {
      send(m);
    }
    settle(rd.outcomes());
    if (!rd.write().isEmpty()) {
      writes.write(rd.write(), rd.messagesAfterWrite(), this::enqueue, this::send, core::persisted);
    }
    publishState(); // before callers hear of their entries: state() then shows at least their commit
    counters.committed(core.role() == Role.LEADER, core.commitIndex());
    apply.deliver(core, waiters::applied);
    counters.applied(core.appliedIndex());
    waiters.readsApplied(core.appliedIndex());
    if (waiters.awaitsBeyond(core.commitIndex()) && !core.committedMembership().contains(id)) {
      waiters.removedFromGroup(core.commitIndex());
    }
    publishState();
    quiet = core.quiet();
    if (!quiet && hostLoop != null) {
      hostLoop.awake(this); // woken (by a message, a request, its host): ticked again
    }
    counters.publish(core, writes.size());
  }

  private void settle(List<Outcome> outcomes) {
    int confirmed = 0;
    int failed = 0;
    for (Outcome o : outcomes) {
      if (lease != null && o instanceof Outcome.ReadConfirmed r && lease.isRenewal(r.id())) {
        lease.confirmed(r.id());
        continue;
      }
      if (lease != null && o instanceof Outcome.ReadFailed r && lease.isRenewal(r.id())) {
        lease.failed(r.id());
        continue;
      }
      if (o instanceof Outcome.ReadConfirmed) {
        confirmed++;
      } else if (o instanceof Outcome.ReadFailed) {
        failed++;
      } else if (o instanceof Outcome.WriteStalled w) {
        LOG.warn("{}: log write {} not durable after {} ticks: the log store stalls", id, w.seq(), w.ticks());
      } else if (o instanceof Outcome.FollowerLostEntries f) {
        LOG.error("{}: follower {} lost log entries it acknowledged: it had {} durable, now its log ends at or "
            + "differs from index {} (term {}). Its store lost acknowledged writes (a directory restored from an "
            + "older copy, or a disk that lied about a sync); committed entries may now be on fewer members than "
            + "the group believes. Sending it the entries again; check its disk and how it was restored "
            + "(docs/runbook.md, \"A member lost acknowledged entries\")", id, f.follower(), f.acknowledged(),
            f.followerLast(), f.term());
      } else if (o instanceof Outcome.LogBehindLeader b) {
        LOG.warn("{}: leader {} keeps sending entries after index {} but this log ends at {} (term {}): either "
            + "this member's answers do not reach the leader (a one-way link), or it lost entries it acknowledged "
            + "(a directory restored from an older copy, or a disk that lied about a sync) (docs/runbook.md, "
            + "\"A member lost acknowledged entries\")", id, b.leader(), b.leaderExpects(), b.lastIndex(), b.term());
      }
      waiters.settle(o, core.term(), core.leaderId());
    }
    if (confirmed > 0) {
      counters.readsConfirmed(confirmed);
    }
    if (failed > 0) {
      counters.readsFailed(failed);
    }
  }

  private void send(Message m) {
    counters.sent();
    if (outbox != null) {
      outbox.send(transport, m);
    } else {
      transport.send(m);
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
    Leadership l = leadership;
    if (l == null || l.term() != core.term() || l.role() != core.role() || !Objects.equals(l.leaderId(), core.leaderId())) {
      leadership = new Leadership(core.term(), core.leaderId(), core.role());
      // one emitter (this loop); a replay sink never blocks, whatever its subscribers do
      leadershipSink.tryEmitNext(leadership);
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
    for (NodeEvent.Propose p : proposeBatch) {
      p.fail(closedError);
    }
    proposeBatch.clear();
    waiters.failAll(closedError);
    NodeEvent e;
    while ((e = inbox.poll()) != null) {
      refuseClosed(e);
    }
    apply.end(error);
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
    leadershipSink.tryEmitComplete();
    closedSink.tryEmitEmpty();
    worker.dispose();
    if (ownedScheduler != null) {
      ownedScheduler.dispose();
    }
  }

  @Override
  public String toString() {
    return id + " " + state;
  }

  private final class InboundSubscriber extends BaseSubscriber<Message> {
    @Override
    protected void hookOnSubscribe(Subscription s) {
      inboundSubscription = s;
      s.request(options.inboundPrefetch());
    }

    @Override
    protected void hookOnNext(Message m) {
      enqueue(new NodeEvent.Inbound(m));
    }

    @Override
    protected void hookOnError(Throwable t) {
      if (!closed) {
        LOG.error("{}: inbound message stream failed; the node no longer hears its peers", id, t);
      }
    }
  }
}

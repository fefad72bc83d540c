package dev.raftflow.engine.node;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.LeadershipTransferException;
import dev.raftflow.engine.LogPosition;
import dev.raftflow.engine.Membership;
import dev.raftflow.engine.MembershipChangeRejectedException;
import dev.raftflow.engine.NodeClosedException;
import dev.raftflow.engine.NodeMetrics;
import dev.raftflow.engine.NodeState;
import dev.raftflow.engine.NotLeaderException;
import dev.raftflow.engine.OutcomeUnknownException;
import dev.raftflow.engine.OverloadedException;
import dev.raftflow.engine.ProposalDroppedException;
import dev.raftflow.engine.RaftException;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.Role;
import dev.raftflow.engine.SnapshotData;
import dev.raftflow.engine.SnapshotWriter;
import dev.raftflow.engine.spi.SnapshotSink;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Schedulers;

/**
 * One member of a Raft group, embedded in a service. Build one with {@link #builder()}.
 *
 * <p><b>Threading.</b> Every node runs an event loop on one scheduler worker: inbound messages,
 * ticks, proposals and storage completions are handled there one at a time (see {@code
 * docs/design.md}). All public methods are thread-safe and never block.
 *
 * <p><b>Ordering.</b> {@link #applied()} delivers committed entries and snapshots in log order, on
 * the loop thread, only as fast as its subscriber requests them.
 *
 * <p><b>Errors.</b> Each method names the {@link RaftException}s it fails with: {@link
 * NotLeaderException} (naming the leader when known), {@link OverloadedException}, {@link
 * NodeClosedException}, {@link ProposalDroppedException}, {@link OutcomeUnknownException}, {@link
 * LeadershipTransferException}, {@link MembershipChangeRejectedException}. Messages the core refuses
 * (addressed elsewhere, or votes and answers from strangers) are dropped and counted. A storage
 * failure closes the node.
 */
public final class RaftNode implements AutoCloseable {

  private final String id;
  private final List<String> members;
  private final RaftOptions options;
  /** The lower of the option's and the store's limit on one command. */
  private final int maxCommandBytes;
  private final NodeCounters counters;
  private final NodeLoop loop;
  private final java.util.concurrent.atomic.AtomicInteger outstandingReads =
      new java.util.concurrent.atomic.AtomicInteger();

  RaftNode(String id, List<String> members, RaftOptions options, int maxCommandBytes, NodeCounters counters,
      NodeLoop loop) {
    this.id = id;
    this.members = members;
    this.options = options;
    this.maxCommandBytes = maxCommandBytes;
    this.counters = counters;
    this.loop = loop;
  }

  /** A builder; {@code id}, {@code members}, {@code transport} and {@code logStore} are required. */
  public static RaftNodeBuilder builder() {
    return new RaftNodeBuilder();
  }

  /** This node's id. */
  public String id() {
    return id;
  }

  /** The voting members this node was started with (see {@link #membership()} for the current ones). */
  public List<String> members() {
    return members;
  }

  /** The options this node runs with. */
  public RaftOptions options() {
    return options;
  }

  /**
   * The group's configuration as this node knows it, as of the end of its last loop turn: the latest
   * configuration entry in its log (in force once appended, even before it commits), else its
   * snapshot's, else the members it was started with. Any thread.
   */
  public Membership membership() {
    return loop.membership();
  }

  /** The node's current term, role and leader, as of the end of its last loop turn. Any thread. */
  public NodeState state() {
    return loop.state();
  }

  /**
   * Who leads, as this node sees it: its current {@link Leadership} (term, leader, own role) on
   * subscribe, then one value for each change of any of the three, in the order the node went
   * through them. Completes (after the last value) when the node closes, also when it stops after
   * an error; a subscriber after that gets the last value and completion. Never fails.
   *
   * <p>Values are emitted by the node's loop without waiting for anyone and delivered on a Reactor
   * {@code parallel} worker, never the loop thread: a slow or stalled subscriber does not hold up
   * the node, and sees the latest value when it requests again (changes in between are skipped).
   * Any number of subscribers, from any thread.
   */
  public Flux<Leadership> leaderChanges() {
    return loop.leadership().onBackpressureLatest().publishOn(Schedulers.parallel(), 1);
  }

  // ---------------------------------------------------------------- proposals

  /**
   * Proposes a command. The future completes as soon as the leader has appended it, with its index
   * and term (which does not mean it will commit), or fails with {@link NotLeaderException},
   * {@link OverloadedException}, {@link NodeClosedException}, or {@link IllegalArgumentException}
   * when it is larger than {@link RaftOptions#maxCommandBytes()} or the log store's {@code
   * maxEntryBytes()}. The command array must not be modified afterwards.
   */
  public CompletableFuture<LogPosition> propose(byte[] command) {
    CompletableFuture<LogPosition> accepted = new CompletableFuture<>();
    enqueueProposal(command, accepted, null);
    return accepted;
  }

  /**
   * Proposes a command and completes once it is committed and has been handed to the apply stream
   * (the subscriber of {@link #applied()} has taken it), with its index and term. Fails as {@link
   * #propose} does, with {@link ProposalDroppedException} when another leader's entry took its place,
   * or with {@link OutcomeUnknownException} when this node cannot see its fate: it stopped leading
   * before the entry committed (failed at once, naming the new leader when known: the entry may
   * still commit under it), a snapshot from the leader covers it, or this node was removed first. Without a subscriber to {@link
   * #applied()} it never completes.
   */
  public Mono<LogPosition> submit(byte[] command) {
    return Mono.create(sink -> enqueueProposal(command, null, sink));
  }

  private void enqueueProposal(byte[] command, CompletableFuture<LogPosition> accepted, MonoSink<LogPosition> applied) {
    Objects.requireNonNull(command, "command");
    RuntimeException refusal = refusal(command);
    if (refusal != null) {
      counters.proposalsRefused.incrementAndGet();
      if (accepted != null) {
        accepted.completeExceptionally(refusal);
      } else {
        applied.error(refusal);
      }
      return;
    }
    loop.enqueue(new NodeEvent.Propose(command, accepted, applied));
  }

  /** Why a proposal is refused on the caller's thread (so an overload does not flood the loop), or null. */
  private RuntimeException refusal(byte[] command) {
    NodeState s = loop.state();
    if (command.length > maxCommandBytes) {
      return new IllegalArgumentException("command of " + command.length + " bytes exceeds node " + id
          + "'s limit of " + maxCommandBytes + " bytes (" + (maxCommandBytes == options.maxCommandBytes()
          ? "RaftOptions.maxCommandBytes" : "its log store's maxEntryBytes") + ")");
    }
    if (loop.closed) {
      return new NodeClosedException(id);
    }
    if (s.role() != Role.LEADER) {
      return new NotLeaderException(id, s.term(), s.leaderId());
    }
    if (s.lastIndex() - s.appliedIndex() + counters.queuedProposals.get() >= options.maxUnappliedEntries()) {
      return new OverloadedException("node " + id + " holds " + (s.lastIndex() - s.appliedIndex())
          + " entries its service has not applied yet (maxUnappliedEntries " + options.maxUnappliedEntries() + ")");
    }
    if (counters.queuedProposals.incrementAndGet() > options.maxPendingProposals()) {
      counters.queuedProposals.decrementAndGet();
      return new OverloadedException(
          "node " + id + " has " + options.maxPendingProposals() + " proposals queued (maxPendingProposals)");
    }
    return null;
  }

  /** Proposals queued for the loop and not yet taken (bounded by maxPendingProposals). */
  public int queuedProposals() {
    return counters.queuedProposals();
  }

  // ---------------------------------------------------------------- the service's side

  /**
   * The apply stream: committed entries and snapshots in log order, delivered on the node's loop
   * thread as the subscriber requests them. After a restart it begins with the stored snapshot (if
   * any), then the entries after it. One subscriber at a time; it must not block (use {@code
   * publishOn} to move work elsewhere, keeping demand bounded so backpressure holds). A second
   * subscriber fails with {@link IllegalStateException}.
   */
  public Flux<ApplyEvent> applied() {
    return Flux.create(sink -> {
      if (loop.closed) {
        sink.error(new NodeClosedException(id));
        return;
      }
      synchronized (loop) {
        if (loop.applySubscribed) {
          sink.error(new IllegalStateException("node " + id + ": applied() already has a subscriber"));
          return;
        }
        loop.applySubscribed = true;
      }
      loop.enqueue(new NodeEvent.ApplySubscribe(sink));
      sink.onRequest(n -> loop.enqueue(new NodeEvent.ApplyDemand(n)));
      sink.onDispose(() -> loop.enqueue(new NodeEvent.ApplySubscribe(null)));
    }, FluxSink.OverflowStrategy.ERROR);
  }

  /**
   * Tells the node that the service has taken a snapshot covering entries up to {@code index}, so
   * the log up to it can be discarded. The future completes once the loop has taken it. A snapshot
   * at or behind the current one is ignored (completes normally); one beyond the applied index
   * fails with {@link IllegalArgumentException}; a closed node fails it with {@link NodeClosedException}.
   */
  public CompletableFuture<Void> snapshot(long index, byte[] data) {
    Objects.requireNonNull(data, "data");
    return snapshot(index, SnapshotData.of(data));
  }

  /**
   * {@link #snapshot(long, byte[])} for a state of any size: {@code writer} writes the snapshot, on
   * the calling thread before this returns, to a stream the node gives it, which goes to the log
   * store's staging area (a file in its snapshot directory, for a store that keeps snapshots in
   * files) instead of the heap. The future fails with the writer's {@link IOException} (or any
   * exception it throws), and what it wrote is dropped.
   */
  public CompletableFuture<Void> snapshot(long index, SnapshotWriter writer) {
    Objects.requireNonNull(writer, "writer");
    if (loop.closed) {
      return CompletableFuture.failedFuture(new NodeClosedException(id));
    }
    SnapshotSink sink;
    SnapshotData data;
    try {
      sink = loop.snapshotStaging().begin(-1);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    try (OutputStream out = new BufferedOutputStream(sink.asOutputStream(), 1 << 16)) {
      writer.writeTo(out);
      out.flush();
      data = sink.finish();
    } catch (IOException | RuntimeException e) {
      sink.abort();
      return CompletableFuture.failedFuture(e);
    }
    return snapshot(index, data);
  }

  private CompletableFuture<Void> snapshot(long index, SnapshotData data) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (loop.closed) {
      done.completeExceptionally(new NodeClosedException(id));
    } else {
      loop.enqueue(new NodeEvent.TakeSnapshot(index, data, done));
    }
    return done;
  }

  /**
   * A linearizable read (ReadIndex). Completes with a log index once this node, still the leader,
   * has heard from a majority after the call, and every entry up to that index has been handed to
   * the {@link #applied()} subscriber: state the service reads after that reflects every command
   * committed before the call. No log entry is written (but see {@link RaftOptions#leaderNoop()}).
   * With {@link RaftOptions#followerReads()}, a follower asks its leader for the read point and
   * completes once it has applied it; with {@link RaftOptions#leaseReads()}, a leader holding its
   * lease answers without a round. Fails with {@link NotLeaderException} (not the leader and no
   * follower reads, no leader known, or leadership lost before a majority confirmed it), {@link OverloadedException} (more than {@link RaftOptions#maxPendingProposals()}
   * reads outstanding) or {@link NodeClosedException}. Completes on the node's loop thread; like
   * {@link #submit}, it needs a subscriber to {@link #applied()} to move.
   */
  public CompletableFuture<Long> readIndex() {
    CompletableFuture<Long> done = new CompletableFuture<>();
    NodeState s = loop.state();
    if (loop.closed) {
      done.completeExceptionally(new NodeClosedException(id));
    } else if (s.role() != Role.LEADER && !(options.followerReads() && s.leaderId() != null)) {
      done.completeExceptionally(new NotLeaderException(id, s.term(), s.leaderId()));
    } else if (outstandingReads.incrementAndGet() > options.maxPendingProposals()) {
      outstandingReads.decrementAndGet();
      done.completeExceptionally(new OverloadedException(
          "node " + id + " has " + options.maxPendingProposals() + " reads outstanding (maxPendingProposals)"));
    } else {
      done.whenComplete((v, e) -> outstandingReads.decrementAndGet());
      loop.enqueue(new NodeEvent.ReadRequest(done));
    }
    return done;
  }

  // ---------------------------------------------------------------- leadership and membership

  /**
   * Hands leadership to voter {@code target} (Raft thesis §3.10): this leader stops taking proposals
   * (they fail with {@link NotLeaderException} naming the target), brings the target's log up to
   * date and tells it to start an election at once. Completes when this node sees the target lead a
   * newer term. Fails with {@link LeadershipTransferException} whose {@link
   * LeadershipTransferException#reason() reason} says how it ended otherwise (timed out after an
   * election timeout, after which this node leads on; another member won; this node lost the
   * leadership; the target was removed; a newer transfer replaced it; nothing known after two
   * election timeouts); with {@link NotLeaderException} if this node is not the leader, {@link
   * IllegalArgumentException} for a target that is not a voter, {@link NodeClosedException} when
   * closed. A transfer to this node itself cancels one under way and completes. Completes on the
   * loop thread.
   */
  public CompletableFuture<Void> transferLeadership(String target) {
    Objects.requireNonNull(target, "target");
    CompletableFuture<Void> done = new CompletableFuture<>();
    NodeState s = loop.state();
    Membership current = loop.membership();
    if (!current.isVoter(target)) {
      done.completeExceptionally(new IllegalArgumentException(target + " is not a voter of " + current));
    } else if (loop.closed) {
      done.completeExceptionally(new NodeClosedException(id));
    } else if (s.role() != Role.LEADER) {
      done.completeExceptionally(new NotLeaderException(id, s.term(), s.leaderId()));
    } else {
      loop.enqueue(new NodeEvent.TransferRequest(target, done));
    }
    return done;
  }

  /**
   * Changes the group's membership to {@code target} (voters and learners; not joint). Run it on
   * the leader. A change of voters goes through a joint configuration in which the old and the new
   * voters must both agree, which the leader leaves on its own (Raft thesis §4.3); a change of
   * learners alone takes one step. Completes, on the loop thread, once {@code target} is committed
   * (at once when it already is). See {@code docs/membership.md}.
   *
   * <p>The change is refused with {@link MembershipChangeRejectedException}, nothing appended, while
   * another change is under way, and when it would stall the group: a new voter that has not caught
   * up to within {@link RaftOptions#promotionLagEntries()} of the leader's log (add it as a learner
   * first), or new voters that do not include a quorum of members the leader heard from within an
   * election timeout (a member that is not running). {@link #changeMembership(Membership, boolean)}
   * with {@code force} skips these two checks.
   *
   * <p>Fails with {@link NotLeaderException} when this node is not the leader, {@link
   * OutcomeUnknownException} when it loses the leadership before the change commits (the change may
   * still take effect: read {@link #membership()} on the new leader), {@link
   * MembershipChangeRejectedException} as above, {@link IllegalArgumentException} for a joint
   * target, {@link NodeClosedException} when closed.
   */
  public CompletableFuture<Membership> changeMembership(Membership target) {
    return changeMembership(target, false);
  }

  /**
   * {@link #changeMembership(Membership)}, and with {@code force} without the checks that refuse a
   * change that would stall the group: for an operator who knows the new voters will come up.
   */
  public CompletableFuture<Membership> changeMembership(Membership target, boolean force) {
    Objects.requireNonNull(target, "target");
    return requestMembershipChange(current -> target, force);
  }

  /** Adds {@code member} as a voter (a learner is promoted), as {@link #changeMembership} does. */
  public CompletableFuture<Membership> addVoter(String member) {
    return addVoter(member, false);
  }

  /** {@link #addVoter(String)}; with {@code force}, without the checks that refuse a change that would stall the group. */
  public CompletableFuture<Membership> addVoter(String member, boolean force) {
    Objects.requireNonNull(member, "member");
    return requestMembershipChange(current -> placed(current, member, true, false), force);
  }

  /** Adds {@code member} as a learner (a voter is demoted), as {@link #changeMembership} does. */
  public CompletableFuture<Membership> addLearner(String member) {
    Objects.requireNonNull(member, "member");
    return requestMembershipChange(current -> placed(current, member, false, true), false);
  }

  /**
   * Removes {@code member}, voter or learner, as {@link #changeMembership} does. Fails with {@link
   * IllegalArgumentException} when it is not a member of the configuration the leader holds.
   */
  public CompletableFuture<Membership> removeMember(String member) {
    Objects.requireNonNull(member, "member");
    return requestMembershipChange(current -> {
      if (!current.contains(member)) {
        throw new IllegalArgumentException(member + " is not a member of " + current);
      }
      return placed(current, member, false, false);
    }, false);
  }

  /** {@code current} with {@code member} a voter, a learner, or (neither) gone. */
  private static Membership placed(Membership current, String member, boolean voter, boolean learner) {
    Set<String> voters = new HashSet<>(current.voters());
    Set<String> learners = new HashSet<>(current.learners());
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

  private CompletableFuture<Membership> requestMembershipChange(UnaryOperator<Membership> target, boolean force) {
    CompletableFuture<Membership> done = new CompletableFuture<>();
    NodeState s = loop.state();
    if (loop.closed) {
      done.completeExceptionally(new NodeClosedException(id));
    } else if (s.role() != Role.LEADER) {
      done.completeExceptionally(new NotLeaderException(id, s.term(), s.leaderId()));
    } else {
      loop.enqueue(new NodeEvent.MembershipRequest(target, force, done));
    }
    return done;
  }

  // ---------------------------------------------------------------- life cycle and metrics

  /**
   * As leader, how each follower and learner stands (match index, lag in entries, appends in flight),
   * as of the last tick; empty on a member that does not lead. Any thread.
   */
  public java.util.List<FollowerProgress> followers() {
    return counters.followers();
  }

  /** This node's counters since it started (see {@link NodeMetrics}); any thread. */
  public NodeMetrics metrics() {
    return counters.snapshot();
  }

  /** Messages dropped because they came from an unknown member or were addressed elsewhere. */
  public long droppedMessages() {
    return counters.messagesDropped.get();
  }

  public boolean isClosed() {
    return loop.closed;
  }

  /**
   * Whether this member is quiet ({@link RaftOptions#quiesce()}): its group is idle and it spends no
   * ticks until a message, proposal or read wakes it. As of the loop's last turn; any thread.
   */
  public boolean isQuiet() {
    return loop.quiet();
  }

  /** The loop, for the host that ticks it. */
  NodeLoop loop() {
    return loop;
  }

  /** Completes once the node has stopped and released its transport and store. */
  public Mono<Void> onClose() {
    return loop.onClose();
  }

  /**
   * Stops the node without waiting: ticks and inbound messages stop, pending proposals fail with
   * {@link NodeClosedException}, the apply stream completes, the transport and store are closed.
   * Idempotent.
   */
  @Override
  public void close() {
    if (loop.closed) {
      return;
    }
    loop.closed = true;
    loop.enqueue(NodeEvent.Close.INSTANCE);
  }

  @Override
  public String toString() {
    return "RaftNode[" + loop + "]";
  }
}

package dev.raftflow.engine.core;

import dev.raftflow.engine.Membership;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.core.quorum.JointConfig;
import dev.raftflow.engine.core.tracker.Progress;
import dev.raftflow.engine.core.tracker.ProgressTracker;
import dev.raftflow.engine.message.AppendResponse;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.message.Quiesce;
import dev.raftflow.engine.message.SnapshotResponse;
import dev.raftflow.engine.message.TimeoutNow;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a member does while it leads one term: appends proposals, replicates to every follower by its
 * {@link Progress}, heartbeats, commits what a quorum holds (never an entry of an older term by
 * counting, Figure 8), checks that a quorum still answers (CheckQuorum), confirms reads, hands
 * leadership over, and carries a membership change through its joint step. It never changes the
 * term or role itself: a method returns false when the member must step down, and the core does it.
 * Not thread-safe: owned by the core.
 */
final class Leadership {

  private record MembershipChange(Membership target, long index) {}

  private final String id;
  private final RaftOptions options;
  private final MemberLog log;
  private final ConfigHistory configs;
  private final Outputs out;
  private final LeadershipTransfer transfer;
  private final ProgressTracker tracker;
  private final Replicator replicator;
  private final ReadIndexQueue reads = new ReadIndexQueue();
  private long term;
  private boolean leading;
  private int heartbeatElapsed;
  private int quorumCheckElapsed;
  /** The membership change this leader leads, until it commits or the leadership is lost. */
  private MembershipChange change;
  private long won;

  Leadership(String id, RaftOptions options, MemberLog log, ConfigHistory configs, Outputs out,
      LeadershipTransfer transfer) {
    this.id = id;
    this.options = options;
    this.log = log;
    this.configs = configs;
    this.out = out;
    this.transfer = transfer;
    this.tracker = new ProgressTracker(id, options.maxInflightMessages(), options.maxInflightBytes());
    this.replicator = new Replicator(id, options, log.entries(), configs, out);
  }

  /** Starts leading {@code term}: every member is probed from the end of the log. Returns false to step down. */
  boolean begin(long term) {
    this.term = term;
    leading = true;
    won++;
    heartbeatElapsed = 0;
    quorumCheckElapsed = 0;
    tracker.clear();
    replicator.lead(term);
    syncProgress();
    if (options.leaderNoop()) {
      append(LogEntry.noop(log.lastIndex() + 1, term));
    }
    reads.leaderStarted(id, term, log.lastIndex());
    return maybeCommit(); // a single-member group commits alone
  }

  /** The leadership ends (or never was): pending reads fail, a change under way has an unknown outcome. */
  void end() {
    if (leading) {
      out.report(new Outcome.LeadershipLost(term, log.commitIndex()));
    }
    reads.failAll(out);
    if (change != null) {
      out.report(new Outcome.MembershipUnknown(change.target(), term));
      change = null;
    }
    tracker.clear();
    leading = false;
  }

  boolean leading() {
    return leading;
  }

  long leadershipsWon() {
    return won;
  }

  long snapshotChunksSent() {
    return replicator.chunksSent();
  }

  /** Each follower's match index and messages in flight, as {@code id -> [match, inflight]}. */
  java.util.Map<String, long[]> followerProgress() {
    java.util.Map<String, long[]> out = new java.util.LinkedHashMap<>();
    for (Progress pr : tracker.all()) {
      if (!pr.id().equals(id)) {
        out.put(pr.id(), new long[] {pr.match(), pr.inflights().count()});
      }
    }
    return out;
  }

  /** One tick: CheckQuorum, then the heartbeat. Returns false when cut off from a quorum (step down). */
  boolean tick() {
    for (Progress pr : tracker.all()) {
      pr.ticked();
    }
    if (options.checkQuorum() && ++quorumCheckElapsed >= options.electionTicks()) {
      quorumCheckElapsed = 0;
      if (!tracker.quorumActive()) {
        return false; // cut off from a majority: stop accepting proposals
      }
    }
    if (++heartbeatElapsed >= options.heartbeatTicks()) {
      heartbeatElapsed = 0;
      heartbeat();
    }
    return true;
  }

  /**
   * Whether nothing is left to do but heartbeats: every member (this one included) holds the whole
   * log durably, it is all committed, every follower answered within an election timeout and has
   * nothing in flight, and no read, transfer or membership change is under way.
   */
  boolean idle() {
    long last = log.lastIndex();
    if (log.commitIndex() != last || transfer.isActive() || change != null || !reads.isEmpty()
        || configs.current().isJoint() || configs.isPending(log.commitIndex()) || log.durableIndex() != last) {
      return false;
    }
    for (Progress pr : tracker.all()) {
      if (pr.match() != last || pr.state() != Progress.State.REPLICATE || pr.inflights().count() > 0
          || !pr.heardWithin(options.electionTicks())) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code m} acknowledges what its sender was known to hold already (a late answer to a heartbeat). */
  boolean isPlainAck(Message m) {
    Progress pr = m instanceof AppendResponse r && r.success() && r.term() == term ? tracker.get(r.from()) : null;
    return pr != null && pr.match() >= ((AppendResponse) m).matchIndex();
  }

  /** Goes quiet: tells every follower, which stops its election clock if its log matches. */
  void quiesce() {
    long last = log.lastIndex();
    for (Progress pr : tracker.all()) {
      if (!pr.id().equals(id)) {
        out.send(new Quiesce(term, id, pr.id(), last, log.lastTerm(), log.commitIndex()));
      }
    }
  }

  /**
   * Wakes from quiet: heartbeats at the next tick, and CheckQuorum starts a fresh election timeout
   * counting only answers heard from now on.
   */
  void woke() {
    heartbeatElapsed = Math.max(0, options.heartbeatTicks() - 1);
    quorumCheckElapsed = 0;
    for (Progress pr : tracker.all()) {
      pr.takeActive();
    }
  }

  private void heartbeat() {
    if (log.entries().baseIndex() < log.snapshotIndex()) {
      log.compactTo(compactionFloor()); // entries kept for followers behind the snapshot: drop what they now hold
    }
    for (Progress pr : tracker.all()) {
      maybeSendTimeoutNow(pr); // a lost TimeoutNow, or a target caught up by a snapshot
      replicator.heartbeat(pr, log.commitIndex(), reads.round(), log.snapshot());
    }
  }

  /** Appends {@code commands}; returns the first one's index, or -1 while handing leadership over. */
  long propose(List<byte[]> commands) {
    if (transfer.isActive()) {
      return -1;
    }
    long first = log.lastIndex() + 1;
    for (byte[] c : commands) {
      append(LogEntry.command(log.lastIndex() + 1, term, c));
    }
    return first;
  }

  /** Queues read {@code readId} (see {@link RaftCore#requestRead}). */
  void requestRead(long readId) {
    requestRemoteRead(null, readId);
  }

  /** Queues read {@code readId} of member {@code from} (null: this member's own), answered when confirmed. */
  void requestRemoteRead(String from, long readId) {
    if (log.lastTerm() != term) {
      append(LogEntry.noop(log.lastIndex() + 1, term));
    }
    reads.request(from, readId, log.commitIndex());
    reads.confirm(tracker::quorumAckedRound, out); // a single-member group confirms alone
  }

  /** Starts handing over to {@code target}; false when it is not a voter this leader replicates to. */
  boolean transferTo(String target) {
    Progress pr = tracker.get(target);
    if (pr == null || !configs.current().isVoter(target)) {
      return false;
    }
    transfer.start(target, term);
    maybeSendTimeoutNow(pr);
    return true;
  }

  /** See {@link RaftCore#proposeMembership}; this leader is not handing over. */
  long proposeMembership(Membership target, boolean force) {
    Membership current = configs.current();
    if (change != null || current.isJoint() || configs.isPending(log.commitIndex())) {
      throw new IllegalStateException("a membership change is under way: " + current + " at index "
          + configs.currentIndex() + ", commit index " + log.commitIndex());
    }
    if (!force) {
      requireSafe(current, target);
    }
    if (current.equals(target)) {
      out.report(new Outcome.MembershipCommitted(target, configs.currentIndex())); // nothing to change
      return configs.currentIndex();
    }
    LogEntry e = LogEntry.config(log.lastIndex() + 1, term, current.transitionTo(target));
    change = new MembershipChange(target, e.index());
    append(e);
    return e.index();
  }

  /**
   * Refuses a change of voters that would stall the group (the strict reconfiguration check): a new
   * voter must have caught up to within {@link RaftOptions#promotionLagEntries()} of this leader's
   * log, and the new voters must include a quorum of members heard from within an election timeout.
   */
  private void requireSafe(Membership current, Membership target) {
    for (String v : target.voters()) {
      if (current.isVoter(v) || v.equals(id)) {
        continue;
      }
      Progress pr = tracker.get(v);
      long match = pr == null ? 0 : pr.match();
      if (log.lastIndex() - match > options.promotionLagEntries()) {
        throw new IllegalStateException("refused: new voter " + v + " holds the log up to index " + match + " of "
            + log.lastIndex() + " (more than promotionLagEntries=" + options.promotionLagEntries() + " behind)"
            + (current.contains(v) ? ": promote it once it has caught up" : ": add it as a learner first and promote"
            + " it once it has caught up") + ", or force the change");
      }
    }
    JointConfig after = JointConfig.of(target.voters(), Set.of());
    if (!tracker.quorumHeardWithin(after, options.electionTicks())) {
      List<String> unheard = target.voters().stream()
          .filter(v -> !v.equals(id) && (tracker.get(v) == null || !tracker.get(v).heardWithin(options.electionTicks())))
          .sorted().toList();
      throw new IllegalStateException("refused: the new voters " + target.voters() + " would not include a quorum"
          + " of members heard from within an election timeout (not heard: " + unheard + "); the group could"
          + " not commit: start them first, or force the change");
    }
  }

  /** This leader's own write up to {@code durable} is durable. Returns false to step down. */
  boolean persisted() {
    return maybeCommit();
  }

  /** An answer to an append. Returns false to step down. */
  boolean answered(AppendResponse r) {
    Progress pr = tracker.get(r.from());
    if (pr == null) {
      return true;
    }
    pr.markActive();
    if (pr.ackReadRound(r.readRound(), reads.round())) {
      reads.confirm(tracker::quorumAckedRound, out); // it follows us in this term (older terms were refused)
    }
    if (replicator.appendAnswered(pr, r, reads)) {
      maybeSendTimeoutNow(pr);
    }
    return !(r.success() && r.matchIndex() <= log.lastIndex()) || maybeCommit();
  }

  /** An answer about a snapshot (a chunk's, or the whole one held). Returns false to step down. */
  boolean answered(SnapshotResponse r) {
    Progress pr = tracker.get(r.from());
    if (pr == null || (r.matchIndex() == 0 && !r.partial())) {
      return true;
    }
    pr.markActive();
    if (r.partial()) {
      replicator.chunkAnswered(pr, r, log.snapshot());
      return true;
    }
    if (replicator.snapshotHeld(pr, r, log.snapshotIndex())) {
      maybeSendTimeoutNow(pr);
    }
    return maybeCommit();
  }

  /** The service took a snapshot at {@code index}: followers catching up get until the next one. */
  void snapshotTaken(long index) {
    for (Progress pr : tracker.all()) {
      pr.snapshotTaken(index);
    }
  }

  /**
   * The lowest index to compact to, at most the snapshot's: a follower receiving a snapshot or
   * catching up from one keeps the entries it still needs (at most snapshotCatchUpEntries): without
   * them it would need the next snapshot, and one whose transfers take longer than the service takes
   * to snapshot again would never catch up.
   */
  long compactionFloor() {
    long to = log.snapshotIndex();
    if (options.snapshotCatchUpEntries() == 0) {
      return to;
    }
    long floor = to;
    for (Progress pr : tracker.all()) {
      floor = Math.min(floor, replicator.keepFor(pr, to));
    }
    return floor;
  }

  /** Sends what each follower's state allows, and heartbeats carrying a read round no append carried. */
  void sendPending() {
    for (Progress pr : tracker.all()) {
      replicator.sendAppends(pr, log.commitIndex(), reads.round(), log.snapshot());
      if (reads.roundUnsent() && pr.readRoundSent() < reads.round() && pr.state() != Progress.State.SNAPSHOT) {
        replicator.sendAppend(pr, true, log.commitIndex(), reads.round(), log.snapshot());
      }
    }
    reads.roundSent();
  }

  /** The configuration in force changed: replicate to its members, stop a handover to a removed voter. */
  void configChanged() {
    syncProgress();
    if (transfer.isActive() && !configs.current().isVoter(transfer.target())) {
      transfer.targetRemoved();
    }
  }

  private void append(LogEntry e) {
    if (log.append(e)) {
      configChanged();
    }
  }

  /**
   * One progress per member of the configuration other than this one, and no other. Until the
   * configuration in force is committed, the members of the one before it are kept too: a member
   * being removed then receives the entry that removes it, and knowing itself no voter, never
   * campaigns to disturb the group.
   */
  private void syncProgress() {
    Set<String> members = new HashSet<>(configs.current().members());
    if (configs.isPending(log.commitIndex())) {
      members.addAll(configs.previous().members());
    }
    tracker.sync(configs.voters(), members, log.lastIndex() + 1);
  }

  /** Tells the transfer target to campaign once its log matches ours (again at each heartbeat). */
  private void maybeSendTimeoutNow(Progress pr) {
    if (pr.id().equals(transfer.target()) && pr.match() == log.lastIndex()) {
      out.send(new TimeoutNow(term, id, pr.id()));
    }
  }

  /**
   * Commits the highest index durable on a quorum (of both configurations while joint), if it is of
   * this term (Figure 8). Then, once the configuration in force is committed: reports the change
   * this leader led, leaves a joint configuration, or (returning false) steps down when this leader
   * is no longer a voter, after telling the others the commit index.
   */
  private boolean maybeCommit() {
    long n = tracker.committedIndex(log.durableIndex());
    long commit = log.commitIndex();
    if (n > commit && n <= log.lastIndex() && log.entries().termAt(n) == term) {
      boolean configCommits = commit < configs.currentIndex() && configs.currentIndex() <= n;
      log.commitTo(n);
      if (configCommits) {
        syncProgress(); // stop replicating to the members the committed configuration removed
      }
      if (change != null && n >= change.index() && !configs.isPending(n) && configs.current().equals(change.target())) {
        out.report(new Outcome.MembershipCommitted(change.target(), configs.currentIndex()));
        change = null;
      }
    }
    if (configs.isPending(log.commitIndex())) {
      return true;
    }
    Membership m = configs.current();
    if (m.isJoint()) {
      append(LogEntry.config(log.lastIndex() + 1, term, m.target()));
      return maybeCommit(); // a group of one commits alone
    }
    if (!m.isVoter(id)) {
      for (Progress pr : tracker.all()) {
        if (pr.state() != Progress.State.SNAPSHOT) {
          replicator.sendAppend(pr, true, log.commitIndex(), reads.round(), log.snapshot());
        }
      }
      return false;
    }
    return true;
  }

  @Override
  public String toString() {
    return tracker.toString();
  }
}
